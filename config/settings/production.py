"""Production: every secret from the environment, no defaults; HTTPS everywhere.

Required: DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL.
"""

import os

for _required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(_required):
        raise RuntimeError(f"{_required} must be set in production (see .env.example).")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import env  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# the links in emails: the service's own address (the first allowed host unless set)
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0]}").rstrip("/")
if NOTIFY_API_KEY and not NOTIFY_TEMPLATE_ID:  # noqa: F405
    raise RuntimeError("NOTIFY_TEMPLATE_ID must be set with NOTIFY_API_KEY (see docs/deploy.md).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# two-step verification is never optional in production
MFA_REQUIRED = True
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default=ALLOWED_HOSTS[0])
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS])
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# __Host- cookies: only ever set over HTTPS, for this host alone (no Domain), for the whole site
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    # an S3 bucket when AWS_STORAGE_BUCKET_NAME is set, else MEDIA_ROOT (config.settings.base.file_storage)
    "default": file_storage(),  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# one JSON object per log line, for the platform's log collector (config/requestlog.py)
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = logging_settings(LOG_FORMAT)  # noqa: F405

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
