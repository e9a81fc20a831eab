"""A superuser configures and does not decide; one block is proposed, approved and acknowledged by
three different people (issue 9: "admin approved a block and then acknowledged it")."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from config.models import SecurityEvent, SecurityEventKind
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

    @pytest.mark.parametrize("role", [routing.MANAGER, routing.MANAGING_DIRECTOR])
    def test_given_a_role_they_still_cannot_decide(self, admin_user, role):
        """Were a role given outside the admin (a script, the shell), a superuser still holds none of it."""
        admin_user.groups.add(Group.objects.get(name=role))
        assert not any(routing.holds(admin_user, p) for perms in routing.ROLE_PERMISSIONS.values() for p in perms)
        signoff = factories.ProposedBlockFactory().signoffs.get()
        with pytest.raises(PermissionDenied):
            services.signoff_decide(actor=admin_user, signoff=signoff, approve=True)
        block = factories.ActiveBlockFactory()
        with pytest.raises(PermissionDenied):
            services.block_acknowledge(actor=admin_user, block=block)
        signoff.refresh_from_db()
        block.refresh_from_db()
        assert (signoff.status, block.md_acknowledged_by) == (SignOffStatus.PENDING, None)

    def test_given_a_role_the_workspace_still_refuses_their_decision(self, client, admin_user):
        admin_user.groups.add(Group.objects.get(name=routing.MANAGER))
        signoff = factories.ProposedBlockFactory().signoffs.get()
        client.force_login(admin_user)
        response = client.post(reverse("escalation:signoff_detail", args=[signoff.pk]), {"decision": "approve"})
        assert response.status_code == 403
        signoff.refresh_from_db()
        assert signoff.status == SignOffStatus.PENDING

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


def user_form(client, user, **changes) -> dict:
    """The admin's change form for ``user`` as it stands, with ``changes`` (as posted)."""
    page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list | tuple)}
    data.update(
        {
            "username": user.username,
            "groups": list(user.groups.values_list("pk", flat=True)),
            "user_permissions": [],
            "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
            "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M:%S"),
            "is_active": "on",
            "is_staff": "on",
        }
    )
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


class TestTheAdminKeepsSuperusersOutOfRoles:
    @pytest.fixture
    def root(self, client):
        root = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
        client.force_login(root)
        return root

    def test_a_role_is_not_given_to_a_superuser(self, client, root, admin_user):
        manager_role = Group.objects.get(name=routing.MANAGER)
        response = client.post(
            reverse("admin:auth_user_change", args=[admin_user.pk]),
            user_form(client, admin_user, groups=[manager_role.pk]),
        )
        assert response.status_code == 200
        assert "A superuser configures and does not decide" in response.text
        assert not admin_user.groups.exists()
        refused = SecurityEvent.objects.get(kind=SecurityEventKind.ADMIN_CHANGE, detail__action="refused")
        assert (refused.actor_id, refused.subject_id) == (root.pk, admin_user.pk)
        assert refused.detail["roles"] == [routing.MANAGER]

    def test_a_casework_permission_is_not_given_to_a_superuser(self, client, root, admin_user):
        approve = Permission.objects.get(content_type__app_label="escalation", codename="approve_block")
        response = client.post(
            reverse("admin:auth_user_change", args=[admin_user.pk]),
            user_form(client, admin_user, user_permissions=[approve.pk]),
        )
        assert response.status_code == 200
        assert "A superuser configures and does not decide" in response.text
        assert not admin_user.user_permissions.exists()

    def test_a_role_holder_is_not_made_a_superuser(self, client, root, manager):
        response = client.post(
            reverse("admin:auth_user_change", args=[manager.pk]), user_form(client, manager, is_superuser="on")
        )
        assert response.status_code == 200
        assert "A superuser configures and does not decide" in response.text
        manager.refresh_from_db()
        assert not manager.is_superuser
        assert routing.holds(manager, routing.PERM_APPROVE_BLOCK)

    def test_a_superuser_taken_out_of_superuser_status_may_be_given_a_role(self, client, root, admin_user):
        """The refusal is of the pair, not of the person: an administrator who becomes a manager stops
        being a superuser."""
        manager_role = Group.objects.get(name=routing.MANAGER)
        response = client.post(
            reverse("admin:auth_user_change", args=[admin_user.pk]),
            user_form(client, admin_user, groups=[manager_role.pk], is_superuser=False),
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        admin_user.refresh_from_db()
        assert not admin_user.is_superuser
        assert routing.holds(admin_user, routing.PERM_APPROVE_BLOCK)

    def test_nobody_edits_their_own_roles_or_status(self, client, admin_user):
        client.force_login(admin_user)
        page = client.get(reverse("admin:auth_user_change", args=[admin_user.pk]))
        form = page.context["adminform"].form
        assert not {"groups", "user_permissions", "is_superuser", "is_staff", "is_active"} & set(form.fields)
        manager_role = Group.objects.get(name=routing.MANAGER)
        client.post(
            reverse("admin:auth_user_change", args=[admin_user.pk]),
            user_form(client, admin_user, groups=[manager_role.pk], is_superuser=False, first_name="Ada"),
        )
        admin_user.refresh_from_db()
        assert admin_user.first_name == "Ada"  # the rest of their own record is theirs to edit
        assert admin_user.is_superuser
        assert not admin_user.groups.exists()
