import factory

from accounts.models import User

DEFAULT_PASSWORD = "Sunny-Day-42"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    email_verified = True
    password = factory.django.Password(DEFAULT_PASSWORD)
