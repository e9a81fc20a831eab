"""Reads of cases shaped for the queue and the account page, with their escalation stage: the latest
warning and block, a pending sign-off (moved from ``moderation.selectors``: they read both apps, so
they live in the higher one, ADR 10).

Every selector here costs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet, Subquery

from escalation.constants import BlockStatus, SignOffKind, SignOffStatus, WarningStatus
from escalation.models import Block, SignOff, Warning
from escalation.periods import notices
from moderation import clock, search
from moderation.constants import CaseStatus, Visibility
from moderation.forms import ChannelChoiceField, GovukFilterForm
from moderation.models import SAFEGUARDING_RANK, Case, Channel, EnquiryKind, HouseRule, Post, ServiceArea
from moderation.selectors import first_response_at, first_response_events
from policy import roles as routing


@dataclass(frozen=True)
class Stage:
    label: str
    colour: str  # a govuk-tag modifier


def case_stage(case: Case) -> Stage:
    """Where the case is in the process, from the annotations of ``case_queryset``."""
    if getattr(case, "block_to_undo", False):
        # an overturned appeal lifted the block: the officer still has to undo it on the platform
        return Stage("Undo the block on the platform", "red")
    if case.status == CaseStatus.CLOSED:
        return Stage(f"Closed: {case.get_outcome_display().lower()}", "grey")
    if case.safeguarding_awaits_lead:
        return Stage("Safeguarding: lead to decide", "red")
    if case.pending_signoff_kind == SignOffKind.APPEAL:
        return Stage("Appeal under review", "blue")
    if case.pending_signoff_kind:
        return Stage("Awaiting sign-off", "orange")
    if case.block_status == BlockStatus.ACTIVE:
        return Stage("Blocked", "red")
    if case.warning_status == WarningStatus.SENT:
        return Stage("Warned", "purple")
    if case.warning_status in (WarningStatus.DRAFT, WarningStatus.APPROVED):
        return Stage("Warning to send" if case.warning_status == WarningStatus.APPROVED else "Warning drafted", "blue")
    if case.has_removed_post:
        return Stage("Post removed", "turquoise")
    return Stage("New", "light-blue")


def case_list_queryset() -> QuerySet[Case]:
    """Cases with what a list of them shows but their stage: account, channel, assignee, rules.

    Lists filter, order and slice this, then read the stage of the page's rows alone
    (``staged``): the stage's subqueries run for those 25 rows, never over a whole table.
    """
    return Case.objects.select_related("account", "channel", "assignee", "service_area", "enquiry").prefetch_related(
        Prefetch("rules", queryset=HouseRule.objects.order_by("position"))
    )


def with_stage(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """``queryset`` with the annotations ``case_stage`` reads and the first response."""
    latest_warning = Warning.objects.filter(case=OuterRef("pk")).order_by("-drafted_at")
    latest_block = Block.objects.filter(case=OuterRef("pk")).order_by("-proposed_at")
    return queryset.annotate(
        pending_signoff_kind=Subquery(
            SignOff.objects.filter(case=OuterRef("pk"), status=SignOffStatus.PENDING)
            .order_by("requested_at")
            .values("kind")[:1]
        ),
        has_removed_post=Exists(
            Post.objects.filter(case=OuterRef("pk"), visibility__in=[Visibility.HIDDEN, Visibility.DELETED])
        ),
        warning_status=Subquery(latest_warning.values("status")[:1]),
        block_status=Subquery(latest_block.values("status")[:1]),
        responded_at=first_response_at(),
        block_to_undo=Exists(
            Block.objects.filter(case=OuterRef("pk"), status=BlockStatus.LIFTED, undone_on_platform_at__isnull=True)
        ),
    )


def case_queryset() -> QuerySet[Case]:
    """Cases with what a list of them shows: account, channel, assignee, rules, stage annotations."""
    return with_stage(case_list_queryset())


# What the queue's rows read of a case and its related rows (``case_stage``, the ``queue_rows`` tag of
# moderation/templatetags/workspace.py): a third of the columns, and of the work of reading them.
QUEUE_FIELDS = (
    "id", "status", "outcome", "response_due_at", "safeguarding_at", "safeguarding_due_at",
    "safeguarding_decided_at", "account__id", "account__handle", "account__display_name", "channel__id",
    "channel__name", "assignee__id", "assignee__username", "assignee__first_name", "assignee__last_name",
    "service_area__id", "enquiry__id", "enquiry__case_id", "enquiry__kind",
)  # fmt: skip


def staged(rows, *, fields: tuple[str, ...] | None = None) -> list[Case]:
    """The cases of one page with their stage, in the page's order, in one query whose subqueries
    run for those rows only (issue 13: over a whole list they were hashed over every removed post
    and lifted block). ``rows``: a sliced, ordered queryset (``WHERE id IN (… LIMIT 25)``), or the
    cases (or case ids) of a page already read. ``fields``: only those columns (``QUEUE_FIELDS``)."""
    queryset = case_queryset() if fields is None else case_queryset().only(*fields)
    if isinstance(rows, QuerySet):
        ordering = rows.query.order_by or Case._meta.ordering
        return list(queryset.filter(pk__in=rows.values("pk")).order_by(*ordering))
    ids = [getattr(case, "pk", case) for case in rows]
    found = {case.pk: case for case in queryset.filter(pk__in=ids).order_by()} if ids else {}
    return [found[pk] for pk in ids if pk in found]


class ChannelFilterField(django_filters.fields.ModelChoiceField):
    label_from_instance = ChannelChoiceField.label_from_instance


class ChannelFilter(django_filters.ModelChoiceFilter):
    """Channels named once: "North Herts Council (Facebook)", never "… (Facebook) (Facebook)"."""

    field_class = ChannelFilterField


class CaseFilter(django_filters.FilterSet):
    """The queue's filters; they live in the URL so a view can be bookmarked and shared."""

    q = django_filters.CharFilter(method="search", label="Search handle, post text or case number")
    status = django_filters.ChoiceFilter(
        choices=[*CaseStatus.choices, ("all", "All")], method="filter_status", empty_label=None, label="Status"
    )
    channel = ChannelFilter(queryset=Channel.objects.all(), label="Channel", empty_label="All channels")
    rule = django_filters.ModelChoiceFilter(
        queryset=HouseRule.objects.all(), field_name="rules", label="House rule", empty_label="Any rule"
    )
    assignee = django_filters.ChoiceFilter(
        choices=[("mine", "Assigned to me"), ("none", "Unassigned")],
        method="filter_assignee",
        label="Assignee",
        empty_label="Anyone",
    )
    service_area = django_filters.ModelChoiceFilter(
        queryset=ServiceArea.objects.all(), label="Service area", empty_label="All areas"
    )
    kind = django_filters.ChoiceFilter(  # enquiries by kind (issue 12); one join, on the case's enquiry
        choices=EnquiryKind.choices, field_name="enquiry__kind", label="Enquiry", empty_label="Any case"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue only", widget=django_filters.widgets.BooleanWidget
    )
    sort = django_filters.OrderingFilter(
        fields=(("response_due_at", "due"), ("recorded_at", "recorded"), ("account__handle", "account")),
        field_labels={"response_due_at": "Due", "recorded_at": "Recorded", "account__handle": "Account"},
        label="Sort by",
    )

    class Meta:
        model = Case
        fields = ["q", "status", "channel", "rule", "assignee", "service_area", "kind", "overdue"]
        form = GovukFilterForm

    def __init__(self, data=None, *args, user=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", CaseStatus.OPEN)
        super().__init__(data, *args, **kwargs)
        self.user = user

    def search(self, queryset, name, value):
        # full-text on post text, trigram-indexed parts of handles and names, a case's reference exactly;
        # a safeguarding case's text is for its leads: a search must not reveal what it says
        return queryset.filter(
            search.cases_matching(value, safeguarding_text=routing.is_safeguarding_lead(self.user))
        )

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_assignee(self, queryset, name, value):
        if value == "mine" and self.user is not None:
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value:
            # overdue: open, past its first-response target, and nobody has acted on it yet
            return queryset.filter(status=CaseStatus.OPEN, response_due_at__lt=clock.now()).exclude(
                Exists(first_response_events())
            )
        return queryset


def safeguarding_first(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Open safeguarding cases at the top, those still waiting for a lead first (soonest decision due
    first), then the queue in its own order."""
    rank = SAFEGUARDING_RANK  # the expression case_queue_order_idx indexes: the default order is read from it
    ordering = list(queryset.query.order_by) or ["response_due_at", "pk"]
    # ordered by the expressions themselves, not an annotation, so ``staged`` can apply the same order
    # when it reads the page's rows again with their stage
    return queryset.order_by(rank.asc(), F("safeguarding_due_at").asc(nulls_last=True), *ordering)


class SafeguardingFirstFilter(CaseFilter):
    """The queue's ``CaseFilter`` whose result puts safeguarding cases on top, whatever the sort."""

    @property
    def qs(self):
        return safeguarding_first(super().qs)


def case_queue(params, *, user) -> CaseFilter:
    """The queue: filtered, searched and sorted cases (oldest deadline first by default), open
    safeguarding cases always on top."""
    filterset = SafeguardingFirstFilter(params, queryset=case_list_queryset(), user=user)
    if not params.get("sort"):
        if notices().crisis is not None:  # crisis mode: urgent work first, then by deadline
            filterset.queryset = filterset.queryset.order_by("priority", "response_due_at", "pk")
        else:
            filterset.queryset = filterset.queryset.order_by("response_due_at", "pk")
    return filterset


ACCOUNT_CASES_PAGE_SIZE = 25


def account_history(account, *, page=None) -> dict:
    """The account's cases (one page of them, newest first, 25 a page: ``cases_page``), and every
    warning, block and appeal, newest first (six queries)."""
    from django.core.paginator import Paginator

    from escalation.models import Appeal

    # newest first along the index (account, recorded_at DESC, id DESC): case_account_recent_idx
    cases_page = Paginator(
        Case.objects.filter(account=account).order_by("-recorded_at", "-id"), ACCOUNT_CASES_PAGE_SIZE
    ).get_page(page)
    return {
        "cases_page": cases_page,
        "cases": [(case, case_stage(case)) for case in staged(cases_page.object_list)],
        "warnings": list(
            Warning.objects.filter(case__account=account)
            .select_related("drafted_by", "sent_by")
            .order_by("-drafted_at")
        ),
        "blocks": list(Block.objects.filter(account=account).select_related("channel").order_by("-proposed_at")),
        "appeals": list(
            Appeal.objects.filter(block__account=account).select_related("decided_by").order_by("-received_at")
        ),
    }
