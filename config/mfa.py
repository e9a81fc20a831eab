"""Two-step verification for every staff account (django-otp), required before any page after sign-in.

A person signs in with their password, then proves a second factor: a code from an authenticator app
(TOTP), a passkey (django-otp-webauthn), or one of their single-use recovery codes. Someone with
none set up is taken to set one up, and is given recovery codes once it works. Until then every page,
the admin included, sends them here; the API answers 403 JSON to such a session.

Failures at the code step count towards the same lockout as wrong passwords (django-axes): five in a
row lock the username from that address, and the half-signed-in session is ended.
"""

from __future__ import annotations

import base64
import logging

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper

from config.audit import security_event_record
from config.models import SecurityEventKind
from moderation.forms import GovukFormMixin

logger = logging.getLogger("moderation.security")

RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
SHOW_CODES_SESSION_KEY = "mfa_new_recovery_codes"
# Paths a signed-in person who has not passed the second step may still open.
OPEN_PREFIXES = (
    "/mfa/",
    "/webauthn/",
    "/sign-out/",
    "/sign-in/",
    "/static/",
    "/favicon.ico",
    "/admin/logout/",
    "/accessibility/",  # the accessibility statement, linked from every page's footer
)


def is_person(user) -> bool:
    """A signed-in person (an integration's token is not one, and has its own authentication)."""
    return bool(user and user.is_authenticated and hasattr(user, "groups"))


def needs_second_step(request) -> bool:
    user = getattr(request, "user", None)
    if not settings.MFA_REQUIRED or not is_person(user):
        return False
    return not user.is_verified()


def safe_next(request, default: str = "/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class SessionOTPMiddleware(OTPMiddleware):
    """django-otp's middleware without its query on every request.

    django-otp loads the verifying device from the database on each request. Here the session
    carries the verification (set by ``django_otp.login`` after a right code), and the device is
    loaded only if something asks for it. A device deleted or switched off ends its user's sessions
    (``config.sessions``), so a session never outlives the device that verified it.
    """

    def _verify_user_sync(self, request, user):
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY) if user.is_authenticated else None
        if persistent_id:
            user.otp_device = SimpleLazyObject(lambda: self._device_from_persistent_id(persistent_id))
            user.is_verified = lambda: True
        return user


class SecondStepRequiredMiddleware:
    """After ``django_otp.middleware.OTPMiddleware``: no page before the second step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if needs_second_step(request) and not request.path.startswith(OPEN_PREFIXES):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Finish signing in with two-step verification before using the API."}, status=403
                )
            target = reverse("mfa_verify") if user_has_device(request.user) else reverse("mfa_setup")
            response = HttpResponseRedirect(f"{target}?next={request.get_full_path()}")
            if request.headers.get("HX-Request"):
                response.status_code = 204
                response["HX-Redirect"] = response["Location"]
            return response
        return self.get_response(request)


# --- forms -------------------------------------------------------------------------------------


class CodeForm(GovukFormMixin, forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "class": "govuk-input--width-10",
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "autocapitalize": "none",
                "autofocus": True,
            }
        ),
        error_messages={"required": "Enter the code from your authenticator app or a recovery code"},
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


class AppSetupForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "The 6-digit code the app shows for this account."
        self.fields["code"].error_messages["required"] = "Enter the 6-digit code your authenticator app shows"


# --- services (the only writes here) -------------------------------------------------------------


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Replace ``user``'s recovery codes with ``RECOVERY_CODE_COUNT`` new single-use ones; returns them."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    security_event_record(kind=SecurityEventKind.RECOVERY_CODES_RENEWED, subject=user)
    logger.info("Recovery codes renewed for user %s", user.pk)
    return codes


def pending_app_device(user) -> TOTPDevice:
    """The authenticator-app device being set up (unconfirmed), made on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def _throttled(device) -> str:
    """django-otp waits longer after each wrong code (1, 2, 4 … seconds) before it checks another."""
    _, detail = device.verify_is_allowed()
    until = (detail or {}).get("locked_until")
    from django.utils import timezone

    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return (
        f"Too many tries in a row. Wait {seconds} second{'s' if seconds != 1 else ''}, then enter the code shown then"
    )


