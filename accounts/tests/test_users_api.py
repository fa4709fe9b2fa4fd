import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import factory
import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from PIL import Image
from rest_framework.test import APIClient

from accounts import avatars, selectors
from accounts.models import AuthSession, User
from accounts.tests.conftest import Tokens, error_of, fields_of
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from checkins.tests.factories import CheckInFactory
from groups.models import Group, GroupMembership, MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


# --- profile -------------------------------------------------------------------------------------


def test_profile_shows_the_callers_own_account(user_client: APIClient, user: User) -> None:
    response = user_client.get("/api/v1/users/profile")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["id"] == str(user.pk)
    assert data["email"] == user.email
    assert data["avatarUrl"] is None
    assert data["notificationPreferences"] == {
        "friendCheckIn": True,
        "groupInvitation": True,
        "memberJoined": True,
        "weeklyReminder": True,
        "reminderDay": "sunday",
        "reminderHour": 18,
        "email": {"weeklyReminder": True, "groupInvitation": True},
    }


def test_patch_merges_preferences_onto_the_stored_ones(user_client: APIClient, user: User) -> None:
    response = user_client.patch(
        "/api/v1/users/profile",
        {
            "notificationPreferences": {"reminderDay": "friday", "email": {"weeklyReminder": False}},
            "privacySettings": {"scores": "private"},
        },
    )

    assert response.status_code == 200
    prefs = response.json()["data"]["notificationPreferences"]
    assert prefs["reminderDay"] == "friday"
    assert prefs["reminderHour"] == 18
    assert prefs["email"] == {"weeklyReminder": False, "groupInvitation": True}
    stored = User.objects.get(pk=user.pk)
    assert stored.notification_preferences["email"] == {"weeklyReminder": False, "groupInvitation": True}
    assert stored.privacy_settings == {"profile": "friends", "scores": "private"}


def test_put_updates_timezone_and_username(user_client: APIClient, user: User) -> None:
    response = user_client.put("/api/v1/users/profile", {"username": "Renamed_1", "timezone": "Europe/Berlin"})

    assert response.status_code == 200
    assert response.json()["data"]["username"] == "Renamed_1"
    assert User.objects.get(pk=user.pk).timezone == "Europe/Berlin"


def test_changing_only_the_case_of_ones_own_username_is_allowed(user_client: APIClient, user: User) -> None:
    response = user_client.patch("/api/v1/users/profile", {"username": user.username.upper()})

    assert response.status_code == 200


