"""Response keys are camelCased exactly as djangorestframework-camel-case does it."""

from django.utils.translation import gettext_lazy
from djangorestframework_camel_case import util as library
from hypothesis import given
from hypothesis import strategies as st

from hucares.core.camel import camelize

IGNORED = ("notification_preferences", "data")
keys = st.text(alphabet="abcxyz019_ABC", min_size=1, max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
bodies = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys | st.sampled_from(IGNORED), inner),
    max_leaves=20,
)


@given(bodies)
def test_same_keys_and_values_as_the_library(body: object) -> None:
    assert camelize(body, IGNORED) == library.camelize(body, ignore_fields=IGNORED)


def test_keys_and_ignored_fields() -> None:
    body = {"hu_cares_score": 3, "data": {"keep_me": 1}, "rows": [{"week_start_date": "x"}], "a_1b": (1, 2)}
    assert camelize(body, IGNORED) == {
        "huCaresScore": 3,
        "data": {"keep_me": 1},
        "rows": [{"weekStartDate": "x"}],
        "a1b": [1, 2],
    }


def test_lazy_strings_become_text() -> None:
    assert camelize({gettext_lazy("some_key"): gettext_lazy("value")}) == {"someKey": "value"}
