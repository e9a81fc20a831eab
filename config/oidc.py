"""Single sign-on with the organisation's identity provider over OpenID Connect (mozilla-django-oidc).

Off unless ``OIDC_RP_CLIENT_ID`` is set. Then the sign-in page offers "Sign in with <provider>" above the
password form, and the authorization-code flow runs with PKCE, a state and a nonce:

* ``/sign-in/sso/`` sends the browser to the provider; ``/sign-in/sso/callback/`` takes the code back,
  exchanges it for tokens and checks the ID token: its signature (the provider's published keys), the
  nonce, the issuer, that it was issued to this app (``aud``/``azp``) and that it has not expired.
* The person is found by the provider's stable subject (``oid`` for Entra ID, else ``sub``), which is
  their username here; never by email. Someone new is created (with no usable password) on first sign-in.
  An account that signs in with a password is never taken over by a subject of the same name.
* Their roles (the safeguarding lead role too) are set from the ID token's ``groups`` claim through
  ``IdentityProviderGroupRole`` (edited by superusers in the admin) at every sign-in: mapped roles are
  given, roles no longer mapped are taken away (which ends their other sessions, ``config.sessions``).
  Groups mapping to no role: refused with a page that says so, and nothing is created.
* The claims come from the ID token alone: it is signed, and Entra ID's userinfo endpoint does not carry
  ``oid`` or ``groups``.

**Does single sign-on replace the second step?** Not by default (``OIDC_TRUST_PROVIDER_MFA=no``): the
person still gives a code or a passkey here (``config.mfa``). With ``amr``, a sign-in whose ID token's
``amr`` claim says the provider checked more than one factor (``mfa``, RFC 8176) counts as the second
step; any other still does ours. ``always`` counts every provider sign-in as two-step: only for a
provider that enforces MFA on this app itself (an Entra ID Conditional Access policy requiring MFA for
the app, whose v2.0 ID tokens carry no ``amr``). The session then holds an ``IdentityProviderMFA``
django-otp device, so ``request.user.is_verified()`` is true as after a code.
"""

from __future__ import annotations

import logging
import threading
import time

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from config.models import IdentityProviderGroupRole, IdentityProviderMFA
from policy.roles import GRANTABLE_ROLES, SAFEGUARDING_LEAD, SERVICE_DIRECTOR

logger = logging.getLogger("moderation.security")
User = get_user_model()

# The provider's endpoints: a setting when given, else its discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
DISCOVERY_TTL = 3600
_discovery: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()

# Why a sign-in was refused: the page's heading and what to do (never a 500).
REFUSALS = {
    "no_role": (
        "You do not have access to Moderation Casework",
        "You signed in, but none of your groups gives a role here. Ask your administrator to add you to "
        "the group for your role, then sign in again.",
    ),
    "too_many_groups": (
        "Your groups could not be read",
        "You belong to too many groups for the identity provider to list them in the sign-in. Your "
        "administrator can fix this by sending only the groups assigned to this application.",
    ),
    "password_account": (
        "This account signs in with a password",
        "An account with this name already signs in with a password here, so single sign-on cannot be used "
        "for it. Sign in with your password, or ask your administrator.",
    ),
    "inactive": (
        "Your account is switched off",
        "Your account here has been switched off. Ask your administrator if you need access again.",
    ),
    "expired": (
        "Sign-in did not finish",
        "The sign-in took too long, was already used, or was started in another browser or tab. Start again.",
    ),
    "provider": (
        "Sign-in did not finish",
        "The identity provider did not complete the sign-in. Start again; if it keeps happening, tell your "
        "administrator.",
    ),
    "unavailable": (
        "The identity provider cannot be reached",
        "Try again in a few minutes, or sign in with your password if you have one.",
    ),
}


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "your organisation's account"


def discovery_document() -> dict:
    """The provider's ``.well-known/openid-configuration``, fetched once an hour at most."""
    url = getattr(settings, "OIDC_OP_DISCOVERY_URL", "")
    if not url:
        return {}
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovery.get(url)
        if cached and now - cached[0] < DISCOVERY_TTL:
            return cached[1]
    response = requests.get(url, timeout=getattr(settings, "OIDC_TIMEOUT", 10))
    response.raise_for_status()
    document = response.json()
    with _discovery_lock:
        _discovery[url] = (now, document)
    return document


def oidc_setting(attr: str, *default):
    """A mozilla-django-oidc setting; an empty endpoint setting is read from the discovery document."""
    value = getattr(settings, attr, "")
    if attr in DISCOVERED and not value:
        value = discovery_document().get(DISCOVERED[attr], "")
        if value:
            return value
        if default:
            return default[0]
        raise ImproperlyConfigured(f"Single sign-on needs {attr} or OIDC_OP_DISCOVERY_URL")
    return import_from_settings(attr, *default)


