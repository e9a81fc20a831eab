"""Template helpers for the workspace pages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

from moderation import clock
from moderation.deadlines import office_hours, working_time_left

register = template.Library()


def _duration(delta: timedelta, day: timedelta = timedelta(hours=8)) -> str:
    """``delta`` in working days (``day`` long: the policy's opening hours), hours and minutes."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, max(int(day.total_seconds() // 60), 1))
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes and not days else ""]
    return " ".join(p for p in parts if p) or "0m"


@register.simple_tag
def time_left(due, status="open"):
    """Working time left to ``due``; overdue stands out."""
    if due is None or status != "open":
        return "—"
    left = working_time_left(clock.now(), due)
    day = office_hours().day_length
    title = f"Due {london(due)} (working time: office hours, bank holidays skipped)"
    if left.total_seconds() < 0:
        return format_html('<span class="app-overdue" title="{}">Overdue by {}</span>', title, _duration(left, day))
    return format_html('<span title="{}">{} left</span>', title, _duration(left, day))


@register.filter
def london(value, fmt="j M Y, H:i"):
    from django.utils.dateformat import format as date_format

    return date_format(timezone.localtime(value), fmt) if value else "—"


@register.filter
def person(user, empty="—"):
    """A user's full name, else their username; ``empty`` for nobody."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()


@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """This page's query string with ``param`` (a list's page parameter) set to ``number``: one page
    can carry several paginated lists (``includes/pagination.html``)."""
    query = context["request"].GET.copy()
    query[param or "page"] = number
    return "?" + query.urlencode()
