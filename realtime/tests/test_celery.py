"""The Celery app and its beat schedule."""

from django.conf import settings

from hucares.celery import app


def test_every_scheduled_task_is_registered() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "notifications.tasks.send_weekly_reminders",
        "notifications.tasks.delete_expired_notifications",
        "realtime.tasks.sweep_stale_sessions",
        "accounts.tasks.cleanup_expired_tokens",
        "checkins.tasks.rollup_participation_rates",
        "hucares.core.outbox.dispatch_due_emails",
        "hucares.core.outbox.purge_finished_emails",
        "streams.tasks.trim_event_streams",
        "hucares.core.tasks.purge_idempotency_keys",
    }
    assert scheduled <= set(app.tasks)


def test_tasks_are_acknowledged_late_with_bounded_retries() -> None:
    app.loader.import_default_modules()
    for name in ("notifications.tasks.notify_membership_change", "realtime.tasks.sweep_stale_sessions"):
        task = app.tasks[name]
        assert task.acks_late is True
        assert task.max_retries == 3
