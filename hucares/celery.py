"""The Celery application: configured from Django settings (``CELERY_*``), tasks found in each app's ``tasks.py``.

Every task is idempotent and acknowledged late (``CELERY_TASK_ACKS_LATE``), so
a worker that dies mid-task leaves it to be run again; retries are bounded
per task. The periodic schedule is ``CELERY_BEAT_SCHEDULE`` in settings.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hucares.settings.base")

app = Celery("hucares")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
