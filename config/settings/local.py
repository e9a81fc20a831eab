"""Local development (`make run`): DEBUG on; embedded PostgreSQL and Redis unless their URLs are set."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "local-only-not-secret-" + "x" * 40)
os.environ.setdefault("DJANGO_DEBUG", "true")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import REDIS_URL, env  # noqa: E402

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

if not REDIS_URL:
    # started on demand, as the embedded PostgreSQL is (make run starts both before anything else)
    from config.localredis import ensure_running

    ensure_running()

# The local demo signs in with a password alone unless asked (MFA_REQUIRED=true make run): its demo
# users have no phones. Every other setting, and production always, require two-step verification.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
