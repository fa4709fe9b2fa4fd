"""List endpoints cost a fixed number of queries, whatever the number of rows."""

import datetime

import pytest
import time_machine

from accounts.tests.factories import UserFactory
from checkins.tests.factories import CheckInFactory
from groups.models import Role
from groups.tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 4, 12, 0, tzinfo=datetime.UTC)
MONDAY = datetime.date(2026, 3, 2)


def build(rows: int):
    """A viewer with ``rows`` groups, ``rows`` fellow members and ``rows`` check-ins of each kind."""
    viewer = UserFactory.create()
    home = MembershipFactory.create(user=viewer, role=Role.ADMIN).group
    for index in range(rows):
        MembershipFactory.create(user=viewer, group=GroupFactory.create())
        member = MembershipFactory.create(group=home).user
        CheckInFactory.create(user=member, group=home, week_start_date=MONDAY)
        CheckInFactory.create(user=viewer, group=home, week_start_date=MONDAY - datetime.timedelta(weeks=index + 1))
    return viewer, home


ENDPOINTS = [
    ("groups", 2),
    ("groups/{home}", 2),
    ("groups/{home}/members", 3),
    ("checkins", 2),
    # Cold: the ids of the viewer's groups, the groups, the check-ins; warm it makes none (below).
    ("checkins/current", 3),
    ("checkins/history", 3),
    ("checkins/group/{home}", 3),
]


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize(("path", "budget"), ENDPOINTS, ids=[path for path, _ in ENDPOINTS])
def test_list_endpoints_have_a_fixed_query_budget(client_for, django_assert_max_num_queries, rows, path, budget):
    viewer, home = build(rows)
    client = client_for(viewer)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(budget):
        response = client.get("/api/v1/" + path.format(home=home.pk) + "?limit=100")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["groups", "groups/{home}", "checkins/current", "checkins/group/{home}"])
def test_warm_reads_make_no_query(client_for, django_assert_num_queries, path):
    viewer, home = build(3)
    client = client_for(viewer)
    url = "/api/v1/" + path.format(home=home.pk)
    with time_machine.travel(NOW, tick=False):
        client.get(url)
        with django_assert_num_queries(0):
            assert client.get(url).status_code == 200
