#!/bin/sh
# The image's commands: web (gunicorn), worker, beat (exactly one), migrate (a one-off job), manage.
# Every setting comes from the environment (.env.example lists them); a missing one stops the
# instance at once, naming it, before any server starts.
set -eu

usage() {
  echo "usage: moderation web|worker|beat|migrate|manage <args>" >&2
  exit 64
}

settings_load() {
  python - <<'PY'
import sys

import django

try:
    django.setup()
except Exception as error:  # ImproperlyConfigured, a missing variable's RuntimeError …
    print(f"moderation: cannot start: {error}", file=sys.stderr)
    sys.exit(78)
PY
}

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
  web)
    settings_load
    # each gunicorn worker writes its request metrics here; a scrape adds them up (config/metrics.py)
    rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    exec gunicorn config.wsgi:application --config python:config.gunicorn "$@"
    ;;
  worker)
    settings_load
    unset PROMETHEUS_MULTIPROC_DIR
    exec celery -A config worker --loglevel="${LOG_LEVEL:-INFO}" --concurrency="${CELERY_CONCURRENCY:-2}" "$@"
    ;;
  beat)
    settings_load
    unset PROMETHEUS_MULTIPROC_DIR
    # the schedule lives in the database (django-celery-beat); run exactly one beat
    exec celery -A config beat --loglevel="${LOG_LEVEL:-INFO}" --pidfile= --schedule=/tmp/celerybeat-schedule "$@"
    ;;
  migrate)
    settings_load
    unset PROMETHEUS_MULTIPROC_DIR
    # as the role that owns the tables; then the application's role, which owns nothing (docs/deploy.md)
    python manage.py migrate --noinput
    if [ -n "${DATABASE_APP_ROLE:-}" ]; then
      if [ -n "${DATABASE_APP_PASSWORD:-}" ]; then
        python manage.py db_app_role "$DATABASE_APP_ROLE" --create --password "$DATABASE_APP_PASSWORD"
      else
        python manage.py db_app_role "$DATABASE_APP_ROLE" --create
      fi
    fi
    ;;
  manage)
    unset PROMETHEUS_MULTIPROC_DIR
    exec python manage.py "$@"
    ;;
  *)
    usage
    ;;
esac
