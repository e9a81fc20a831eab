"""Template helpers for the workspace pages."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from moderation import clock, flags
from moderation.deadlines import office_hours, working_time_left
from policy import dates

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
def london(value):
    """A date and time in the product's one format, on the London clock: "2 December 2027, 14:05"."""
    return dates.say_datetime(value)


@register.filter
def london_date(value):
    """A date in the product's one format: "2 December 2027" (a time is read on the London clock)."""
    return dates.say_date(value)


@register.filter
def london_day(value):
    """A deadline's day with its weekday: "Wednesday 20 January 2027"."""
    return dates.say_day(value)


@register.filter
def london_month(value):
    """A month in the product's one format: "March 2027"."""
    return dates.say_month(value)


@register.filter
def london_time(value):
    """A time of day on the London clock: "14:05"."""
    return dates.say_time(value)


@register.filter
def earlier_versions(post) -> list:
    """Every other version of ``post``'s text, newest first: the texts an edit replaced, and the edits
    not applied to a post in a case. None once the post was redacted (deleted for personal
    information: every version went with it). Reads ``post.text_revisions``: read the posts with
    ``selectors.posts_with_versions`` (no query for a post never edited)."""
    if flags.is_redacted(post.text) or not getattr(post, "edited", True):  # edited: selectors.posts_with_versions
        return []
    versions = [v for v in post.text_revisions.all() if not flags.is_redacted(v.text)]
    return sorted(versions, key=lambda v: (v.received_at, v.pk), reverse=True)


@register.filter
def versions_heading(versions) -> str:
    """ "Earlier versions", or "Other versions" when one is a newer text not applied."""
    return "Other versions" if any(v.kind == "not_applied" for v in versions) else "Earlier versions"


@register.filter
def person(user, empty="—"):
    """A user's full name, else their username; ``empty`` for nobody."""
    if user is None:
        return empty
    return user.get_full_name() or user.get_username()


# --- Safeguarding: the text of a marked case's posts, and its reason, for its leads only -----------------


def _reader(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def case_text(context, case, text):
    """``text`` (a post's text, the case's reason) as the signed-in user may read it: on a safeguarding
    case, only safeguarding leads read it (``policy.roles.can_read_case_text``); others see that it is
    restricted."""
    from policy.roles import RESTRICTED_TEXT, can_read_case_text

    if can_read_case_text(_reader(context), case):
        return text
    return format_html('<strong class="govuk-tag govuk-tag--red app-restricted">{}</strong>', RESTRICTED_TEXT)


@register.simple_tag(takes_context=True)
def leads_text(context, restricted, text):
    """``text`` unless ``restricted`` (a text for the safeguarding leads: a row of a CSV import matching
    a safeguarding flag rule or stored in a safeguarding case, a post a safeguarding rule flagged) and
    the signed-in user is not a lead: then that it is restricted."""
    from policy.roles import RESTRICTED_TEXT, is_safeguarding_lead

    if not restricted or is_safeguarding_lead(_reader(context)):
        return text
    return format_html('<strong class="govuk-tag govuk-tag--red app-restricted">{}</strong>', RESTRICTED_TEXT)


@register.simple_tag(takes_context=True)
def event_note(context, event, case):
    """An event's note as the user may read it: "case recorded" carries the case's reason."""
    from moderation.constants import EventKind
    from policy.roles import RESTRICTED_TEXT, can_read_case_text

    if event.kind == EventKind.CASE_RECORDED and not can_read_case_text(_reader(context), case):
        return RESTRICTED_TEXT
    return event.note


@register.simple_tag
def hours_left(due):
    """Clock time left to a safeguarding decision (every hour counts: nights, weekends)."""
    if due is None:
        return "—"
    left = due - clock.now()
    title = f"Due {london(due)} (clock hours, day and night)"
    minutes = int(abs(left.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    text = " ".join(p for p in (f"{hours}h" if hours else "", f"{minutes}m" if minutes or not hours else "") if p)
    if left.total_seconds() < 0:
        return format_html('<span class="app-overdue" title="{}">Overdue by {}</span>', title, text)
    return format_html('<span title="{}">{} left</span>', title, text)


@register.simple_tag(takes_context=True)
def may_read_text(context, post, case=None):
    """Whether the signed-in user reads ``post``'s text (its earlier versions too): not a safeguarding
    case's, unless a safeguarding lead (``policy.roles.can_read_case_text``)."""
    from policy.roles import can_read_case_text

    case = case if case is not None else (post.case if post.case_id else None)
    return case is None or can_read_case_text(_reader(context), case)

@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """This page's query string with ``param`` (a list's page parameter) set to ``number``: one page
    can carry several paginated lists (``includes/pagination.html``)."""
    query = context["request"].GET.copy()
    query[param or "page"] = number
    return "?" + query.urlencode()


@register.simple_tag
def response_clock(case):
    """The case's first-response clock: working time left, the safeguarding lead's clock, or when it
    was answered (``moderation/includes/response_clock.html`` is this tag)."""
    if case.status != "open":
        return "—"
    if case.safeguarding_awaits_lead:
        left = hours_left(case.safeguarding_due_at)
        return format_html('{} <span class="app-small">for the safeguarding lead</span>', left)
    responded_at = getattr(case, "responded_at", None)  # the queue's annotation (first_response_at)
    if responded_at:
        return format_html(
            '<span title="First response {}; it was due {}">Responded{}</span>',
            london(responded_at),
            london(case.response_due_at),
            " late" if case.response_due_at is not None and responded_at > case.response_due_at else "",
        )
    return time_left(case.response_due_at, case.status)


SAFEGUARDING_TAG = '<strong class="govuk-tag govuk-tag--red app-safeguarding-tag">Safeguarding</strong><br>'
ENQUIRY_TAG = '<strong class="govuk-tag govuk-tag--purple app-enquiry-tag">'


@register.simple_tag
def queue_rows(rows):
    """The queue's table rows for ``rows`` (pairs of a case and its stage), written out in Python:
    25 rows through the template engine (an include, lookups, filters per cell) cost about as much
    CPU as the rest of the page's rendering (issue 13). Every value is escaped."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.urls import reverse

    marker = "987654321"  # a case's link from one reverse(): the int converter writes the pk as given
    before, _, after = escape(reverse("moderation:case_detail", args=[int(marker)])).partition(marker)
    out = []
    for case, stage in rows:
        account = case.account
        try:
            enquiry = case.enquiry
        except ObjectDoesNotExist:
            enquiry = None
        flag = SAFEGUARDING_TAG if case.safeguarding_at else ""
        name = f" · {escape(account.display_name)}" if account.display_name else ""
        kind = f" {ENQUIRY_TAG}{escape(enquiry.get_kind_display())}</strong>" if enquiry else ""
        rules = "; ".join(escape(rule.title) for rule in case.rules.all())
        out.append(
            '<tr class="govuk-table__row">\n<td class="govuk-table__cell">\n'
            f'{flag}<a class="govuk-link" href="{before}{case.pk}{after}">@{escape(account.handle)}</a>\n'
            f'<span class="app-muted app-small">Case {case.pk}{name}</span>\n</td>\n'
            f'<td class="govuk-table__cell">{escape(case.channel.name)}</td>\n'
            f'<td class="govuk-table__cell">{rules}</td>\n'
            f'<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--{escape(stage.colour)}">'
            f"{escape(stage.label)}</strong>{kind}</td>\n"
            f'<td class="govuk-table__cell">{escape(person(case.assignee, "Unassigned"))}</td>\n'
            f'<td class="govuk-table__cell">{conditional_escape(response_clock(case))}</td>\n</tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
