"""Settings shared by every environment, read from the process environment.

With no environment at all this is the embedded default: SQLite, an in-memory
channel layer, the local-memory cache and Celery tasks run inline. Setting
``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switches each dependency to
the real service.
"""

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# The embedded default's key is only ever used without an environment;
# production.py refuses to start with it.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-embedded-default-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
APP_VERSION = env.str("APP_VERSION", default="1.0.0")
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "axes",
    "hucares.core",
    "accounts",
    "groups",
    "checkins",
    "notifications",
    "analytics",
    "streams",
    "realtime",
    "web",
]

MIDDLEWARE = [
    "hucares.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hucares.core.middleware.StaticFilesMiddleware",
    "hucares.core.middleware.SecurityHeadersMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "hucares.core.middleware.MediaTypeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hucares.core.middleware.AccessLogMiddleware",
    # Innermost, so a replayed answer is logged and gets the outer headers like any other.
    "hucares.core.idempotency.IdempotencyMiddleware",
    # Last, as django-axes asks: it answers a locked-out admin sign-in (and touches nothing else).
    "axes.middleware.AxesMiddleware",
]

# django-axes first: a locked-out address or account is refused before the
# password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that also refuses suspended accounts (the admin's sign-in and sessions).
    "accounts.adminauth.UnsuspendedModelBackend",
]

ROOT_URLCONF = "hucares.urls"
WSGI_APPLICATION = "hucares.wsgi.application"
ASGI_APPLICATION = "hucares.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool instead of CONN_MAX_AGE: under ASGI every thread would otherwise
    # keep its own connection open until PostgreSQL runs out of them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
    # With a pool, Django passes psycopg_pool's ConnectionPool.check_connection
    # as the pool's `check` when health checks are on: each connection is
    # tested before it is handed out. After a PostgreSQL restart the pooled
    # connections are dead, and without the check the first request on each
    # fails (503, or a WebSocket closed with 1011).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

# A streaming replica for reads (hucares/core/routers.py): reads outside a
# transaction go to it; writes, reads inside a transaction and every read
# after a write in the same request or task stay on the primary. It gets the
# primary's pool and connection checks, with its own address.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_READ_REPLICA: str | None = None
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**copy.deepcopy(DATABASES["default"]), **env.db_url_config(DATABASE_REPLICA_URL)}
    DATABASE_READ_REPLICA = "replica"
DATABASE_ROUTERS = ["hucares.core.routers.ReplicaRouter"]

# Seconds between checks of each process's idle pooled connections (hucares/core/pool.py); 0 turns them off.
DB_POOL_CHECK_INTERVAL = env.float("DB_POOL_CHECK_INTERVAL", default=2.0)

# --- Redis: cache, channel layer, Celery broker ---------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES: dict[str, Any] = {
        "default": {
            # django-redis keeps one Redis client per server; Django's own backend
            # builds one per cache call, which showed in every request's CPU.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hucares"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    _channel_layer = {
        # Redis pub/sub: a live event is for the sockets connected at that
        # moment, and one subscription per process beats polling a sorted
        # set per channel (docs/performance.md).
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            # socket_timeout=None: the subscriber connection idles between
            # messages, which a client-side read timeout would break.
            "hosts": [{"address": env.str("CHANNEL_LAYER_URL", default=REDIS_URL), "socket_timeout": None}],
            "prefix": env.str("CHANNEL_LAYER_PREFIX", default="hucares"),
        },
    }
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": _channel_layer,
        # The same layer again, for publishing only (streams.publish): the
        # stock layer sends and subscribes under one lock per connection, and
        # a second instance keeps a process's handshakes from waiting behind
        # its fan-outs. Same CONFIG object, so the same prefix and groups.
        "broadcast": {"BACKEND": _channel_layer["BACKEND"], "CONFIG": _channel_layer["CONFIG"]},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Seconds an HTTP request may spend publishing one live event before giving
