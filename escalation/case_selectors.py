"""Reads of cases shaped for the queue and the account page, with their escalation stage: the latest
warning and block, a pending sign-off (moved from ``moderation.selectors``: they read both apps, so
they live in the higher one, ADR 10).

Every selector here costs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from escalation.constants import BlockStatus, SignOffKind, SignOffStatus, WarningStatus
from escalation.models import Block, SignOff, Warning
from escalation.periods import notices
from moderation import clock
from moderation.constants import CaseStatus, Visibility
from moderation.forms import ChannelChoiceField, GovukFilterForm
from moderation.models import Case, Channel, EnquiryKind, HouseRule, Post, ServiceArea
from moderation.selectors import first_response_at, first_response_events


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


def case_queryset() -> QuerySet[Case]:
    """Cases with what a list of them shows: account, channel, assignee, rules, stage annotations."""
    latest_warning = Warning.objects.filter(case=OuterRef("pk")).order_by("-drafted_at")
    latest_block = Block.objects.filter(case=OuterRef("pk")).order_by("-proposed_at")
    return (
        Case.objects.select_related("account", "channel", "assignee", "service_area", "enquiry")
        .prefetch_related(Prefetch("rules", queryset=HouseRule.objects.order_by("position")))
        .annotate(
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
                Block.objects.filter(
                    case=OuterRef("pk"), status=BlockStatus.LIFTED, undone_on_platform_at__isnull=True
                )
            ),
        )
    )


class ChannelFilterField(django_filters.fields.ModelChoiceField):
    label_from_instance = ChannelChoiceField.label_from_instance


class ChannelFilter(django_filters.ModelChoiceFilter):
    """Channels named once: "North Herts Council (Facebook)", never "… (Facebook) (Facebook)"."""

    field_class = ChannelFilterField


class CaseFilter(django_filters.FilterSet):
    """The queue's filters; they live in the URL so a view can be bookmarked and shared."""

    q = django_filters.CharFilter(method="search", label="Search handle or post text")
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
        value = value.replace("\x00", "").strip().lstrip("@")
        if not value:
            return queryset
        in_posts = Post.objects.filter(case=OuterRef("pk"), text__icontains=value)
        return queryset.filter(
            Q(account__handle__icontains=value) | Q(account__display_name__icontains=value) | Exists(in_posts)
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


def case_queue(params, *, user) -> CaseFilter:
    """The queue: filtered, searched and sorted cases (oldest deadline first by default)."""
    filterset = CaseFilter(params, queryset=case_queryset(), user=user)
    if not params.get("sort"):
        if notices().crisis is not None:  # crisis mode: urgent work first, then by deadline
            filterset.queryset = filterset.queryset.order_by("priority", "response_due_at", "pk")
        else:
            filterset.queryset = filterset.queryset.order_by("response_due_at", "pk")
    return filterset


def account_history(account) -> dict:
    """Every case, warning, block and appeal of an account, newest first (five queries)."""
    from escalation.models import Appeal

    cases = list(case_queryset().filter(account=account).order_by("-recorded_at"))
    return {
        "cases": [(case, case_stage(case)) for case in cases],
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
