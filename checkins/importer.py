"""Import the old localStorage client's data, and roll an import back.

The payload is either the old export object ``{userProfile, checkIns, groups,
friends, exportedAt}`` or the raw key map (``hucares_check_ins`` etc., each
value a JSON string). Parsing never trusts a type: a malformed part of the
document is a ``VALIDATION_ERROR`` naming the field, a malformed check-in is
skipped with its index and reason. Writing is one transaction: all or
nothing; a dry run does the same work and rolls it back, so it reports the
same figures. Imported check-ins send no ``checkin_submitted`` signals: they
are history, not news for friends; the caches go stale with the groups' totals.
Groups are made, backdated, given their old code, counted and deleted
through ``groups.services`` (each app writes only its own rows), so a group
a rollback deletes is announced as any other deletion.

Each import remembers which old group and check-in ids it brought in, per
user and old profile (:class:`ImportOrigin`), and a later import matches on
them first: importing the same file again adds nothing even when an old
access code did not fit today's format and the group got a fresh one.
Rolling an import back forgets its ids, so importing again imports again.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from groups.access_codes import normalize_access_code
from groups.models import Group, GroupMembership, MembershipStatus
from groups.periods import period_start_for_date
from groups.services import (
    group_access_code_reuse,
    group_backdate,
    group_check_ins_counted,
    group_create,
    group_discard,
)
from hucares.core.errors import ApplicationError, NotFound, PayloadTooLarge, ValidationFailed

from .models import CheckIn, ImportOrigin, LocalStorageImport

MAX_BYTES = 5 * 1024 * 1024
MAX_CHECK_INS = 10_000
FALLBACK_GROUP_NAME = "My check-ins"
SCORE_NAMES = ("productive", "satisfied", "body", "care")
RAW_KEYS = {
    "hucares_user_profile": "userProfile",
    "hucares_check_ins": "checkIns",
    "hucares_groups": "groups",
    "hucares_friends": "friends",
}
EARLIEST_DAY = date(2000, 1, 1)
MAX_TEXT = 100


class ImportAlreadyRolledBack(ApplicationError):
    code = "ALREADY_ROLLED_BACK"
    status = 409
    message = "This import has already been rolled back."


@dataclass(frozen=True)
class OldGroup:
    key: str
    name: str
    description: str
    access_code: str


@dataclass(frozen=True)
class Entry:
    index: int
    group_key: str | None
    local_day: date
    scores: dict[str, int]
    submitted_at: datetime | None
    old_id: str | None = None


@dataclass
class Parsed:
    groups: dict[str, OldGroup]
    entries: list[Entry] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The old userProfile.id: the namespace of the old ids.
    source: str = ""

    def skip(self, index: int, reason: str) -> None:
        self.skipped.append({"index": index, "reason": reason})

    def warn(self, index: int | None, message: str) -> None:
        self.warnings.append({"index": index, "message": message})


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _decode_raw_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise ValidationFailed.for_field(
            key, f"must be a JSON string, as localStorage holds it, not {_type_name(value)}."
        )
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise ValidationFailed.for_field(key, "is not valid JSON.") from None


def normalize_payload(payload: Any) -> dict[str, Any]:
    """Either accepted form as the export object; anything else is a validation error."""
    if not isinstance(payload, dict):
        raise ValidationFailed.for_field("body", "must be a JSON object: the export or the localStorage key map.")
    if any(key in payload for key in RAW_KEYS):
        return {name: _decode_raw_value(key, payload[key]) for key, name in RAW_KEYS.items() if key in payload}
    if "checkIns" in payload or "userProfile" in payload:
        return payload
    raise ValidationFailed.for_field(
        "body", "is neither an export ({userProfile, checkIns, groups}) nor the localStorage key map (hucares_*)."
    )


def resolve_timezone(requested: Any, fallback: str) -> str:
    name = fallback if requested is None else requested
    if not isinstance(name, str) or not name or len(name) > 64:
        raise ValidationFailed.for_field("timezone", "must be an IANA timezone name such as Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed.for_field("timezone", f"{name[:64]!r} is not a known IANA timezone.") from None
    return name


def _profile_id(data: dict[str, Any]) -> str:
    profile = data.get("userProfile")
    if not isinstance(profile, dict):
        raise ValidationFailed.for_field("userProfile", "is required and must be an object.")
    profile_id = profile.get("id")
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise ValidationFailed.for_field("userProfile.id", "is required and must be a non-empty string.")
    return profile_id


def _text(value: Any, where: str, *, required: bool, limit: int) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed.for_field(where, "must be a non-empty string." if required else "must be a string.")
    if len(value) > limit:
        raise ValidationFailed.for_field(where, f"must be at most {limit} characters.")
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL: reject it here rather than fail on write.
        raise ValidationFailed.for_field(where, "must not contain NUL characters.")
    return value.strip()


def _parse_groups(raw: Any) -> dict[str, OldGroup]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ValidationFailed.for_field("groups", "must be an array.")
    groups: dict[str, OldGroup] = {}
    for index, item in enumerate(raw):
        where = f"groups[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed.for_field(where, "must be an object.")
        key = _text(item.get("id"), f"{where}.id", required=True, limit=MAX_TEXT)
        if key in groups:
            raise ValidationFailed.for_field(f"{where}.id", "appears twice in groups.")
        groups[key] = OldGroup(
            key=key,
            name=_text(item.get("name"), f"{where}.name", required=True, limit=100),
            description=_text(item.get("description"), f"{where}.description", required=False, limit=1000),
            access_code=_text(item.get("accessCode"), f"{where}.accessCode", required=False, limit=MAX_TEXT),
        )
    return groups


def _score_problem(name: str, value: Any) -> str | None:
    if value is None:
        return f"{name} is missing"
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} must be a whole number from 1 to 10, not {_type_name(value)}"
    if not 1 <= value <= 10:
        shown = str(value) if abs(value) < 10**6 else "a huge number"
        return f"{name} must be from 1 to 10, not {shown}"
    return None


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# A Monday, counted from for the nearest Monday to an instant.
_A_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
_WEEK = timedelta(days=7)


def _nearest_monday(instant: datetime) -> date:
    """The Monday whose midnight (in UTC) is nearest to ``instant``.

    The old app wrote the local Monday midnight of its device, and every
    offset in use (-12 h to +14 h) puts that instant less than half a day
    from the UTC midnight of the same Monday, so the nearest one is it.
    """
    weeks = round((instant - _A_MONDAY) / _WEEK)
    return (_A_MONDAY + weeks * _WEEK).date()


def _local_day(value: Any, tz: ZoneInfo, today: date) -> tuple[date, str | None] | str:
    """The local calendar day of an old ``weekStartDate`` (a UTC instant of local midnight) and a warning, or why
    the entry is refused.

    When the zone does not make the instant a local Monday midnight, the file was written in another zone (the
    browser's when importing differs from the old device's): the week meant is the Monday nearest to the instant.
    """
    note = None
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return "weekStartDate is not a valid date"
    else:
        instant = _parse_instant(value)
        if instant is None:
            return "weekStartDate must be an ISO 8601 date-time string"
        local = instant.astimezone(tz)
        day = local.date()
        if local.weekday() != 0 or local.time() != datetime.min.time():
            day = _nearest_monday(instant)
            note = (
                f"weekStartDate {str(value)[:40]} is not a Monday midnight in {tz.key}; "
                f"taken as the week of Monday {day.isoformat()}, the nearest Monday"
            )
    if not EARLIEST_DAY <= day <= today + timedelta(days=1):
        return f"weekStartDate {day.isoformat()} is out of range"
    return day, note


def _parse_entry(index: int, raw: Any, profile_id: str, tz: ZoneInfo, parsed: Parsed) -> Entry | str:
    if not isinstance(raw, dict):
        return f"must be an object, not {_type_name(raw)}"
    if raw.get("userId") != profile_id:
        return "not the profile's own check-in (userId differs from userProfile.id)"
    group_key = raw.get("groupId")
    if group_key is not None and not isinstance(group_key, str):
        return "groupId must be a string"
    for name in SCORE_NAMES:
        problem = _score_problem(name, raw.get(name))
        if problem:
            return problem
    local_day = _local_day(raw.get("weekStartDate"), tz, timezone.now().astimezone(tz).date())
    if isinstance(local_day, str):
        return local_day
    day, note = local_day
    if note is not None:
        parsed.warn(index, note)
    scores = {name: int(raw[name]) for name in SCORE_NAMES}
    expected = scores["productive"] + scores["satisfied"] + scores["body"] - scores["care"]
    if "huCaresScore" in raw and raw["huCaresScore"] != expected:
        parsed.warn(index, f"huCaresScore {str(raw['huCaresScore'])[:20]} did not match the scores; stored {expected}")
    submitted = _parse_instant(raw.get("submittedAt"))
    if raw.get("submittedAt") is not None and submitted is None:
        parsed.warn(index, "submittedAt is not a valid date-time; the import time is used")
    old_id = raw.get("id") if isinstance(raw.get("id"), str) and 0 < len(raw["id"]) <= MAX_TEXT else None
    return Entry(index=index, group_key=group_key, local_day=day, scores=scores, submitted_at=submitted, old_id=old_id)


def parse_export(data: dict[str, Any], tz_name: str) -> Parsed:
    """Validate the document and the caller's check-ins in it; nothing is written."""
    profile_id = _profile_id(data)
    raw_check_ins = data.get("checkIns", [])
    if not isinstance(raw_check_ins, list):
        raise ValidationFailed.for_field("checkIns", "must be an array.")
    if len(raw_check_ins) > MAX_CHECK_INS:
        raise PayloadTooLarge(f"An import holds at most {MAX_CHECK_INS} check-ins.")
    parsed = Parsed(groups=_parse_groups(data.get("groups")), source=profile_id[:MAX_TEXT])
    tz = ZoneInfo(tz_name)
    seen_ids: set[str] = set()
    for index, raw in enumerate(raw_check_ins):
        old_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(old_id, str) and old_id in seen_ids:
            parsed.skip(index, "duplicate id: the same check-in appears earlier in the file")
            continue
        result = _parse_entry(index, raw, profile_id, tz, parsed)
        if isinstance(result, str):
            parsed.skip(index, result)
            continue
        if isinstance(old_id, str):
            seen_ids.add(old_id)
        parsed.entries.append(result)
    if isinstance(data.get("friends"), list) and data["friends"]:
        parsed.warn(None, "friends are sample data of the old app and were not imported")
    return parsed


