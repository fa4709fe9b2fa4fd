"""Every write to groups and memberships.

Rules of the contract (§4) live here; views only translate HTTP. Domain
signals leave through ``transaction.on_commit``, so nothing is announced for
a transaction that rolls back.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import User, normalize_email
from hucares.core import cache, events
from hucares.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import signals
from .access_codes import generate_access_code, is_access_code, normalize_access_code
from .cache import group_scope, invalidate_group, user_scope
from .errors import AlreadyMember, BannedFromGroup, GroupFull, InvalidAccessCode, UserNotFound
from .integrity import violated_constraint
from .models import Group, GroupMembership, MembershipStatus, Role
from .periods import local_date, monday_of

GROUP_SETTINGS = frozenset({"is_private", "max_members", "allow_member_invite", "check_in_frequency", "timezone"})
ACCESS_CODE_CONSTRAINT = "groups_active_access_code_unique"
# With 27^8 codes a collision is rare; a handful of retries is plenty.
ACCESS_CODE_ATTEMPTS = 5


def announce(signal: Signal, **kwargs: Any) -> None:
    events.send_in_transaction(signal, sender=Group, **kwargs)


def _with_unique_code(write: Any) -> Any:
    """Run ``write(code)`` in a savepoint, retrying with a new code when it collides."""
    for _ in range(ACCESS_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return write(generate_access_code())
        except IntegrityError as exc:
            if violated_constraint(exc, Group) != ACCESS_CODE_CONSTRAINT:
                raise
    raise RuntimeError("could not find a free access code")


def group_create(*, user: User, name: str, description: str = "", **settings: Any) -> Group:
    """Create a group with ``user`` as its admin and a fresh access code."""
    unknown = set(settings) - GROUP_SETTINGS
    if unknown:
        raise TypeError(f"unknown group settings: {sorted(unknown)}")
    tz_name = settings.get("timezone", "UTC")
    anchor = monday_of(local_date(timezone.now(), tz_name))

    def create(code: str) -> Group:
        group = Group.objects.create(
            name=name,
            description=description,
            access_code=code,
            period_anchor=anchor,
            created_by=user,
            member_count=1,
            **settings,
        )
        GroupMembership.objects.create(group=group, user=user, role=Role.ADMIN)
        return group

    with transaction.atomic():
        group: Group = _with_unique_code(create)
    return group


def _lock_group(group: Group) -> Group:
    """The group's row, locked until the transaction ends; 404 if it is gone."""
    locked = Group.objects.select_for_update().filter(pk=group.pk, is_active=True).first()
    if locked is None:
        raise NotFound()
    return locked


def _require_role(group: Group, user: User, roles: set[str]) -> GroupMembership:
    """The actor's active membership: 404 for non-members, 403 for a role outside ``roles``."""
    membership = GroupMembership.objects.filter(group=group, user=user, status=MembershipStatus.ACTIVE).first()
    if membership is None:
        raise NotFound()
    if membership.role not in roles:
        raise PermissionDenied()
    return membership


def group_update(*, group: Group, by: User, **changes: Any) -> Group:
    """Change a group's settings (admin only); ``maxMembers`` never below the member count."""
    unknown = set(changes) - GROUP_SETTINGS - {"name", "description"}
    if unknown:
        raise TypeError(f"unknown group fields: {sorted(unknown)}")
    with transaction.atomic():
        group = _lock_group(group)
        _require_role(group, by, {Role.ADMIN})
        if changes.get("max_members", group.max_members) < group.member_count:
            raise ValidationFailed.for_field(
                "maxMembers", f"maxMembers cannot be below the current member count ({group.member_count})."
            )
        changed = [name for name, value in changes.items() if getattr(group, name) != value]
        for name in changed:
            setattr(group, name, changes[name])
        if changed:
            group.save(update_fields=[*changed, "updated_at"])  # the save bumps the group's cache scope (receivers)
            announce(signals.group_settings_changed, group=group, changed=changed, by=by)
    return group


def _delete_group(group: Group, *, by: User | None) -> None:
    member_ids = list(
        group.memberships.filter(status=MembershipStatus.ACTIVE).values_list("user_id", flat=True).order_by("joined_at")
    )
    group_id, group_name = group.pk, group.name
    group.delete()  # bumps the group's cache scope (receivers)
    announce(signals.group_deleted, group_id=group_id, group_name=group_name, member_ids=member_ids, by=by)


