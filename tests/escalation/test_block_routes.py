"""Who approves a block and who may block at once: the policy's ``block_approval`` and
``immediate_block``, enforced by the services, offered by the pages and the admin, and warned of by the
ladder-gap check when nobody holds the role."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import reverse

from escalation import routing, services
from escalation.checks import ladder_gaps
from escalation.constants import BlockKind, BlockStatus, SignOffKind
from escalation.models import Block
from escalation.selectors import signoffs_for
from moderation.models import Case
from policy import services as policy
from policy.models import BlockApproval, ImmediateBlock, PolicyVersion
from tests import factories

pytestmark = pytest.mark.django_db


def set_policy(**settings) -> PolicyVersion:
    return policy.revise(reason="Test policy.", **settings)


@pytest.fixture
def proposed(officer, service_area):
    """A block proposed by the officer on a case of the director's service area."""
    case = factories.OpenCaseFactory(service_area=service_area)
    return services.block_propose(actor=officer, case=case, scope="all", reason="Abuse continued.")


def decide(user, block: Block, *, approve: bool = True, reason: str = ""):
    return services.signoff_decide(actor=user, signoff=block.signoffs.get(), approve=approve, reason=reason)


class TestTheSettings:
    def test_the_defaults_are_nhdcs(self):
        version = policy.current()
        assert version.block_approval == BlockApproval.MANAGER
        assert version.immediate_block == ImmediateBlock.MANAGERS

    def test_a_head_who_approves_cannot_also_acknowledge(self):
        with pytest.raises(ValidationError) as refused:
            set_policy(block_approval=BlockApproval.HEAD)
        assert "cannot also acknowledge" in " ".join(refused.value.message_dict["head_acknowledges_blocks"])
        assert set_policy(block_approval=BlockApproval.HEAD, head_acknowledges_blocks=False).number == 2


class TestWhoApprovesABlock:
    def test_under_the_default_the_manager_approves_and_the_director_cannot(self, proposed, manager, director, md):
        for user in (director, md):
            with pytest.raises(PermissionDenied, match="This decision is for the Communications manager"):
                decide(user, proposed)
            assert not signoffs_for(user).filter(kind=SignOffKind.BLOCK).exists()
        assert signoffs_for(manager).filter(block=proposed).exists()
        decide(manager, proposed)
        proposed.refresh_from_db()
        assert proposed.status == BlockStatus.ACTIVE

    def test_manager_or_director_lets_the_cases_director_approve(self, proposed, director, manager):
        set_policy(block_approval=BlockApproval.MANAGER_OR_DIRECTOR)
        assert routing.signoff_decided_by(SignOffKind.BLOCK) == "Communications manager or the case's Service director"
        assert signoffs_for(director).filter(block=proposed).exists()
        assert director in routing.deciders_for(kind=SignOffKind.BLOCK, service_area_id=proposed.case.service_area_id)
        decide(director, proposed)
        proposed.refresh_from_db()
        assert proposed.status == BlockStatus.ACTIVE

    def test_manager_or_director_does_not_reach_another_areas_director(self, officer, director):
        set_policy(block_approval=BlockApproval.MANAGER_OR_DIRECTOR)
        elsewhere = factories.OpenCaseFactory(service_area=factories.ServiceAreaFactory(name="Planning"))
        block = services.block_propose(actor=officer, case=elsewhere, scope="all", reason="Abuse.")
        assert not signoffs_for(director).filter(block=block).exists()
        with pytest.raises(PermissionDenied):
            decide(director, block)
        block.refresh_from_db()
        assert block.status == BlockStatus.AWAITING_SIGNOFF

    def test_head_approval_goes_to_the_head_and_not_the_manager(self, client, proposed, manager, md):
        set_policy(block_approval=BlockApproval.HEAD, head_acknowledges_blocks=False, title_head="Chief Executive")
        with pytest.raises(PermissionDenied, match="This decision is for the Chief Executive"):
            decide(manager, proposed)
        assert not signoffs_for(manager).filter(block=proposed).exists()
        client.force_login(md)
        inbox = client.get(reverse("escalation:decision_list")).content.decode()
        assert reverse("escalation:signoff_detail", args=[proposed.signoffs.get().pk]) in inbox
        decide(md, proposed)
        proposed.refresh_from_db()
        assert proposed.status == BlockStatus.ACTIVE

    def test_the_block_form_names_the_approver(self, client, officer):
        set_policy(block_approval=BlockApproval.HEAD, head_acknowledges_blocks=False)
        case = factories.OpenCaseFactory()
        client.force_login(officer)
        page = client.get(reverse("escalation:block_create", args=[case.pk])).content.decode()
        assert "The Managing Director signs it off" in page


