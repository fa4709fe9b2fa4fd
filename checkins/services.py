"""Every write to check-ins.

One check-in per user, group and period is guaranteed by the database's
unique constraint; a concurrent duplicate becomes ``DUPLICATE_CHECKIN``, never
a 500. The group's ``total_check_ins`` moves in the same transaction
through ``groups``' service (each app writes only its own rows), and signals
leave only after commit.
"""

from collections import Counter
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.dispatch import Signal

from accounts.models import User
from groups.cache import group_scope, user_scope
from groups.integrity import violated_constraint
from groups.selectors import active_membership
from groups.services import group_check_ins_counted
from hucares.core import cache, events
from hucares.core.errors import NotFound

from . import signals
from .errors import CheckInPeriodClosed, DuplicateCheckIn
from .models import CheckIn
from .selectors import current_period_start

UNIQUE_PERIOD_CONSTRAINT = "check_ins_user_group_period_unique"
EDITABLE_FIELDS = frozenset(
    {"productive", "satisfied", "body", "care", "reflection_note", "mood_emoji", "energy_level", "is_private"}
)


def announce(signal: Signal, **kwargs: Any) -> None:
    events.send_in_transaction(signal, sender=CheckIn, **kwargs)


def _forget_cached(*, group_id: UUID | str, user_ids: list[UUID | str]) -> None:
    """Every cached read of the group (its row, periods, figures) and of the writers' own figures is stale."""
    cache.bump(group_scope(group_id), *(user_scope(user_id) for user_id in user_ids))


def checkin_submit(
    *,
    user: User,
    group_id: UUID | str,
    productive: int,
    satisfied: int,
    body: int,
    care: int,
    reflection_note: str = "",
    mood_emoji: str = "",
    energy_level: int | None = None,
    is_private: bool = False,
) -> CheckIn:
    """The member's check-in for the group's current period; ``NOT_FOUND`` unless an active member."""
    with transaction.atomic():
        membership = active_membership(group_id=group_id, user=user)
        if membership is None:
            raise NotFound()
        group = membership.group
        start = current_period_start(group)
        # No savepoint around the insert: a duplicate ends this transaction anyway.
        try:
            check_in = CheckIn.objects.create(
                user=user,
                group=group,
                week_start_date=start,
                productive=productive,
                satisfied=satisfied,
                body=body,
                care=care,
                reflection_note=reflection_note,
                mood_emoji=mood_emoji,
                energy_level=energy_level,
                is_private=is_private,
            )
        except IntegrityError as exc:
            if violated_constraint(exc, CheckIn) == UNIQUE_PERIOD_CONSTRAINT:
                raise DuplicateCheckIn() from None
            raise
        group_check_ins_counted(group_id=group.pk, member_id=user.pk, delta=1)  # also drops the cached reads
        announce(signals.checkin_submitted, check_in=check_in)
    return check_in


def _own_locked(check_in: CheckIn, user: User) -> CheckIn:
    """The check-in's row, locked; someone else's check-in is a 404, as if it did not exist."""
    if check_in.user_id != user.pk:
        raise NotFound()
    # Only the check-in's row: locking its user and group too (a plain FOR UPDATE over the join) made an
    # edit wait for, and deadlock with, check-ins of other members of the group.
    locked = (
        CheckIn.objects.select_for_update(of=("self",)).select_related("user", "group").filter(pk=check_in.pk).first()
    )
    if locked is None:
        raise NotFound()
    return locked


def checkin_update(*, check_in: CheckIn, user: User, **changes: Any) -> CheckIn:
    """Change one's own check-in while its period is the group's current one."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        check_in = _own_locked(check_in, user)
        if check_in.week_start_date != current_period_start(check_in.group):
            raise CheckInPeriodClosed()
        for name, value in changes.items():
            setattr(check_in, name, value)
        check_in.save(update_fields=[*changes, "updated_at"])
        # The score is computed by the database: read it back.
        check_in.refresh_from_db(fields=["hu_cares_score"])
        _forget_cached(group_id=check_in.group_id, user_ids=[user.pk])
        announce(signals.checkin_updated, check_in=check_in)
    return check_in


def checkin_note_remove(*, check_in: CheckIn) -> CheckIn:
    """Staff moderation: remove a check-in's reflection note for abuse; the scores stay the member's own."""
    with transaction.atomic():
        locked = (
            CheckIn.objects.select_for_update(of=("self",))
            .select_related("user", "group")
            .filter(pk=check_in.pk)
            .first()
        )
        if locked is None:
            raise NotFound()
        if locked.reflection_note:
            locked.reflection_note = ""
            locked.save(update_fields=["reflection_note", "updated_at"])
            _forget_cached(group_id=locked.group_id, user_ids=[locked.user_id])
            announce(signals.checkin_updated, check_in=locked)
    return locked


def checkin_delete(*, check_in: CheckIn, user: User) -> None:
    """Delete one's own check-in, of any period."""
    with transaction.atomic():
        check_in = _own_locked(check_in, user)
        ids = {"check_in_id": check_in.pk, "user_id": check_in.user_id, "group_id": check_in.group_id}
        week_start_date = check_in.week_start_date
        check_in.delete()
        group_check_ins_counted(group_id=ids["group_id"], member_id=user.pk, delta=-1)  # also drops the cached reads
        announce(signals.checkin_deleted, **ids, week_start_date=week_start_date)


def checkins_delete_for_user(*, user: User) -> int:
    """Delete every check-in of a user (account deletion), keeping group totals and caches right.

    No ``checkin_deleted`` per row: the account is going, and a signal per
    historical check-in would flood the live channels. Returns how many went.
    """
    with transaction.atomic():
        group_ids = list(CheckIn.objects.filter(user=user).values_list("group_id", flat=True))
        per_group = Counter(group_ids)
        CheckIn.objects.filter(user=user).delete()
        for group_id, count in per_group.items():
            group_check_ins_counted(group_id=group_id, member_id=user.pk, delta=-count)
    return len(group_ids)
