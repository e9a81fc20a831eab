"""Filters of the read endpoints. Cases use the queue's own ``CaseFilter`` (its ordering aside:
the API pages with a cursor, newest first)."""

from __future__ import annotations

import django_filters

from escalation.case_selectors import CaseFilter
from escalation.constants import AppealStatus, BlockKind, BlockScope, BlockStatus
from escalation.models import Appeal, Block
from moderation import search
from moderation.constants import Platform
from moderation.models import Channel, SocialAccount


class ApiCaseFilter(CaseFilter):
    """The queue's filters: ``status`` (open by default; ``all``), ``q``, ``channel``, ``rule``,
    ``assignee`` (``mine`` for a signed-in user, ``none``), ``service_area``, ``overdue``."""


ApiCaseFilter.base_filters.pop("sort", None)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search handle or display name")
    platform = django_filters.ChoiceFilter(choices=Platform.choices)

    class Meta:
        model = SocialAccount
        fields = ["q", "platform"]

    def search(self, queryset, name, value):
        value = search.clean(value)
        if not value:
            return queryset
        # any part of a handle or name, answered by the trigram indexes (moderation.search)
        return queryset.filter(pk__in=search.accounts_matching(value).values("pk"))


class BlockFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BlockStatus.choices)
    kind = django_filters.ChoiceFilter(choices=BlockKind.choices)
    scope = django_filters.ChoiceFilter(choices=BlockScope.choices)
    account = django_filters.NumberFilter(field_name="account_id", min_value=1, max_value=2**63 - 1)
    channel = django_filters.ModelChoiceFilter(queryset=Channel.objects.all())

    class Meta:
        model = Block
        fields = ["status", "kind", "scope", "account", "channel"]


class AppealFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AppealStatus.choices)
    account = django_filters.NumberFilter(field_name="block__account_id", min_value=1, max_value=2**63 - 1)
    block = django_filters.NumberFilter(field_name="block_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = Appeal
        fields = ["status", "account", "block"]
