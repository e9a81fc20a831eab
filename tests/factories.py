"""factory-boy factories: one per state, so a test says where it starts in a word."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from escalation import routing
from escalation.constants import (
    AppealStatus,
    BlockKind,
    BlockScope,
    BlockStatus,
    SignOffKind,
    SignOffStatus,
    WarningStatus,
)
from escalation.models import Appeal, Block, SignOff, Warning
from escalation.services import add_calendar_months
from moderation import clock
from moderation.constants import Platform, PostKind
from moderation.models import Case, Channel, HouseRule, Post, ServiceArea, SocialAccount


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@council.example")
    password = factory.django.Password("correct horse battery staple")

    role = factory.PostGeneration(lambda user, create, extracted, **kw: _join(user, create, extracted))


def _join(user, create: bool, role: str | None) -> None:
    if create and role:
        user.groups.add(Group.objects.get(name=role))


def _role(default: str):
    return factory.PostGeneration(lambda user, create, extracted, **kw: _join(user, create, extracted or default))


class OfficerFactory(UserFactory):
    role = _role(routing.OFFICER)


class ManagerFactory(UserFactory):
    role = _role(routing.MANAGER)


class ServiceDirectorFactory(UserFactory):
    role = _role(routing.SERVICE_DIRECTOR)


class ManagingDirectorFactory(UserFactory):
    role = _role(routing.MANAGING_DIRECTOR)


class SafeguardingLeadFactory(UserFactory):
    """A Communications officer who is also a safeguarding lead (a role held beside another)."""

    role = _role(routing.OFFICER)

    @factory.post_generation
    def lead(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=routing.SAFEGUARDING_LEAD))


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        skip_postgeneration_save = True
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service area {n}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        skip_postgeneration_save = True

    platform = Platform.FACEBOOK
    name = factory.Sequence(lambda n: f"Council page {n}")
    handle = factory.Sequence(lambda n: f"councilpage{n}")


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount
        skip_postgeneration_save = True

    platform = Platform.FACEBOOK
    handle = factory.Sequence(lambda n: f"resident{n}")
    display_name = factory.Faker("name", locale="en_GB")


def rule(code: str) -> HouseRule:
    """A house rule seeded by the migration (abusive, discriminatory, misinformation …)."""
    return HouseRule.objects.get(code=code)


class OpenCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    account = factory.SubFactory(SocialAccountFactory)
    channel = factory.SubFactory(ChannelFactory, platform=factory.SelfAttribute("..account.platform"))
    reason = "Abusive reply to a resident."
    recorded_by = factory.SubFactory(OfficerFactory)
    recorded_at = factory.LazyFunction(clock.now)
    response_due_at = factory.LazyAttribute(lambda c: c.recorded_at + timedelta(days=1))

    @factory.post_generation
    def rules(self, create, extracted, **kwargs):
        if create:
            self.rules.set(extracted or [rule("abusive")])

    @factory.post_generation
    def posts(self, create, extracted, **kwargs):
        if create and extracted is None:
            PostFactory(case=self, channel=self.channel, account=self.account)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post
        skip_postgeneration_save = True

    channel = factory.SubFactory(ChannelFactory)
    account = factory.SubFactory(SocialAccountFactory)
    external_id = factory.Sequence(lambda n: f"post-{n}")
    text = "You lot are useless idiots."
    kind = PostKind.COMMENT
    posted_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=1))


class DraftWarningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warning
        skip_postgeneration_save = True

    case = factory.SubFactory(OpenCaseFactory)
    text = factory.LazyFunction(
        lambda: "Please read our policy: https://www.north-herts.gov.uk/social-media-acceptable-use-policy"
    )
    drafted_by = factory.SelfAttribute("case.recorded_by")
    status = WarningStatus.DRAFT


class AwaitingSignoffWarningFactory(DraftWarningFactory):
    status = WarningStatus.AWAITING_SIGNOFF
    signoff = factory.RelatedFactory(
        "tests.factories.WarningSignOffFactory",
        factory_related_name="warning",
        case=factory.SelfAttribute("..case"),
        requested_by=factory.SelfAttribute("..drafted_by"),
    )


class ApprovedWarningFactory(DraftWarningFactory):
    status = WarningStatus.APPROVED


class SentWarningFactory(DraftWarningFactory):
    status = WarningStatus.SENT
    sent_by = factory.SelfAttribute("drafted_by")
    sent_at = factory.LazyFunction(clock.now)


class WarningSignOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SignOff
        skip_postgeneration_save = True

    kind = SignOffKind.WARNING
    status = SignOffStatus.PENDING
    requested_at = factory.LazyFunction(clock.now)
    due_at = factory.LazyAttribute(lambda s: s.requested_at + timedelta(days=1))


class ProposedBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block
        skip_postgeneration_save = True

    case = factory.SubFactory(OpenCaseFactory)
    account = factory.SelfAttribute("case.account")
    kind = BlockKind.STANDARD
    scope = BlockScope.ALL
    status = BlockStatus.AWAITING_SIGNOFF
    reason = "Abuse continued after a written warning."
    proposed_by = factory.SelfAttribute("case.recorded_by")
    signoff = factory.RelatedFactory(
        "tests.factories.BlockSignOffFactory",
        factory_related_name="block",
        case=factory.SelfAttribute("..case"),
        requested_by=factory.SelfAttribute("..proposed_by"),
    )


class BlockSignOffFactory(WarningSignOffFactory):
    kind = SignOffKind.BLOCK


class ActiveBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block
        skip_postgeneration_save = True

    case = factory.SubFactory(OpenCaseFactory)
    account = factory.SelfAttribute("case.account")
    kind = BlockKind.STANDARD
    scope = BlockScope.ALL
    status = BlockStatus.ACTIVE
    reason = "Abuse continued after a written warning."
    proposed_by = factory.SelfAttribute("case.recorded_by")
    started_at = factory.LazyFunction(clock.now)
    appeal_opens_at = factory.LazyAttribute(lambda b: add_calendar_months(b.started_at, 12))


class AppealEligibleBlockFactory(ActiveBlockFactory):
    """Started 13 months ago: its appeal window is open, not yet flagged."""

    started_at = factory.LazyFunction(lambda: add_calendar_months(clock.now(), -13))


class UnderReviewAppealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appeal
        skip_postgeneration_save = True

    block = factory.SubFactory(AppealEligibleBlockFactory)
    status = AppealStatus.UNDER_REVIEW
    received_at = factory.LazyFunction(clock.now)
    recorded_by = factory.SubFactory(OfficerFactory)
    window_opens_at = factory.SelfAttribute("block.appeal_opens_at")
    signoff = factory.RelatedFactory(
        "tests.factories.AppealSignOffFactory",
        factory_related_name="appeal",
        case=factory.SelfAttribute("..block.case"),
        requested_by=factory.SelfAttribute("..recorded_by"),
    )


class AppealSignOffFactory(WarningSignOffFactory):
    kind = SignOffKind.APPEAL