# up: a hung Redis must not hold the request for the client's default timeout.
REALTIME_PUBLISH_TIMEOUT = env.float("REALTIME_PUBLISH_TIMEOUT", default=0.5)
# WebSocket knobs (docs/architecture.md, "Sockets"): seconds to authenticate by message,
# presence lifetime without a heartbeat, how often a heartbeat is written to
# user_sessions, and the per-socket frame budget.
REALTIME_AUTH_TIMEOUT = env.float("REALTIME_AUTH_TIMEOUT", default=5.0)
REALTIME_PRESENCE_TTL = env.int("REALTIME_PRESENCE_TTL", default=60)
REALTIME_HEARTBEAT_WRITE_INTERVAL = env.int("REALTIME_HEARTBEAT_WRITE_INTERVAL", default=30)
REALTIME_FRAME_RATE = env.float("REALTIME_FRAME_RATE", default=10.0)
REALTIME_FRAME_BURST = env.int("REALTIME_FRAME_BURST", default=30)
REALTIME_TYPING_INTERVAL = env.float("REALTIME_TYPING_INTERVAL", default=2.0)
# Closed sockets are handled in batches (realtime/departures.py): seconds a
# closed socket counts as still there (a socket of its user that comes back
# within them is not announced offline and online again), seconds a departure
# then waits for others before the flush, and at most how many one flush takes.
REALTIME_OFFLINE_GRACE = env.float("REALTIME_OFFLINE_GRACE", default=30.0)
REALTIME_DEPARTURE_INTERVAL = env.float("REALTIME_DEPARTURE_INTERVAL", default=0.1)
REALTIME_DEPARTURE_BATCH = env.int("REALTIME_DEPARTURE_BATCH", default=500)
# Handshakes each process starts per second, and at once (realtime/arrivals.py); a
# rate of 0 turns the pacing off.
REALTIME_HANDSHAKE_RATE = env.float("REALTIME_HANDSHAKE_RATE", default=25.0)
REALTIME_HANDSHAKE_BURST = env.int("REALTIME_HANDSHAKE_BURST", default=25)

# --- Idempotent writes and the per-user event stream -------------------------------------
# How long an Idempotency-Key's answer is kept (seconds).
IDEMPOTENCY_KEY_TTL = env.int("IDEMPOTENCY_KEY_TTL", default=24 * 3600)
# How long a retry waits for the first request with its key before IDEMPOTENCY_IN_PROGRESS.
IDEMPOTENCY_WAIT = env.float("IDEMPOTENCY_WAIT", default=10.0)
# A key "in progress" for longer than this belongs to a request whose process died.
IDEMPOTENCY_ABANDONED_AFTER = env.int("IDEMPOTENCY_ABANDONED_AFTER", default=120)
# Each user's stream keeps the events of the last EVENT_STREAM_DAYS days, at most EVENT_STREAM_MAX_EVENTS.
EVENT_STREAM_DAYS = env.int("EVENT_STREAM_DAYS", default=7)
EVENT_STREAM_MAX_EVENTS = env.int("EVENT_STREAM_MAX_EVENTS", default=1000)
# The longest a GET /api/v1/events may wait (seconds).
EVENT_POLL_MAX_WAIT = env.float("EVENT_POLL_MAX_WAIT", default=25.0)
# At most this many GET /api/v1/events waits per user at once; beyond it 429 with Retry-After (seconds).
EVENT_POLL_MAX_CONCURRENT = env.int("EVENT_POLL_MAX_CONCURRENT", default=5)
EVENT_POLL_RETRY_AFTER = env.int("EVENT_POLL_RETRY_AFTER", default=5)

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
# A task a dead worker held (acks_late) goes to another worker after this
# many seconds: just above the longest a task may run (no task waits in a
# worker for a retry: emails retry through the outbox's dispatch), instead of
# an hour. Queued tasks survive a Redis restart through its append-only file
# (docker/compose.yml).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60}
# Static schedule (UTC). Each task is idempotent, so a beat restart that
# fires one twice does no harm.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Hourly: users whose local reminderDay/reminderHour has come.
    "weekly-reminders": {"task": "notifications.tasks.send_weekly_reminders", "schedule": crontab(minute=0)},
    "expire-notifications": {
        "task": "notifications.tasks.delete_expired_notifications",
        "schedule": crontab(hour=3, minute=10),
    },
    # Emails whose send was lost, failed or interrupted (hucares.core.outbox).
    # Every 30 s: with the claim lease (hucares.core.outbox), a crashed sender's email is sent again within 2 min.
    "dispatch-due-emails": {"task": "hucares.core.outbox.dispatch_due_emails", "schedule": 30.0},
    "purge-finished-emails": {
        "task": "hucares.core.outbox.purge_finished_emails",
        "schedule": crontab(hour=3, minute=50),
    },
    # Rows of sockets whose process died without closing them.
    "sweep-stale-sockets": {"task": "realtime.tasks.sweep_stale_sessions", "schedule": 60.0},
    "cleanup-expired-tokens": {"task": "accounts.tasks.cleanup_expired_tokens", "schedule": crontab(hour=3, minute=30)},
    # Events past each user's window (EVENT_STREAM_DAYS, EVENT_STREAM_MAX_EVENTS).
    "trim-event-streams": {"task": "streams.tasks.trim_event_streams", "schedule": crontab(minute=40)},
    "purge-idempotency-keys": {"task": "hucares.core.tasks.purge_idempotency_keys", "schedule": crontab(minute=20)},
    "rollup-participation-rates": {
        "task": "checkins.tasks.rollup_participation_rates",
        "schedule": crontab(hour=2, minute=0),
    },
}

