"""The API's lists: cases, accounts with their standing, blocks and appeals, newest first (moved from
``moderation.api.views``: they show escalation's rows, ADR 10). Reads only; no state changes here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from escalation import routing
from escalation.api.filters import AccountFilter, ApiCaseFilter, AppealFilter, BlockFilter
from escalation.api.serializers import (
    AccountSerializer,
    AppealSerializer,
    BlockSerializer,
    CaseDetailSerializer,
    CaseSerializer,
)
from escalation.case_selectors import staged
from escalation.models import Appeal, Block, ExternalReport
from escalation.reports import MAX_RANGE_DAYS, ReportFilters, TrendMonth, build_report, last_full_month
from escalation.selectors import account_standings
from moderation import clock
from moderation.api.permissions import integration_of
from moderation.api.serializers import ErrorSerializer
from moderation.models import Case, Channel, HouseRule, Post, ServiceArea, SocialAccount
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
    summary="One case, with its reports to platforms and agencies",
    responses={
        200: CaseDetailSerializer,
        401: ErrorSerializer,
        404: OpenApiResponse(ErrorSerializer, description="No such case (or not on the integration's channels)."),
    },
)
class CaseDetail(generics.RetrieveAPIView):
    """A case as the list shows it, with its external reports (read only). An integration reads the
    cases of its channels only; any other case answers 404, as one that does not exist."""

    serializer_class = CaseDetailSerializer

    def get_queryset(self):
        queryset = Case.objects.all()
        integration = integration_of(self.request)
        if integration is not None:
            queryset = queryset.filter(channel__in=integration.channels.values("pk"))
        return queryset

    def get_object(self):
        case = super().get_object()
        [case] = staged([case])  # its stage and what the list shows, as for a page of the list
        prefetch = Prefetch("external_reports", queryset=ExternalReport.objects.order_by("-reported_on", "-pk"))
        prefetch_related_objects([case], prefetch)
        return case


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


# --- the reports (issue 14) ---------------------------------------------------------------------------


class IsReportReader(BasePermission):
    """A signed-in person whose role reads the reports. Integration tokens carry no scopes, so no
    integration reads them: the figures cover every channel, not the integration's own."""

    message = "Your role does not read the reports."

    def has_permission(self, request, view) -> bool:
        if integration_of(request) is not None:
            return False
        user = request.user
        return bool(user and user.is_authenticated) and routing.holds(user, routing.PERM_READ_REPORTS)


class ReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD); default: the last full month's")
    end = serializers.DateField(required=False, help_text="Last day, inclusive (YYYY-MM-DD)")
    channel = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.all(), required=False)
    rule = serializers.PrimaryKeyRelatedField(queryset=HouseRule.objects.all(), required=False)
    service_area = serializers.PrimaryKeyRelatedField(queryset=ServiceArea.objects.all(), required=False)
    officer = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all(), required=False)

    def validate(self, attrs):
        default_start, default_end = last_full_month(timezone.localdate(clock.now()))
        if ("start" in attrs) != ("end" in attrs):
            raise serializers.ValidationError({"end": "Give both start and end, or neither."})
        start, end = attrs.get("start", default_start), attrs.get("end", default_end)
        if end < start:
            raise serializers.ValidationError({"end": "The end date must be the same as or after the start date."})
        if (end - start).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError({"end": "The range can be at most two years."})
        return {**attrs, "start": start, "end": end}


class ReportTrendSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    posts_in = serializers.IntegerField()
    cases_opened = serializers.IntegerField()
    posts_removed = serializers.IntegerField()
    warnings_sent = serializers.IntegerField()
    blocks = serializers.IntegerField()
    appeals_logged = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    figures = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Every figure of the reports page by key: counts, percentages (0-100) and working days",
    )
    trend = ReportTrendSerializer(many=True)


@extend_schema(
    summary="The reports' figures for a date range, with the monthly trend",
    parameters=[ReportQuerySerializer],
    responses={200: ReportSerializer, **READ_ERRORS, 403: ErrorSerializer},
)
class ReportView(APIView):
    """The figures the reports page shows (``escalation.reports``), for a manager's session."""

    permission_classes = [IsReportReader]

    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = ReportFilters(
            start=data["start"],
            end=data["end"],
            channel=data.get("channel"),
            rule=data.get("rule"),
            service_area=data.get("service_area"),
            officer=data.get("officer"),
        )
        report = build_report(filters, now=clock.now())
        return Response(
            {
                "start": filters.start,
                "end": filters.end,
                "figures": report.figures(),
                "trend": [
                    {"month": f"{month.month:%Y-%m}", **{key: getattr(month, key) for key, _ in TrendMonth.COLUMNS}}
                    for month in report.trend
                ],
            }
        )
