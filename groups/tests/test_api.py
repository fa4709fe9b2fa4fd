import uuid

import pytest

from accounts.tests.factories import UserFactory
from groups.models import Group, GroupMembership, MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

ACTORS = ["admin", "moderator", "member", "banned", "outsider"]
SCORES = {"productive": 8, "satisfied": 7, "body": 6, "care": 9}

# (method, path, body, expected status per actor in ACTORS order)
MATRIX = [
    ("get", "groups/{g}", None, [200, 200, 200, 404, 404]),
    ("patch", "groups/{g}", {"description": "new"}, [200, 403, 403, 404, 404]),
    ("put", "groups/{g}", {"name": "Renamed"}, [200, 403, 403, 404, 404]),
    ("delete", "groups/{g}", None, [204, 403, 403, 404, 404]),
    ("post", "groups/{g}/leave", None, [200, 200, 200, 404, 404]),
    ("get", "groups/{g}/members", None, [200, 200, 200, 404, 404]),
    ("post", "groups/{g}/invite", {"username": "newcomer"}, [201, 201, 403, 404, 404]),
    ("delete", "groups/{g}/members/{t}", None, [204, 204, 403, 404, 404]),
    ("delete", "groups/{g}/members/{t}?ban=true", None, [204, 204, 403, 404, 404]),
    ("patch", "groups/{g}/members/{t}", {"role": "moderator"}, [200, 403, 403, 404, 404]),
    ("post", "groups/{g}/access-code", None, [200, 403, 403, 404, 404]),
    ("get", "checkins/group/{g}", None, [200, 200, 200, 404, 404]),
    ("post", "checkins", "checkin", [201, 201, 201, 404, 404]),
    ("post", "groups/join", "join", [409, 409, 409, 403, 200]),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
@pytest.mark.parametrize("actor_index", range(len(ACTORS)), ids=ACTORS)
def test_role_matrix(crew, client_for, method, path, body, expected, actor_index):
    UserFactory.create(username="newcomer")
    if body == "checkin":
        body = {"groupId": str(crew.group.pk), **SCORES}
    elif body == "join":
        body = {"accessCode": crew.group.access_code}
    client = client_for(crew.actor(ACTORS[actor_index]))
    url = "/api/v1/" + path.format(g=crew.group.pk, t=crew.target.pk)
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected[actor_index], response.content


def test_unauthenticated_requests_are_refused(api_client, crew):
    response = api_client.get(f"/api/v1/groups/{crew.group.pk}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


@pytest.mark.parametrize(
    "path", ["groups/not-a-uuid", "groups/123/members", "checkins/group/xyz", "checkins/nope", "groups/%s/members/x"]
)
def test_malformed_ids_in_paths_are_not_found(user_client, path):
    response = user_client.get("/api/v1/" + path.replace("%s", str(uuid.uuid4())))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_create_group_makes_caller_admin_and_shows_the_code(user, user_client):
    response = user_client.post(
        "/api/v1/groups",
        {"name": "Friends", "description": "d", "maxMembers": 5, "checkInFrequency": "daily", "timezone": "Asia/Tokyo"},
        format="json",
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["myRole"] == "admin"
    assert data["memberCount"] == 1
    assert (data["maxMembers"], data["checkInFrequency"], data["timezone"]) == (5, "daily", "Asia/Tokyo")
    assert len(data["accessCode"]) == 8
    assert data["createdBy"] == str(user.pk)
    assert data["averageParticipationRate"] == 0.0
    assert set(data) >= {"isPrivate", "allowMemberInvite", "totalCheckIns", "createdAt", "updatedAt"}


def test_trailing_slash_works_without_redirect(user_client):
    response = user_client.post("/api/v1/groups/", {"name": "Slash"}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
        ({"name": "ok", "description": "d" * 1001}, "description"),
        ({"name": "ok", "maxMembers": 1}, "maxMembers"),
        ({"name": "ok", "maxMembers": 101}, "maxMembers"),
        ({"name": "ok", "maxMembers": "5"}, "maxMembers"),
        ({"name": "ok", "checkInFrequency": "monthly"}, "checkInFrequency"),
        ({"name": "ok", "timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_create_group_rejects_bad_fields(user_client, body, field):
    response = user_client.post("/api/v1/groups", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [item["field"] for item in error["details"]]


def test_max_members_cannot_go_below_member_count(crew, client_for):
    response = client_for(crew.admin).patch(f"/api/v1/groups/{crew.group.pk}", {"maxMembers": 3}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "maxMembers"
    response = client_for(crew.admin).patch(f"/api/v1/groups/{crew.group.pk}", {"maxMembers": 4}, format="json")
    assert response.status_code == 200


def test_list_shows_only_callers_active_groups_with_their_role(crew, client_for):
    GroupFactory.create()
    left = MembershipFactory.create(user=crew.member, status=MembershipStatus.INACTIVE).group
    response = client_for(crew.member).get("/api/v1/groups")
    body = response.json()
    assert [g["id"] for g in body["data"]] == [str(crew.group.pk)]
    assert body["data"][0]["myRole"] == "member"
    assert body["meta"]["pagination"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    assert str(left.pk) not in response.content.decode()


@pytest.mark.parametrize(
    ("actor", "allow_invite", "visible"),
    [
        ("admin", False, True),
        ("moderator", False, True),
        ("member", False, False),
        ("member", True, True),
    ],
)
def test_access_code_visibility(crew, client_for, actor, allow_invite, visible):
    Group.objects.filter(pk=crew.group.pk).update(allow_member_invite=allow_invite)
    data = client_for(crew.actor(actor)).get(f"/api/v1/groups/{crew.group.pk}").json()["data"]
    assert (data["accessCode"] == crew.group.access_code) is visible
    if not visible:
        assert data["accessCode"] is None


def test_join_is_case_insensitive_and_counts_the_member(crew, client_for):
    newcomer = UserFactory.create()
    response = client_for(newcomer).post(
        "/api/v1/groups/join", {"accessCode": crew.group.access_code.lower()}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["data"]["memberCount"] == 5
    assert response.json()["data"]["myRole"] == "member"
    assert Group.objects.get(pk=crew.group.pk).member_count == 5


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("unknown", 404, "INVALID_ACCESS_CODE"),
        ("inactive", 404, "INVALID_ACCESS_CODE"),
        ("full", 409, "GROUP_FULL"),
        ("banned", 403, "BANNED_FROM_GROUP"),
        ("member", 409, "ALREADY_MEMBER"),
    ],
)
def test_join_errors(crew, client_for, setup, status, code):
    joiner = {"banned": crew.banned, "member": crew.member}.get(setup) or UserFactory.create()
    access_code = "ZZZZZZZZ" if setup == "unknown" else crew.group.access_code
    if setup == "inactive":
        Group.objects.filter(pk=crew.group.pk).update(is_active=False)
    if setup == "full":
        Group.objects.filter(pk=crew.group.pk).update(max_members=4)
    response = client_for(joiner).post("/api/v1/groups/join", {"accessCode": access_code}, format="json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_join_requires_a_code(user_client):
    response = user_client.post("/api/v1/groups/join", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "accessCode"


def test_member_who_left_can_rejoin_but_banned_cannot(crew, client_for):
    client = client_for(crew.member)
    assert client.post(f"/api/v1/groups/{crew.group.pk}/leave").status_code == 200
    assert client.get(f"/api/v1/groups/{crew.group.pk}").status_code == 404
    assert client.post("/api/v1/groups/join", {"accessCode": crew.group.access_code}, format="json").status_code == 200
    admin = client_for(crew.admin)
    assert admin.delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.member.pk}?ban=true").status_code == 204
    response = client.post("/api/v1/groups/join", {"accessCode": crew.group.access_code}, format="json")
    assert response.json()["error"]["code"] == "BANNED_FROM_GROUP"


def test_join_is_rate_limited_per_user_after_failed_attempts(settings, user_client):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_JOIN = "3/15m"
    for _ in range(3):
        response = user_client.post("/api/v1/groups/join", {"accessCode": "WRONGONE"}, format="json")
        assert response.status_code == 404
    response = user_client.post("/api/v1/groups/join", {"accessCode": "WRONGONE"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1
    assert response["RateLimit-Limit"] == "3"


def test_join_rate_limit_is_also_per_ip(settings, client_for):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_JOIN = "2/15m"
    for _ in range(2):
        client_for(UserFactory.create()).post("/api/v1/groups/join", {"accessCode": "WRONGONE"}, format="json")
    group = GroupFactory.create(member_count=1)
    response = client_for(UserFactory.create()).post(
        "/api/v1/groups/join", {"accessCode": group.access_code}, format="json"
    )
    assert response.status_code == 429


def test_successful_joins_do_not_count_against_the_limit(settings, client_for):
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_JOIN = "1/15m"
    for _ in range(3):
        group = GroupFactory.create(member_count=0)
        response = client_for(UserFactory.create()).post(
            "/api/v1/groups/join", {"accessCode": group.access_code}, format="json"
        )
        assert response.status_code == 200


def test_members_list_has_public_user_form_and_presence(crew, client_for):
    from realtime.presence import socket_connected, socket_gone

    socket_connected(crew.admin.pk, "sock-1")
    try:
        response = client_for(crew.member).get(f"/api/v1/groups/{crew.group.pk}/members")
    finally:
        socket_gone(crew.admin.pk, "sock-1")
    data = response.json()["data"]
    assert [m["user"]["id"] for m in data] == [
        str(u.pk) for u in (crew.admin, crew.moderator, crew.member, crew.target)
    ]
    assert set(data[0]) == {"user", "role", "status", "joinedAt", "lastActiveAt", "isOnline"}
    assert set(data[0]["user"]) == {"id", "username", "avatarUrl"}
    assert [m["isOnline"] for m in data] == [True, False, False, False]
    assert response.json()["meta"]["pagination"]["total"] == 4


def test_invite_by_email_or_username(crew, client_for):
    invitee = UserFactory.create(email="Friend@Example.com")
    client = client_for(crew.admin)
    response = client.post(f"/api/v1/groups/{crew.group.pk}/invite", {"email": "friend@example.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["invitee"]["id"] == str(invitee.pk)
    response = client.post(f"/api/v1/groups/{crew.group.pk}/invite", {"username": invitee.username}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "ghost"}, 404, "USER_NOT_FOUND"),
        ({"email": "ghost@example.com"}, 404, "USER_NOT_FOUND"),
        ({"username": "MEMBER"}, 409, "ALREADY_MEMBER"),
        ({"username": "BANNED"}, 403, "BANNED_FROM_GROUP"),
        ({}, 400, "VALIDATION_ERROR"),
    ],
)
def test_invite_errors(crew, client_for, body, status, code):
    if body.get("username") == "MEMBER":
        body = {"username": crew.member.username.upper()}
    if body.get("username") == "BANNED":
        body = {"username": crew.banned.username}
    response = client_for(crew.admin).post(f"/api/v1/groups/{crew.group.pk}/invite", body, format="json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_members_may_invite_when_the_group_allows_it(crew, client_for):
    Group.objects.filter(pk=crew.group.pk).update(allow_member_invite=True)
    invitee = UserFactory.create()
    response = client_for(crew.member).post(
        f"/api/v1/groups/{crew.group.pk}/invite", {"username": invitee.username}, format="json"
    )
    assert response.status_code == 201


def test_moderator_cannot_remove_moderator_or_admin(crew, client_for):
    client = client_for(crew.moderator)
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.admin.pk}").status_code == 403
    other = MembershipFactory.create(group=crew.group, role=Role.MODERATOR).user
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{other.pk}").status_code == 403


def test_remove_keeps_count_exact_and_unknown_targets_404(crew, client_for):
    client = client_for(crew.admin)
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.target.pk}").status_code == 204
    assert Group.objects.get(pk=crew.group.pk).member_count == 3
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.target.pk}").status_code == 404
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{uuid.uuid4()}").status_code == 404
    assert client.delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.admin.pk}").status_code == 403


def test_banning_a_member_who_left_keeps_them_out(crew, client_for):
    client_for(crew.target).post(f"/api/v1/groups/{crew.group.pk}/leave")
    response = client_for(crew.admin).delete(f"/api/v1/groups/{crew.group.pk}/members/{crew.target.pk}?ban=true")
    assert response.status_code == 204
    assert GroupMembership.objects.get(group=crew.group, user=crew.target).status == MembershipStatus.BANNED
    assert Group.objects.get(pk=crew.group.pk).member_count == 3


def test_role_change_and_last_admin_guard(crew, client_for):
    client = client_for(crew.admin)
    url = f"/api/v1/groups/{crew.group.pk}/members"
    response = client.patch(f"{url}/{crew.member.pk}", {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["role"] == "admin"
    assert client.patch(f"{url}/{crew.admin.pk}", {"role": "member"}, format="json").status_code == 200
    last = client_for(crew.member)
    response = last.patch(f"{url}/{crew.member.pk}", {"role": "member"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "role"
    assert last.patch(f"{url}/{crew.member.pk}", {"role": "admin"}, format="json").status_code == 200
    assert last.patch(f"{url}/{crew.target.pk}", {"role": "owner"}, format="json").status_code == 400
    assert last.patch(f"{url}/{crew.banned.pk}", {"role": "member"}, format="json").status_code == 404


def test_regenerated_access_code_replaces_the_old_one(crew, client_for):
    old = crew.group.access_code
    response = client_for(crew.admin).post(f"/api/v1/groups/{crew.group.pk}/access-code")
    new = response.json()["data"]["accessCode"]
    assert new != old
    assert len(new) == 8
    joiner = client_for(UserFactory.create())
    assert joiner.post("/api/v1/groups/join", {"accessCode": old}, format="json").status_code == 404
    assert joiner.post("/api/v1/groups/join", {"accessCode": new}, format="json").status_code == 200


def test_delete_removes_group_for_everyone(crew, client_for):
    assert client_for(crew.admin).delete(f"/api/v1/groups/{crew.group.pk}").status_code == 204
    assert not Group.objects.filter(pk=crew.group.pk).exists()
    assert client_for(crew.member).get(f"/api/v1/groups/{crew.group.pk}").status_code == 404


def test_group_detail_write_is_visible_to_next_read(crew, client_for):
    reader = client_for(crew.member)
    assert reader.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["name"] == crew.group.name
    client_for(crew.admin).patch(f"/api/v1/groups/{crew.group.pk}", {"name": "Renamed"}, format="json")
    assert reader.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["name"] == "Renamed"
    client_for(UserFactory.create()).post("/api/v1/groups/join", {"accessCode": crew.group.access_code}, format="json")
    assert reader.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["memberCount"] == 5
    client_for(crew.member).post("/api/v1/checkins", {"groupId": str(crew.group.pk), **SCORES}, format="json")
    assert reader.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["totalCheckIns"] == 1


def test_cached_group_never_carries_one_viewers_role_to_another(crew, client_for):
    admin_view = client_for(crew.admin).get(f"/api/v1/groups/{crew.group.pk}").json()["data"]
    member_view = client_for(crew.member).get(f"/api/v1/groups/{crew.group.pk}").json()["data"]
    assert (admin_view["myRole"], member_view["myRole"]) == ("admin", "member")
    assert admin_view["accessCode"] is not None
    assert member_view["accessCode"] is None


def test_role_writes_are_visible_to_the_next_read(crew, client_for):
    target = client_for(crew.target)
    detail, members = f"/api/v1/groups/{crew.group.pk}", f"/api/v1/groups/{crew.group.pk}/members"
    assert target.get(detail).json()["data"]["myRole"] == "member"  # the role is cached now
    admin = client_for(crew.admin)
    admin.patch(f"{detail}/members/{crew.target.pk}", {"role": "moderator"}, format="json")
    assert target.get(detail).json()["data"]["myRole"] == "moderator"
    assert admin.delete(f"{detail}/members/{crew.target.pk}").status_code == 204
    for path in (detail, members, f"/api/v1/checkins/group/{crew.group.pk}"):
        assert target.get(path).status_code == 404


def test_a_member_who_left_loses_access_at_once(crew, client_for):
    member = client_for(crew.member)
    assert member.get(f"/api/v1/groups/{crew.group.pk}").status_code == 200
    assert member.post(f"/api/v1/groups/{crew.group.pk}/leave").status_code == 200
    assert member.get(f"/api/v1/groups/{crew.group.pk}").status_code == 404


def test_writes_outside_the_services_reach_the_cache(crew, client_for):
    """Moderators edit memberships and groups in Django admin, which saves the models directly."""
    member = client_for(crew.member)
    assert member.get(f"/api/v1/groups/{crew.group.pk}").status_code == 200
    membership = GroupMembership.objects.get(group=crew.group, user=crew.member)
    membership.status = MembershipStatus.BANNED
    membership.save()
    assert member.get(f"/api/v1/groups/{crew.group.pk}").status_code == 404
    admin = client_for(crew.admin)
    assert admin.get(f"/api/v1/groups/{crew.group.pk}").status_code == 200
    group = Group.objects.get(pk=crew.group.pk)
    group.name = "Edited in admin"
    group.save()
    assert admin.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["name"] == "Edited in admin"
    group.is_active = False
    group.save()
    assert admin.get(f"/api/v1/groups/{crew.group.pk}").status_code == 404


def test_deactivated_group_is_gone_for_members(crew, client_for):
    client_for(crew.member).get(f"/api/v1/groups/{crew.group.pk}")
    Group.objects.filter(pk=crew.group.pk).update(is_active=False)
    from groups.cache import invalidate_group

    invalidate_group(crew.group.pk)
    assert client_for(crew.member).get(f"/api/v1/groups/{crew.group.pk}").status_code == 404


def test_a_cache_outage_degrades_to_the_database(crew, client_for, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    for name in ("get", "get_many", "set", "set_many", "delete_many", "add", "incr"):
        monkeypatch.setattr(cache, name, down)
    client = client_for(crew.member)
    assert client.get(f"/api/v1/groups/{crew.group.pk}").json()["data"]["name"] == crew.group.name
    response = client.post("/api/v1/checkins", {"groupId": str(crew.group.pk), **SCORES}, format="json")
    assert response.status_code == 201
    assert len(client.get(f"/api/v1/checkins/group/{crew.group.pk}").json()["data"]) == 1


def test_deactivated_group_hides_its_members_and_checkins(crew, client_for):
    Group.objects.filter(pk=crew.group.pk).update(is_active=False)
    client = client_for(crew.admin)
    assert client.get(f"/api/v1/groups/{crew.group.pk}/members").status_code == 404
    assert client.get(f"/api/v1/checkins/group/{crew.group.pk}").status_code == 404
    assert client.get("/api/v1/groups").json()["data"] == []
