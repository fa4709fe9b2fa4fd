"""A whole user journey through the Python client generated from the served schema, untouched.

Run by ``tests/test_generated_clients.py`` (``make clients``) with the generated
package ``hucares_client`` on ``PYTHONPATH`` and the server's base URL as the
only argument. Every answer must be the documented status and parse into the
generated model of that status; a failure names the step. Standard library and
the generated client only: it runs in the tool environment, not the app's.
"""

import io
import json
import struct
import sys
import uuid
import zlib
from typing import Any, TypeVar

from hucares_client import AuthenticatedClient, Client
from hucares_client.api.analytics import analytics_comparison, analytics_group, analytics_insights, analytics_personal
from hucares_client.api.auth import auth_login, auth_logout, auth_refresh, auth_register
from hucares_client.api.checkins import (
    checkins_create,
    checkins_current,
    checkins_export,
    checkins_group_list,
    checkins_history,
    checkins_partial_update,
)
from hucares_client.api.events import events_poll
from hucares_client.api.groups import groups_create, groups_join, groups_leave, groups_members_list, groups_retrieve
from hucares_client.api.migration import migration_localstorage_import
from hucares_client.api.notifications import notifications_list, notifications_read_all
from hucares_client.api.users import (
    users_account_delete,
    users_avatar_upload,
    users_profile_partial_update,
    users_profile_retrieve,
    users_search,
)
from hucares_client.models import (
    AuthResultEnvelope,
    AvatarResultEnvelope,
    AvatarUploadRequest,
    CheckIn,
    CheckInEnvelope,
    CheckInHistoryPage,
    CheckInSubmitRequest,
    ComparisonEnvelope,
    CurrentPeriodPage,
    DeleteAccountRequest,
    EmptyEnvelope,
    ErrorEnvelope,
    EventPageEnvelope,
    GroupAnalyticsEnvelope,
    GroupEnvelope,
    GroupPeriodPage,
    GroupWriteRequest,
    ImportReportEnvelope,
    InsightListEnvelope,
    JoinRequest,
    LoginRequest,
    LogoutRequest,
    MemberPage,
    MessageEnvelope,
    MigrationLocalstorageImportBody,
    NotificationListPage,
    PatchedCheckInWriteRequest,
    PatchedProfileUpdateRequest,
    PersonalAnalyticsEnvelope,
    PublicUserPage,
    ReadAllResultEnvelope,
    RefreshRequest,
    RegisterRequest,
    TokenPairEnvelope,
    UserProfileEnvelope,
)
from hucares_client.types import File, Response

Model = TypeVar("Model")
PASSWORD = "Journey-horse-42"


def expect(step: str, response: Response[Any], status: int, model: type[Model]) -> Model:
    """The step answered ``status`` and its body parsed into ``model``."""
    if response.status_code != status or not isinstance(response.parsed, model):
        body = response.content.decode(errors="replace")[:500]
        raise SystemExit(f"{step}: expected {status} {model.__name__}, got {response.status_code}: {body}")
    print(f"ok  {step}: {status} {model.__name__}")
    return response.parsed