def _failed(request, user) -> bool:
    """Count a failed code as a failed sign-in (django-axes); True when that locked the person out."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    logger.warning("Two-step verification failed for user %s", user.pk)
    return not AxesProxyHandler.is_allowed(request, credentials)


def _locked_out(request):
    from config.lockout import locked_out

    logout(request)
    return locked_out(request)


# --- views -------------------------------------------------------------------------------------


def _base_context(request) -> dict:
    return {"next": safe_next(request, "")}


@login_required
@never_cache
def setup(request):
    """Choose how to give the second step: an authenticator app or a passkey."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect(f"{reverse('mfa_verify')}?next={safe_next(request)}")
    from django_otp_webauthn.models import WebAuthnCredential

    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).first()
    return render(
        request,
        "registration/mfa_setup.html",
        {
            **_base_context(request),
            "enrolled": user_has_device(user),
            "has_app": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).count(),
            "recovery_left": recovery.token_set.count() if recovery else 0,
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def setup_app(request):
    """Add an authenticator app: scan the QR code (or type the key), then enter the code it shows."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        return redirect(f"{reverse('mfa_verify')}?next={safe_next(request)}")
    device = pending_app_device(user)
    form = AppSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return _locked_out(request)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            if _failed(request, user):
                return _locked_out(request)
            form.add_error("code", _throttled(device))
        elif device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = recovery_codes_renew(user=user)
            otp_login(request, device)
            request.session[SHOW_CODES_SESSION_KEY] = codes
            security_event_record(kind=SecurityEventKind.DEVICE_ADDED, subject=user, detail={"device": "app"})
            logger.info("Authenticator app set up for user %s", user.pk)
            messages.success(request, "Your authenticator app is set up.")
            return redirect(f"{reverse('mfa_recovery_codes')}?next={safe_next(request)}")
        else:
            if _failed(request, user):
                return _locked_out(request)
            form.add_error("code", "The code is not right. Check the app shows this account and enter its current code")
    key = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/mfa_setup_app.html",
        {
            **_base_context(request),
            "form": form,
            "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
            # segno's own SVG of our own otpauth:// URL (a viewBox and no fixed size: it scales down)
            "qr_svg": mark_safe(  # noqa: S308
                qr.svg_inline(scale=5, omitsize=True, title="QR code to add this account to an authenticator app")
            ),
        },
    )


@login_required
@never_cache
@sensitive_post_parameters("code")
def verify(request):
    """The second step: a code from the authenticator app, a recovery code, or a passkey."""
    from axes.handlers.proxy import AxesProxyHandler

    user = request.user
    if not settings.MFA_REQUIRED and not user_has_device(user):
        return redirect(safe_next(request))
    if user.is_verified():
        return redirect(safe_next(request))
    if not user_has_device(user):
        return redirect(f"{reverse('mfa_setup')}?next={safe_next(request)}")
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if app is not None and code.isdigit() and len(code) == app.digits and not app.verify_is_allowed()[0]:
            # a try while django-otp makes them wait still counts towards the lockout
            if _failed(request, user):
                return _locked_out(request)
            form.add_error("code", _throttled(app))
            return _verify_page(request, user, form)
        device = next(
            (d for d in devices_for_user(user) if isinstance(d, TOTPDevice | StaticDevice) and d.verify_token(code)),
            None,
        )
        if device is not None:
            otp_login(request, device)
            security_event_record(
                kind=SecurityEventKind.SECOND_STEP_PASSED,
                subject=user,
                detail={"device": "recovery code" if isinstance(device, StaticDevice) else "app"},
            )
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"You used a recovery code. You have {left} left: make new ones from "
                    "‘Two-step verification’ (beside ‘Sign out’) if you are running low.",
                )
            return redirect(safe_next(request))
        if _failed(request, user):
            return _locked_out(request)
        form.add_error("code", "The code is not right. Enter the code your app shows now, or a recovery code")
    return _verify_page(request, user, form)


def _verify_page(request, user, form):
    has_passkey = any(not isinstance(d, TOTPDevice | StaticDevice) for d in devices_for_user(user))
    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return render(
        request,
        "registration/mfa_verify.html",
        {**_base_context(request), "form": form, "has_passkey": has_passkey, "has_app": has_app},
    )


@login_required
@never_cache
def recovery_codes(request):
    """Shows new recovery codes once; a verified person may make a new set (the old ones stop working)."""
    if request.method == "POST":
        if not request.user.is_verified():
            return redirect(f"{reverse('mfa_verify')}?next={reverse('mfa_recovery_codes')}")
        request.session[SHOW_CODES_SESSION_KEY] = recovery_codes_renew(user=request.user)
        return redirect("mfa_recovery_codes")
    codes = request.session.pop(SHOW_CODES_SESSION_KEY, None)
    device = StaticDevice.objects.filter(user=request.user, name=RECOVERY_DEVICE_NAME).first()
    left = device.token_set.count() if device else 0
    return render(
        request,
        "registration/mfa_recovery_codes.html",
        {**_base_context(request), "codes": codes, "left": left, "verified": request.user.is_verified()},
    )


class PasskeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper (``OTP_WEBAUTHN_HELPER_CLASS``), recording each passkey set up in the
    security log, as an authenticator app's is: the library sends no signal of its own."""

    def register_complete(self, user, state: dict, data: dict):
        device = super().register_complete(user=user, state=state, data=data)
        security_event_record(
            kind=SecurityEventKind.DEVICE_ADDED, subject=user, request=self.request, detail={"device": "passkey"}
        )
        logger.info("Passkey set up for user %s", user.pk)
        return device


@login_required
@never_cache
def passkey_added(request):
    """Where the passkey page goes once the browser has registered one: recovery codes, once."""
    from django_otp_webauthn.models import WebAuthnCredential

    if not request.user.is_verified() or not WebAuthnCredential.objects.filter(user=request.user).exists():
        return redirect("mfa_setup")
    device = StaticDevice.objects.filter(user=request.user, name=RECOVERY_DEVICE_NAME).first()
    if device is None or not device.token_set.exists():
        request.session[SHOW_CODES_SESSION_KEY] = recovery_codes_renew(user=request.user)
    messages.success(request, "Your passkey is set up.")
    return redirect(f"{reverse('mfa_recovery_codes')}?next={safe_next(request)}")


urlpatterns = [
    path("mfa/", setup, name="mfa_setup"),
    path("mfa/app/", setup_app, name="mfa_setup_app"),
    path("mfa/verify/", verify, name="mfa_verify"),
    path("mfa/recovery-codes/", recovery_codes, name="mfa_recovery_codes"),
    path("mfa/passkey-added/", passkey_added, name="mfa_passkey_added"),
]
