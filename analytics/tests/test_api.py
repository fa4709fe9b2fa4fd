"""The analytics endpoints against PostgreSQL: figures, privacy, validation and cache invalidation."""

import warnings

import pytest
from django.core.cache.backends.base import CacheKeyWarning
from django.urls import reverse

from accounts.tests.factories import UserFactory
from checkins import services as checkin_services
from groups import services as group_services
from groups.models import CheckInFrequency

from .conftest import THIS_WEEK, check_in, make_group, week

pytestmark = pytest.mark.django_db

PERSONAL = reverse("analytics-personal")
COMPARISON = reverse("analytics-comparison")
INSIGHTS = reverse("analytics-insights")


def group_url(group) -> str:
    return reverse("analytics-group", kwargs={"group_id": group.id})


def test_personal_series_averages_trends_and_extremes(user, client_for) -> None:
    group = make_group(user)
    check_in(user, group, 3, (4, 4, 4, 4))
    check_in(user, group, 2, (5, 5, 5, 4))
    check_in(user, group, 1, (6, 6, 6, 4))
    check_in(user, group, 20, (10, 10, 10, 1))  # outside a 4-week window

    data = client_for(user).get(PERSONAL, {"weeks": 4}).json()["data"]

    assert [p["weekStartDate"] for p in data["series"]] == [str(week(3)), str(week(2)), str(week(1))]
    assert data["series"][0] == {
        "weekStartDate": str(week(3)),
        "productive": 4.0,
        "satisfied": 4.0,
        "body": 4.0,
        "care": 4.0,
        "huCaresScore": 8.0,
    }
    assert data["averages"]["productive"] == 5.0
    assert data["averages"]["huCaresScore"] == 11.0
    assert data["trends"] == {"productive": 1.0, "satisfied": 1.0, "body": 1.0, "care": 0.0, "huCaresScore": 3.0}
    assert data["best"] == {"weekStartDate": str(week(1)), "huCaresScore": 14.0}
    assert data["worst"] == {"weekStartDate": str(week(3)), "huCaresScore": 8.0}
    assert data["streak"] == {"current": 3, "longest": 3}
    assert data["checkInCount"] == 3


def test_personal_averages_several_groups_per_week_and_filters_by_group(user, client_for) -> None:
    first, second = make_group(user), make_group(user)
    check_in(user, first, 0, (2, 2, 2, 2))
    check_in(user, second, 0, (8, 8, 8, 2))

    both = client_for(user).get(PERSONAL).json()["data"]
    only = client_for(user).get(PERSONAL, {"groupId": str(second.id)}).json()["data"]

    assert both["series"] == [
        {
            "weekStartDate": str(THIS_WEEK),
            "productive": 5.0,
            "satisfied": 5.0,
            "body": 5.0,
            "care": 2.0,
            "huCaresScore": 13.0,
        }
    ]
    assert only["series"][0]["productive"] == 8.0
    assert only["trends"]["productive"] is None


def test_personal_without_check_ins_is_empty_not_an_error(user_client) -> None:
    data = user_client.get(PERSONAL).json()["data"]
    assert data["series"] == []
    assert data["best"] is None
    assert data["streak"] == {"current": 0, "longest": 0}
    assert data["averages"]["huCaresScore"] is None


def test_streak_follows_the_group_frequency(user, client_for) -> None:
    group = make_group(user, check_in_frequency=CheckInFrequency.BIWEEKLY)
    # Biweekly blocks from the anchor 2025-01-06: ..., 02-17, 03-03 (the current one).
    for offset in (7, 5, 3):
        check_in(user, group, offset, (5, 5, 5, 5))
    data = client_for(user).get(PERSONAL, {"groupId": str(group.id)}).json()["data"]
    assert data["streak"] == {"current": 3, "longest": 3}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 105}, "weeks"),
        ({"weeks": "ten"}, "weeks"),
        ({"groupId": "not-a-uuid"}, "groupId"),
    ],
)
def test_invalid_query_is_a_validation_error_with_details(user_client, params, field) -> None:
    response = user_client.get(PERSONAL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["error"]["details"]] == [field]


def test_comparison_requires_a_group(user_client) -> None:
    response = user_client.get(COMPARISON)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "groupId"


def test_group_figures_are_for_members_only(user, client_for) -> None:
    group = make_group(UserFactory.create())
    assert client_for(user).get(group_url(group)).status_code == 404
    assert client_for(user).get(COMPARISON, {"groupId": str(group.id)}).status_code == 404
    assert client_for(user).get(PERSONAL, {"groupId": str(group.id)}).status_code == 404


