import datetime

import pytest

from analytics.stats import pearson, percentile_rank, slope, streak_of

WEEK = datetime.timedelta(weeks=1)
MONDAY = datetime.date(2025, 3, 10)


def weeks_back(*offsets: int) -> list[datetime.date]:
    return sorted(MONDAY - WEEK * offset for offset in offsets)


def test_slope_of_a_straight_line_is_its_gradient() -> None:
    assert slope([0, 1, 2, 3], [1, 3, 5, 7]) == pytest.approx(2.0)


def test_slope_needs_two_distinct_points() -> None:
    assert slope([0], [5]) is None
    assert slope([2, 2], [1, 9]) is None


def test_pearson_of_opposite_series_is_minus_one() -> None:
    assert pearson([1, 2, 3, 4], [8, 6, 4, 2]) == pytest.approx(-1.0)


def test_pearson_of_a_constant_series_is_undefined() -> None:
    assert pearson([1, 2, 3], [5, 5, 5]) is None
    assert pearson([1], [1]) is None


def test_percentile_counts_lower_values_and_half_the_ties() -> None:
    assert percentile_rank(7, [5, 6, 7, 9]) == 62.5
    assert percentile_rank(1, [2, 3]) == 0.0
    assert percentile_rank(5, []) is None


def test_streak_including_the_current_period() -> None:
    streak = streak_of(weeks_back(0, 1, 2, 5, 6), WEEK, MONDAY)
    assert (streak.current, streak.longest) == (3, 3)


def test_streak_is_not_broken_while_the_current_period_is_open() -> None:
    streak = streak_of(weeks_back(1, 2, 3, 4), WEEK, MONDAY)
    assert (streak.current, streak.longest) == (4, 4)


def test_streak_is_broken_by_a_missed_closed_period() -> None:
    streak = streak_of(weeks_back(2, 3, 4, 8, 9, 10, 11, 12), WEEK, MONDAY)
    assert (streak.current, streak.longest) == (0, 5)


def test_no_check_ins_no_streak() -> None:
    streak = streak_of([], WEEK, MONDAY)
    assert (streak.current, streak.longest) == (0, 0)
