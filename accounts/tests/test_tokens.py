import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework_simplejwt.state import token_backend

from accounts import tokens
from accounts.errors import TokenInvalid
from accounts.models import AuthSession, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pair(user: User) -> tokens.IssuedPair:
    """A pair of a real session: a token whose session has no row is refused."""
    session_id = uuid.uuid4()
    pair = tokens.issue_pair(user=user, session_id=session_id)
    AuthSession.objects.create(
        id=session_id, user=user, refresh_jti=pair.refresh_jti, expires_at=pair.refresh_expires_at
    )
    return pair


def test_access_token_carries_the_contract_claims(user: User) -> None:
    session_id = uuid.uuid4()
    issued = tokens.issue_pair(user=user, session_id=session_id)

    claims = tokens.decode_token(issued.access, tokens.ACCESS)

    assert claims["userId"] == str(user.pk)
    assert claims["username"] == user.username
    assert claims["email"] == user.email
    assert claims["role"] == "user"
    assert claims["sid"] == str(session_id)
    assert claims["token_type"] == "access"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert {"jti", "iat", "exp"} <= claims.keys()


def test_staff_tokens_have_the_admin_role() -> None:
    staff = UserFactory.create(is_staff=True)

    assert tokens.decode_token(_pair(staff).access, tokens.ACCESS)["role"] == "admin"


def test_refresh_token_lives_seven_days_and_is_outstanding(user: User) -> None:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    issued = _pair(user)
    claims = tokens.decode_token(issued.refresh, tokens.REFRESH)

    assert claims["token_type"] == "refresh"
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert OutstandingToken.objects.filter(jti=issued.refresh_jti, user=user).exists()


def test_user_for_access_token_returns_the_user_and_claims(user: User) -> None:
    found, claims = tokens.user_for_access_token(_pair(user).access)

    assert found == user
    assert claims["userId"] == str(user.pk)


def test_expired_access_token_is_invalid(user: User) -> None:
    access = _pair(user).access

    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)), pytest.raises(TokenInvalid):
        tokens.user_for_access_token(access)


def test_an_access_token_already_accepted_is_refused_once_expired(user: User) -> None:
    # Its verified claims are kept by the process: the expiry is still checked on every use.
    access = _pair(user).access
    assert tokens.user_for_access_token(access)[0] == user

    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)), pytest.raises(TokenInvalid):
        tokens.user_for_access_token(access)


def test_the_claims_of_an_accepted_token_are_a_copy_per_request(user: User) -> None:
    access = _pair(user).access
    first = tokens.user_for_access_token(access)[1]
    first["role"] = "admin"

    assert tokens.user_for_access_token(access)[1]["role"] == "user"


def test_access_token_is_still_valid_just_before_expiry(user: User) -> None:
    access = _pair(user).access

    with time_machine.travel(timezone.now() + timedelta(minutes=14, seconds=50)):
        assert tokens.user_for_access_token(access)[0] == user


def test_refresh_token_is_not_accepted_as_access_token(user: User) -> None:
    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(_pair(user).refresh)


@pytest.mark.parametrize("raw", ["", "garbage", "a.b.c", "é"])
def test_malformed_token_is_invalid(raw: str) -> None:
    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(raw)


def test_token_signed_with_another_key_is_invalid(user: User) -> None:
    claims = tokens.decode_token(_pair(user).access, tokens.ACCESS)
    forged = token_backend.__class__("HS256", signing_key="another-key-that-is-long-enough-0123456789").encode(claims)

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(forged)


def test_token_without_a_session_claim_is_invalid(user: User) -> None:
    claims = tokens.decode_token(_pair(user).access, tokens.ACCESS)
    del claims["sid"]

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(token_backend.encode(claims))


def test_token_with_a_non_uuid_user_id_is_invalid(user: User) -> None:
    claims = tokens.decode_token(_pair(user).access, tokens.ACCESS)
    claims["userId"] = "42"

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(token_backend.encode(claims))


def test_revoked_session_rejects_its_access_tokens(user: User) -> None:
    issued = _pair(user)
    sid = tokens.decode_token(issued.access, tokens.ACCESS)["sid"]

    tokens.revoke_access(sids=[sid])

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(issued.access)


def test_revoked_jti_rejects_only_that_access_token(user: User) -> None:
    first = _pair(user)
    second = tokens.issue_pair(user=user, session_id=tokens.decode_token(first.access, tokens.ACCESS)["sid"])

    tokens.revoke_access(jtis=[tokens.decode_token(first.access, tokens.ACCESS)["jti"]])

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(first.access)
    assert tokens.user_for_access_token(second.access)[0] == user


def test_inactive_or_deleted_user_token_is_invalid(user: User) -> None:
    access = _pair(user).access
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(access)

    User.objects.filter(pk=user.pk).delete()
    with pytest.raises(TokenInvalid):
        tokens.user_for_access_token(access)


def test_activity_is_written_at_most_once_a_minute(user: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tokens.touch_activity(user)
    first = User.objects.get(pk=user.pk).last_active_at
    assert first == start

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        tokens.touch_activity(user)
    assert User.objects.get(pk=user.pk).last_active_at == first
