"""Serializers shared by the apps: the strict base of every JSON request body, and the output of
context-free read serializers from one instance per process.

A DRF serializer builds its fields anew for every instance, and a
``ModelSerializer`` introspects its model to do so: for a cached
``GET /groups/:id`` that was a large share of the request, where
``to_representation`` on an instance whose fields are already built is cheap
(figures in docs/performance.md). Only for serializers that need no context
and keep no state between calls: the one instance serves every request of the
process.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.serializers import BaseSerializer

_shared_instances: dict[type[BaseSerializer[Any]], BaseSerializer[Any]] = {}


def _shared(serializer_class: type[BaseSerializer[Any]]) -> BaseSerializer[Any]:
    serializer = _shared_instances.get(serializer_class)
    if serializer is None:
        serializer = _shared_instances[serializer_class] = serializer_class()
    return serializer


def represent(serializer_class: type[BaseSerializer[Any]], instance: Any) -> dict[str, Any]:
    """What ``serializer_class(instance).data`` gives, without building the serializer's fields again."""
    data: dict[str, Any] = _shared(serializer_class).to_representation(instance)
    return data


def represent_many(serializer_class: type[BaseSerializer[Any]], instances: Iterable[Any]) -> list[dict[str, Any]]:
    serializer = _shared(serializer_class)
    return [serializer.to_representation(instance) for instance in instances]


# --- request bodies ------------------------------------------------------------------------------

# DRF coerces what it is given: "yes", "1", "on" and 1 become True, 123 becomes
# "123". The contract takes a JSON value of the declared type only, so each
# field class is paired with the JSON types it accepts; the first match wins
# (BooleanField before IntegerField, as a bool is an int in Python).
_JSON_TYPES: tuple[tuple[type[serializers.Field[Any, Any, Any, Any]], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (serializers.IntegerField, (int,), "A whole number is required."),
    (serializers.FloatField, (int, float), "A number is required."),
    (serializers.DecimalField, (int, float), "A number is required."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.ChoiceField, (str,), "Must be a string."),
    (serializers.UUIDField, (str,), "Must be a string."),
    (serializers.DateTimeField, (str,), "Must be a string."),
    (serializers.DateField, (str,), "Must be a string."),
)


def _type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    if value is None:
        return None  # allow_null is the field's own check
    for field_class, accepted, message in _JSON_TYPES:
        if isinstance(field, field_class):
            wrong_bool = isinstance(value, bool) and bool not in accepted
            return message if wrong_bool or not isinstance(value, accepted) else None
    return None


class StrictSerializer(serializers.Serializer[Any]):
    """The base of every JSON request body: each value of its declared JSON type, no key it does not know.

    Nested serializers of this class are strict in the same way; ``unknown_message`` is what an unknown
    key is told.
    """

    unknown_message = "Unknown field."

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name: field for name, field in self.fields.items() if not field.read_only}
            errors: dict[str, list[str]] = {key: [self.unknown_message] for key in sorted(set(data) - set(writable))}
            for name, field in writable.items():
                problem = _type_error(field, data.get(name))
                if problem is not None:
                    errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