def group_delete(*, group: Group, by: User) -> None:
    """Delete a group with its memberships and check-ins (admin only)."""
    with transaction.atomic():
        group = _lock_group(group)
        _require_role(group, by, {Role.ADMIN})
        _delete_group(group, by=by)


def group_join(*, user: User, access_code: str) -> Group:
    """Join the active group with that code; the row lock makes ``GROUP_FULL`` exact under concurrency."""
    code = normalize_access_code(access_code)
    with transaction.atomic():
        group = Group.objects.select_for_update().filter(access_code=code, is_active=True).first()
        if group is None:
            raise InvalidAccessCode()
        membership = GroupMembership.objects.filter(group=group, user=user).first()
        if membership is not None and membership.status == MembershipStatus.BANNED:
            raise BannedFromGroup()
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            raise AlreadyMember("You are already a member of this group.")
        if group.member_count >= group.max_members:
            raise GroupFull()
        if membership is None:
            membership = GroupMembership.objects.create(group=group, user=user, role=Role.MEMBER)
        else:
            # A member who left comes back as a plain member, standing counted from now.
            membership.status, membership.role = MembershipStatus.ACTIVE, Role.MEMBER
            membership.joined_at, membership.left_at = timezone.now(), None
            membership.save(update_fields=["status", "role", "joined_at", "left_at", "updated_at"])
        Group.objects.filter(pk=group.pk).update(member_count=F("member_count") + 1)
        group.member_count += 1
        invalidate_group(group.pk)
        announce(signals.member_joined, group=group, membership=membership)
    return group


def _hand_over_admin(group: Group, leaving: User) -> None:
    """A leaving last admin passes the role to the longest-standing active member."""
    others = group.memberships.filter(status=MembershipStatus.ACTIVE).exclude(user=leaving)
    if others.filter(role=Role.ADMIN).exists():
        return
    heir = others.select_related("user").order_by("joined_at", "id").first()
    if heir is None:
        return
    old_role = heir.role
    heir.role = Role.ADMIN
    heir.save(update_fields=["role", "updated_at"])
    announce(signals.role_changed, group=group, membership=heir, old_role=old_role, by=leaving)


def group_leave(*, group: Group, user: User) -> None:
    """The member leaves; the last member leaving deletes the group."""
    with transaction.atomic():
        group = _lock_group(group)
        membership = GroupMembership.objects.filter(group=group, user=user, status=MembershipStatus.ACTIVE).first()
        if membership is None:
            raise NotFound()
        if not group.memberships.filter(status=MembershipStatus.ACTIVE).exclude(user=user).exists():
            _delete_group(group, by=user)
            return
        if membership.role == Role.ADMIN:
            _hand_over_admin(group, user)
        membership.status, membership.role, membership.left_at = MembershipStatus.INACTIVE, Role.MEMBER, timezone.now()
        membership.save(update_fields=["status", "role", "left_at", "updated_at"])
        Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
        group.member_count -= 1
        invalidate_group(group.pk)
        announce(signals.member_left, group=group, user=user)


def member_remove(*, group: Group, user: User, by: User, ban: bool = False) -> None:
    """Remove (or ban) a member: admins remove anyone else, moderators plain members only."""
    with transaction.atomic():
        group = _lock_group(group)
        actor = _require_role(group, by, {Role.ADMIN, Role.MODERATOR})
        if user.pk == by.pk:
            raise PermissionDenied("Use leave to leave a group.")
        target = GroupMembership.objects.filter(group=group, user=user).first()
        # Banning someone who already left keeps them from rejoining.
        removable = target is not None and (
            target.status == MembershipStatus.ACTIVE or (ban and target.status == MembershipStatus.INACTIVE)
        )
        if target is None or not removable:
            raise NotFound()
        if actor.role == Role.MODERATOR and target.role != Role.MEMBER:
            raise PermissionDenied("Moderators can only remove members.")
        was_active = target.status == MembershipStatus.ACTIVE
        target.status = MembershipStatus.BANNED if ban else MembershipStatus.INACTIVE
        target.role = Role.MEMBER
        if was_active:
            target.left_at = timezone.now()
        target.save(update_fields=["status", "role", "left_at", "updated_at"])
        if was_active:
            Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
            group.member_count -= 1
        invalidate_group(group.pk)
        announce(signals.member_removed, group=group, user=user, by=by, banned=ban)


