"""Celery finds tasks in each app's ``tasks`` module: the outbox's live beside the code they run."""

from .outbox import dispatch_due_emails, purge_finished_emails, send_email

__all__ = ["dispatch_due_emails", "purge_finished_emails", "send_email"]
