"""Settings for pytest: real PostgreSQL (embedded unless DATABASE_URL is set), fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret-" + "x" * 40)

from config.settings.base import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Static files are not collected for tests; WhiteNoise would warn about the missing folder.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks inline; the integration suite sends them through a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("TEST_CELERY_EAGER", default=True)  # noqa: F405  (False: web instances of the integration tests)
CELERY_TASK_EAGER_PROPAGATES = True

# Parallel runs on one server (e.g. two checkouts) can name their own test database.
_test_name = os.environ.get("TEST_DATABASE_NAME")
if _test_name:
    DATABASES["default"]["TEST"] = {"NAME": _test_name}  # noqa: F405
# Throttle counters stay in the test process (never the Redis the integration suite shares).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The integration suite's real worker is another process: there the tests and the worker share
# uploaded files and the cache (a running import's progress) through these.
if os.environ.get("TEST_MEDIA_ROOT"):
    STORAGES["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["TEST_MEDIA_ROOT"]},
    }
# … or in an S3 bucket, when the environment names one (tests/integration/test_two_instances.py)
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = file_storage()  # noqa: F405
if os.environ.get("TEST_SHARED_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TEST_SHARED_CACHE_URL"],
            "KEY_PREFIX": os.environ.get("TEST_CACHE_PREFIX", "test"),
        }
    }
# Tasks run inline here: their outcomes are not counted in Redis unless a test asks (tests/test_metrics.py).
METRICS_COUNT_TASK_OUTCOMES = env.bool("METRICS_COUNT_TASK_OUTCOMES", default=False)  # noqa: F405
