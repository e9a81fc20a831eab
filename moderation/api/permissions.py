from __future__ import annotations

from rest_framework.permissions import BasePermission

from moderation.models import Integration
from policy import roles as routing


def integration_of(request) -> Integration | None:
    return request.auth if isinstance(request.auth, Integration) else None


class IsIntegration(BasePermission):
    """Only an integration's token may send posts (people record cases in the workspace)."""

    message = "Only an integration's token may send posts."

    def has_permission(self, request, view) -> bool:
        return integration_of(request) is not None


class IsIntegrationOrCaseReader(BasePermission):
    """An integration (reads are limited to its channels) or a signed-in member of staff who reads every case."""

    message = "Your role does not reach this list."

    def has_permission(self, request, view) -> bool:
        if integration_of(request) is not None:
            return True
        user = request.user
        return bool(user and user.is_authenticated and hasattr(user, "groups")) and routing.reads_every_case(user)
