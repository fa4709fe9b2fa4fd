"""camelCase keys for response bodies, as ``djangorestframework-camel-case`` makes them, faster.

The library's ``camelize`` runs a regular expression on every key of every
response and probes every value with ``iter()`` (an exception for each
number); on a list of check-ins that was a measurable share of the request.
This one converts each distinct key once (memoized, with the library's own
pattern) and walks only dicts and lists, which is all a rendered body holds.
Tests check it against the library.
"""

from functools import lru_cache
from typing import Any

from django.utils.functional import Promise
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel


@lru_cache(maxsize=4096)
def camel_key(key: str) -> str:
    return camelize_re.sub(underscore_to_camel, key) if "_" in key else key


def camelize(data: Any, ignore_fields: tuple[str, ...] = ()) -> Any:
    """``data`` with every dict key camelCased; the values of ``ignore_fields`` keys are left as they are."""
    if isinstance(data, dict):
        result = {}
        for key, value in data.items():
            if isinstance(key, Promise):
                key = str(key)
            new_key = camel_key(key) if isinstance(key, str) else key
            if isinstance(value, _WALKED) and key not in ignore_fields and new_key not in ignore_fields:
                value = camelize(value, ignore_fields)
            result[new_key] = value
        return result
    if isinstance(data, list | tuple):
        return [camelize(item, ignore_fields) if isinstance(item, _WALKED) else item for item in data]
    if isinstance(data, Promise):
        return str(data)
    return data


# Only containers and lazy strings change; every other value is returned as it is.
_WALKED = (dict, list, tuple, Promise)
