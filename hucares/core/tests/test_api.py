"""The pieces every app's API shares: the caller of a view and the strict integer field."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.tests.factories import UserFactory
from hucares.core.api import StrictIntegerField, actor


def _request(user=None) -> Request:
    raw = APIRequestFactory().get("/")
    if user is not None:
        force_authenticate(raw, user=user)
    request = Request(raw)
    if user is None:
        request.user = AnonymousUser()
    return request


@pytest.mark.django_db
def test_actor_is_the_authenticated_user() -> None:
    user = UserFactory.create()
    assert actor(_request(user)) == user


def test_actor_refuses_an_anonymous_request() -> None:
    with pytest.raises(NotAuthenticated):
        actor(_request())


class _Scores(serializers.Serializer):
    score = StrictIntegerField(min_value=1, max_value=10)


@pytest.mark.parametrize("value", ["8", 8.0, True, None, [8]])
def test_strict_integer_refuses_what_is_not_a_json_whole_number(value) -> None:
    serializer = _Scores(data={"score": value})
    assert not serializer.is_valid()
    assert serializer.errors["score"] == [
        "This field may not be null." if value is None else "A whole number is required."
    ]


def test_strict_integer_keeps_its_bounds() -> None:
    assert _Scores(data={"score": 8}).is_valid()
    assert not _Scores(data={"score": 11}).is_valid()