def test_group_periods_count_participation(members, client_for) -> None:
    alice, bob, carol = members
    group = make_group(alice, bob, carol)
    check_in(alice, group, 1, (6, 6, 6, 2))
    check_in(bob, group, 1, (4, 4, 4, 4))
    check_in(alice, group, 0, (8, 8, 8, 2))

    data = client_for(carol).get(group_url(group), {"weeks": 2}).json()["data"]

    assert [p["weekStartDate"] for p in data["periods"]] == [str(week(1)), str(THIS_WEEK)]
    last_week, this_week = data["periods"]
    assert last_week["checkInCount"] == 2
    assert last_week["memberCount"] == 3
    assert last_week["participationRate"] == 0.667
    assert last_week["averages"]["productive"] == 5.0
    assert this_week["participationRate"] == 0.333
    assert data["overall"]["totalCheckIns"] == 3
    assert data["overall"]["averageParticipationRate"] == 0.5
    assert data["overall"]["averages"]["productive"] == pytest.approx(6.0)


def test_periods_before_the_group_existed_are_left_out(user, client_for) -> None:
    group = make_group(user)
    group.created_at = group.created_at.replace(year=2025, month=3, day=4)
    group.save(update_fields=["created_at"])
    data = client_for(user).get(group_url(group), {"weeks": 12}).json()["data"]
    assert [p["weekStartDate"] for p in data["periods"]] == [str(week(1)), str(THIS_WEEK)]


def _group_and_comparison(client, group) -> tuple[dict, dict]:
    figures = client.get(group_url(group), {"weeks": 2}).json()["data"]
    comparison = client.get(COMPARISON, {"groupId": str(group.id), "weeks": 2}).json()["data"]
    return figures, {row["dimension"]: row for row in comparison["dimensions"]}


def test_a_private_check_in_never_moves_what_others_see(members, client_for, django_capture_on_commit_callbacks):
    alice, bob, carol = members
    group = make_group(alice, bob, carol)
    check_in(alice, group, 1, (6, 6, 6, 2))
    check_in(bob, group, 1, (4, 4, 4, 4))
    before_figures, before = _group_and_comparison(client_for(carol), group)

    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_submit(
            user=bob, group_id=group.pk, productive=10, satisfied=10, body=10, care=1, is_private=True
        )
    after_figures, after = _group_and_comparison(client_for(carol), group)

    assert after_figures["overall"]["averages"] == before_figures["overall"]["averages"]
    assert after_figures["periods"][-1]["checkInCount"] == 1  # it exists ...
    assert after_figures["periods"][-1]["averages"]["productive"] is None  # ... but its scores are hidden
    assert after == before
    # Bob himself sees his private check-in in his own figures.
    own, _ = _group_and_comparison(client_for(bob), group)
    assert own["periods"][-1]["averages"]["productive"] == 10.0


def test_switching_scores_to_private_hides_them_from_other_members(
    members, client_for, django_capture_on_commit_callbacks
) -> None:
    alice, bob, carol = members
    group = make_group(alice, bob, carol)
    check_in(alice, group, 1, (6, 6, 6, 2))
    check_in(bob, group, 1, (2, 2, 2, 8))
    check_in(carol, group, 1, (4, 4, 4, 4))
    _, before = _group_and_comparison(client_for(carol), group)
    assert before["productive"]["group"] == 4.0
    assert before["productive"]["percentile"] == 50.0

    with django_capture_on_commit_callbacks(execute=True):
        bob.privacy_settings = {"profile": "friends", "scores": "private"}
        bob.save()
    figures, after = _group_and_comparison(client_for(carol), group)

    assert after["productive"]["group"] == 5.0  # alice and carol only
    assert after["productive"]["mine"] == 4.0
    assert after["productive"]["difference"] == -1.0
    assert after["productive"]["percentile"] == 0.0  # below alice, bob no longer compared
    assert figures["overall"]["averages"]["productive"] == 5.0


def test_comparison_of_my_averages_with_the_group(members, client_for) -> None:
    alice, bob, carol = members
    group = make_group(alice, bob, carol)
    check_in(alice, group, 1, (8, 8, 8, 2))
    check_in(alice, group, 0, (6, 6, 6, 2))
    check_in(bob, group, 1, (4, 4, 4, 4))
    check_in(carol, group, 1, (2, 2, 2, 6))

    data = client_for(alice).get(COMPARISON, {"groupId": str(group.id), "weeks": 4}).json()["data"]
    rows = {row["dimension"]: row for row in data["dimensions"]}

    assert rows["productive"] == {
        "dimension": "productive",
        "mine": 7.0,
        "group": 5.0,
        "difference": 2.0,
        "percentile": 100.0,
    }
    assert rows["care"]["percentile"] == 0.0
    assert [row["dimension"] for row in data["dimensions"]] == [
        "productive",
        "satisfied",
        "body",
        "care",
        "huCaresScore",
    ]
    assert rows["huCaresScore"]["mine"] == 19.0
    assert data["myCheckIns"] == 2
    assert data["groupCheckIns"] == 4
    assert data["membersCompared"] == 3


