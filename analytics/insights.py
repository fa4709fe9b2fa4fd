"""A small deterministic rules engine: plain-language findings from already aggregated figures.

Each rule is a pure function of :class:`Facts` returning zero or more
insights. A rule that lacks the data it needs says nothing rather than
something wrong; from the first check-in, :func:`latest_rule` always has a
finding and :func:`more_data_rule` says how much more data each silent rule
needs, so a new user's first weeks are not an empty page. ``data`` keys are camelCase because the renderer leaves the
inside of ``data`` untouched.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

from .stats import Streak, pearson, rounded, slope

SCORES = ("productive", "satisfied", "body", "care")
WIRE_NAMES = {"productive": "productive", "satisfied": "satisfied", "body": "body", "care": "care"}
LABELS = {"productive": "productivity", "satisfied": "satisfaction", "body": "body", "care": "care"}
# care counts against the huCaresScore: a lower care is the better result.
LOWER_IS_BETTER = frozenset({"care"})

TREND_PERIODS = 4
TREND_MIN_CHANGE = 2.0
STREAK_MILESTONES = (52, 26, 12, 8, 4)
MIN_CHECK_INS_FOR_PROFILE = 3
CORRELATION_MIN_PERIODS = 6
CORRELATION_MIN_R = 0.7
PARTICIPATION_MIN_PERIODS = 4
PARTICIPATION_MIN_DROP = 0.2
COMPARISON_MIN_DIFFERENCE = 3.0
COMPARISON_MIN_ROWS = 2

Insight = dict[str, Any]


@dataclass(frozen=True)
class GroupFacts:
    group_id: str
    name: str
    # Participation of the group's closed periods, oldest first (the open one is left out).
    closed_rates: list[float] = field(default_factory=list)
    my_average: float | None = None
    my_count: int = 0
    others_average: float | None = None
    others_count: int = 0


@dataclass(frozen=True)
class Facts:
    # The user's weekly points, oldest first: {"week_start_date": date, <dimension>: float}.
    points: list[dict[str, Any]]
    averages: Mapping[str, float | None]
    check_in_count: int
    streak: Streak
    groups: list[GroupFacts] = field(default_factory=list)


def _insight(kind: str, severity: str, title: str, message: str, data: dict[str, Any]) -> Insight:
    return {"type": kind, "severity": severity, "title": title, "message": message, "data": data}


def _consecutive(points: list[dict[str, Any]]) -> bool:
    days = [(b["week_start_date"] - a["week_start_date"]).days for a, b in pairwise(points)]
    return all(gap == 7 for gap in days)


def _ranked(point: Mapping[str, Any]) -> list[str]:
    """The dimensions from weakest to strongest (care counts lower-is-better); ties keep the fixed order."""
    return sorted(SCORES, key=lambda name: _goodness(name, float(point[name])))


def latest_rule(facts: Facts) -> list[Insight]:
    """The strongest and weakest dimension of the latest week: true from the very first check-in."""
    if not facts.points:
        return []
    latest = facts.points[-1]
    week = latest["week_start_date"].isoformat()
    ranked = _ranked(latest)
    weak, strong = ranked[0], ranked[-1]
    scores = {WIRE_NAMES[name]: rounded(float(latest[name]), 1) for name in SCORES}
    if _goodness(strong, float(latest[strong])) == _goodness(weak, float(latest[weak])):
        message = f"In the week of {week} all four areas were level."
    else:
        message = (
            f"In the week of {week} your strongest area was {LABELS[strong]} ({latest[strong]:.1f}) "
            f"and your weakest was {LABELS[weak]} ({latest[weak]:.1f})."
        )
    return [
        _insight(
            "latest_check_in",
            "info",
            f"Your week of {week}",
            message,
            {"weekStartDate": week, "strongest": WIRE_NAMES[strong], "weakest": WIRE_NAMES[weak], "scores": scores},
        )
    ]


def trend_rule(facts: Facts) -> list[Insight]:
    """A dimension that moved by at least 2 points over the last 4 consecutive weeks."""
    recent = facts.points[-TREND_PERIODS:]
    if len(recent) < TREND_PERIODS or not _consecutive(recent):
        return []
    found = []
    for name in SCORES:
        fitted = slope(range(TREND_PERIODS), [p[name] for p in recent])
        change = (fitted or 0.0) * (TREND_PERIODS - 1)
        if abs(change) < TREND_MIN_CHANGE:
            continue
        rising = change > 0
        good = rising != (name in LOWER_IS_BETTER)
        verb = "risen" if rising else "fallen"
        found.append(
            _insight(
                "trend_up" if rising else "trend_down",
                "positive" if good else "warning",
                f"{LABELS[name].capitalize()} has {verb}",
                f"Your {LABELS[name]} has {verb} by about {abs(change):.1f} points "
                f"over the last {TREND_PERIODS} weeks.",
                {"dimension": WIRE_NAMES[name], "change": rounded(change, 1), "periods": TREND_PERIODS},
            )
        )
    return found


def streak_rule(facts: Facts) -> list[Insight]:
    """The highest milestone the current streak has reached."""
    milestone = next((m for m in STREAK_MILESTONES if facts.streak.current >= m), None)
    if milestone is None:
        return []
    return [
        _insight(
            "streak",
            "positive",
            f"{milestone} periods in a row",
            f"You have checked in {facts.streak.current} periods in a row. Keep it going!",
            {"current": facts.streak.current, "milestone": milestone, "longest": facts.streak.longest},
        )
    ]


def _goodness(name: str, value: float) -> float:
    return 11 - value if name in LOWER_IS_BETTER else value


def dimension_rule(facts: Facts) -> list[Insight]:
    """The weakest and the strongest dimension, when they differ by at least a point."""
    if facts.check_in_count < MIN_CHECK_INS_FOR_PROFILE:
        return []
    scored = [(name, facts.averages[name]) for name in SCORES if facts.averages.get(name) is not None]
    if len(scored) < len(SCORES):
        return []
    ranked = sorted(scored, key=lambda item: _goodness(item[0], item[1] or 0.0))
    (weak, weak_avg), (strong, strong_avg) = ranked[0], ranked[-1]
    if _goodness(strong, strong_avg or 0.0) - _goodness(weak, weak_avg or 0.0) < 1:
        return []
    return [
        _insight(
            "weakest_dimension",
            "info",
            f"Room to grow: {LABELS[weak]}",
            f"{LABELS[weak].capitalize()} is your weakest area lately (average {weak_avg:.1f}).",
            {"dimension": WIRE_NAMES[weak], "average": weak_avg},
        ),
        _insight(
            "strongest_dimension",
            "positive",
            f"Going well: {LABELS[strong]}",
            f"{LABELS[strong].capitalize()} is your strongest area lately (average {strong_avg:.1f}).",
            {"dimension": WIRE_NAMES[strong], "average": strong_avg},
        ),
    ]


def correlation_rule(facts: Facts) -> list[Insight]:
    """The strongest pair of dimensions that move together (|r| >= 0.7 over at least 6 weeks)."""
    if len(facts.points) < CORRELATION_MIN_PERIODS:
        return []
    best: tuple[float, str, str] | None = None
    for a, b in combinations(SCORES, 2):
        r = pearson([p[a] for p in facts.points], [p[b] for p in facts.points])
        if r is not None and abs(r) >= CORRELATION_MIN_R and (best is None or abs(r) > abs(best[0])):
            best = (r, a, b)
    if best is None:
        return []
    r, a, b = best
    together = "rise and fall together" if r > 0 else "move in opposite directions"
    return [
        _insight(
            "correlation",
            "info",
            f"{LABELS[a].capitalize()} and {LABELS[b]} are linked",
            f"Your {LABELS[a]} and {LABELS[b]} scores {together} (r = {r:.2f}).",
            {"dimensions": [WIRE_NAMES[a], WIRE_NAMES[b]], "r": rounded(r, 2), "periods": len(facts.points)},
        )
    ]


def participation_rule(facts: Facts) -> list[Insight]:
    """A group whose last closed period's participation fell 20 points below the three before it."""
    found = []
    for group in facts.groups:
        rates = group.closed_rates[-PARTICIPATION_MIN_PERIODS:]
        if len(rates) < PARTICIPATION_MIN_PERIODS:
            continue
        earlier = sum(rates[:-1]) / (len(rates) - 1)
        if earlier - rates[-1] < PARTICIPATION_MIN_DROP:
            continue
        found.append(
            _insight(
                "participation_drop",
                "warning",
                f"Fewer check-ins in {group.name}",
                f"Only {rates[-1]:.0%} of {group.name} checked in last period, down from {earlier:.0%}.",
                {
                    "groupId": group.group_id,
                    "groupName": group.name,
                    "latestRate": rounded(rates[-1], 3),
                    "previousRate": rounded(earlier, 3),
                },
            )
        )
    return found


