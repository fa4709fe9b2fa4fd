import factory

from accounts.tests.factories import UserFactory
from notifications.models import Notification, NotificationType


class NotificationFactory(factory.django.DjangoModelFactory[Notification]):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    type = NotificationType.MEMBER_JOINED
    title = "Someone joined"
    message = "Someone joined your group."
    data = factory.LazyFunction(dict)
