"""Hostile imports: every malformed document is a clear 400/413 and leaves the database untouched."""

import json
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkins.models import CheckIn, LocalStorageImport
from groups.models import Group, GroupMembership

pytestmark = pytest.mark.django_db

URL = reverse("migration-localstorage")
GOOD = {"userId": "me", "weekStartDate": "2025-03-03T00:00:00Z", "productive": 5, "satisfied": 5, "body": 5, "care": 5}


def state() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (CheckIn, Group, GroupMembership, LocalStorageImport))


def export(*check_ins: Any, **extra: Any) -> dict[str, Any]:
    return {"userProfile": {"id": "me"}, "checkIns": list(check_ins), **extra}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([1, 2, 3], "body"),
        ("just a string", "body"),
        ({"export": export(GOOD)}, "body"),  # extra nesting
        ({"checkIns": [GOOD]}, "userProfile"),
        ({"userProfile": "me", "checkIns": []}, "userProfile"),
        ({"userProfile": {"id": 42}, "checkIns": []}, "userProfile.id"),
        (export(GOOD) | {"checkIns": {"0": GOOD}}, "checkIns"),
        (export(GOOD, groups="g1"), "groups"),
        (export(GOOD, groups=[{"id": "g1"}]), "groups[0].name"),
        (export(GOOD, groups=[{"id": "g1", "name": "x" * 101}]), "groups[0].name"),
        (export(GOOD, groups=[{"id": "g", "name": "A"}, {"id": "g", "name": "B"}]), "groups[1].id"),
        (export(GOOD, groups=[["nested"]]), "groups[0]"),
        (export(GOOD, groups=[{"id": "g1", "name": "a\x00b"}]), "groups[0].name"),
        (export(GOOD, groups=[{"id": "g1", "name": "A", "accessCode": "\x00"}]), "groups[0].accessCode"),
        (export(GOOD, timezone="Mars/Olympus"), "timezone"),
        (export(GOOD, timezone=7), "timezone"),
        ({"hucares_check_ins": "[not json", "hucares_user_profile": '{"id": "me"}'}, "hucares_check_ins"),
        ({"hucares_check_ins": [GOOD], "hucares_user_profile": '{"id": "me"}'}, "hucares_check_ins"),
        ({"hucares_user_profile": "null"}, "userProfile"),
    ],
)
def test_malformed_documents_are_validation_errors(user_client, payload, field) -> None:
    before = state()
    response = user_client.post(URL, payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field]
    assert state() == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"productive": "7"}, "productive must be a whole number from 1 to 10, not a string"),
        ({"satisfied": 7.5}, "satisfied must be a whole number from 1 to 10, not a number"),
        ({"body": True}, "body must be a whole number from 1 to 10, not a boolean"),
        ({"care": -3}, "care must be from 1 to 10, not -3"),
        ({"care": 10**40}, "care must be from 1 to 10, not a huge number"),
        ({"productive": None}, "productive is missing"),
        ({"weekStartDate": "2025-02-30"}, "weekStartDate is not a valid date"),
        ({"weekStartDate": "yesterday-ish"}, "weekStartDate must be an ISO 8601 date-time string"),
        ({"weekStartDate": 1735689600000}, "weekStartDate must be an ISO 8601 date-time string"),
        ({"weekStartDate": "1970-01-05T00:00:00Z"}, "weekStartDate 1970-01-05 is out of range"),
        ({"weekStartDate": "2999-01-07"}, "weekStartDate 2999-01-07 is out of range"),
        ({"groupId": {"id": "g1"}}, "groupId must be a string"),
        ({"userId": None}, "not the profile's own check-in (userId differs from userProfile.id)"),
    ],
)
def test_a_malformed_check_in_is_skipped_with_its_reason(user_client, change, reason) -> None:
    payload = export(GOOD | {"weekStartDate": "2025-02-24"}, GOOD | change, "not an object")
    data = user_client.post(URL, payload, format="json").json()["data"]
    assert data["checkInsImported"] == 1
    assert data["checkInsSkipped"] == [
        {"index": 1, "reason": reason},
        {"index": 2, "reason": "must be an object, not a string"},
    ]


def test_invalid_submitted_at_is_a_warning(user_client) -> None:
    data = user_client.post(URL, export(GOOD | {"submittedAt": "soon"}), format="json").json()["data"]
    assert data["checkInsImported"] == 1
    assert data["warnings"] == [
        {"index": 0, "message": "submittedAt is not a valid date-time; the import time is used"}
    ]


def test_more_than_ten_thousand_check_ins_is_too_large(user_client) -> None:
    before = state()
    response = user_client.post(URL, export(*[GOOD] * 10_001), format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert state() == before


def test_a_body_over_five_megabytes_is_too_large(user_client) -> None:
    body = json.dumps(export(GOOD, padding="x" * (5 * 1024 * 1024)))
    response = user_client.post(URL, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("body", ["{not json", '{"a": ' * 5000 + "1" + "}" * 5000, '{"n": NaN}'])
def test_unparseable_json_is_malformed(user_client, body) -> None:
    response = user_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"


def test_invalid_dry_run_flag_is_rejected(user_client) -> None:
    response = user_client.post(f"{URL}?dryRun=maybe", export(GOOD), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "dryRun"


# --- Property-based: generated malformed exports ---------------------------------------

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
score = st.integers(min_value=-3, max_value=13) | json_value
check_in = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "c"]) | json_value,
        "userId": st.sampled_from(["me", "someone"]) | json_value,
        "groupId": st.sampled_from(["g1", "default-group"]) | json_value,
        "weekStartDate": st.sampled_from(["2025-03-02T23:00:00.000Z", "2025-03-10", "2025-13-01", ""]) | json_value,
        "productive": score,
        "satisfied": score,
        "body": score,
        "care": score,
        "huCaresScore": score,
    },
    optional={"submittedAt": json_value},
)
group = st.fixed_dictionaries(
    {"id": st.sampled_from(["g1", "g2"]) | json_value, "name": st.text(max_size=110) | json_value},
    optional={"accessCode": json_value, "description": json_value},
)
export_object = st.fixed_dictionaries(
    {},
    optional={
        "userProfile": st.just({"id": "me"}) | json_value,
        "checkIns": st.lists(check_in | json_value, max_size=5) | json_value,
        "groups": st.lists(group | json_value, max_size=3) | json_value,
        "friends": json_value,
        "timezone": st.sampled_from(["Europe/Berlin", "UTC", "Nowhere/Land"]) | json_value,
    },
)
raw_key_map = st.dictionaries(
    st.sampled_from(["hucares_user_profile", "hucares_check_ins", "hucares_groups", "hucares_friends"]),
    export_object.map(json.dumps) | st.text(max_size=20) | json_value,
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=export_object | raw_key_map | json_value)
def test_generated_exports_never_fail_badly(user_client, payload) -> None:
    before = state()
    response = user_client.post(URL, payload, format="json")
    assert response.status_code in {200, 201, 400, 413}, response.content
    body = response.json()
    if response.status_code >= 400:
        assert body["success"] is False
        assert state() == before
    else:
        assert body["data"]["checkInsImported"] == state()[0] - before[0]
