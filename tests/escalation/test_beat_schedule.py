"""The schedule beat actually stores (django-celery-beat's database scheduler), not just settings."""

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_beat_stores_the_daily_appeal_window_check_at_seven_london_time():
    # what DatabaseScheduler.update_from_dict does with the beat schedule when beat starts
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=celery_app, **entry)

    flag = PeriodicTask.objects.select_related("crontab").get(name="flag-open-appeal-windows")
    assert flag.task == "escalation.tasks.flag_open_appeal_windows"
    assert flag.enabled
    assert (flag.crontab.minute, flag.crontab.hour, flag.crontab.day_of_week) == ("0", "7", "*")
    assert str(flag.crontab.timezone) == "Europe/London"

    chase = PeriodicTask.objects.select_related("crontab").get(name="chase-overdue-decisions")
    assert chase.task == "escalation.tasks.chase_overdue"
    assert (chase.crontab.hour, chase.crontab.day_of_week) == ("9-16", "mon-fri")


def test_beat_stores_the_nightly_retention_purge():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=celery_app, **entry)

    purge = PeriodicTask.objects.select_related("crontab").get(name="purge-retention")
    assert purge.task == "escalation.tasks.purge_retention"
    assert purge.enabled
    assert (purge.crontab.minute, purge.crontab.hour, purge.crontab.day_of_week) == ("30", "2", "*")
    assert str(purge.crontab.timezone) == "Europe/London"
