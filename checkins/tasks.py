"""Periodic jobs of check-ins."""

import logging

from celery import shared_task

from groups.models import Group
from groups.services import group_participation_rate_set

from .stats import participation_rate

logger = logging.getLogger(__name__)


@shared_task(name="checkins.tasks.rollup_participation_rates")
def rollup_participation_rates() -> int:
    """Recompute ``average_participation_rate`` of every active group; returns how many changed.
    Idempotent: a second run over the same data changes nothing."""
    changed = 0
    groups = Group.objects.filter(is_active=True).only(
        "id",
        "check_in_frequency",
        "timezone",
        "period_anchor",
        "created_at",
        "member_count",
        "average_participation_rate",
    )
    for group in groups.iterator(chunk_size=200):
        rate = participation_rate(group)
        if rate != group.average_participation_rate:
            group_participation_rate_set(group_id=group.pk, rate=rate)
            changed += 1
    logger.info("participation rates recomputed", extra={"changed": changed})
    return changed