def comparison_rule(facts: Facts) -> list[Insight]:
    """My average huCaresScore at least 3 points above or below the rest of a group."""
    found = []
    for group in facts.groups:
        if group.my_average is None or group.others_average is None:
            continue
        if group.my_count < COMPARISON_MIN_ROWS or group.others_count < COMPARISON_MIN_ROWS:
            continue
        difference = group.my_average - group.others_average
        if abs(difference) < COMPARISON_MIN_DIFFERENCE:
            continue
        above = difference > 0
        found.append(
            _insight(
                "group_comparison",
                "positive" if above else "info",
                f"{'Above' if above else 'Below'} your group's average",
                f"Your average HuCares score is {abs(difference):.1f} points {'above' if above else 'below'} "
                f"the rest of {group.name}.",
                {
                    "groupId": group.group_id,
                    "groupName": group.name,
                    "myAverage": group.my_average,
                    "groupAverage": group.others_average,
                    "difference": rounded(difference),
                },
            )
        )
    return found


def _consecutive_run(points: list[dict[str, Any]]) -> int:
    """How many of the latest weekly points follow each other without a gap."""
    run = 1 if points else 0
    for earlier, later in pairwise(reversed(points)):
        if (earlier["week_start_date"] - later["week_start_date"]).days != 7:
            break
        run += 1
    return run


