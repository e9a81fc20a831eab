"""A superuser configures and does not decide; one block is proposed, approved and acknowledged by
three different people (issue 9: "admin approved a block and then acknowledged it")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from escalation import routing, services
from escalation.constants import BlockStatus, SignOffStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)


class TestASuperuserDoesNotDecide:
    def test_cannot_approve_a_block(self, admin_user):
        signoff = factories.ProposedBlockFactory().signoffs.get()
        with pytest.raises(PermissionDenied):
            services.signoff_decide(actor=admin_user, signoff=signoff, approve=True)
        signoff.refresh_from_db()
        assert signoff.status == SignOffStatus.PENDING

    def test_cannot_acknowledge_a_block(self, admin_user):
        block = factories.ActiveBlockFactory()
        with pytest.raises(PermissionDenied):
            services.block_acknowledge(actor=admin_user, block=block)
        block.refresh_from_db()
        assert block.md_acknowledged_by is None

    def test_holds_no_casework_permission_without_a_role(self, admin_user):
        assert admin_user.has_perm(routing.PERM_APPROVE_BLOCK)  # Django's own rule
        assert not any(routing.holds(admin_user, p) for perms in routing.ROLE_PERMISSIONS.values() for p in perms)
        assert routing.reads_every_case(admin_user)  # reads, to support and audit

    def test_given_a_role_they_decide_as_that_role(self, admin_user):
        admin_user.groups.add(Group.objects.get(name=routing.MANAGER))
        signoff = factories.ProposedBlockFactory().signoffs.get()
        services.signoff_decide(actor=admin_user, signoff=signoff, approve=True)
        signoff.refresh_from_db()
        assert signoff.status == SignOffStatus.APPROVED

    def test_the_admin_offers_them_no_decision(self, client, admin_user):
        factories.ProposedBlockFactory()
        client.force_login(admin_user)
        page = client.get(reverse("admin:escalation_signoff_changelist"))
        assert page.status_code == 200
        actions = (
            {c[0] for c in page.context["action_form"].fields["action"].choices if c[0]}
            if page.context["action_form"]
            else set()
        )
        assert not {"approve", "refuse", "approve_selected", "refuse_selected"} & actions

    def test_the_workspace_offers_them_no_decision(self, client, admin_user):
        signoff = factories.ProposedBlockFactory().signoffs.get()
        client.force_login(admin_user)
        assert client.get(reverse("escalation:signoff_detail", args=[signoff.pk])).status_code == 403


class TestThreePeoplePerBlock:
    def test_the_approver_cannot_acknowledge_even_holding_both_roles(self, officer):
        both = factories.ManagerFactory(username="two.hats")
        both.groups.add(Group.objects.get(name=routing.MANAGING_DIRECTOR))
        block = factories.ProposedBlockFactory(proposed_by=officer, case__recorded_by=officer)
        services.signoff_decide(actor=both, signoff=block.signoffs.get(), approve=True)
        block.refresh_from_db()
        assert block.status == BlockStatus.ACTIVE
        with pytest.raises(PermissionDenied, match="someone else"):
            services.block_acknowledge(actor=both, block=block)
        block.refresh_from_db()
        assert block.md_acknowledged_by is None

    def test_the_proposer_cannot_acknowledge(self, manager):
        manager.groups.add(Group.objects.get(name=routing.MANAGING_DIRECTOR))
        block = factories.ActiveBlockFactory(proposed_by=manager, case__recorded_by=manager)
        with pytest.raises(PermissionDenied, match="someone else"):
            services.block_acknowledge(actor=manager, block=block)

    def test_a_third_person_acknowledges(self, officer, manager, md):
        block = factories.ProposedBlockFactory(proposed_by=officer, case__recorded_by=officer)
        services.signoff_decide(actor=manager, signoff=block.signoffs.get(), approve=True)
        block.refresh_from_db()
        services.block_acknowledge(actor=md, block=block)
        block.refresh_from_db()
        assert block.md_acknowledged_by == md