class _DryRunDone(Exception):
    """Raised inside the transaction of a dry run so that everything it wrote is rolled back."""


def _match_group(user: User, old: OldGroup) -> Group | None:
    """A group the caller is already an active member of, with the old access code."""
    if not old.access_code:
        return None
    membership = (
        GroupMembership.objects.select_related("group")
        .filter(
            user=user,
            status=MembershipStatus.ACTIVE,
            group__is_active=True,
            group__access_code=normalize_access_code(old.access_code),
        )
        .first()
    )
    return membership.group if membership else None


def _create_group(user: User, name: str, description: str, tz_name: str, since: date) -> Group:
    group = group_create(user=user, name=name, description=description, timezone=tz_name)
    # Backdate the group and the membership to the first imported period, so
    # the group's history (participation, analytics) covers the imported data.
    group_backdate(group=group, started=datetime.combine(since, datetime.min.time(), ZoneInfo(tz_name)))
    group.refresh_from_db()
    return group


@dataclass
class _Targets:
    groups: dict[str | None, Group] = field(default_factory=dict)
    created: list[Group] = field(default_factory=list)
    matched: list[Group] = field(default_factory=list)
    # Old group keys whose group was found through a remembered origin (nothing new to remember).
    remembered: set[str | None] = field(default_factory=set)