def membership_settings_update(*, group: Group, user: User, notification_enabled: bool) -> GroupMembership:
    """The caller's own settings of their membership: mute or unmute the group's notifications."""
    with transaction.atomic():
        membership = (
            GroupMembership.objects.select_for_update()
            .filter(group=group, user=user, status=MembershipStatus.ACTIVE, group__is_active=True)
            .first()
        )
        if membership is None:
            raise NotFound()
        if membership.notification_enabled != notification_enabled:
            membership.notification_enabled = notification_enabled
            membership.save(update_fields=["notification_enabled", "updated_at"])  # drops the cached standing
    return membership


def member_role_change(*, group: Group, user: User, role: str, by: User) -> GroupMembership:
    """Set a member's role (admin only); a group always keeps at least one admin."""
    with transaction.atomic():
        group = _lock_group(group)
        _require_role(group, by, {Role.ADMIN})
        target = (
            GroupMembership.objects.select_related("user")
            .filter(group=group, user=user, status=MembershipStatus.ACTIVE)
            .first()
        )
        if target is None:
            raise NotFound()
        old_role = target.role
        if old_role == role:
            return target
        admins = group.memberships.filter(status=MembershipStatus.ACTIVE, role=Role.ADMIN)
        if old_role == Role.ADMIN and not admins.exclude(pk=target.pk).exists():
            raise ValidationFailed.for_field("role", "A group needs at least one admin.")
        target.role = role
        target.save(update_fields=["role", "updated_at"])
        announce(signals.role_changed, group=group, membership=target, old_role=old_role, by=by)
    return target


def _is_private_profile(user: User) -> bool:
    return (user.privacy_settings or {}).get("profile") == "private"


def _invite_checks(group: Group, by: User) -> None:
    actor = _require_role(group, by, {Role.ADMIN, Role.MODERATOR, Role.MEMBER})
    if actor.role == Role.MEMBER and not group.allow_member_invite:
        raise PermissionDenied("Only admins and moderators can invite to this group.")


def group_invite(*, group: Group, by: User, username: str) -> User:
    """Invite a user by username; the notification is made by a receiver of ``member_invited``.

    A private profile cannot be found by its username, here as in search:
    it answers as an unknown username does.
    """
    with transaction.atomic():
        _invite_checks(group, by)
        invitee = User.objects.filter(is_active=True, username__iexact=username).first()
        if invitee is None or (_is_private_profile(invitee) and invitee.pk != by.pk):
            raise UserNotFound()
        membership = GroupMembership.objects.filter(group=group, user=invitee).first()
        if membership is not None and membership.status == MembershipStatus.ACTIVE:
            raise AlreadyMember()
        if membership is not None and membership.status == MembershipStatus.BANNED:
            raise BannedFromGroup("That user was banned from this group.")
        announce(signals.member_invited, group=group, invitee=invitee, by=by)
    return invitee


def group_invite_email(*, group: Group, by: User, email: str, send_to_new_address: bool = True) -> None:
    """Invite an address; the caller learns nothing about whether it has an account.

    An active account that may be invited gets the usual invitation
    (``member_invited``); an address without any account gets an email
    inviting it to register (``email_invited``) unless ``send_to_new_address``
    is false (that address had enough invitations lately); members, banned
    users and disabled accounts get nothing. Every case returns the same.
    """
    address = normalize_email(email)
    with transaction.atomic():
        _invite_checks(group, by)
        invitee = User.objects.filter(email__iexact=address).first()
        if invitee is None:
            if send_to_new_address:
                announce(signals.email_invited, group=group, email=address, by=by)
            return
        if not invitee.is_active:
            return
        membership = GroupMembership.objects.filter(group=group, user=invitee).first()
        if membership is None or membership.status == MembershipStatus.INACTIVE:
            announce(signals.member_invited, group=group, invitee=invitee, by=by)


def group_access_code_regenerate(*, group: Group, by: User) -> Group:
    """Give the group a new code (admin only); the old one stops working at once."""
    with transaction.atomic():
        group = _lock_group(group)
        _require_role(group, by, {Role.ADMIN})

        def write(code: str) -> Group:
            group.access_code = code
            group.save(update_fields=["access_code", "updated_at"])
            return group

        _with_unique_code(write)
    return group


