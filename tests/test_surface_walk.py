"""Every admin and API URL, as each role, as an administrator and as an integration token.

The workspace walk (``test_permission_walk``) checks status codes. This one checks what leaks: in a
world with a case in the Service Director's area and a canary case in another area (on a channel
the integration does not post to), it opens every admin page (index, app indexes, each model's
changelist, add, change, history and delete pages for an object of each kind, custom admin views)
and every API list, and fails on

* any admin page that opens (200) for a role whose work does not need the admin;
* any page or API answer whose body holds a canary (a handle, a text) the reader must not see;
* any 5xx.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from escalation.models import Appeal, Block, ExternalReport, PoliceReport, SignOff, Warning
from moderation import clock, reach, services
from moderation.constants import FlagKind
from moderation.enquiries import enquiry_record
from moderation.models import (
    Case,
    CaseEvent,
    Enquiry,
    Evidence,
    Flag,
    FlagRule,
    Post,
    SafeguardingReferral,
    SocialAccount,
)
from tests import factories

pytestmark = pytest.mark.django_db

CANARY_HANDLE = "canary-otherarea"
CANARY_TEXT = "canary text from another area"


@pytest.fixture
def world(officer, manager, director, md, service_area, other_director):
    in_area = factories.OpenCaseFactory(service_area=service_area, recorded_by=officer)
    factories.AwaitingSignoffWarningFactory(case=in_area, drafted_by=officer)
    block = factories.AppealEligibleBlockFactory(case=in_area, proposed_by=officer)
    factories.UnderReviewAppealFactory(block=block, recorded_by=officer)

    other_area = factories.ServiceAreaFactory(name="Parking")
    canary_account = factories.SocialAccountFactory(handle=CANARY_HANDLE, display_name="Canary Person")
    other_channel = factories.ChannelFactory(name="Other page", handle="otherpage")
    canary = factories.OpenCaseFactory(
        service_area=other_area, account=canary_account, channel=other_channel, recorded_by=officer
    )
    Post.objects.filter(case=canary).update(text=CANARY_TEXT)
    factories.AwaitingSignoffWarningFactory(case=canary, drafted_by=officer)
    canary_block = factories.AppealEligibleBlockFactory(case=canary, account=canary_account, proposed_by=officer)
    factories.UnderReviewAppealFactory(block=canary_block, recorded_by=officer)
    png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    Evidence.objects.create(case=canary, file=png, description="Canary screenshot", added_by=officer)
    flag_rule = FlagRule.objects.create(
        name="Insults", kind=FlagKind.WORD_LIST, terms="canary", house_rule=factories.rule("abusive")
    )
    Flag.objects.create(post=canary.posts.first(), rule=flag_rule, reason="matched ‘canary’")
    Flag.objects.create(post=in_area.posts.first(), rule=flag_rule, reason="matched")
    Evidence.objects.create(case=in_area, url="https://example.org/post/1", description="Link", added_by=officer)
    for case, reference in ((in_area, "FB-1"), (canary, "FB-CANARY")):
        ExternalReport.objects.create(
            case=case,
            reported_to="platform",
            recipient="Facebook",
            reference=reference,
            reported_on=clock.now().date(),
            recorded_by=officer,
        )
    for case in (in_area, canary):
        enquiry_record(actor=officer, case=case, kind="complaint", received_on=timezone.localdate(clock.now()))

    own_channel = in_area.channel
    integration, token = services.integration_create(actor=None, name="Social inbox", channels=[own_channel])
    superuser = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
    no_role = factories.UserFactory(username="nobody.staff", is_staff=True)
    for user in (officer, manager, director, md, other_director):
        user.is_staff = True  # "staff status" ticked for everyone: the rule must not rest on it
        user.save(update_fields=["is_staff"])
    users = {
        "officer": officer,
        "manager": manager,
        "director": director,
        "other_director": other_director,
        "md": md,
        "superuser": superuser,
        "no_role": no_role,
    }
    return users, token, canary


def admin_urls(canary: Case) -> list[str]:
    """Every admin page for the canary's rows, of every registered model."""
    objects = {
        Case: canary,
        Post: canary.posts.first(),
        Evidence: Evidence.objects.filter(case=canary).first(),
        CaseEvent: CaseEvent.objects.filter(case=canary).first(),
        SocialAccount: canary.account,
        Warning: Warning.objects.filter(case=canary).first(),
        SignOff: SignOff.objects.filter(case=canary).first(),
        Block: Block.objects.filter(case=canary).first(),
        Appeal: Appeal.objects.filter(block__case=canary).first(),
        Flag: Flag.objects.filter(post__case=canary).first(),
        PoliceReport: None,
        ExternalReport: ExternalReport.objects.filter(case=canary).first(),
        SafeguardingReferral: None,
        Enquiry: Enquiry.objects.filter(case=canary).first(),
    }
    urls = [reverse("admin:index")]
    app_labels = set()
    for model in admin.site._registry:
        meta = model._meta
        app_labels.add(meta.app_label)
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        obj = objects.get(model) if model in objects else model._default_manager.order_by("pk").first()
        if obj is not None:
            for view in ("change", "history", "delete"):
                urls.append(reverse(f"{prefix}_{view}", args=[obj.pk]))
        # searching and filtering the changelist for the canary must find nothing either
        urls.append(reverse(f"{prefix}_changelist") + f"?q={CANARY_HANDLE}")
    urls += [reverse("admin:app_list", args=[label]) for label in sorted(app_labels)]
    return urls


