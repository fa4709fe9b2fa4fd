"""Output of context-free read serializers from one instance per process.

A DRF serializer builds its fields anew for every instance, and a
``ModelSerializer`` introspects its model to do so: for a cached
``GET /groups/:id`` that was a large share of the request, where
``to_representation`` on an instance whose fields are already built is cheap
(figures in docs/performance.md). Only for serializers that need no context
and keep no state between calls: the one instance serves every request of the
process.
"""

from collections.abc import Iterable
from typing import Any

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
