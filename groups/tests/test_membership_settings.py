"""A member mutes a group for themselves (PATCH /groups/:id/membership); new groups let members invite."""

import io

import pytest
from django.core.management import call_command

from checkins import services as checkin_services
from groups.models import Group, GroupMembership, MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    group = GroupFactory.create(member_count=2)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    member = MembershipFactory.create(group=group).user
    return group, admin, member


def test_member_mutes_a_group_and_sees_it_in_the_group_payload(pair, client_for):
    group, _, member = pair
    client = client_for(member)
    assert client.get(f"/api/v1/groups/{group.pk}").json()["data"]["notificationEnabled"] is True
    response = client.patch(f"/api/v1/groups/{group.pk}/membership", {"notificationEnabled": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["notificationEnabled"] is False
    assert GroupMembership.objects.get(group=group, user=member).notification_enabled is False
    # The detail (cached standing) and the list both show the caller's own setting.
    assert client.get(f"/api/v1/groups/{group.pk}").json()["data"]["notificationEnabled"] is False
    [listed] = client.get("/api/v1/groups").json()["data"]
    assert listed["notificationEnabled"] is False
    unmuted = client.patch(f"/api/v1/groups/{group.pk}/membership", {"notificationEnabled": True}, format="json")
    assert unmuted.json()["data"]["notificationEnabled"] is True
    assert client.get(f"/api/v1/groups/{group.pk}").json()["data"]["notificationEnabled"] is True


def test_muting_is_the_callers_own_and_others_keep_theirs(pair, client_for):
    group, admin, member = pair
    client_for(member).patch(f"/api/v1/groups/{group.pk}/membership", {"notificationEnabled": False}, format="json")
    assert client_for(admin).get(f"/api/v1/groups/{group.pk}").json()["data"]["notificationEnabled"] is True
    assert GroupMembership.objects.get(group=group, user=admin).notification_enabled is True


def test_a_muted_member_gets_no_check_in_notifications(pair, client_for, django_capture_on_commit_callbacks):
    group, admin, member = pair
    client_for(member).patch(f"/api/v1/groups/{group.pk}/membership", {"notificationEnabled": False}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_submit(user=admin, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)
    assert not Notification.objects.filter(user=member).exists()


@pytest.mark.parametrize("body", [{}, {"notificationEnabled": "maybe"}, {"notificationEnabled": None}])
def test_membership_patch_needs_a_boolean(pair, client_for, body):
    group, _, member = pair
    response = client_for(member).patch(f"/api/v1/groups/{group.pk}/membership", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("status", [MembershipStatus.INACTIVE, MembershipStatus.BANNED, None])
def test_only_active_members_have_a_membership_to_change(pair, client_for, status):
    group, _, _ = pair
    outsider = MembershipFactory.create(group=group, status=status).user if status else GroupFactory.create().created_by
    response = client_for(outsider).patch(
        f"/api/v1/groups/{group.pk}/membership", {"notificationEnabled": False}, format="json"
    )
    assert response.status_code == 404


def test_new_groups_let_members_invite_by_default(user_client):
    response = user_client.post("/api/v1/groups", {"name": "Open crew"}, format="json")
    assert response.json()["data"]["allowMemberInvite"] is True
    assert Group.objects.get(pk=response.json()["data"]["id"]).allow_member_invite is True


# The migration's SQL on PostgreSQL (SQLite's schema editor cannot run inside the test's transaction).
@pytest.mark.services_only
def test_the_default_change_rewrites_no_existing_group():
    # Only the model default changes: the migration runs no SQL, so existing rows keep their value.
    out = io.StringIO()
    call_command("sqlmigrate", "groups", "0003", stdout=out)
    statements = [line for line in out.getvalue().splitlines() if line.strip() and not line.startswith("--")]
    assert statements in ([], ["BEGIN;", "COMMIT;"])
