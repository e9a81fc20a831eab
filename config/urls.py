from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from config import mfa
from escalation import urls as escalation_urls
from moderation import urls as moderation_urls
from moderation import views as moderation_views
from moderation.api import views as api_views
from moderation.forms import SignInForm
from moderation.reach import install_admin_site_rule


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links: send them to the hashed static file."""
    return HttpResponsePermanentRedirect(static("images/favicon.ico"))


admin.site.site_header = "Moderation Casework"
admin.site.site_title = "Moderation Casework"
admin.site.index_title = "Casework administration"
install_admin_site_rule(admin.site)

# The API's schema and its docs are public on purpose: they describe the interface (a copy is in the
# repository, docs/openapi.yaml), hold no data, and an integrator reads them before holding a token.
# They authenticate nobody, so a token or a session changes nothing on these two pages. The docs page
# loads its set-up script from a URL of its own (the split view), so the CSP needs no inline script.
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

urlpatterns = [
    path("", moderation_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    # open to everyone, signed in or not, and linked from the footer of every page (the admin's too)
    path("accessibility/", moderation_views.accessibility_statement, name="accessibility"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="registration/sign_in.html", authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="sign_in",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign_out"),
    path("", include("config.oidc")),
    path("", include(mfa.urlpatterns)),
    path("webauthn/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    # the moderation: namespace is moderation's pages and the three that show escalation's rows too (ADR 10)
    path("", include((moderation_urls.urlpatterns + escalation_urls.moderation_urlpatterns, "moderation"))),
    path("", include("escalation.urls")),
    path("api/v1/", include("escalation.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(**PUBLIC), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema", **PUBLIC), name="api_docs"),
    # anything else under /api (/api/, /api/v2/ …) answers the API's JSON 404, never the site's HTML page
    re_path(r"^api(?:/|$)", api_views.not_found, name="api_not_found"),
    path("admin/", admin.site.urls),
]