Origins = dict[tuple[str, str], Any]


def _known_origins(user: User, source: str) -> Origins:
    """``(kind, old id) -> new id`` of everything earlier imports of this old profile brought in."""
    rows = ImportOrigin.objects.filter(user=user, source=source).values_list("kind", "old_id", "target_id")
    return {(kind, old_id): target for kind, old_id, target in rows}


def _remembered_group(user: User, group_id: Any) -> Group | None:
    """The group an earlier import made or matched, if the caller is still an active member of it."""
    if group_id is None:
        return None
    membership = (
        GroupMembership.objects.select_related("group")
        .filter(user=user, group_id=group_id, status=MembershipStatus.ACTIVE, group__is_active=True)
        .first()
    )
    return membership.group if membership else None


def _resolve_groups(user: User, parsed: Parsed, tz_name: str, known: Origins) -> _Targets:
    """Map each old group key (``None`` = not in the export) to a remembered, matched or new group."""
    targets = _Targets()
    first_day: dict[str | None, date] = {}
    for entry in parsed.entries:
        key = entry.group_key if entry.group_key in parsed.groups else None
        first_day[key] = min(first_day.get(key, entry.local_day), entry.local_day)
    for key, since in first_day.items():
        old = parsed.groups.get(key) if key is not None else None
        group = _remembered_group(user, known.get((ImportOrigin.Kind.GROUP, key or "")))
        if group is not None:
            targets.remembered.add(key)
        elif old is not None:
            group = _match_group(user, old)
        if group is not None:
            targets.matched.append(group)
        elif old is not None:
            group = _create_group(user, old.name, old.description, tz_name, since)
            # The old code, when it still fits and is free, so that members can join as before.
            group_access_code_reuse(group=group, code=old.access_code)
            targets.created.append(group)
        else:
            group = _create_group(user, FALLBACK_GROUP_NAME, "", tz_name, since)
            targets.created.append(group)
        targets.groups[key] = group
    return targets


