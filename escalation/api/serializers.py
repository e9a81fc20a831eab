"""Shapes of what the API's lists send: cases with their stage, accounts with their standing, blocks
and appeals (moved from ``moderation.api.serializers``: they show escalation's rows, ADR 10)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from escalation import routing
from escalation.case_selectors import case_stage
from escalation.constants import Recommendation
from escalation.models import Appeal, Block, ExternalReport
from moderation.models import Case, Channel, SocialAccount
from policy import services as policy


class ChannelSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "platform", "name", "handle"]


class AccountSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = SocialAccount
        fields = ["id", "platform", "handle", "display_name"]


class StageSerializer(serializers.Serializer):
    label = serializers.CharField()
    colour = serializers.CharField()


class SafeguardingSerializer(serializers.Serializer):
    marked_at = serializers.DateTimeField()
    decision_due_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class CaseSerializer(serializers.ModelSerializer):
    account = AccountSummarySerializer()
    channel = ChannelSummarySerializer()
    rules = serializers.SerializerMethodField()
    service_area = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    safeguarding = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "account",
            "channel",
            "status",
            "outcome",
            "priority",
            "rules",
            "reason",
            "safeguarding",
            "service_area",
            "assignee",
            "recorded_at",
            "response_due_at",
            "closed_at",
            "stage",
        ]

    def get_reason(self, case) -> str:
        """On a safeguarding case, for its leads only (an integration is none)."""
        return routing.case_text_for(self._reader(), case, case.reason)

    @extend_schema_field(SafeguardingSerializer(allow_null=True))
    def get_safeguarding(self, case) -> dict | None:
        if case.safeguarding_at is None:
            return None
        return {
            "marked_at": case.safeguarding_at,
            "decision_due_at": case.safeguarding_due_at,
            "decided_at": case.safeguarding_decided_at,
        }

    def _reader(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_rules(self, case) -> list[str]:
        return [rule.code for rule in case.rules.all()]

    def get_service_area(self, case) -> str | None:
        return case.service_area.name if case.service_area_id else None

    def get_assignee(self, case) -> str | None:
        return (case.assignee.get_full_name() or case.assignee.get_username()) if case.assignee_id else None

    @extend_schema_field(StageSerializer)
    def get_stage(self, case) -> dict:
        stage = case_stage(case)
        return {"label": stage.label, "colour": stage.colour}


class ExternalReportSerializer(serializers.ModelSerializer):
    """A report of the case to the platform (its own reporting tools) or to another agency, with the
    reference they gave. Read only: recorded in the workspace (``escalation.external_reports``)."""

    note = serializers.SerializerMethodField()

    class Meta:
        model = ExternalReport
        fields = ["id", "reported_to", "recipient", "reference", "reported_on", "note", "recorded_at"]
        read_only_fields = fields

    def get_note(self, report) -> str:
        """Written by the team, it may quote the post: on a safeguarding case, for its leads only."""
        request = self.context.get("request")
        return routing.case_text_for(getattr(request, "user", None), report.case, report.note)


class CaseDetailSerializer(CaseSerializer):
    """One case: what the list sends, and its reports to platforms and agencies."""

    external_reports = ExternalReportSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "external_reports"]


class StandingSerializer(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    recommendation_label = serializers.CharField()
    reason = serializers.CharField()
    blocked_everywhere = serializers.BooleanField()
    active_block_ids = serializers.ListField(child=serializers.IntegerField())
    recent_warning_count = serializers.IntegerField()
    zero_tolerance_rules = serializers.ListField(child=serializers.CharField())
    next_appeal_opens_at = serializers.DateTimeField(allow_null=True)


class AccountSerializer(serializers.ModelSerializer):
    standing = serializers.SerializerMethodField()

    class Meta:
        model = SocialAccount
        fields = ["id", "platform", "handle", "display_name", "platform_user_id", "first_seen_at", "standing"]

    @extend_schema_field(StandingSerializer)
    def get_standing(self, account) -> dict:
        standing = self.context["standings"][account.pk]
        return StandingSerializer(
            {
                "recommendation": standing.recommendation,
                "recommendation_label": standing.recommendation_label,
                "reason": standing.reason,
                "blocked_everywhere": standing.blocked_everywhere,
                "active_block_ids": [b.pk for b in standing.active_blocks],
                "recent_warning_count": len(standing.recent_warnings),
                "zero_tolerance_rules": [r.code for r in standing.zero_tolerance_rules],
                "next_appeal_opens_at": standing.next_appeal_opens_at if policy.current().appeals else None,
            }
        ).data


class BlockSerializer(serializers.ModelSerializer):
    account = AccountSummarySerializer()
    channel = ChannelSummarySerializer(allow_null=True)

    def to_representation(self, block) -> dict:
        data = super().to_representation(block)
        if not policy.current().appeals:
            data["appeal_opens_at"] = None  # no appeal is offered: no date one could be heard from
        return data

    class Meta:
        model = Block
        fields = [
            "id",
            "case",
            "account",
            "kind",
            "scope",
            "channel",
            "status",
            "reason",
            "proposed_at",
            "started_at",
            "appeal_opens_at",
            "md_acknowledged_at",
            "lifted_at",
        ]


class AppealSerializer(serializers.ModelSerializer):
    account = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "id",
            "block",
            "account",
            "status",
            "received_at",
            "received_via",
            "window_opens_at",
            "decided_at",
            "decision_reason",
        ]

    @extend_schema_field(AccountSummarySerializer)
    def get_account(self, appeal) -> dict:
        return AccountSummarySerializer(appeal.block.account).data
