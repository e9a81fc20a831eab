"""The API's lists: cases, accounts with their standing, blocks and appeals, newest first (moved from
``moderation.api.views``: they show escalation's rows, ADR 10). Reads only; no state changes here."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from escalation.api.filters import AccountFilter, ApiCaseFilter, AppealFilter, BlockFilter
from escalation.api.serializers import AccountSerializer, AppealSerializer, BlockSerializer, CaseSerializer
from escalation.case_selectors import staged
from escalation.models import Appeal, Block
from escalation.selectors import account_standings
from moderation.api.permissions import integration_of
from moderation.api.serializers import ErrorSerializer
from moderation.models import Case, Post, SocialAccount
from policy import services as policy


class NewestFirst(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class CaseFilterBackend(DjangoFilterBackend):
    """The queue's ``CaseFilter`` needs the user for ``assignee=mine`` (a person's session only)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if integration_of(request) is None:
            kwargs["user"] = request.user
        return kwargs


READ_ERRORS = {400: OpenApiResponse(description="A filter's value is not valid."), 401: ErrorSerializer}


class ScopedList(generics.ListAPIView):
    """An integration reads only what concerns its channels; staff read everything their role reaches."""

    pagination_class = NewestFirst
    filter_backends = [DjangoFilterBackend]

    def scope(self, queryset, channels):
        """What concerns the integration's channels; each list says. By default: nothing."""
        return queryset.none()

    def get_queryset(self):
        queryset = self.base_queryset()
        integration = integration_of(self.request)
        if integration is not None:
            queryset = self.scope(queryset, integration.channels.values("pk"))
        return queryset


@extend_schema(summary="Cases, newest first", responses={200: CaseSerializer(many=True), **READ_ERRORS})
class CaseList(ScopedList):
    serializer_class = CaseSerializer
    filterset_class = ApiCaseFilter
    filter_backends = [CaseFilterBackend]

    def base_queryset(self):
        return Case.objects.all()

    def scope(self, queryset, channels):
        return queryset.filter(channel__in=channels)

    def paginate_queryset(self, queryset):
        # the page's cases first, then their stage and what they show for those rows alone (issue 13)
        page = super().paginate_queryset(queryset)
        return None if page is None else staged(page)


@extend_schema(
    summary="Accounts with their standing, newest first",
    responses={200: AccountSerializer(many=True), **READ_ERRORS},
)
class AccountList(ScopedList):
    serializer_class = AccountSerializer
    filterset_class = AccountFilter

    def base_queryset(self):
        return SocialAccount.objects.all()

    def scope(self, queryset, channels):
        return queryset.filter(
            Exists(Post.objects.filter(account=OuterRef("pk"), channel__in=channels))
            | Exists(Case.objects.filter(account=OuterRef("pk"), channel__in=channels))
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        standings = account_standings(page)
        context = {**self.get_serializer_context(), "standings": standings}
        serializer = self.get_serializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)


@extend_schema(summary="Blocks, newest first", responses={200: BlockSerializer(many=True), **READ_ERRORS})
class BlockList(ScopedList):
    serializer_class = BlockSerializer
    filterset_class = BlockFilter

    def base_queryset(self):
        return Block.objects.select_related("account", "channel")

    def scope(self, queryset, channels):
        return queryset.filter(Q(case__channel__in=channels) | Q(channel__in=channels))


@extend_schema(
    summary="Appeals, newest first",
    responses={
        200: AppealSerializer(many=True),
        **READ_ERRORS,
        404: OpenApiResponse(description="The organisation's policy offers no appeals."),
    },
)
class AppealList(ScopedList):
    serializer_class = AppealSerializer

    def list(self, request, *args, **kwargs):
        if not policy.current().appeals:
            raise NotFound("The organisation's policy offers no appeals.")
        return super().list(request, *args, **kwargs)
    filterset_class = AppealFilter

    def base_queryset(self):
        return Appeal.objects.select_related("block__account")

    def scope(self, queryset, channels):
        return queryset.filter(block__case__channel__in=channels)