def _new_check_ins(user: User, parsed: Parsed, targets: _Targets, known: Origins) -> list[tuple[Entry, CheckIn]]:
    """One row per entry not imported before whose group and period hold no check-in yet (in the database or
    earlier in the file)."""
    taken = set(
        CheckIn.objects.filter(user=user, group__in=list(targets.groups.values())).values_list(
            "group_id", "week_start_date"
        )
    )
    rows = []
    for entry in parsed.entries:
        if entry.old_id is not None and (ImportOrigin.Kind.CHECK_IN, entry.old_id) in known:
            parsed.skip(entry.index, f"check-in {entry.old_id[:40]} was already imported by an earlier import")
            continue
        group = targets.groups[entry.group_key if entry.group_key in parsed.groups else None]
        start = period_start_for_date(group.check_in_frequency, entry.local_day, group.period_anchor)
        if (group.pk, start) in taken:
            parsed.skip(entry.index, f"a check-in for this group and the period of {start.isoformat()} already exists")
            continue
        if start != entry.local_day:
            parsed.warn(entry.index, f"weekStartDate {entry.local_day.isoformat()} filed under the period {start}")
        taken.add((group.pk, start))
        submitted = entry.submitted_at or timezone.now()
        rows.append(
            (entry, CheckIn(user=user, group=group, week_start_date=start, submitted_at=submitted, **entry.scores))
        )
    return rows


def _remember(record: LocalStorageImport, parsed: Parsed, targets: _Targets, new: list[tuple[Entry, CheckIn]]) -> None:
    """Record the old ids this import brought in; a group key already remembered keeps its earlier record."""
    Kind, user = ImportOrigin.Kind, record.user

    def origin(kind: str, old_id: str, target: Any) -> ImportOrigin:
        return ImportOrigin(
            user=user, local_import=record, source=parsed.source, kind=kind, old_id=old_id, target_id=target
        )

    groups = [origin(Kind.GROUP, key or "", g.pk) for key, g in targets.groups.items() if key not in targets.remembered]
    # A remembered group the caller has left since was replaced: its record now points at the new group.
    ImportOrigin.objects.bulk_create(
        groups,
        update_conflicts=True,
        unique_fields=["user", "source", "kind", "old_id"],
        update_fields=["local_import", "target_id"],
    )
    check_ins = [origin(Kind.CHECK_IN, entry.old_id, row.pk) for entry, row in new if entry.old_id is not None]
    ImportOrigin.objects.bulk_create(check_ins, ignore_conflicts=True)


