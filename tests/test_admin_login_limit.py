"""The admin's sign-in is limited per address and per account (django-axes), with the API's 429."""

import logging

import pytest
from django.test import Client

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def admin_login(email: str, password: str, address: str = "198.51.100.1") -> object:
    return Client(REMOTE_ADDR=address).post(
        "/admin/login/?next=/admin/", {"username": email, "password": password, "next": "/admin/"}
    )


def test_a_staff_member_signs_in() -> None:
    staff = UserFactory.create(is_staff=True)
    response = admin_login(staff.email, DEFAULT_PASSWORD)
    assert response.status_code == 302  # type: ignore[attr-defined]


def test_failures_from_one_address_end_in_429_with_retry_after() -> None:
    staff = UserFactory.create(is_staff=True)
    for index in range(4):
        assert admin_login(f"guess{index}@example.com", "Wrong-Pass-1").status_code == 200  # type: ignore[attr-defined]
    # The fifth failure is answered with the lockout already.
    assert admin_login("guess4@example.com", "Wrong-Pass-1").status_code == 429  # type: ignore[attr-defined]

    refused = admin_login(staff.email, DEFAULT_PASSWORD)

    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused["Retry-After"] == "900"  # type: ignore[index]
    assert refused["RateLimit-Limit"] == "5"  # type: ignore[index]
    assert refused["RateLimit-Remaining"] == "0"  # type: ignore[index]
    assert refused.json()["error"]["code"] == "RATE_LIMITED"  # type: ignore[attr-defined]
    assert admin_login(staff.email, DEFAULT_PASSWORD, address="198.51.100.2").status_code == 302  # type: ignore[attr-defined]


def test_failures_against_one_account_from_many_addresses_lock_that_account() -> None:
    staff = UserFactory.create(is_staff=True, email="boss@example.com")
    for index in range(5):
        admin_login(" Boss@Example.com", "Wrong-Pass-1", address=f"203.0.113.{index}")

    assert admin_login(staff.email, DEFAULT_PASSWORD, address="203.0.113.99").status_code == 429  # type: ignore[attr-defined]
    other = UserFactory.create(is_staff=True)
    assert admin_login(other.email, DEFAULT_PASSWORD, address="203.0.113.99").status_code == 302  # type: ignore[attr-defined]


def test_an_ipv6_client_is_counted_per_64() -> None:
    staff = UserFactory.create(is_staff=True)
    for index in range(5):
        admin_login(f"guess{index}@example.com", "Wrong-Pass-1", address=f"2001:db8:9:9::{index + 1:x}")

    assert admin_login(staff.email, DEFAULT_PASSWORD, address="2001:db8:9:9:abcd::1").status_code == 429  # type: ignore[attr-defined]


def test_an_admin_login_failure_is_a_security_event_without_the_email(caplog: pytest.LogCaptureFixture) -> None:
    staff = UserFactory.create(is_staff=True)
    with caplog.at_level(logging.WARNING, logger="hucares.security"):
        admin_login(staff.email, "Wrong-Pass-1", address="198.51.100.77")

    (event,) = [record for record in caplog.records if record.name == "hucares.security"]
    assert event.event == "admin_login_failed"  # type: ignore[attr-defined]
    assert event.userId == str(staff.pk)  # type: ignore[attr-defined]
    assert event.clientIp == "198.51.100.77"  # type: ignore[attr-defined]
    assert staff.email not in str(event.__dict__)
