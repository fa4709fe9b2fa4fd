"""Each rule on constructed figures, including too little data (no insight rather than a wrong one)."""

import datetime
import json
from collections.abc import Mapping
from typing import Any

from analytics.insights import (
    Facts,
    GroupFacts,
    comparison_rule,
    correlation_rule,
    dimension_rule,
    evaluate,
    more_data_rule,
    participation_rule,
    streak_rule,
    trend_rule,
)
from analytics.stats import Streak

START = datetime.date(2025, 1, 6)
NO_STREAK = Streak(0, 0)
NEUTRAL = {"productive": 5.0, "satisfied": 5.0, "body": 5.0, "care": 5.0}


def points(*rows: dict[str, Any], gap_after: int | None = None) -> list[dict[str, Any]]:
    series = []
    for index, row in enumerate(rows):
        shift = 1 if gap_after is not None and index > gap_after else 0
        day = START + datetime.timedelta(weeks=index + shift)
        scores = {**NEUTRAL, **row}
        total = scores["productive"] + scores["satisfied"] + scores["body"] - scores["care"]
        series.append({"week_start_date": day, **scores, "hu_cares_score": total})
    return series


def facts(
    series: list[dict[str, Any]] | None = None,
    averages: Mapping[str, float | None] | None = None,
    count: int = 10,
    streak: Streak = NO_STREAK,
    groups: list[GroupFacts] | None = None,
) -> Facts:
    return Facts(points=series or [], averages=averages or {}, check_in_count=count, streak=streak, groups=groups or [])


def test_falling_dimension_over_four_weeks_is_a_warning() -> None:
    series = points({"body": 8}, {"body": 7}, {"body": 6}, {"body": 5})
    [insight] = trend_rule(facts(series))
    assert insight["type"] == "trend_down"
    assert insight["severity"] == "warning"
    assert insight["data"] == {"dimension": "body", "change": -3.0, "periods": 4}


def test_rising_care_counts_against_the_score_so_it_is_a_warning() -> None:
    series = points({"care": 2}, {"care": 3}, {"care": 4}, {"care": 5})
    [insight] = trend_rule(facts(series))
    assert (insight["type"], insight["severity"]) == ("trend_up", "warning")


def test_rising_productivity_is_positive() -> None:
    series = points({"productive": 3}, {"productive": 4}, {"productive": 5}, {"productive": 6})
    [insight] = trend_rule(facts(series))
    assert (insight["type"], insight["severity"]) == ("trend_up", "positive")


def test_small_moves_are_no_trend() -> None:
    series = points({"body": 6}, {"body": 5}, {"body": 6}, {"body": 5})
    assert trend_rule(facts(series)) == []


def test_trend_needs_four_consecutive_weeks() -> None:
    assert trend_rule(facts(points({"body": 9}, {"body": 7}, {"body": 5}))) == []
    gapped = points({"body": 9}, {"body": 8}, {"body": 6}, {"body": 5}, gap_after=1)
    assert trend_rule(facts(gapped)) == []


def test_streak_milestone_reports_the_highest_reached() -> None:
    [insight] = streak_rule(facts(streak=Streak(current=9, longest=12)))
    assert insight["data"] == {"current": 9, "milestone": 8, "longest": 12}


def test_short_streak_is_no_milestone() -> None:
    assert streak_rule(facts(streak=Streak(current=3, longest=20))) == []


def test_weakest_and_strongest_dimension_treat_care_as_lower_is_better() -> None:
    averages = {"productive": 6.0, "satisfied": 4.0, "body": 7.0, "care": 2.0}
    weakest, strongest = dimension_rule(facts(averages=averages))
    assert weakest["data"] == {"dimension": "satisfied", "average": 4.0}
    assert strongest["data"] == {"dimension": "care", "average": 2.0}


def test_dimensions_need_three_check_ins_and_a_real_difference() -> None:
    averages = {"productive": 9.0, "satisfied": 1.0, "body": 5.0, "care": 5.0}
    assert dimension_rule(facts(averages=averages, count=2)) == []
    flat = {"productive": 5.0, "satisfied": 5.5, "body": 5.0, "care": 5.5}
    assert dimension_rule(facts(averages=flat)) == []
    assert dimension_rule(facts(averages={"productive": 5.0}, count=5)) == []


def test_strong_correlation_over_six_weeks_is_reported_once() -> None:
    series = points(
        *({"productive": p, "satisfied": p + 1, "body": b} for p, b in [(2, 5), (4, 4), (3, 6), (6, 5), (8, 4), (7, 6)])
    )
    [insight] = correlation_rule(facts(series))
    assert insight["data"] == {"dimensions": ["productive", "satisfied"], "r": 1.0, "periods": 6}


def test_negative_correlation_is_described_as_opposite() -> None:
    series = points(*({"body": b, "care": 11 - b} for b in [3, 5, 4, 8, 7, 9]))
    [insight] = correlation_rule(facts(series))
    assert insight["data"]["r"] == -1.0
    assert "opposite" in insight["message"]


def test_correlation_needs_six_weeks_and_a_strong_link() -> None:
    five = points(*({"productive": p, "satisfied": p} for p in [1, 3, 5, 7, 9]))
    assert correlation_rule(facts(five)) == []
    weak = points(*({"productive": p, "satisfied": s} for p, s in [(1, 5), (2, 3), (3, 6), (4, 2), (5, 5), (6, 4)]))
    assert correlation_rule(facts(weak)) == []