def trusts_provider_mfa(claims: dict) -> bool:
    """Whether this sign-in counts as the second step too (see the module's docstring)."""
    mode = str(getattr(settings, "OIDC_TRUST_PROVIDER_MFA", "no")).lower()
    if mode in ("always",):
        return True
    if mode in ("amr", "true", "yes", "1"):
        amr = claims.get("amr") or []
        amr = [amr] if isinstance(amr, str) else amr
        return any(value in amr for value in getattr(settings, "OIDC_MFA_AMR_VALUES", ["mfa"]))
    return False


def roles_for(provider_groups) -> set[Group]:
    """Our roles for these provider groups, through the mapping."""
    if not provider_groups:
        return set()
    return {
        mapping.role
        for mapping in IdentityProviderGroupRole.objects.filter(
            provider_group__in=[str(g) for g in provider_groups], role__name__in=GRANTABLE_ROLES
        ).select_related("role")
    }


class Refused(SuspiciousOperation):
    """A sign-in refused for a reason the person is told (``REFUSALS``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, reading settings lazily (it is built on every request), checking the
    ID token fully, matching people by their stable subject and setting their roles from their groups."""

    def __init__(self, *args, **kwargs):
        self.UserModel = User

    get_settings = staticmethod(oidc_setting)

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT", ""))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = property(lambda self: getattr(settings, "OIDC_RP_IDP_SIGN_KEY", None))

    def authenticate(self, request, **kwargs):
        # only the callback, with the nonce the start of this sign-in kept in the session
        if (
            not enabled()
            or request is None
            or not kwargs.get("nonce")
            or request.path != reverse("oidc_authentication_callback")
        ):
            return None
        self.refusal = None
        user = super().authenticate(request, **kwargs)
        if self.refusal:
            request.oidc_refusal = self.refusal
        return user

    def get_user(self, user_id):
        # as Django's: an inactive person's session ends (mozilla-django-oidc's does not check)
        return ModelBackend.get_user(self, user_id)

    def verify_token(self, token, **kwargs):
        """Signature and nonce (mozilla-django-oidc), then issuer, audience and expiry."""
        payload = super().verify_token(token, **kwargs)
        if kwargs.get("nonce") is None:
            return payload  # a JWT userinfo response (not used here)
        issuer = oidc_setting("OIDC_OP_ISSUER", "")
        if not issuer or payload.get("iss") != issuer:
            raise SuspiciousOperation("ID token from another issuer (or OIDC_OP_ISSUER unset)")
        audience = payload.get("aud")
        audience = [audience] if isinstance(audience, str) else list(audience or [])
        client_id = settings.OIDC_RP_CLIENT_ID
        if client_id not in audience or (len(audience) > 1 and payload.get("azp") != client_id):
            raise SuspiciousOperation("ID token issued to another client")
        if not isinstance(payload.get("exp"), int | float) or payload["exp"] < time.time() - 60:
            raise SuspiciousOperation("ID token expired")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        # the verified ID token's claims: signed, and the only place Entra ID puts oid and groups
        return payload

    def subject(self, claims) -> str:
        for claim in settings.OIDC_USERNAME_CLAIMS:
            value = claims.get(claim)
            if value:
                # never cut short: two long subjects sharing a beginning would be one person
                return str(value) if len(str(value)) <= 150 else ""
        return ""

    def provider_groups(self, claims) -> list[str]:
        claim = settings.OIDC_GROUPS_CLAIM
        if claim not in claims and claim in (claims.get("_claim_names") or {}):
            # Entra ID's "group overage": more groups than a token holds; sent elsewhere instead
            self._refuse("too_many_groups")
        groups = claims.get(claim) or []
        return [groups] if isinstance(groups, str) else [str(g) for g in groups]

    def _refuse(self, reason: str):
        self.refusal = reason
        raise Refused(reason)

    def verify_claims(self, claims):
        return bool(self.subject(claims))

    def describe_user_by_claims(self, claims):
        return f"subject {self.subject(claims)}"

    def filter_users_by_claims(self, claims):
        users = self.UserModel.objects.filter(username=self.subject(claims))
        user = users.first()
        if user is not None and (user.has_usable_password() or user.is_superuser):
            self._refuse("password_account")
        return users

    def get_or_create_user(self, access_token, id_token, payload):
        roles = roles_for(self.provider_groups(payload))
        if not roles:
            logger.warning("Single sign-on refused: no role for subject %s", self.subject(payload))
            # someone known here who has lost every role at the provider loses them here now, and with
            # them the sessions they still have (config.sessions)
            known = self.filter_users_by_claims(payload).first() if self.subject(payload) else None
            if known is not None:
                self.roles_set(known, set())
            self._refuse("no_role")
        with transaction.atomic():
            user = super().get_or_create_user(access_token, id_token, payload)
            if user is None:
                return None
            if not user.is_active:
                self._refuse("inactive")
            self.roles_set(user, roles)
        if trusts_provider_mfa(payload):
            user.otp_device, _ = IdentityProviderMFA.objects.get_or_create(
                user=user, defaults={"name": f"{provider_name()} (two-step at the provider)", "confirmed": False}
            )
            user.oidc_provider_mfa = True  # for the callback's security log entry
        return user

    def create_user(self, claims):
        user = self.UserModel(username=self.subject(claims))
        self._copy_claims(user, claims)
        user.set_unusable_password()
        user.save()
        logger.info("Single sign-on created user %s", user.pk)
        return user

    def update_user(self, user, claims):
        self._copy_claims(user, claims)
        user.save(update_fields=["email", "first_name", "last_name"])
        return user

    @staticmethod
    def _copy_claims(user, claims):
        """Email and names from the token; a claim the provider does not send leaves the value here."""
        email = str(claims.get("email") or "")
        if "@" in email:
            user.email = email[:254]
        first, last = claims.get("given_name") or "", claims.get("family_name") or ""
        if not (first or last) and claims.get("name"):
            first, _, last = str(claims["name"]).partition(" ")
        if first or last:
            user.first_name, user.last_name = str(first)[:150], str(last)[:150]

    @staticmethod
    def roles_set(user, roles: set[Group]) -> None:
        """Exactly ``roles`` among our roles (other groups are left alone); the admin only where the work
        needs it, as for the demo's accounts: a Service Director's work is all in the workspace, and so is a
        safeguarding lead's (the case page, the referral); a lead who is also an officer has the admin."""
        held = set(user.groups.filter(name__in=GRANTABLE_ROLES))
        if held - roles:
            user.groups.remove(*(held - roles))
        if roles - held:
            user.groups.add(*(roles - held))
        is_staff = any(role.name not in (SERVICE_DIRECTOR, SAFEGUARDING_LEAD) for role in roles)
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])


