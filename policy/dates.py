"""Dates and times as the product prints them, in London time: the one format of
``config/formats/en_GB/formats.py`` ("2 December 2027"; "2 December 2027, 14:05"), read through
Django's ``FORMAT_MODULE_PATH`` so that pages, emails, messages and the admin never disagree.

Part of the base layer: every layer prints dates through it (the ``london`` template filters too).
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats, timezone, translation


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def say_date(value: date | datetime | None, empty: str = "—") -> str:
    """ "2 December 2027" (a time is read on the London clock first); ``empty`` for none."""
    if value is None or value == "":
        return empty
    return formats.date_format(_local(value), "DATE_FORMAT")


def say_datetime(value: datetime | None, empty: str = "—") -> str:
    """ "2 December 2027, 14:05" on the London clock; a date alone as ``say_date``; ``empty`` for none."""
    if value is None or value == "":
        return empty
    if not isinstance(value, datetime):
        return say_date(value, empty)
    return _say_datetime(value, timezone.get_current_timezone_name(), translation.get_language())


@functools.lru_cache(maxsize=4096)
def _say_datetime(value: datetime, zone: str, language: str | None) -> str:
    """A moment's words for one clock and language, kept (issue 13: the queue prints about 40 a page,
    the same deadlines page after page, each about 30 microseconds through Django's formats). The
    words depend on nothing else but the format settings, which clear it when they change (tests)."""
    return formats.date_format(_local(value), "DATETIME_FORMAT")


@receiver(setting_changed)
def _forget_words(**kwargs) -> None:
    _say_datetime.cache_clear()


def say_time(value: datetime | None, empty: str = "—") -> str:
    """ "14:05" on the London clock; ``empty`` for none."""
    if value is None or value == "":
        return empty
    return formats.time_format(_local(value), "TIME_FORMAT")


def say_month(value: date | datetime | None, empty: str = "—") -> str:
    """ "March 2027": a month in the product's format (``YEAR_MONTH_FORMAT``)."""
    if value is None or value == "":
        return empty
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def say_day(value: date | datetime | None, empty: str = "—") -> str:
    """ "Wednesday 20 January 2027": a deadline's day, its weekday first."""
    if value is None or value == "":
        return empty
    return f"{formats.date_format(_local(value), 'l')} {say_date(value)}"