def test_a_check_in_write_is_visible_to_the_next_read(members, client_for, django_capture_on_commit_callbacks):
    alice, bob, _ = members
    group = make_group(alice, bob)
    client = client_for(alice)
    assert client.get(group_url(group)).json()["data"]["overall"]["totalCheckIns"] == 0
    assert client.get(PERSONAL).json()["data"]["checkInCount"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        submitted = checkin_services.checkin_submit(
            user=alice, group_id=group.pk, productive=9, satisfied=8, body=7, care=1
        )
    assert client.get(group_url(group)).json()["data"]["overall"]["totalCheckIns"] == 1
    assert client.get(PERSONAL).json()["data"]["averages"]["productive"] == 9.0

    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_update(check_in=submitted, user=alice, productive=3)
    assert client.get(PERSONAL).json()["data"]["averages"]["productive"] == 3.0

    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_submit(user=bob, group_id=group.pk, productive=5, satisfied=5, body=5, care=5)
    assert client.get(group_url(group)).json()["data"]["overall"]["averages"]["productive"] == 4.0

    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_delete(check_in=submitted, user=alice)
    assert client.get(PERSONAL).json()["data"]["checkInCount"] == 0
    assert client.get(group_url(group)).json()["data"]["overall"]["totalCheckIns"] == 1


def test_repeated_reads_are_served_from_the_cache(user, client_for, django_assert_num_queries) -> None:
    group = make_group(user)
    check_in(user, group, 0, (5, 5, 5, 5))
    client = client_for(user)
    first = client.get(group_url(group)).json()["data"]
    # Only the membership check remains on a warm read.
    with django_assert_num_queries(1):
        second = client.get(group_url(group)).json()["data"]
    assert first == second


def test_a_member_of_many_groups_is_served_from_the_cache_too(user, client_for, django_assert_num_queries) -> None:
    # One version token per group in the cache key made it grow past what a cache key may be.
    for _ in range(40):
        make_group(user)
    client = client_for(user)
    first = client.get(INSIGHTS).json()["data"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        # Only the memberships remain on a warm read.
        with django_assert_num_queries(1):
            second = client.get(INSIGHTS).json()["data"]
    assert first == second


def test_insights_from_real_data(members, client_for) -> None:
    alice, bob, carol = members
    group = make_group(alice, bob, carol)
    for offset, productive in zip(range(5, -1, -1), [3, 4, 5, 6, 7, 8], strict=True):
        check_in(alice, group, offset, (productive, productive, 8, 2))
        check_in(bob, group, offset, (3, 3, 3, 6))
    data = client_for(alice).get(INSIGHTS).json()["data"]
    kinds = [insight["type"] for insight in data]
    assert kinds == [
        "latest_check_in",
        "trend_up",
        "trend_up",
        "streak",
        "weakest_dimension",
        "strongest_dimension",
        "correlation",
        "group_comparison",
    ]
    comparison = data[-1]["data"]
    assert comparison["groupId"] == str(group.id)
    assert comparison["myAverage"] == 17.0
    assert comparison["groupAverage"] == 3.0


def test_insights_for_a_new_user_are_empty(user_client) -> None:
    assert user_client.get(INSIGHTS).json()["data"] == []


def test_the_first_check_in_gives_insights(members, client_for) -> None:
    alice, bob, _ = members
    group = make_group(alice, bob)
    check_in(alice, group, 0, (9, 4, 6, 3))
    data = client_for(alice).get(INSIGHTS).json()["data"]
    assert [insight["type"] for insight in data] == ["latest_check_in", "more_data_needed"]
    assert (data[0]["data"]["strongest"], data[0]["data"]["weakest"]) == ("productive", "satisfied")
    pending = {item["rule"]: item["needed"] for item in data[1]["data"]["pending"]}
    assert pending["dimensions"] == 2
    assert pending["groupComparison"] == 1


def test_membership_changes_are_visible_to_the_next_read(members, client_for, django_capture_on_commit_callbacks):
    alice, bob, carol = members
    group = make_group(alice, bob)
    check_in(bob, group, 0, (5, 5, 5, 5))
    client = client_for(alice)
    assert client.get(group_url(group)).json()["data"]["periods"][-1]["memberCount"] == 2
    assert client.get(COMPARISON, {"groupId": str(group.id)}).json()["data"]["membersCompared"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_join(user=carol, access_code=group.access_code)
    assert client.get(group_url(group)).json()["data"]["periods"][-1]["memberCount"] == 3

    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_leave(group=group, user=bob)
    comparison = client.get(COMPARISON, {"groupId": str(group.id)}).json()["data"]
    assert comparison["membersCompared"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        group_services.group_delete(group=group, by=alice)
    assert client.get(group_url(group)).status_code == 404


def test_a_cache_outage_degrades_to_computing(user, client_for, settings, django_capture_on_commit_callbacks) -> None:
    group = make_group(user)
    check_in(user, group, 0, (5, 5, 5, 5))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = client_for(user)
    assert client.get(group_url(group)).json()["data"]["overall"]["totalCheckIns"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        checkin_services.checkin_update(check_in=group.check_ins.get(), user=user, productive=9)
    assert client.get(PERSONAL).json()["data"]["averages"]["productive"] == 9.0