def zero_tolerance_case() -> Case:
    return factories.OpenCaseFactory(rules=[factories.rule("discriminatory")])


def block_at_once(user, case: Case) -> Block:
    return services.block_immediate(actor=user, case=case, scope="all", reason="Racist abuse.")


class TestWhoMayBlockAtOnce:
    def test_managers_only_by_default(self, officer, manager):
        with pytest.raises(PermissionDenied, match="Only the Communications manager may block at once"):
            block_at_once(officer, zero_tolerance_case())
        assert not Block.objects.exists()
        assert block_at_once(manager, factories.OpenCaseFactory()).kind == BlockKind.IMMEDIATE

    def test_officers_too_for_a_zero_tolerance_rule(self, officer, manager):
        set_policy(immediate_block=ImmediateBlock.ZERO_TOLERANCE)
        assert block_at_once(officer, zero_tolerance_case()).status == BlockStatus.ACTIVE
        ordinary = factories.OpenCaseFactory()
        with pytest.raises(PermissionDenied, match="only when the case cites a zero-tolerance rule"):
            block_at_once(officer, ordinary)
        assert not ordinary.blocks.exists()
        assert block_at_once(manager, factories.OpenCaseFactory()).status == BlockStatus.ACTIVE

    def test_nobody_refuses_even_the_manager(self, manager):
        set_policy(immediate_block=ImmediateBlock.NOBODY)
        with pytest.raises(PermissionDenied, match="Our policy lets nobody block at once"):
            block_at_once(manager, zero_tolerance_case())
        assert not Block.objects.exists()

    def test_the_refusal_uses_the_policys_titles(self, officer):
        set_policy(title_manager="Head of News")
        with pytest.raises(PermissionDenied, match="Only the Head of News may block at once"):
            block_at_once(officer, factories.OpenCaseFactory())

    @pytest.mark.parametrize(
        ("setting", "role", "zero_tolerance", "offered"),
        [
            (ImmediateBlock.MANAGERS, "officer", True, False),
            (ImmediateBlock.MANAGERS, "manager", False, True),
            (ImmediateBlock.ZERO_TOLERANCE, "officer", True, True),
            (ImmediateBlock.ZERO_TOLERANCE, "officer", False, False),
            (ImmediateBlock.NOBODY, "manager", True, False),
        ],
    )
    def test_the_case_page_offers_the_button_only_to_those_allowed(
        self, request, client, setting, role, zero_tolerance, offered
    ):
        set_policy(immediate_block=setting)
        case = zero_tolerance_case() if zero_tolerance else factories.OpenCaseFactory()
        client.force_login(request.getfixturevalue(role))
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        assert ("?kind=immediate" in page) is offered
        form = client.get(reverse("escalation:block_create", args=[case.pk]) + "?kind=immediate")
        assert form.status_code == (200 if offered else 403)

    @pytest.mark.parametrize(
        ("setting", "role", "offered"),
        [
            (ImmediateBlock.MANAGERS, "officer", False),
            (ImmediateBlock.MANAGERS, "manager", True),
            (ImmediateBlock.ZERO_TOLERANCE, "officer", True),
            (ImmediateBlock.NOBODY, "manager", False),
        ],
    )
    def test_the_admin_offers_the_action_only_to_those_allowed(self, request, setting, role, offered):
        set_policy(immediate_block=setting)
        http = RequestFactory().get("/")
        http.user = request.getfixturevalue(role)
        assert site._registry[Case].has_immediate_block_permission(http) is offered


class TestLadderGaps:
    def test_head_approval_with_no_head_is_warned(self, manager):
        set_policy(block_approval=BlockApproval.HEAD, head_acknowledges_blocks=False)
        assert "Blocks are approved by the Managing Director, and no active user has that role." in ladder_gaps()

    def test_head_approval_with_a_head_has_no_gap(self, manager, md):
        set_policy(block_approval=BlockApproval.HEAD, head_acknowledges_blocks=False)
        assert not [gap for gap in ladder_gaps() if "approved" in gap]

    def test_immediate_blocks_with_no_manager_are_warned_unless_nobody_may(self, officer, md):
        assert "Only the Communications manager may block at once, and no active user has that role." in ladder_gaps()
        set_policy(immediate_block=ImmediateBlock.NOBODY)
        assert not [gap for gap in ladder_gaps() if "at once" in gap]

    def test_zero_tolerance_blocks_by_officers_need_an_officer_or_a_manager(self, md):
        set_policy(immediate_block=ImmediateBlock.ZERO_TOLERANCE)
        assert any("under a zero-tolerance rule, may block at once" in gap for gap in ladder_gaps())
        factories.OfficerFactory(username="olga.officer")
        assert not [gap for gap in ladder_gaps() if "at once" in gap]