def test_participation_drop_compares_the_last_closed_period_with_the_three_before() -> None:
    group = GroupFacts(group_id="g1", name="Crew", closed_rates=[1.0, 0.5, 1.0, 0.75, 0.5])
    [insight] = participation_rule(facts(groups=[group]))
    assert insight["data"] == {"groupId": "g1", "groupName": "Crew", "latestRate": 0.5, "previousRate": 0.75}


def test_participation_needs_four_periods_and_a_real_drop() -> None:
    short = GroupFacts(group_id="g1", name="Crew", closed_rates=[1.0, 1.0, 0.0])
    steady = GroupFacts(group_id="g2", name="Crew", closed_rates=[0.8, 0.8, 0.7, 0.7])
    assert participation_rule(facts(groups=[short, steady])) == []


def test_me_against_my_group() -> None:
    above = GroupFacts(group_id="g1", name="Crew", my_average=18.0, my_count=4, others_average=12.5, others_count=6)
    [insight] = comparison_rule(facts(groups=[above]))
    assert insight["severity"] == "positive"
    assert insight["data"]["difference"] == 5.5
    below = GroupFacts(group_id="g2", name="Crew", my_average=9.0, my_count=4, others_average=12.5, others_count=6)
    assert comparison_rule(facts(groups=[below]))[0]["severity"] == "info"


def test_comparison_needs_figures_on_both_sides() -> None:
    alone = GroupFacts(group_id="g1", name="Crew", my_average=18.0, my_count=4, others_average=None)
    thin = GroupFacts(group_id="g2", name="Crew", my_average=18.0, my_count=1, others_average=5.0, others_count=9)
    close = GroupFacts(group_id="g3", name="Crew", my_average=14.0, my_count=4, others_average=12.0, others_count=9)
    assert comparison_rule(facts(groups=[alone, thin, close])) == []


def test_no_data_no_insights() -> None:
    assert evaluate(facts(count=0)) == []


def test_evaluate_is_deterministic_and_json_safe() -> None:
    series = points(*({"productive": p, "satisfied": p, "body": 9 - p // 2} for p in [2, 3, 5, 6, 8, 9]))
    group = GroupFacts(
        group_id="g1",
        name="Crew",
        closed_rates=[1, 1, 1, 0.25],
        my_average=20,
        my_count=5,
        others_average=10,
        others_count=5,
    )
    inputs = facts(series, {"productive": 5.5, "satisfied": 5.5, "body": 6.0, "care": 5.0}, 6, Streak(6, 6), [group])
    first = evaluate(inputs)
    assert first == evaluate(inputs)
    assert [i["type"] for i in first] == [
        "latest_check_in",
        "trend_up",
        "trend_up",
        "trend_down",
        "streak",
        "correlation",
        "participation_drop",
        "group_comparison",
    ]
    assert json.loads(json.dumps(first)) == first


def test_the_first_check_in_already_gives_a_finding_and_says_what_comes_next() -> None:
    first = facts(points({"productive": 8, "satisfied": 6, "body": 3, "care": 2}), count=1, streak=Streak(1, 1))
    latest, more = evaluate(first)
    assert latest["type"] == "latest_check_in"
    # care is lower-is-better: 2 is the strongest result, body 3 the weakest.
    assert (latest["data"]["strongest"], latest["data"]["weakest"]) == ("care", "body")
    assert latest["data"]["scores"] == {"productive": 8.0, "satisfied": 6.0, "body": 3.0, "care": 2.0}
    assert latest["message"] == (
        "In the week of 2025-01-06 your strongest area was care (2.0) and your weakest was body (3.0)."
    )
    assert more["type"] == "more_data_needed"
    assert more["data"]["pending"] == [
        {"rule": "trend", "needed": 3, "unit": "consecutive weeks"},
        {"rule": "streak", "needed": 3, "unit": "periods in a row"},
        {"rule": "dimensions", "needed": 2, "unit": "check-ins"},
        {"rule": "correlation", "needed": 5, "unit": "weeks with a check-in"},
    ]
    assert more["message"].startswith("Keep checking in: 3 more consecutive weeks for trends; ")


def test_level_scores_are_said_to_be_level() -> None:
    [latest, _] = evaluate(facts(points({"care": 6}), count=1))  # care 6 is as good as 5 elsewhere
    assert latest["message"] == "In the week of 2025-01-06 all four areas were level."


def test_what_is_still_needed_counts_the_gapless_run_and_the_groups() -> None:
    series = points({}, {}, {}, gap_after=1)  # weeks 0, 1, then a gap, then week 3
    group = GroupFacts(group_id="g1", name="Crew", closed_rates=[1.0, 0.5], my_count=1, others_count=3)
    pending = {
        item["rule"]: item["needed"]
        for item in more_data_rule(facts(series, count=3, groups=[group]))[0]["data"]["pending"]
    }
    assert pending == {"trend": 3, "streak": 4, "correlation": 3, "groupComparison": 1, "participation": 2}


def test_nothing_pending_nothing_said() -> None:
    series = points(*[{}] * 6)
    group = GroupFacts(group_id="g1", name="Crew", closed_rates=[1.0] * 4, my_count=6, others_count=6)
    assert more_data_rule(facts(series, count=6, streak=Streak(6, 6), groups=[group])) == []
