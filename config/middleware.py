"""Response headers the whole site carries (the edge layer: no app imports)."""

from __future__ import annotations

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
