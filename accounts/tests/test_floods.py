"""Floods that do not fail are bounded: reset emails per address, registrations per address block,
one sign-in bucket per account whatever the spelling."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.api.ratelimits import address_block
from accounts.models import User
from accounts.tests.conftest import STRONG_PASSWORD
from accounts.tests.factories import DEFAULT_PASSWORD
from hucares.core.models import OutboundEmail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ratelimits_on")]


def forgot(address: str, email: str) -> Any:
    return APIClient(REMOTE_ADDR=address).post("/api/v1/auth/forgot-password", {"email": email})


def test_ten_reset_requests_from_five_addresses_send_three_emails(user: User) -> None:
    answers = [forgot(f"198.51.100.{index % 5}", user.email) for index in range(10)]

    assert [answer.status_code for answer in answers] == [200] * 10
    assert len({str(answer.json()["data"]) for answer in answers}) == 1  # the same answer, sent or not
    assert OutboundEmail.objects.filter(kind="password_reset", user=user).count() == 3


def test_the_reset_bound_is_per_address_whatever_the_spelling(user: User, settings: Any) -> None:
    settings.RATELIMIT_RESET_ADDRESS = "1/h"
    forgot("198.51.100.1", user.email)
    forgot("198.51.100.2", f"  {user.email.upper()} ")

    assert OutboundEmail.objects.filter(kind="password_reset").count() == 1


def register(address: str, index: int) -> Any:
    body = {"username": f"flood{index}", "email": f"flood{index}@example.com", "password": STRONG_PASSWORD}
    return APIClient(REMOTE_ADDR=address).post("/api/v1/auth/register", body)


def test_registrations_are_limited_per_ipv4_24(settings: Any) -> None:
    settings.RATELIMIT_REGISTER_BLOCK = "3/h"
    statuses = [register(f"203.0.113.{index + 1}", index).status_code for index in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert register("203.0.114.1", 9).status_code == 201  # the next /24 is another block
    assert User.objects.count() == 4


def test_registrations_are_limited_per_ipv6_64(settings: Any) -> None:
    settings.RATELIMIT_REGISTER_BLOCK = "2/h"
    statuses = [register(f"2001:db8:5:6::{index + 1:x}", index).status_code for index in range(3)]

    assert statuses == [201, 201, 429]


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
    ],
)
def test_address_block(address: str, block: str) -> None:
    assert address_block(address) == block


def login(body: dict[str, str], address: str) -> Any:
    return APIClient(REMOTE_ADDR=address).post("/api/v1/auth/login", body)


def test_one_sign_in_bucket_per_account_whatever_the_spelling(user: User, settings: Any) -> None:
    settings.RATELIMIT_AUTH_ACCOUNT = "4/15m"
    spellings = [
        {"email": user.email},
        {"username": user.username},
        {"email": user.email.upper()},
        {"username": user.username.upper()},
    ]
    for index, spelling in enumerate(spellings):
        assert login({**spelling, "password": "Wrong-Pass-1"}, f"198.51.100.{index}").status_code == 401

    refused = login({"username": user.username, "password": DEFAULT_PASSWORD}, "198.51.100.99")

    assert refused.status_code == 429
