import datetime

import factory

from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from groups.tests.factories import GroupFactory


class CheckInFactory(factory.django.DjangoModelFactory[CheckIn]):
    class Meta:
        model = CheckIn

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(GroupFactory)
    week_start_date = datetime.date(2025, 1, 6)
    productive = 7
    satisfied = 6
    body = 5
    care = 4
