"""``{% sso_sign_in as sso %}``: the single sign-on button's name, or nothing when it is not configured."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def sso_sign_in():
    from config import oidc

    return {"name": oidc.provider_name()} if oidc.enabled() else None