def axes_exempt(request, credentials=None) -> bool:
    """django-axes' AXES_WHITELIST_CALLABLE: the callback is not a password guess. It carries no
    username, so its failures would lock out everyone behind the council's one address; the provider
    throttles its own sign-in, and a code can't be guessed (state, nonce and PKCE)."""
    return request is not None and request.path == reverse("oidc_authentication_callback")


def refused(request, reason: str, status: int = 403):
    title, body = REFUSALS.get(reason, REFUSALS["provider"])
    return render(
        request,
        "registration/oidc_refused.html",
        {"title": title, "body": body, "provider_name": provider_name()},
        status=status,
    )


class OIDCStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError):
            logger.exception("Single sign-on: the provider's discovery document could not be read")
            return refused(request, "unavailable", status=503)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back. Every failure is a page saying what to do, never a 500."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not enabled():
            raise Http404("Single sign-on is not configured")
        if request.GET.get("error"):
            logger.warning("Single sign-on: the provider answered %r", request.GET.get("error")[:100])
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            logger.warning("Single sign-on refused: %s", exc)
            reason = getattr(request, "oidc_refusal", None) or "expired"
            return refused(request, reason, status=400 if reason == "expired" else 403)
        except (requests.RequestException, ValueError, KeyError, jwt.PyJWTError) as exc:
            # the provider unreachable or answering nonsense, a malformed or expired token
            logger.warning("Single sign-on: exchanging the code failed: %r", exc)
            return refused(request, "provider", status=502)

    def login_failure(self):
        reason = getattr(self.request, "oidc_refusal", None)
        if reason is None:
            user = getattr(self, "user", None)
            if user is not None and not user.is_active:
                reason = "inactive"
            elif self.request.GET.get("error"):
                reason = "provider"
            else:
                reason = "expired"
        return refused(self.request, reason, status=400 if reason == "expired" else 403)

    def login_success(self):
        response = super().login_success()
        self.request.session.pop("oidc_login_next", None)
        if getattr(self.user, "oidc_provider_mfa", False):
            # as django-otp does on auth.login, also when this person was already signed in
            otp_login(self.request, self.user.otp_device)
            from config.audit import security_event_record
            from config.models import SecurityEventKind

            security_event_record(
                kind=SecurityEventKind.SECOND_STEP_PASSED,
                subject=self.user,
                actor=self.user,
                request=self.request,
                detail={"device": "identity provider"},
            )
        return response


urlpatterns = [
    path("sign-in/sso/", OIDCStartView.as_view(), name="oidc_authentication_init"),
    path("sign-in/sso/callback/", OIDCCallbackView.as_view(), name="oidc_authentication_callback"),
]