def api_urls() -> list[str]:
    return [
        reverse("api:case_list") + "?status=all",
        reverse("api:account_list"),
        reverse("api:block_list"),
        reverse("api:appeal_list"),
        reverse("api_schema"),
        reverse("api_docs"),
    ]


def canary_in(body: str) -> bool:
    return CANARY_HANDLE in body or CANARY_TEXT in body or "Canary Person" in body


# Who may open the admin, and whether they read the canary (another area's case) anywhere.
ADMIN_ROLES = {"officer", "manager", "md", "superuser"}
READS_CANARY = {"officer", "manager", "md", "superuser"}
READS_API = {"officer", "manager", "md", "superuser"}


@pytest.mark.parametrize("role", ["officer", "manager", "director", "other_director", "md", "superuser", "no_role"])
def test_every_admin_page_as(role, client, world):
    users, _, canary = world
    client.force_login(users[role])
    problems = []
    for url in admin_urls(canary):
        response = client.get(url)
        body = response.content.decode()
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        elif role not in ADMIN_ROLES:
            if response.status_code == 200:
                problems.append(f"{url}: 200, but the {role}'s work does not need the admin")
            if canary_in(body):
                problems.append(f"{url}: shows another area's case")
        elif role not in READS_CANARY and canary_in(body):
            problems.append(f"{url}: shows another area's case")
        elif response.status_code == 302 and response["Location"] == url:
            problems.append(f"{url}: redirects to itself")
    assert not problems, f"as {role}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ["officer", "manager", "director", "other_director", "md", "superuser", "no_role"])
def test_every_api_url_as(role, client, world):
    users, _, _ = world
    client.force_login(users[role])
    problems = []
    for url in api_urls():
        response = client.get(url)
        body = response.content.decode()
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        if url.startswith("/api/v1/"):
            if role in READS_API and response.status_code != 200:
                problems.append(f"{url}: {response.status_code}, expected 200")
            if role not in READS_API and response.status_code != 403:
                problems.append(f"{url}: {response.status_code}, expected 403")
            if response.status_code != 200 and not response["Content-Type"].startswith("application/json"):
                problems.append(f"{url}: an error that is not JSON")
        if role not in READS_CANARY and canary_in(body):
            problems.append(f"{url}: shows another area's case")
    assert not problems, f"as {role}:\n" + "\n".join(problems)


def test_every_admin_and_api_url_as_an_integration_token(client, world):
    _, token, canary = world
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    problems = []
    for url in admin_urls(canary):
        response = client.get(url, **headers)
        if response.status_code == 200 or response.status_code >= 500:
            problems.append(f"{url}: {response.status_code} to a token")
        if canary_in(response.content.decode()):
            problems.append(f"{url}: shows the canary to a token")
    for url in api_urls():
        response = client.get(url, **headers)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code} to a token")
        if canary_in(response.content.decode()):
            problems.append(f"{url}: shows a case on a channel the token does not post to")
    assert not problems, "\n".join(problems)


def test_a_director_given_the_admin_by_mistake_still_reads_only_their_areas(rf, world):
    """Defence in depth: the casework querysets follow the reach rule whoever opens them."""
    users, _, canary = world
    director = users["director"]
    request = rf.get("/")
    request.user = director
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, reach.CaseReachAdminMixin):
            continue
        rows = model_admin.get_queryset(request)
        if model is SocialAccount:
            assert not rows.filter(pk=canary.account_id).exists(), model
        elif model is Case:
            assert not rows.filter(pk=canary.pk).exists()
            assert rows.exists()
        else:
            path = model_admin.case_path.removesuffix("__")
            assert not rows.filter(**{path: canary}).exists(), model
            if model not in (CaseEvent, PoliceReport, SafeguardingReferral):  # none made in this world
                assert rows.exists(), f"{model.__name__}: the director's own area is empty"


def test_the_admin_link_shows_only_to_those_it_opens_for(client, world):
    users, _, _ = world
    for role, user in users.items():
        client.force_login(user)
        if role == "superuser":
            continue  # lands in the admin itself
        page = client.get(
            reverse("escalation:decision_list")
            if role in ("director", "other_director", "md", "manager")
            else reverse("moderation:case_list")
        )
        if page.status_code != 200:
            continue
        shows = reverse("admin:index") in page.content.decode()
        assert shows == (role in ADMIN_ROLES), role