# --- Email ------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HuCares <no-reply@hucares.local>")
# Seconds one SMTP operation may block: a hung mail server must fail the
# attempt well inside the send task's time limit (hucares.core.outbox).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Passwords ----------------------------------------------------------------------
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.validators.PasswordComplexityValidator"},
]

# --- I18N / static / media --------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
STORAGES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"), "default_acl": None},
    }

# Request bodies: JSON bodies are small; uploads and imports have their own limits.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=6 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- REST framework ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["hucares.core.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # JSON only; the avatar upload alone takes multipart/form-data (its own parser).
        "hucares.core.parsers.CamelCaseJSONParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionAwareJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "hucares.core.pagination.PageLimitPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "hucares.core.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "hucares.core.schema.ApiAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["hucares.core.ratelimit.ApiRateThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# JSON blobs whose keys are data, not field names: their keys pass through as-is.
JSON_CAMEL_CASE = {
    "JSON_UNDERSCOREIZE": {
        "ignore_fields": ("notification_preferences", "privacy_settings", "data", "details"),
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "userId",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_OBTAIN_SERIALIZER": None,
}

# The key that signed tokens before the last rotation: tokens it signed are
# still accepted (never issued) while it is set (docs/security.md, "Rotating").
JWT_PREVIOUS_SIGNING_KEY = env.str("JWT_PREVIOUS_SIGNING_KEY", default="")
# A session (a login and every refresh rotated from it) ends this many days
# after the login, however often it is refreshed: then the user signs in again.
AUTH_SESSION_MAX_AGE = timedelta(days=env.int("AUTH_SESSION_MAX_AGE_DAYS", default=30))
# Seconds during which the refresh token retired by a rotation, presented
# again, gets the same new pair instead of ending the session as a reuse: a
# client whose answer was lost retries (Auth0's "reuse interval").
AUTH_REFRESH_REUSE_INTERVAL = env.int("AUTH_REFRESH_REUSE_INTERVAL", default=10)

SPECTACULAR_SETTINGS = {
    "TITLE": "HuCares API",
    "DESCRIPTION": "Weekly check-ins for small groups of friends.\n\n"
    "Requests and responses are JSON (`application/json`, camelCase keys); only the avatar upload takes "
    "`multipart/form-data`, and any other body is answered 415 `UNSUPPORTED_MEDIA_TYPE`. Every JSON "
    "answer is an envelope: `{success: true, data, message?, meta}` or "
    "`{success: false, error: {code, message, details?}, meta}`; branch on `error.code`. Lists take "
    "`page` and `limit` (at most 100) and answer `meta.pagination`. Authenticate with "
    "`Authorization: Bearer <accessToken>` from `POST /auth/login`; rotate the pair with "
    "`POST /auth/refresh`. Each operation lists who may call it and every error it can answer.\n\n"
    "Live events come over the WebSocket `/ws/`: its protocol is the AsyncAPI document at "
    "[/api/v1/asyncapi/](/api/v1/asyncapi/). The whole guide (envelope, errors, pagination, tokens, "
    "rate limits, the domain rules) is `docs/api.md` in the backend's repository.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The docs pages load nothing from another host: no online validator badge; ReDoc's page
    # (hucares/redoc.html) drops the Google Fonts link. No REDOC_UI_SETTINGS: they would need an
    # inline script, which the pages' CSP (script-src 'self') blocks.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True},
    "CAMELIZE_NAMES": False,
    "PREPROCESSING_HOOKS": ["hucares.core.schema.drop_slash_duplicates"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hucares.core.schema.document_every_status",
        "hucares.core.schema.wrap_in_envelope",
        "hucares.core.schema.document_idempotency_key",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CheckInFrequencyEnum": "groups.models.CheckInFrequency",
        "GroupRoleEnum": "groups.models.Role",
        "MembershipStatusEnum": "groups.models.MembershipStatus",
        "ProfileVisibilityEnum": "accounts.api.serializers.PROFILE_VISIBILITY",
        "ScoreVisibilityEnum": "accounts.api.serializers.SCORE_VISIBILITY",
    },
}

# --- CORS / security -----------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Content-Disposition",
    "Idempotent-Replayed",
]
CORS_ALLOW_HEADERS = ["authorization", "content-type", "x-request-id", "accept", "origin", "idempotency-key"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Rate limits ---------------------------------------------------------------------
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "default"
# django-ratelimit then reports a counter that vanished mid-count instead of
# refusing the request; hucares.core.ratelimit counts that hit again.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_AUTH = env.str("RATELIMIT_AUTH", default="5/15m")
RATELIMIT_ANON = env.str("RATELIMIT_ANON", default="100/15m")
RATELIMIT_USER = env.str("RATELIMIT_USER", default="1000/15m")
RATELIMIT_JOIN = env.str("RATELIMIT_JOIN", default="10/15m")
# Failed sign-ins per account, from any address: higher than the per-IP
# limit, so that a stranger cannot lock a user out with a few tries.
RATELIMIT_AUTH_ACCOUNT = env.str("RATELIMIT_AUTH_ACCOUNT", default="10/15m")
# Password-reset emails per address, whoever asks (more are dropped silently:
# the answer must not tell whether the address has an account).
RATELIMIT_RESET_ADDRESS = env.str("RATELIMIT_RESET_ADDRESS", default="3/h")
# Registrations per client address block (an IPv4 /24, an IPv6 /64), successes included.
RATELIMIT_REGISTER_BLOCK = env.str("RATELIMIT_REGISTER_BLOCK", default="20/h")
# Group invitations a user may send (every answer counts: an email invite
# answers the same either way, so there is no "failure" to count).
RATELIMIT_INVITE = env.str("RATELIMIT_INVITE", default="20/h")
# Invitation emails one address may receive, whoever invites: more are dropped silently.
RATELIMIT_INVITE_ADDRESS = env.str("RATELIMIT_INVITE_ADDRESS", default="3/d")
# Seconds between two verification emails of one user or to one address.
VERIFICATION_EMAIL_COOLDOWN_SECONDS = env.int("VERIFICATION_EMAIL_COOLDOWN_SECONDS", default=300)
# How many proxies in front of the app append to X-Forwarded-For. 0 means the
# header is ignored and REMOTE_ADDR is the client: a spoofed header then
# cannot dodge a limit.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Admin sign-in (django-axes): failures per client address and per account,
# each counted on its own, in the database; 429 with Retry-After when over.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# The admin's form field (axes would read USERNAME_FIELD, "email", which the form does not send).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.adminauth.axes_client_ip"
AXES_USERNAME_CALLABLE = "accounts.adminauth.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.adminauth.lockout_response"
# Our own security event is the log line (without the typed email); axes'
# successful-login rows are not needed.
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True

# How long a computed analytics result is kept; check-in writes invalidate it sooner.
ANALYTICS_CACHE_SECONDS = env.int("ANALYTICS_CACHE_SECONDS", default=600)

# Whether unverified accounts may use actions that need a verified email.
REQUIRE_VERIFIED_EMAIL = env.bool("REQUIRE_VERIFIED_EMAIL", default=False)

# --- Metrics -------------------------------------------------------------------------
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

# --- Logging -------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "hucares.core.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "hucares.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The access log below replaces Django's and the servers' own request lines.
        "django.request": {"level": "CRITICAL", "propagate": True},
        "django.server": {"level": "WARNING", "propagate": True},
        "daphne.access": {"level": "WARNING", "propagate": True},
        "gunicorn.access": {"level": "WARNING", "propagate": True},
        "django.channels.server": {"level": "WARNING", "propagate": True},
        # hucares.security logs each admin sign-in failure and lockout instead.
        "axes": {"level": "ERROR", "propagate": True},
    },
}
APPEND_SLASH = False
# User.email is unique through the case-insensitive constraint
# users_email_ci_unique, which Django's checks do not recognise (W004 is
# E003's form once there is more than one authentication backend: axes').
SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]
