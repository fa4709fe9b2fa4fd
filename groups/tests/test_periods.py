"""Properties of the period function across DST changes, year ends and leap years."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups.models import CheckInFrequency
from groups.periods import (
    local_date,
    monday_of,
    period_length,
    period_start,
    period_start_for_date,
    previous_period_starts,
)

ZONES = [
    "UTC",
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Apia",  # UTC+13, skipped 2011-12-30 entirely
    "Pacific/Tongatapu",  # UTC+13
    "Etc/GMT+12",  # UTC-12
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kathmandu",  # +05:45
]
FREQUENCIES = [choice.value for choice in CheckInFrequency]

instants = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2040, 12, 31), timezones=st.just(datetime.UTC)
)
anchors = st.dates(min_value=datetime.date(2000, 1, 3), max_value=datetime.date(2040, 12, 31)).map(monday_of)
zones = st.sampled_from(ZONES)
frequencies = st.sampled_from(FREQUENCIES)


@settings(max_examples=400)
@given(instant=instants, tz=zones, frequency=frequencies, anchor=anchors)
def test_the_instant_lies_inside_its_period(instant, tz, frequency, anchor):
    start = period_start(frequency, tz, instant, anchor)
    today = instant.astimezone(ZoneInfo(tz)).date()
    assert start <= today < start + period_length(frequency)


@settings(max_examples=400)
@given(instant=instants, tz=zones, frequency=frequencies, anchor=anchors)
def test_weekly_and_biweekly_periods_start_on_a_monday(instant, tz, frequency, anchor):
    start = period_start(frequency, tz, instant, anchor)
    if frequency != CheckInFrequency.DAILY:
        assert start.weekday() == 0


@settings(max_examples=300)
@given(day=st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2060, 1, 1)), anchor=anchors)
def test_biweekly_blocks_are_counted_from_the_anchor_also_before_it(day, anchor):
    start = period_start_for_date(CheckInFrequency.BIWEEKLY, day, anchor)
    assert (start - anchor).days % 14 == 0
    assert start <= day < start + datetime.timedelta(days=14)


@settings(max_examples=300)
@given(day=st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2060, 1, 1)), frequency=frequencies)
def test_every_day_of_a_period_maps_to_the_same_start(day, frequency):
    anchor = datetime.date(2025, 1, 6)
    start = period_start_for_date(frequency, day, anchor)
    length = period_length(frequency).days
    assert {period_start_for_date(frequency, start + datetime.timedelta(days=n), anchor) for n in range(length)} == {
        start
    }
    assert period_start_for_date(frequency, start + datetime.timedelta(days=length), anchor) != start


@settings(max_examples=200)
@given(instant=instants, tz=zones, frequency=frequencies)
def test_consecutive_periods_are_adjacent(instant, tz, frequency):
    anchor = datetime.date(2024, 1, 1)
    current = period_start(frequency, tz, instant, anchor)
    starts = previous_period_starts(frequency, current, 5)
    assert starts[-1] == current
    assert all(b - a == period_length(frequency) for a, b in itertools.pairwise(starts))
    assert all(period_start_for_date(frequency, s, anchor) == s for s in starts)


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        # Year end: Sunday 31 Dec 2023 23:30 in Berlin is the week of Monday 25 Dec.
        (datetime.datetime(2023, 12, 31, 22, 30, tzinfo=datetime.UTC), "Europe/Berlin", datetime.date(2023, 12, 25)),
        # ...and an hour later, 1 Jan 2024 00:30 local, is a new week that starts on 1 Jan.
        (datetime.datetime(2023, 12, 31, 23, 30, tzinfo=datetime.UTC), "Europe/Berlin", datetime.date(2024, 1, 1)),
        # Kiritimati (UTC+14) is a day ahead: Sunday 10:00 UTC is Monday already.
        (datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.UTC), "Pacific/Kiritimati", datetime.date(2026, 3, 2)),
        # UTC-12 is a day behind: Monday 11:00 UTC is still Sunday.
        (datetime.datetime(2026, 3, 2, 11, 0, tzinfo=datetime.UTC), "Etc/GMT+12", datetime.date(2026, 2, 23)),
        # Leap day 2024 (a Thursday) belongs to the week of Monday 26 Feb.
        (datetime.datetime(2024, 2, 29, 12, 0, tzinfo=datetime.UTC), "Pacific/Tongatapu", datetime.date(2024, 2, 26)),
        # Berlin spring-forward Sunday night (clocks skip 02:00-03:00 on 31 Mar 2024).
        (datetime.datetime(2024, 3, 31, 21, 59, tzinfo=datetime.UTC), "Europe/Berlin", datetime.date(2024, 3, 25)),
        (datetime.datetime(2024, 3, 31, 22, 0, tzinfo=datetime.UTC), "Europe/Berlin", datetime.date(2024, 4, 1)),
        # New York fall-back Sunday (3 Nov 2024): 23:59 local that night is still the old week.
        (datetime.datetime(2024, 11, 4, 4, 59, tzinfo=datetime.UTC), "America/New_York", datetime.date(2024, 10, 28)),
        (datetime.datetime(2024, 11, 4, 5, 0, tzinfo=datetime.UTC), "America/New_York", datetime.date(2024, 11, 4)),
    ],
)
def test_weekly_period_at_known_edges(instant, tz, expected):
    assert period_start(CheckInFrequency.WEEKLY, tz, instant, datetime.date(2024, 1, 1)) == expected


def test_apia_skipped_day_does_not_break_daily_periods():
    # Samoa jumped from 29 Dec 2011 23:59 straight to 31 Dec 2011 00:00.
    before = datetime.datetime(2011, 12, 30, 9, 59, tzinfo=datetime.UTC)
    after = datetime.datetime(2011, 12, 30, 10, 0, tzinfo=datetime.UTC)
    anchor = datetime.date(2011, 12, 26)
    assert period_start(CheckInFrequency.DAILY, "Pacific/Apia", before, anchor) == datetime.date(2011, 12, 29)
    assert period_start(CheckInFrequency.DAILY, "Pacific/Apia", after, anchor) == datetime.date(2011, 12, 31)


def test_naive_instants_and_unknown_frequencies_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime.datetime(2026, 1, 1), "UTC")
    with pytest.raises(ValueError, match="unknown"):
        period_start_for_date("monthly", datetime.date(2026, 1, 1), datetime.date(2026, 1, 5))
