"""Metrics of publishing (docs/operations.md lists them with the alerts built on them)."""

from prometheus_client import Counter

LIVE_EVENTS_LOST = Counter(
    "live_events_lost",
    "Channel-layer messages (wake-ups, presence, typing) the layer did not take; stream events stay in the stream.",
)
