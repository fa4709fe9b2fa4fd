from celery import shared_task

from .idempotency import idempotency_keys_purge


@shared_task(acks_late=True)
def purge_idempotency_keys() -> int:
    return idempotency_keys_purge()