def tiny_png() -> bytes:
    """A 2x2 RGB PNG, built by hand: the tool environment has no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x33\x66" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def sign_up(base_url: str, name: str) -> tuple[AuthenticatedClient, str]:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    body = RegisterRequest(username=name, email=f"{name}@example.com", password=PASSWORD)
    expect(f"register {name}", auth_register.sync_detailed(client=anonymous, body=body), 201, AuthResultEnvelope)
    login = LoginRequest(email=f"{name}@example.com", password=PASSWORD)
    signed_in = expect(f"login {name}", auth_login.sync_detailed(client=anonymous, body=login), 200, AuthResultEnvelope)
    token = signed_in.data.access_token
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    return client, signed_in.data.refresh_token


def groups_and_check_ins(ada: AuthenticatedClient, bob: AuthenticatedClient) -> uuid.UUID:
    created = expect(
        "create group",
        groups_create.sync_detailed(client=ada, body=GroupWriteRequest(name="Journey climbers", max_members=5)),
        201,
        GroupEnvelope,
    )
    group_id, code = created.data.id, created.data.access_code
    assert isinstance(code, str), "the admin sees the access code"
    joined = expect(
        "join by code", groups_join.sync_detailed(client=bob, body=JoinRequest(access_code=code)), 200, GroupEnvelope
    )
    assert joined.data.member_count == 2
    expect("group detail", groups_retrieve.sync_detailed(group_id, client=bob), 200, GroupEnvelope)
    members = expect("members", groups_members_list.sync_detailed(group_id, client=ada), 200, MemberPage)
    assert members.meta.pagination.total == 2
    start = expect("events cursor", events_poll.sync_detailed(client=ada), 200, EventPageEnvelope).data.cursor
    scores = CheckInSubmitRequest(group_id=group_id, productive=7, satisfied=6, body=5, care=3, mood_emoji="🙂")
    key = str(uuid.uuid4())
    mine = expect(
        "check in", checkins_create.sync_detailed(client=bob, body=scores, idempotency_key=key), 201, CheckInEnvelope
    )
    resent = checkins_create.sync_detailed(client=bob, body=scores, idempotency_key=key)
    replayed = expect("check in resent with its Idempotency-Key", resent, 201, CheckInEnvelope)
    assert replayed.data.id == mine.data.id
    assert resent.headers["Idempotent-Replayed"] == "true"
    polled = expect(
        "events after the cursor", events_poll.sync_detailed(client=ada, since=start, wait=10), 200, EventPageEnvelope
    )
    assert "friend-checked-in" in [event["event"] for event in polled.data.events], polled.data.events
    duplicate = expect("duplicate check-in", checkins_create.sync_detailed(client=bob, body=scores), 409, ErrorEnvelope)
    assert duplicate.error.code == "DUPLICATE_CHECKIN", duplicate.error.code
    period = expect("group check-ins", checkins_group_list.sync_detailed(group_id, client=ada), 200, GroupPeriodPage)
    assert [entry.id for entry in period.data] == [mine.data.id]
    current = expect("current", checkins_current.sync_detailed(client=bob), 200, CurrentPeriodPage)
    assert current.data[0].check_in is not None
    history = expect("history", checkins_history.sync_detailed(client=bob), 200, CheckInHistoryPage)
    assert history.meta.summary.total_check_ins == 1
    edit = PatchedCheckInWriteRequest(care=4, reflection_note="Better now.")
    edited_response = checkins_partial_update.sync_detailed(mine.data.id, client=bob, body=edit)
    edited = expect("edit check-in", edited_response, 200, CheckInEnvelope)
    assert edited.data.care == 4
    return group_id


def analytics_and_more(ada: AuthenticatedClient, bob: AuthenticatedClient, group_id: uuid.UUID) -> None:
    expect("personal analytics", analytics_personal.sync_detailed(client=bob), 200, PersonalAnalyticsEnvelope)
    expect("group analytics", analytics_group.sync_detailed(group_id, client=bob), 200, GroupAnalyticsEnvelope)
    expect("comparison", analytics_comparison.sync_detailed(client=bob, group_id=group_id), 200, ComparisonEnvelope)
    expect("insights", analytics_insights.sync_detailed(client=bob), 200, InsightListEnvelope)
    inbox = expect("notifications", notifications_list.sync_detailed(client=ada), 200, NotificationListPage)
    assert any(item.type_ == "friend_check_in" for item in inbox.data), [item.type_ for item in inbox.data]
    assert inbox.meta.unread_count >= 1
    read = expect("read all", notifications_read_all.sync_detailed(client=ada), 200, ReadAllResultEnvelope)
    assert read.data.updated >= 1
    found = expect("search", users_search.sync_detailed(client=ada, q="jb"), 200, PublicUserPage)
    assert found.data, "bob is found by a username prefix"
    export = checkins_export.sync_detailed(client=bob)
    if export.status_code != 200 or not isinstance(export.parsed, list):
        raise SystemExit(f"export: {export.status_code} {type(export.parsed).__name__}")
    assert [type(row) for row in export.parsed] == [CheckIn], export.parsed
    assert len(json.loads(export.content)) == 1
    print("ok  export: 200 list[CheckIn] (a file, not an envelope)")
    old_data = MigrationLocalstorageImportBody.from_dict(
        {"userProfile": {"id": "old-1"}, "groups": [], "checkIns": [], "timezone": "UTC"}
    )
    report = expect(
        "import dry run",
        migration_localstorage_import.sync_detailed(client=bob, body=old_data, dry_run=True),
        200,
        ImportReportEnvelope,
    )
    assert report.data.import_id is None
    avatar = AvatarUploadRequest(avatar=File(payload=io.BytesIO(tiny_png()), file_name="me.png", mime_type="image/png"))
    uploaded = expect("avatar", users_avatar_upload.sync_detailed(client=bob, body=avatar), 200, AvatarResultEnvelope)
    assert uploaded.data.avatar_url.endswith(".webp")


def main(base_url: str) -> None:
    suffix = uuid.uuid4().hex[:6]
    ada_name = f"ja{suffix}"
    ada, _ = sign_up(base_url, ada_name)
    bob, bob_refresh = sign_up(base_url, f"jb{suffix}")
    expect("profile", users_profile_retrieve.sync_detailed(client=bob), 200, UserProfileEnvelope)
    change = PatchedProfileUpdateRequest(timezone="Europe/Berlin")
    profile = expect(
        "profile update", users_profile_partial_update.sync_detailed(client=bob, body=change), 200, UserProfileEnvelope
    )
    assert profile.data.timezone == "Europe/Berlin"
    group_id = groups_and_check_ins(ada, bob)
    analytics_and_more(ada, bob, group_id)
    expect("leave", groups_leave.sync_detailed(group_id, client=bob), 200, EmptyEnvelope)
    pair = expect(
        "refresh",
        auth_refresh.sync_detailed(client=Client(base_url=base_url), body=RefreshRequest(refresh_token=bob_refresh)),
        200,
        TokenPairEnvelope,
    )
    bob = AuthenticatedClient(base_url=base_url, token=pair.data.access_token)
    expect("logout", auth_logout.sync_detailed(client=bob, body=LogoutRequest()), 200, MessageEnvelope)
    gone = expect("after logout", users_profile_retrieve.sync_detailed(client=bob), 401, ErrorEnvelope)
    assert gone.error.code == "TOKEN_INVALID", gone.error.code
    delete_account(base_url, ada, ada_name)
    print("journey complete")


def delete_account(base_url: str, client: AuthenticatedClient, name: str) -> None:
    """The password is the body of the DELETE: a wrong one is refused, the right one deletes the account."""
    wrong = users_account_delete.sync_detailed(client=client, body=DeleteAccountRequest(password="not-" + PASSWORD))
    refused = expect("delete account, wrong password", wrong, 400, ErrorEnvelope)
    assert refused.error.code == "VALIDATION_ERROR", refused.error.code
    deleted = users_account_delete.sync_detailed(client=client, body=DeleteAccountRequest(password=PASSWORD))
    if deleted.status_code != 204:
        raise SystemExit(f"delete account: expected 204, got {deleted.status_code}: {deleted.content[:500]!r}")
    print("ok  delete account: 204")
    login = LoginRequest(email=f"{name}@example.com", password=PASSWORD)
    after = auth_login.sync_detailed(client=Client(base_url=base_url), body=login)
    expect("login after deletion", after, 401, ErrorEnvelope)


if __name__ == "__main__":
    main(sys.argv[1])