def test_changed_email_must_be_verified_again(
    user_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/api/v1/users/profile", {"email": "Moved@Example.com"})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["email"] == "moved@example.com"
    assert data["emailVerified"] is False
    assert [message.to for message in mail.outbox] == [["moved@example.com"]]


def test_same_email_in_another_case_changes_nothing(
    user_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.patch("/api/v1/users/profile", {"email": user.email.upper()})

    assert response.json()["data"]["emailVerified"] is True
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "Other@example.com"}, "EMAIL_ALREADY_EXISTS"),
        ({"username": "OTHER_ONE"}, "USERNAME_ALREADY_EXISTS"),
    ],
)
def test_profile_change_to_a_taken_name_is_a_conflict(user_client: APIClient, body: dict[str, str], code: str) -> None:
    UserFactory.create(username="other_one", email="other@example.com")

    response = user_client.patch("/api/v1/users/profile", body)

    assert response.status_code == 409
    assert error_of(response)["code"] == code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": 5}, "timezone"),
        ({"notificationPreferences": {"reminderDay": "someday"}}, "notificationPreferences.reminderDay"),
        ({"notificationPreferences": {"reminderHour": 24}}, "notificationPreferences.reminderHour"),
        ({"notificationPreferences": {"reminderHour": -1}}, "notificationPreferences.reminderHour"),
        ({"notificationPreferences": {"reminderHour": "18"}}, "notificationPreferences.reminderHour"),
        ({"notificationPreferences": {"reminderHour": 18.5}}, "notificationPreferences.reminderHour"),
        ({"notificationPreferences": {"reminderHour": True}}, "notificationPreferences.reminderHour"),
        ({"notificationPreferences": {"friendCheckIn": "yes"}}, "notificationPreferences.friendCheckIn"),
        ({"notificationPreferences": {"friendCheckIn": 1}}, "notificationPreferences.friendCheckIn"),
        ({"notificationPreferences": {"friendCheckIn": None}}, "notificationPreferences.friendCheckIn"),
        ({"notificationPreferences": {"surprise": True}}, "notificationPreferences.surprise"),
        (
            {"notificationPreferences": {"email": {"weeklyReminder": "no"}}},
            "notificationPreferences.email.weeklyReminder",
        ),
        ({"notificationPreferences": {"email": {"sms": True}}}, "notificationPreferences.email.sms"),
        ({"notificationPreferences": {"email": []}}, "notificationPreferences.email"),
        ({"notificationPreferences": "all"}, "notificationPreferences"),
        ({"notificationPreferences": None}, "notificationPreferences"),
        ({"privacySettings": {"scores": "everyone"}}, "privacySettings.scores"),
        ({"privacySettings": {"profile": "world"}}, "privacySettings.profile"),
        ({"privacySettings": {"theme": "dark"}}, "privacySettings.theme"),
        ({"privacySettings": []}, "privacySettings"),
    ],
)
def test_profile_settings_are_validated_strictly(user_client: APIClient, body: dict[str, Any], field: str) -> None:
    response = user_client.patch("/api/v1/users/profile", body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_of(response) == {field}


def test_invalid_profile_change_writes_nothing(user_client: APIClient, user: User) -> None:
    user_client.patch("/api/v1/users/profile", {"username": "changed_name", "timezone": "Nowhere/Land"})

    assert User.objects.get(pk=user.pk).username == user.username


# --- delete account ------------------------------------------------------------------------------------


def test_delete_account_removes_the_user_and_everything_they_own(
    signed_in: tuple[APIClient, Tokens], user: User, django_capture_on_commit_callbacks
) -> None:
    client, _ = signed_in
    group = GroupFactory.create(member_count=3)
    membership = MembershipFactory.create(group=group, user=user, role=Role.ADMIN)
    CheckInFactory.create(user=user, group=group)
    heir = MembershipFactory.create(group=group, user=UserFactory.create()).user
    MembershipFactory.create(group=group, user=UserFactory.create())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.delete("/api/v1/users/account", {"password": DEFAULT_PASSWORD})

    assert response.status_code == 204
    assert response.content == b""
    assert callbacks  # the groups' domain events of the hand-over still go out
    assert not User.objects.filter(pk=user.pk).exists()
    assert not GroupMembership.objects.filter(pk=membership.pk).exists()
    assert not AuthSession.objects.filter(user_id=user.pk).exists()
    assert GroupMembership.objects.get(group=group, user=heir).role == Role.ADMIN
    assert client.get("/api/v1/users/profile").status_code == 401


def test_delete_account_keeps_the_groups_check_in_totals_exact(signed_in: tuple[APIClient, Tokens], user: User) -> None:
    client, _ = signed_in
    group = GroupFactory.create(member_count=2, total_check_ins=2)
    MembershipFactory.create(group=group, user=user)
    friend = MembershipFactory.create(group=group, user=UserFactory.create()).user
    CheckInFactory.create(user=user, group=group)
    CheckInFactory.create(user=friend, group=group)

    assert client.delete("/api/v1/users/account", {"password": DEFAULT_PASSWORD}).status_code == 204

    group.refresh_from_db()
    assert group.total_check_ins == 1
    assert group.member_count == 1


def test_delete_account_deletes_a_group_left_empty(signed_in: tuple[APIClient, Tokens], user: User) -> None:
    client, _ = signed_in
    alone = GroupFactory.create(member_count=1)
    MembershipFactory.create(group=alone, user=user, role=Role.ADMIN)
    former = UserFactory.create()
    MembershipFactory.create(group=alone, user=former, status=MembershipStatus.INACTIVE)

    assert client.delete("/api/v1/users/account", {"password": DEFAULT_PASSWORD}).status_code == 204

    assert not Group.objects.filter(pk=alone.pk).exists()


def test_delete_account_with_wrong_password_is_a_field_error_not_a_401(
    signed_in: tuple[APIClient, Tokens], user: User
) -> None:
    client, _ = signed_in

    response = client.delete("/api/v1/users/account", {"password": "Not-Mine-1"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert fields_of(response) == {"password"}
    assert User.objects.filter(pk=user.pk).exists()


# --- avatar ----------------------------------------------------------------------------------------------


def image_file(fmt: str = "PNG", size: tuple[int, int] = (600, 300), mode: str = "RGB", **save: Any) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new(mode, size, color=(200, 40, 90) if mode == "RGB" else None).save(buffer, format=fmt, **save)
    buffer.seek(0)
    buffer.name = f"upload.{fmt.lower()}"
    return buffer


def upload(client: APIClient, file: Any) -> Any:
    return client.post("/api/v1/users/avatar", {"avatar": file}, format="multipart")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_avatar_is_cropped_square_shrunk_and_reencoded(
    user_client: APIClient, user: User, fmt: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(user_client, image_file(fmt))

    assert response.status_code == 200
    url = response.json()["data"]["avatarUrl"]
    assert url.startswith("http://testserver/media/avatars/")
    name = User.objects.get(pk=user.pk).avatar.name
    with default_storage.open(name) as stored:
        image = Image.open(stored)
        assert image.format == "WEBP"
        assert image.size == (256, 256)
        assert not image.info.get("exif")


def test_small_avatar_is_not_enlarged(user_client: APIClient, user: User) -> None:
    upload(user_client, image_file(size=(80, 120)))

    with default_storage.open(User.objects.get(pk=user.pk).avatar.name) as stored:
        assert Image.open(stored).size == (80, 80)


def test_avatar_metadata_is_stripped(user_client: APIClient, user: User) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    upload(user_client, image_file("JPEG", exif=exif.tobytes()))

    with default_storage.open(User.objects.get(pk=user.pk).avatar.name) as stored:
        assert b"SecretCam" not in stored.read()


def test_new_avatar_replaces_and_deletes_the_old_file(
    user_client: APIClient, user: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        upload(user_client, image_file())
    first = User.objects.get(pk=user.pk).avatar.name

    with django_capture_on_commit_callbacks(execute=True):
        upload(user_client, image_file("JPEG"))

    second = User.objects.get(pk=user.pk).avatar.name
    assert second != first
    assert default_storage.exists(second)
    assert not default_storage.exists(first)


def test_avatar_appears_in_the_public_form(user_client: APIClient, user: User, client_for) -> None:
    upload(user_client, image_file())
    UserFactory.create(username="seeker")

    found = client_for(User.objects.get(username="seeker")).get(f"/api/v1/users/search?q={user.username}")

    assert found.json()["data"][0]["avatarUrl"].startswith("http://testserver/media/avatars/")


def test_avatar_over_2_mb_is_too_large(user_client: APIClient) -> None:
    big = io.BytesIO(b"\x89PNG" + b"0" * (2 * 1024 * 1024))
    big.name = "big.png"

    response = upload(user_client, big)

    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "content",
    [b"just some text", b"GIF89a" + b"\x00" * 64, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40],
)
def test_non_images_and_other_formats_are_rejected(user_client: APIClient, content: bytes) -> None:
    file = io.BytesIO(content)
    file.name = "avatar.png"

    response = upload(user_client, file)

    assert response.status_code == 400
    assert fields_of(response) == {"avatar"}


def test_gif_avatar_is_rejected(user_client: APIClient) -> None:
    response = upload(user_client, image_file("GIF", mode="P"))

    assert response.status_code == 400
    assert fields_of(response) == {"avatar"}


def test_image_with_too_many_pixels_is_refused_before_decoding(user_client: APIClient, monkeypatch) -> None:
    monkeypatch.setattr(avatars, "MAX_PIXELS", 100 * 100)

    response = upload(user_client, image_file(size=(101, 100)))

    assert response.status_code == 400
    assert fields_of(response) == {"avatar"}


def test_avatar_upload_needs_the_avatar_field(user_client: APIClient) -> None:
    response = user_client.post("/api/v1/users/avatar", {}, format="multipart")

    assert response.status_code == 400
    assert fields_of(response) == {"avatar"}


def test_avatar_upload_as_json_is_an_unsupported_media_type(user_client: APIClient) -> None:
    response = user_client.post("/api/v1/users/avatar", {"avatar": "data:image/png;base64,AAAA"})

    assert response.status_code == 415
    assert error_of(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_transparent_png_keeps_its_alpha(user_client: APIClient, user: User) -> None:
    upload(user_client, image_file(mode="RGBA", size=(300, 300)))

    with default_storage.open(User.objects.get(pk=user.pk).avatar.name) as stored:
        assert Image.open(stored).mode == "RGBA"


# --- search ------------------------------------------------------------------------------------------------


def test_search_finds_username_prefixes_case_insensitively_in_public_form(user_client: APIClient, user: User) -> None:
    UserFactory.create(username="Alice_1")
    UserFactory.create(username="alina")
    UserFactory.create(username="bob")

    response = user_client.get("/api/v1/users/search?q=AL")

    assert response.status_code == 200
    data = response.json()["data"]
    assert [item["username"] for item in data] == ["Alice_1", "alina"]
    assert set(data[0]) == {"id", "username", "avatarUrl"}
    assert response.json()["meta"]["pagination"]["total"] == 2


def test_search_skips_the_caller_inactive_and_private_profiles(client_for: Callable[[User], APIClient]) -> None:
    me = UserFactory.create(username="sam_me")
    UserFactory.create(username="sam_gone", is_active=False)
    UserFactory.create(username="sam_hidden", privacy_settings={"profile": "private", "scores": "group"})
    UserFactory.create(username="sam_open", privacy_settings={"scores": "group"})
    UserFactory.create(username="sam_unset", privacy_settings={})  # no profile key: findable

    data = client_for(me).get("/api/v1/users/search?q=sam").json()["data"]

    assert [item["username"] for item in data] == ["sam_open", "sam_unset"]


def test_search_treats_underscore_literally(user_client: APIClient) -> None:
    UserFactory.create(username="a_b")
    UserFactory.create(username="axb")

    data = user_client.get("/api/v1/users/search?q=a_").json()["data"]

    assert [item["username"] for item in data] == ["a_b"]


def test_search_returns_at_most_20_results(user_client: APIClient) -> None:
    UserFactory.create_batch(25, username=factory.Sequence(lambda n: f"zed{n:03d}"))

    response = user_client.get("/api/v1/users/search?q=zed&limit=100")

    assert len(response.json()["data"]) == 20
    assert response.json()["meta"]["pagination"]["limit"] == 20
    first = {u["username"] for u in response.json()["data"]}
    second = {u["username"] for u in user_client.get("/api/v1/users/search?q=zed&limit=100&page=2").json()["data"]}
    assert len(second) == 5
    assert not first & second
    assert user_client.get("/api/v1/users/search?q=zed&limit=100&page=18668404613599789056").json()["data"] == []


@pytest.mark.parametrize("query", ["", "a", " a ", "x" * 21])
def test_search_needs_a_query_of_2_to_20_characters(user_client: APIClient, query: str) -> None:
    response = user_client.get("/api/v1/users/search", {"q": query})

    assert response.status_code == 400
    assert fields_of(response) == {"q"}


def test_search_refuses_a_null_character(user_client: APIClient) -> None:
    # PostgreSQL cannot hold one in a text value: it would be a 500.
    response = user_client.get("/api/v1/users/search", {"q": "ab\x00"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == [{"field": "q", "message": "Null characters are not allowed."}]


def test_search_needs_authentication(api_client: APIClient) -> None:
    assert api_client.get("/api/v1/users/search?q=al").status_code == 401


@pytest.mark.services_only  # PostgreSQL's query plan
def test_prefix_search_can_use_the_username_index(user: User) -> None:
    queryset = selectors.user_search(query="ab", viewer=user)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "users_username_prefix_idx" in plan


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring ``width`` x ``height`` pixels whose data is one empty compressed block."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_pixel_bomb_is_refused_from_its_header(user_client: APIClient) -> None:
    # About 120 bytes claiming 5000 x 4999 pixels: refused for its size, not decoded (there is nothing to decode).
    bomb = io.BytesIO(_png_header_only(5000, 4999))
    bomb.name = "bomb.png"

    response = upload(user_client, bomb)

    assert response.status_code == 400
    assert error_of(response)["details"] == [{"field": "avatar", "message": "The avatar has too many pixels."}]


def test_an_image_at_the_pixel_limit_is_accepted(user_client: APIClient) -> None:
    assert avatars.MAX_PIXELS == 4096 * 4096
    assert upload(user_client, image_file(size=(4096, 4096))).status_code == 200
