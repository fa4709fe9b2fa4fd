"""Small pure functions over the per-period series the database has already aggregated.

Nothing here touches the database: the inputs are a few dozen points at most
(one per period), so plain Python is clearer than SQL for slopes and ranks.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of ``ys`` over ``xs``; ``None`` with fewer than two distinct x."""
    if len(xs) != len(ys):
        return None
    try:
        return statistics.linear_regression(xs, ys).slope
    except statistics.StatisticsError:
        return None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation; ``None`` when either series is constant or too short."""
    if len(xs) != len(ys):
        return None
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:
        return None


def percentile_rank(value: float, others: Sequence[float]) -> float | None:
    """Share of ``others`` below ``value`` (ties count half), in percent; ``None`` without others."""
    if not others:
        return None
    below = sum(1 for other in others if other < value)
    equal = sum(1 for other in others if other == value)
    return round(100 * (below + 0.5 * equal) / len(others), 1)


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int


def streak_of(starts: Sequence[date], step: timedelta, current_period: date) -> Streak:
    """Consecutive periods with a check-in, from the sorted distinct period starts.

    The current period is still open, so a run that ends with the previous
    period is not broken yet: it counts as current until the period ends.
    """
    longest = run = 0
    previous: date | None = None
    for start in starts:
        run = run + 1 if previous is not None and start - previous == step else 1
        longest = max(longest, run)
        previous = start
    alive = previous is not None and previous in (current_period, current_period - step)
    return Streak(current=run if alive else 0, longest=longest)


def rounded(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)