def membership_end(*, membership: GroupMembership, by: User, ban: bool) -> bool:
    """Staff moderation (the Django admin): remove or ban a member whatever their role.

    A removed last admin hands the role to the longest-standing member, as on
    leaving. Returns whether anything changed.
    """
    with transaction.atomic():
        group = _lock_group(membership.group)
        membership = GroupMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        was_active = membership.status == MembershipStatus.ACTIVE
        if membership.status == MembershipStatus.BANNED or not (was_active or ban):
            return False
        if was_active and membership.role == Role.ADMIN:
            _hand_over_admin(group, membership.user)
        membership.status = MembershipStatus.BANNED if ban else MembershipStatus.INACTIVE
        membership.role = Role.MEMBER
        membership.left_at = timezone.now() if was_active else membership.left_at
        membership.save(update_fields=["status", "role", "left_at", "updated_at"])
        if was_active:
            Group.objects.filter(pk=group.pk).update(member_count=F("member_count") - 1)
            group.member_count -= 1
        invalidate_group(group.pk)
        announce(signals.member_removed, group=group, user=membership.user, by=by, banned=ban)
    return True


def group_deactivate(*, group: Group, by: User) -> None:
    """Staff moderation: hide a group from everyone without deleting its data."""
    with transaction.atomic():
        group = _lock_group(group)
        group.is_active = False
        group.save(update_fields=["is_active", "updated_at"])  # the save bumps the group's cache scope (receivers)
        announce(signals.group_settings_changed, group=group, changed=["is_active"], by=by)


# --- Writes the apps above make to a group's row ------------------------------------------------
# Each app writes only its own rows: check-ins and the importer change a
# group's figures, code and existence through these.


def group_check_ins_counted(*, group_id: UUID | str, member_id: UUID | str, delta: int) -> None:
    """Move the group's check-in total by ``delta`` (check-ins a member added or removed), never below zero.

    One ``F()`` update: concurrent check-ins add up without locking the group's row. Every cached read
    about the group (its row with the total, its check-ins, its figures) and the member's own figures are
    stale afterwards; both scopes go in one cache round trip.
    """
    if delta > 0:
        Group.objects.filter(pk=group_id).update(total_check_ins=F("total_check_ins") + delta)
    elif delta < 0:
        Group.objects.filter(pk=group_id).update(total_check_ins=Greatest(F("total_check_ins") + delta, 0))
    cache.bump(group_scope(group_id), user_scope(member_id))


def group_participation_rate_set(*, group_id: UUID | str, rate: Decimal) -> None:
    """Store the group's average participation rate (computed from its check-ins by a periodic job)."""
    Group.objects.filter(pk=group_id).update(average_participation_rate=rate)
    invalidate_group(group_id)


def group_access_code_reuse(*, group: Group, code: str) -> bool:
    """Give the group a code it had before (in the old app) if the code has today's format and no active
    group holds it; returns whether the group has it now. Otherwise the group keeps its code."""
    code = normalize_access_code(code)
    if not is_access_code(code):
        return False
    previous, group.access_code = group.access_code, code
    try:
        with transaction.atomic():
            group.save(update_fields=["access_code", "updated_at"])  # the save bumps the group's cache scope
    except IntegrityError as exc:
        group.access_code = previous
        if violated_constraint(exc, Group) != ACCESS_CODE_CONSTRAINT:
            raise
        return False
    return True


def group_backdate(*, group: Group, started: datetime) -> Group:
    """Date a new group and its creator's membership back to ``started``, never forward.

    An import brings history older than the group: its participation and
    analytics count from the first imported period.
    """
    if started < group.created_at:
        Group.objects.filter(pk=group.pk).update(created_at=started)
        if group.created_by_id is not None:
            GroupMembership.objects.filter(group=group, user_id=group.created_by_id).update(joined_at=started)
        invalidate_group(group.pk)
        group.created_at = started
    return group


def group_discard(*, group_id: UUID | str, by: User) -> bool:
    """Delete a group for the code that created it and now takes that back (an import's rollback).

    No role check: the caller has decided the group is its own to remove. The
    deletion is announced as any other (``group_deleted``). Returns whether
    there was a group to delete.
    """
    with transaction.atomic():
        group = Group.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            return False
        _delete_group(group, by=by)
    return True
