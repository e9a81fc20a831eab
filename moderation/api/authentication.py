"""``Authorization: Token <token>``: the request acts as an integration (``request.auth``)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from moderation.models import Integration
from moderation.selectors import integration_for_token


class IntegrationUser:
    """``request.user`` for a call made with an integration's token: not a person, holds no permission.

    Writes made for it carry the integration's name as the actor label (``actor`` stays empty).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, integration: Integration):
        self.integration = integration
        self.username = f"integration:{integration.name}"

    def get_username(self) -> str:
        return self.integration.name

    def get_full_name(self) -> str:
        return self.integration.name

    def has_perm(self, perm: str, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return self.integration.name


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the header as “Authorization: Token <token>”.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        integration = integration_for_token(token)
        if integration is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return IntegrationUser(integration), integration

    def authenticate_header(self, request) -> str:
        return self.keyword


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "moderation.api.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`; an administrator creates the integration and its token in the admin.",
        }
