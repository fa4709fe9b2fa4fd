"""Notifications created for domain events, honouring preferences, once each."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.preferences import default_notification_preferences
from accounts.tests.factories import UserFactory
from checkins import services as checkin_services
from checkins.errors import DuplicateCheckIn
from checkins.models import CheckIn
from groups import services as group_services
from groups.models import MembershipStatus, Role
from groups.tests.factories import GroupFactory, MembershipFactory
from notifications import receivers, tasks
from notifications.models import Notification, NotificationType
from notifications.tests.factories import NotificationFactory
from streams.tests.helpers import events_named

pytestmark = pytest.mark.django_db


def prefs(**changes):
    return {**default_notification_preferences(), **changes}


@pytest.fixture
def group_of_four():
    group = GroupFactory.create(member_count=4)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    fan = MembershipFactory.create(group=group).user
    opted_out = MembershipFactory.create(
        group=group, user=UserFactory.create(notification_preferences=prefs(friendCheckIn=False, memberJoined=False))
    ).user
    muted = MembershipFactory.create(group=group, notification_enabled=False).user
    return group, admin, fan, opted_out, muted


def submit(user, group):
    return checkin_services.checkin_submit(user=user, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)


def test_check_in_notifies_members_who_allow_it(group_of_four, published, django_capture_on_commit_callbacks) -> None:
    group, admin, fan, _, _ = group_of_four
    with django_capture_on_commit_callbacks(execute=True):
        check_in = submit(admin, group)
    [notification] = Notification.objects.all()
    assert notification.user == fan
    assert notification.type == NotificationType.FRIEND_CHECK_IN
    assert notification.data == {
        "groupId": str(group.pk),
        "groupName": group.name,
        "userId": str(admin.pk),
        "username": admin.username,
        "checkInId": str(check_in.pk),
    }
    assert notification.expires_at - notification.created_at == timedelta(days=90)
    live = [(t, m["event"]) for t, m in events_named(published, "notification")]
    assert live == [
        (
            f"user.{fan.pk}",
            {
                "event": "notification",
                "data": {
                    "id": str(notification.pk),
                    "type": "friend_check_in",
                    "title": notification.title,
                    "message": notification.message,
                    "data": notification.data,
                    "createdAt": notification.created_at.isoformat(),
                },
                "cursor": "1",
            },
        )
    ]


def test_rolled_back_check_in_notifies_nobody(group_of_four, published, django_capture_on_commit_callbacks) -> None:
    group, admin, *_ = group_of_four

    class Rollback(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                submit(admin, group)
                raise Rollback
        except Rollback:
            pass
    assert not Notification.objects.exists()
    assert published == []


def test_a_rejected_second_check_in_notifies_nobody_again(
    group_of_four, published, django_capture_on_commit_callbacks
) -> None:
    group, admin, *_ = group_of_four
    with django_capture_on_commit_callbacks(execute=True):
        submit(admin, group)
        with pytest.raises(DuplicateCheckIn):
            submit(admin, group)
    assert Notification.objects.count() == 1
    assert len(events_named(published, "notification")) == 1


def test_check_in_notifications_are_written_in_the_check_ins_transaction(group_of_four) -> None:
    group, admin, fan, *_ = group_of_four
    with transaction.atomic():
        check_in = submit(admin, group)
        # Before commit, and without any task: the same transaction holds both.
        assert list(Notification.objects.values_list("user_id", "data__checkInId")) == [(fan.pk, str(check_in.pk))]


def test_a_failing_notification_insert_rolls_the_check_in_back(group_of_four, monkeypatch) -> None:
    group, admin, *_ = group_of_four

    def broken(**kwargs):
        raise RuntimeError("notifications table unavailable")

    monkeypatch.setattr(receivers, "notify_friend_check_in", broken)
    with pytest.raises(RuntimeError):
        submit(admin, group)
    assert not CheckIn.objects.exists()
    group.refresh_from_db()
    assert group.total_check_ins == 0


def test_join_notifies_members_who_allow_it(group_of_four, django_capture_on_commit_callbacks) -> None:
    group, admin, fan, _, _ = group_of_four
    joiner = UserFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_join(user=joiner, access_code=group.access_code)
    notified = Notification.objects.filter(type=NotificationType.MEMBER_JOINED)
    assert sorted(n.user_id for n in notified) == sorted([admin.pk, fan.pk])
    assert notified[0].data["userId"] == str(joiner.pk)


def test_leave_notifies_the_remaining_members(group_of_four, django_capture_on_commit_callbacks) -> None:
    group, admin, fan, _, _ = group_of_four
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_leave(group=group, user=fan)
    assert list(Notification.objects.filter(type=NotificationType.MEMBER_LEFT).values_list("user_id", flat=True)) == [
        admin.pk
    ]


def test_membership_task_for_a_vanished_group_does_nothing() -> None:
    import uuid

    assert tasks.notify_membership_change.delay(str(uuid.uuid4()), str(uuid.uuid4()), True, "e").get() == 0


def test_role_change_notifies_the_member(group_of_four, django_capture_on_commit_callbacks) -> None:
    group, admin, fan, _, _ = group_of_four
    with django_capture_on_commit_callbacks(execute=True):
        group_services.member_role_change(group=group, user=fan, role=Role.MODERATOR, by=admin)
    [notification] = Notification.objects.filter(type=NotificationType.ROLE_CHANGED)
    assert notification.user == fan
    assert notification.data["role"] == "moderator"
    assert notification.data["oldRole"] == "member"


def test_role_change_of_a_muted_member_is_silent(group_of_four, django_capture_on_commit_callbacks) -> None:
    group, admin, _, _, muted = group_of_four
    with django_capture_on_commit_callbacks(execute=True):
        group_services.member_role_change(group=group, user=muted, role=Role.MODERATOR, by=admin)
    assert not Notification.objects.filter(type=NotificationType.ROLE_CHANGED).exists()


def test_group_deletion_notifies_every_former_member_but_the_admin(
    group_of_four, django_capture_on_commit_callbacks
) -> None:
    group, admin, fan, opted_out, muted = group_of_four
    name = group.name
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_delete(group=group, by=admin)
    notified = Notification.objects.filter(type=NotificationType.GROUP_DELETED)
    assert sorted(n.user_id for n in notified) == sorted([fan.pk, opted_out.pk, muted.pk])
    assert {n.data["groupName"] for n in notified} == {name}


@pytest.mark.parametrize(
    ("notify", "email", "notifications", "emails"),
    [(True, True, 1, 1), (True, False, 1, 0), (False, True, 0, 1), (False, False, 0, 0)],
)
def test_invitation_honours_both_preferences(
    django_capture_on_commit_callbacks, notify, email, notifications, emails
) -> None:
    group = GroupFactory.create(member_count=1)
    admin = MembershipFactory.create(group=group, role=Role.ADMIN).user
    invitee = UserFactory.create(
        notification_preferences=prefs(groupInvitation=notify, email={"groupInvitation": email, "weeklyReminder": True})
    )
    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_invite(group=group, by=admin, username=invitee.username)
    created = Notification.objects.filter(user=invitee, type=NotificationType.GROUP_INVITATION)
    assert created.count() == notifications
    if notifications:
        assert created[0].data == {
            "groupId": str(group.pk),
            "groupName": group.name,
            "accessCode": group.access_code,
            "invitedBy": admin.username,
        }
    assert len(mail.outbox) == emails
    if emails:
        assert mail.outbox[0].to == [invitee.email]
        assert group.access_code in mail.outbox[0].body


def test_invitation_task_run_twice_sends_one_email(django_capture_on_commit_callbacks) -> None:
    group = GroupFactory.create()
    admin, invitee = UserFactory.create(), UserFactory.create()
    args = (str(group.pk), str(invitee.pk), str(admin.pk), "event-1")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.notify_group_invitation.delay(*args)
        tasks.notify_group_invitation.delay(*args)
    assert Notification.objects.filter(user=invitee).count() == 1
    assert len(mail.outbox) == 1


def test_expired_notifications_are_deleted_by_the_task() -> None:
    expired = NotificationFactory.create(expires_at=timezone.now() - timedelta(minutes=1))
    kept = NotificationFactory.create()
    assert tasks.delete_expired_notifications.delay().get() == 1
    assert list(Notification.objects.all()) == [kept]
    assert not Notification.objects.filter(pk=expired.pk).exists()


def test_check_in_notifications_follow_each_recipients_own_rules(group_of_four) -> None:
    group, admin, fan, *_ = group_of_four
    blank = MembershipFactory.create(group=group, user=UserFactory.create(notification_preferences={})).user
    MembershipFactory.create(group=group, user=UserFactory.create(is_active=False))
    MembershipFactory.create(group=group, status=MembershipStatus.BANNED)
    submit(admin, group)
    # A preference missing from the blob takes its default (on); deactivated accounts and banned members get nothing.
    assert set(Notification.objects.values_list("user", flat=True)) == {fan.pk, blank.pk}
    assert {n.pk.version for n in Notification.objects.all()} == {4}
