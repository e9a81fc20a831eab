"""The admin's "Send for sign-off" says who can decide, and warns when nobody else can (issue 10, item 5)."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from escalation.constants import SignOffStatus, WarningStatus
from escalation.models import SignOff
from tests import factories

pytestmark = pytest.mark.django_db

WARNINGS = reverse("admin:escalation_warning_changelist")


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def name(user) -> str:
    return user.get_full_name() or user.get_username()


def send_for_signoff(client, warning) -> list[tuple[int, str]]:
    response = client.post(
        WARNINGS, {"action": "submit_for_signoff", ACTION_CHECKBOX_NAME: [str(warning.pk)]}, follow=True
    )
    assert response.status_code == 200
    return [(m.level, str(m)) for m in response.context["messages"]]


def test_an_officers_warning_names_the_manager_and_the_areas_director(client, officer, manager, director, service_area):
    warning = factories.DraftWarningFactory(
        drafted_by=officer, case=factories.OpenCaseFactory(recorded_by=officer, service_area=service_area)
    )
    client.force_login(staff(officer))

    [(level, message)] = send_for_signoff(client, warning)

    assert level == messages.SUCCESS
    assert "sent for sign-off to" in message
    assert f"{name(manager)} (Communications manager)" in message
    assert f"{name(director)} (Service director)" in message
    assert "nobody else" not in message
    warning.refresh_from_db()
    assert warning.status == WarningStatus.AWAITING_SIGNOFF


def test_a_managers_own_warning_nobody_else_can_decide_is_warned(client, manager):
    case = factories.OpenCaseFactory(service_area=None)
    warning = factories.DraftWarningFactory(drafted_by=manager, case=case)
    client.force_login(staff(manager))

    [(level, message)] = send_for_signoff(client, warning)

    assert level == messages.WARNING
    assert "nobody else can sign this off" in message
    assert "no active Service director" in message
    assert "Ask an administrator to give someone else the Communications manager role" in message
    assert name(manager) not in message.split(":", 1)[1]
    assert SignOff.objects.get(warning=warning).status == SignOffStatus.PENDING


def test_another_manager_is_named_for_a_managers_own_warning(client, manager, other_manager):
    warning = factories.DraftWarningFactory(drafted_by=manager, case=factories.OpenCaseFactory(service_area=None))
    client.force_login(staff(manager))

    [(level, message)] = send_for_signoff(client, warning)

    assert level == messages.SUCCESS
    assert f"sent for sign-off to {name(other_manager)} (Communications manager)." in message
