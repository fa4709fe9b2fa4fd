import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group as AuthGroup
from django.test import Client

from accounts.tests.factories import UserFactory
from checkins.tests.factories import CheckInFactory
from groups import signals
from groups.models import Group, GroupMembership, MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory
from groups.tests.helpers import recording

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client():
    moderator = UserFactory.create(is_staff=True)
    moderator.groups.add(AuthGroup.objects.get(name="Moderators"))
    client = Client()
    client.force_login(moderator)
    return moderator, client


def test_moderators_group_has_exactly_the_moderation_permissions():
    granted = {
        f"{p.content_type.app_label}.{p.codename}" for p in AuthGroup.objects.get(name="Moderators").permissions.all()
    }
    assert granted == {
        "groups.view_group",
        "groups.change_group",
        "groups.view_groupmembership",
        "groups.change_groupmembership",
        "checkins.view_checkin",
        "checkins.change_checkin",
        "notifications.view_notification",
        "accounts.view_suspension",
        "accounts.change_suspension",
    }


def test_moderator_is_not_superuser_and_cannot_touch_users(moderator_client):
    moderator, client = moderator_client
    assert not moderator.is_superuser
    assert not moderator.has_perm("accounts.delete_user")
    assert not moderator.has_perm("accounts.change_user")
    assert client.get("/admin/accounts/user/").status_code == 403


@pytest.mark.parametrize("model", ["groups/group", "groups/groupmembership", "checkins/checkin"])
def test_moderator_can_browse_and_search_the_moderated_models(moderator_client, model):
    CheckInFactory.create(reflection_note="very personal words")
    MembershipFactory.create()
    _, client = moderator_client
    response = client.get(f"/admin/{model}/?q=a")
    assert response.status_code == 200
    assert client.get(f"/admin/{model}/").status_code == 200


def test_reflection_notes_stay_out_of_the_checkin_list(moderator_client):
    check_in = CheckInFactory.create(reflection_note="very personal words")
    _, client = moderator_client
    assert b"very personal words" not in client.get("/admin/checkins/checkin/").content
    assert b"very personal words" in client.get(f"/admin/checkins/checkin/{check_in.pk}/change/").content


def test_ban_action_bans_and_recounts(moderator_client, django_capture_on_commit_callbacks):
    moderator, client = moderator_client
    group = GroupFactory.create(member_count=2)
    MembershipFactory.create(group=group, role=Role.ADMIN)
    target = MembershipFactory.create(group=group, role=Role.MODERATOR)
    with recording(signals.member_removed) as (removed,), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/groups/groupmembership/",
            {"action": "ban_memberships", "_selected_action": [str(target.pk)]},
        )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.status, target.role) == (MembershipStatus.BANNED, Role.MEMBER)
    assert Group.objects.get(pk=group.pk).member_count == 1
    assert removed == [{"group": group, "user": target.user, "by": moderator, "banned": True}]


def test_deactivate_action_hides_the_group(moderator_client, client_for):
    _, client = moderator_client
    membership = MembershipFactory.create(group=GroupFactory.create(member_count=1))
    member_client = client_for(membership.user)
    assert member_client.get(f"/api/v1/groups/{membership.group_id}").status_code == 200
    client.post("/admin/groups/group/", {"action": "deactivate_groups", "_selected_action": [str(membership.group_id)]})
    assert Group.objects.get(pk=membership.group_id).is_active is False
    assert member_client.get(f"/api/v1/groups/{membership.group_id}").status_code == 404
    assert GroupMembership.objects.filter(pk=membership.pk).exists()


def test_remove_action_removes_through_the_service_and_logs_it(moderator_client, django_capture_on_commit_callbacks):
    moderator, client = moderator_client
    group = GroupFactory.create(member_count=2)
    MembershipFactory.create(group=group, role=Role.ADMIN)
    target = MembershipFactory.create(group=group)
    with recording(signals.member_removed) as (removed,), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/groups/groupmembership/", {"action": "remove_memberships", "_selected_action": [str(target.pk)]}
        )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == MembershipStatus.INACTIVE
    assert Group.objects.get(pk=group.pk).member_count == 1
    assert removed == [{"group": group, "user": target.user, "by": moderator, "banned": False}]
    entry = LogEntry.objects.get(object_id=str(target.pk))
    assert (entry.user_id, entry.get_change_message()) == (moderator.pk, "Removed the member.")


def test_removing_the_last_admin_hands_the_role_over(moderator_client):
    _, client = moderator_client
    group = GroupFactory.create(member_count=2)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN)
    heir = MembershipFactory.create(group=group)
    client.post("/admin/groups/groupmembership/", {"action": "remove_memberships", "_selected_action": [str(admin.pk)]})
    heir.refresh_from_db()
    assert heir.role == Role.ADMIN


def test_hiding_a_group_is_logged(moderator_client):
    moderator, client = moderator_client
    group = GroupFactory.create(member_count=1)
    client.post("/admin/groups/group/", {"action": "deactivate_groups", "_selected_action": [str(group.pk)]})
    entry = LogEntry.objects.get(object_id=str(group.pk))
    assert (entry.user_id, entry.get_change_message()) == (moderator.pk, "Hid the group (deactivated).")


def test_a_membership_cannot_be_edited_around_the_services(moderator_client):
    _, client = moderator_client
    group = GroupFactory.create(member_count=2)
    target = MembershipFactory.create(group=group)
    page = client.get(f"/admin/groups/groupmembership/{target.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    client.post(f"/admin/groups/groupmembership/{target.pk}/change/", {"status": "banned", "role": "admin"})
    target.refresh_from_db()
    assert (target.status, target.role, Group.objects.get(pk=group.pk).member_count) == ("active", "member", 2)
