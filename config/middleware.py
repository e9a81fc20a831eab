"""Response headers the whole site carries (the edge layer: no app imports)."""

from __future__ import annotations

import time

from django.contrib.auth.signals import user_logged_in
from django.utils.cache import patch_cache_control

# Features no page of ours uses are switched off for every page and anything it might embed.
# WebAuthn (passkeys) is allowed for our own origin only.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "camera=()",
        "display-capture=()",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "usb=()",
        "publickey-credentials-create=(self)",
        "publickey-credentials-get=(self)",
    ]
)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; signed-in pages are never stored by a browser or proxy.

    Case files hold personal data: a shared computer's back button or a caching proxy must not
    show them after sign-out. Responses that set their own Cache-Control (static files, the API's
    own choices) keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            patch_cache_control(response, no_store=True, private=True)
        return response


SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"


class SessionLimitsMiddleware:
    """Signs a person out after the policy's ``session_idle_minutes`` without a request, and its
    ``session_absolute_hours`` after they signed in, whatever they were doing (the first policy
    version takes both from the ``SESSION_IDLE_MINUTES`` and ``SESSION_ABSOLUTE_HOURS`` settings).

    The next page then asks them to sign in again (and comes back to where they were); an htmx
    request is told to load the sign-in page instead of swapping it into the page; the API answers
    as to anyone not signed in. The last-seen time is written at most once a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        expired = self._expired(request)
        if expired:
            from django.contrib import messages
            from django.contrib.auth import logout

            from config.audit import security_event_record
            from config.models import SecurityEventKind

            security_event_record(kind=SecurityEventKind.SESSION_EXPIRED, subject=request.user, detail={"why": expired})
            logout(request)
            if not request.path.startswith("/api/"):
                messages.info(request, expired)
                return self._to_sign_in(request)
        return self.get_response(request)

    def _expired(self, request) -> str | None:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if session is None or user is None or not user.is_authenticated or not hasattr(user, "groups"):
            return None
        from policy import services as policy

        now = int(time.time())
        signed_in = session.get(SIGNED_IN_AT)
        seen = session.get(LAST_SEEN_AT)
        if signed_in is None:
            session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now
            return None
        limits = policy.current()  # the organisation's policy sets both limits (changed without a restart)
        absolute_hours, idle_minutes = limits.session_absolute_hours, limits.session_idle_minutes
        if now - signed_in > absolute_hours * 3600:
            return f"You have been signed out: sessions last {absolute_hours} hours. Sign in again."
        if seen is not None and now - seen > idle_minutes * 60:
            return f"You have been signed out after {idle_minutes} minutes without activity. Sign in again to carry on."
        if seen is None or now - seen >= 60:
            session[LAST_SEEN_AT] = now
        return None

    @staticmethod
    def _to_sign_in(request):
        from django.conf import settings
        from django.contrib.auth.views import redirect_to_login
        from django.http import HttpResponse
        from django.shortcuts import resolve_url

        login_url = resolve_url("admin:login" if request.path.startswith("/admin/") else settings.LOGIN_URL)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{login_url}?next={request.get_full_path()}"
            return response
        return redirect_to_login(request.get_full_path(), login_url)


def _stamp_sign_in(sender, request, user, **kwargs):
    if hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[LAST_SEEN_AT] = int(time.time())


user_logged_in.connect(_stamp_sign_in, dispatch_uid="config.middleware.stamp_sign_in")
