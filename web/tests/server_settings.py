"""Settings of the daphne process the browser tests start: the test settings,
with emails written to files the test reads and links pointing at that server."""

import os

from hucares.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["WEB_TEST_MAIL_DIR"]
FRONTEND_URL = os.environ["WEB_TEST_FRONTEND_URL"]
