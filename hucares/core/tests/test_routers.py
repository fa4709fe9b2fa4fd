"""The read-replica router, on two real connections.

The test settings give the alias ``replica`` the test database as a mirror:
its own connection to the same database, so a row the primary's connection
has not committed is invisible through it, as on a real replica that has not
replayed it yet.
"""

from collections.abc import Iterator

import pytest
from django.db import connection, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UserFactory
from groups.tests.factories import MembershipFactory
from hucares.core.routers import forget_writes, reads_pinned_to_primary

pytestmark = [
    pytest.mark.django_db(databases=["default", "replica"], transaction=True),
    # Streaming replicas are PostgreSQL's; SQLite's connections to one
    # in-memory database lock each other out instead of isolating.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="read replicas need PostgreSQL"),
]


@pytest.fixture
def replica(settings) -> Iterator[None]:
    settings.DATABASE_READ_REPLICA = "replica"
    forget_writes()
    yield
    forget_writes()


def test_without_a_replica_every_read_goes_to_the_primary(settings) -> None:
    settings.DATABASE_READ_REPLICA = None
    forget_writes()
    assert User.objects.all().db == "default"


def test_a_read_outside_a_transaction_runs_on_the_replica(replica: None) -> None:
    user = UserFactory.create()
    forget_writes()
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert User.objects.get(pk=user.pk) == user
    assert len(on_replica.captured_queries) == 1


def test_a_read_inside_a_transaction_sees_its_own_uncommitted_rows(replica: None) -> None:
    with transaction.atomic():
        user = UserFactory.create()
        # Even with the request's write forgotten, the open transaction keeps
        # the read on the primary: the replica's connection cannot see the row.
        forget_writes()
        assert User.objects.filter(pk=user.pk).exists()
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM users WHERE id = %s", [user.pk])
            assert cursor.fetchone() == (0,)


def test_reads_after_a_write_stay_on_the_primary_until_the_next_request(replica: None, api_client) -> None:
    assert User.objects.all().db == "replica"
    UserFactory.create()
    assert reads_pinned_to_primary()
    assert User.objects.all().db == "default"
    api_client.get("/api/v1/health/live")
    assert User.objects.all().db == "replica"


def test_a_request_that_writes_answers_with_what_it_wrote(replica: None, client_for) -> None:
    user = UserFactory.create()
    response = client_for(user).post("/api/v1/groups", {"name": "Replica"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["name"] == "Replica"


def test_a_read_only_request_is_served_from_the_replica(replica: None, client_for) -> None:
    membership = MembershipFactory.create()
    client = client_for(membership.user)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/api/v1/groups")
    assert response.status_code == 200
    assert [group["id"] for group in response.json()["data"]] == [str(membership.group.pk)]
    assert on_replica.captured_queries


def test_writes_and_migrations_go_to_the_primary_only(replica: None) -> None:
    assert router.db_for_write(User) == "default"
    assert router.allow_migrate("default", "accounts")
    assert not router.allow_migrate("replica", "accounts")