def _pending(facts: Facts) -> list[dict[str, Any]]:
    """Each rule that has too little data yet, with how much more it needs (in a fixed order)."""
    pending = [
        ("trend", TREND_PERIODS - _consecutive_run(facts.points), "consecutive weeks"),
        ("streak", STREAK_MILESTONES[-1] - facts.streak.current, "periods in a row"),
        ("dimensions", MIN_CHECK_INS_FOR_PROFILE - facts.check_in_count, "check-ins"),
        ("correlation", CORRELATION_MIN_PERIODS - len(facts.points), "weeks with a check-in"),
    ]
    if facts.groups:
        mine = max(group.my_count for group in facts.groups)
        pending.append(("groupComparison", COMPARISON_MIN_ROWS - mine, "check-ins in one group"))
        closed = max(len(group.closed_rates) for group in facts.groups)
        pending.append(("participation", PARTICIPATION_MIN_PERIODS - closed, "finished group periods"))
    return [{"rule": rule, "needed": needed, "unit": unit} for rule, needed, unit in pending if needed > 0]


def more_data_rule(facts: Facts) -> list[Insight]:
    """From the first check-in: which findings are still to come, and how much more data each needs."""
    pending = _pending(facts) if facts.check_in_count > 0 else []
    if not pending:
        return []
    parts = [f"{item['needed']} more {item['unit']} for {RULE_LABELS[item['rule']]}" for item in pending]
    return [
        _insight(
            "more_data_needed",
            "info",
            "More insights are on the way",
            "Keep checking in: " + "; ".join(parts) + ".",
            {"pending": pending},
        )
    ]


RULE_LABELS = {
    "trend": "trends",
    "streak": "a streak",
    "dimensions": "your strongest and weakest areas over time",
    "correlation": "links between your areas",
    "groupComparison": "how you compare with your group",
    "participation": "your group's participation",
}

RULES: tuple[Callable[[Facts], list[Insight]], ...] = (
    latest_rule,
    trend_rule,
    streak_rule,
    dimension_rule,
    correlation_rule,
    participation_rule,
    comparison_rule,
    more_data_rule,
)


def evaluate(facts: Facts) -> list[Insight]:
    """Every rule in a fixed order, so the same data always gives the same list."""
    return [insight for rule in RULES for insight in rule(facts)]
