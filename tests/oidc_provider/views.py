"""The test provider's claims, and two set-up endpoints the fixture calls (guarded by a token).

A person's ``groups`` claim is their Django groups at the provider, as Entra ID lists group ids. A
person in the group ``_mfa`` signed in with more than one factor (``amr: ["pwd", "mfa"]``), others with
a password (``amr: ["pwd"]``); one in ``_overage`` gets Entra ID's "too many groups" pointer instead of
a list. ``sub`` is a stable id that is not the username or the email.
"""

from __future__ import annotations

import hmac
import json
import os

from django.contrib.auth.models import Group, User
from django.http import HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_validators import OAuth2Validator

MFA_GROUP = "_mfa"
OVERAGE_GROUP = "_overage"


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        names = sorted(user.groups.values_list("name", flat=True))
        if OVERAGE_GROUP in names:
            # as Entra ID past 200 groups: no list, a pointer to where it could be fetched
            return {
                "sub": f"subject-{user.pk:06d}",
                "_claim_names": {"groups": "src1"},
                "_claim_sources": {"src1": {"endpoint": "https://graph.example/getMemberObjects"}},
            }
        return {
            "sub": f"subject-{user.pk:06d}",
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "preferred_username": user.username,
            "groups": [name for name in names if name != MFA_GROUP],
            "amr": ["pwd", "mfa"] if MFA_GROUP in names else ["pwd"],
        }


def _allowed(request) -> bool:
    expected = os.environ.get("OIDC_TEST_ADMIN_TOKEN", "")
    return bool(expected) and hmac.compare_digest(request.headers.get("X-Test-Token", ""), expected)


@csrf_exempt
@require_POST
def client_register(request):
    if not _allowed(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    Application = get_application_model()
    Application.objects.filter(client_id=data["client_id"]).delete()
    Application.objects.create(
        name="Moderation Casework",
        client_id=data["client_id"],
        client_secret=data["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(data["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def user_set(request):
    """Create or update a person at the provider: password, names, groups, and whether they used MFA."""
    if not _allowed(request):
        return HttpResponseForbidden()
    data = json.loads(request.body)
    user, _ = User.objects.get_or_create(username=data["username"])
    user.set_password(data["password"])
    user.email = data.get("email", "")
    user.first_name = data.get("given_name", "")
    user.last_name = data.get("family_name", "")
    user.save()
    groups = list(data.get("groups", [])) + ([MFA_GROUP] if data.get("mfa") else [])
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return JsonResponse({"sub": f"subject-{user.pk:06d}"})