def _write(user: User, parsed: Parsed, tz_name: str) -> tuple[dict[str, Any], LocalStorageImport]:
    record = LocalStorageImport.objects.create(user=user)
    known = _known_origins(user, parsed.source)
    targets = _resolve_groups(user, parsed, tz_name, known)
    new = _new_check_ins(user, parsed, targets, known)
    rows = CheckIn.objects.bulk_create([row for _, row in new])
    _remember(record, parsed, targets, new)
    added = Counter(row.group_id for row in rows)
    for group in targets.groups.values():
        # Also for a group that gained nothing: its cached reads (and the user's) are stale all the same.
        group_check_ins_counted(group_id=group.pk, member_id=user.pk, delta=added[group.pk])
    report = {
        "dry_run": False,
        "timezone": tz_name,
        "groups_created": len(targets.created),
        "groups_matched": len(targets.matched),
        "check_ins_imported": len(rows),
        "check_ins_skipped": sorted(parsed.skipped, key=lambda item: item["index"]),
        "warnings": parsed.warnings,
    }
    record.created_group_ids = [str(group.pk) for group in targets.created]
    record.created_check_in_ids = [str(row.pk) for row in rows]
    record.report = report
    record.save(update_fields=["created_group_ids", "created_check_in_ids", "report"])
    return {"import_id": record.pk, **report}, record


def localstorage_import(
    *, user: User, payload: Any, tz_name: str | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Import the caller's old check-ins and their groups; all or nothing. Returns the report."""
    data = normalize_payload(payload)
    zone = resolve_timezone(tz_name if tz_name is not None else payload.get("timezone"), user.timezone)
    parsed = parse_export(data, zone)
    try:
        with transaction.atomic():
            report, _ = _write(user, parsed, zone)
            if dry_run:
                raise _DryRunDone
    except _DryRunDone:
        return {**report, "import_id": None, "dry_run": True}
    return report


def _group_still_needed(group_id: Any, user: User, created_ids: set[str]) -> str | None:
    """Why a group this import created must stay, or ``None`` when only the import's own data is in it."""
    if GroupMembership.objects.filter(group_id=group_id).exclude(user=user).exists():
        return "other users have joined this group since the import"
    others = CheckIn.objects.filter(group_id=group_id).exclude(pk__in=created_ids)
    if others.exclude(user=user).exists():
        return "other users have checked in to this group since the import"
    if others.exists():
        return "you have checked in to this group since the import"
    return None


def localstorage_import_rollback(*, user: User, import_id: Any) -> dict[str, Any]:
    """Remove exactly what one of the caller's imports created; groups others now use are kept."""
    with transaction.atomic():
        record = LocalStorageImport.objects.select_for_update().filter(pk=import_id, user=user).first()
        if record is None:
            raise NotFound("Import not found.")
        if record.rolled_back_at is not None:
            raise ImportAlreadyRolledBack()
        created_ids = set(record.created_check_in_ids)
        mine = CheckIn.objects.filter(pk__in=created_ids, user=user)
        per_group = Counter(str(group_id) for group_id in mine.values_list("group_id", flat=True))
        removed, _ = mine.delete()
        kept, deleted = [], 0
        for group_id in record.created_group_ids:
            reason = _group_still_needed(group_id, user, created_ids)
            if reason is not None:
                kept.append({"group_id": group_id, "reason": reason})
            elif group_discard(group_id=group_id, by=user):  # announced as any deletion (group_deleted)
                deleted += 1
                per_group.pop(group_id, None)
        for group_id, count in per_group.items():
            group_check_ins_counted(group_id=group_id, member_id=user.pk, delta=-count)
        record.rolled_back_at = timezone.now()
        record.save(update_fields=["rolled_back_at"])
        record.origins.all().delete()  # a later import of the same data imports it again
    return {"import_id": record.pk, "check_ins_removed": removed, "groups_removed": deleted, "groups_kept": kept}
