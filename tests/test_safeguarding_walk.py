"""A safeguarding case's text on every surface (issue 12: "Only roles with the safeguarding permission read
the post's text once it is marked; the rest see that a safeguarding case exists").

One world holds a marked case whose post, earlier post text, case reason, flag, evidence note and external
report note all carry canary words, with a warning, a block, an appeal and an enquiry on it, and a CSV
import whose preview holds the case's post again and a new post matching a safeguarding flag rule. The
walk opens every workspace page, download and export, every admin page and search, every API answer and
search, and reads every email written, as each role without the safeguarding permission (an officer, a
manager, the Managing Director, a Service Director of the case's area, an administrator), asserting no
canary appears anywhere while the case itself does (it exists); then as the safeguarding lead, asserting
the text is there where the lead reads it.

Who reported the post (``Case.reported_by``, a member of the public's personal data) follows its own
rule (``policy.roles.can_read_reporter``): the team working the case reads it; roles that only decide,
the administrator, the API and everything made for the account owner (subject access, statements) never.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from escalation.models import Appeal, Block, ExternalReport, SignOff, Warning
from moderation import clock, csvfiles, imports
from moderation.constants import FlagKind
from moderation.enquiries import enquiry_record
from moderation.models import (
    Case,
    CaseEvent,
    Enquiry,
    Evidence,
    Flag,
    FlagRule,
    HouseRule,
    OutboxMessage,
    Post,
    PostTextRevision,
    SafeguardingReferral,
    SocialAccount,
)
from moderation.safeguarding import case_mark_safeguarding
from policy.roles import RESTRICTED_TEXT, SAFEGUARDING_LEAD
from tests import factories

pytestmark = pytest.mark.django_db

POST_TEXT = "I will hurt myself tonight zebracorn lanternfish"  # the marked case's post
EARLIER_TEXT = "an earlier version quokkaflame marmosetglow"  # the same post's earlier text
REASON = "Disclosure QUOTEDINREASON of intent ALSOINREASON"  # the case's reason, written by the officer
FLAG_WORD = "zebracorn"  # a safeguarding flag rule's word: its flag's reason quotes it
EVIDENCE_NOTE = "screenshot of the EVIDENCECANARY post"
REPORT_NOTE = "told them EXTREPORTCANARY"
IMPORT_TEXT = "nobody would miss me zebracorn honestly"  # a new row of the CSV matching the safeguarding rule
CANARIES = (
    "zebracorn", "lanternfish", "quokkaflame", "marmosetglow", "QUOTEDINREASON", "ALSOINREASON",
    "EVIDENCECANARY", "EXTREPORTCANARY", "miss me",
)  # fmt: skip
REPORTER = "Penelope Reporter-Quail"  # who reported the post to us: a member of the public

HEADER = "Message ID,Date,Author,Author Name,Message,Permalink,Profile,Type"


def canaries_in(body: str, searched: str = "") -> list[str]:
    """The canaries in ``body``; a search's own word, echoed in its search box, aside (each text carries
    two canaries, so a search that finds the text still shows the other)."""
    if searched:
        body = body.lower().replace(searched.lower(), "")
    return [canary for canary in CANARIES if canary.lower() in body.lower()]


def searched_word(url: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(url).query).get("q") or [""])[0]


@pytest.fixture
def lead(db):
    return factories.SafeguardingLeadFactory(username="sophie.lead", email="sophie@council.example", is_staff=True)


@pytest.fixture
def world(officer, manager, director, md, service_area, lead, django_capture_on_commit_callbacks, mailoutbox):
    self_harm = HouseRule.objects.create(
        code="self-harm", title="Explicit detail of self-harm or suicide", safeguarding=True, position=90
    )
    flag_rule = FlagRule.objects.create(
        name="Self-harm words", kind=FlagKind.WORD_LIST, terms=FLAG_WORD, house_rule=self_harm
    )
    channel = factories.ChannelFactory(name="Council page", handle="northhertsdc")
    account = factories.SocialAccountFactory(handle="worried_resident", display_name="Worried Resident")
    case = factories.OpenCaseFactory(
        account=account,
        channel=channel,
        reason=REASON,
        reported_by=REPORTER,
        service_area=service_area,
        recorded_by=officer,
        posts=[],
        response_due_at=clock.now() + timedelta(days=3),
    )
    post = factories.PostFactory(case=case, channel=channel, account=account, text=POST_TEXT, external_id="c1")
    PostTextRevision.objects.create(post=post, text=EARLIER_TEXT, kind="replaced", received_at=clock.now())
    Flag.objects.create(post=post, rule=flag_rule, reason=f"matched ‘{FLAG_WORD}’", status="confirmed")
    Evidence.objects.create(case=case, url="https://example.org/p/1", description=EVIDENCE_NOTE, added_by=officer)
    ExternalReport.objects.create(
        case=case, reported_to="platform", recipient="Facebook", reference="FB-77", note=REPORT_NOTE,
        reported_on=timezone.localdate(clock.now()), recorded_by=officer,
    )  # fmt: skip
    factories.AwaitingSignoffWarningFactory(case=case, drafted_by=officer)
    block = factories.AppealEligibleBlockFactory(case=case, account=account, proposed_by=officer)
    factories.UnderReviewAppealFactory(block=block, recorded_by=officer)
    enquiry_record(actor=officer, case=case, kind="complaint", received_on=timezone.localdate(clock.now()))
    with django_capture_on_commit_callbacks(execute=True):
        case_mark_safeguarding(actor=officer, case=case, reason="A risk to the author.")
    case.refresh_from_db()

    # a CSV export holding the case's post again (already stored) and a new post the safeguarding rule flags
    rows = [
        f'c1,01/03/2025 14:05,@worried_resident,Worried Resident,"{POST_TEXT}",https://facebook.com/p/1,northhertsdc,Comment',
        f'c2,01/03/2025 14:06,@someone_else,Someone Else,"{IMPORT_TEXT}",https://facebook.com/p/2,northhertsdc,Comment',
        "c3,01/03/2025 14:07,@third,Third Person,Bins not collected,https://facebook.com/p/3,northhertsdc,Comment",
    ]
    data = ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()
    upload = SimpleUploadedFile("export.csv", data, content_type="text/csv")
    csv_import = imports.import_upload(actor=officer, file=upload, source_name="Hootsuite export")
    csv_import = imports.import_match_columns(
        actor=officer, csv_import=csv_import, columns=csvfiles.guess_columns(csv_import.headings), channel=None
    )
    for user in (officer, manager, md):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    superuser = factories.UserFactory(username="ada.admin", is_superuser=True, is_staff=True)
    return {
        "case": case,
        "post": post,
        "block": block,
        "csv_import": csv_import,
        "users": {
            "officer": officer,
            "manager": manager,
            "director": director,
            "md": md,
            "superuser": superuser,
            "lead": lead,
        },
    }


def workspace_urls(world) -> list[str]:
    case, post, block = world["case"], world["post"], world["block"]
    appeal = Appeal.objects.get(block=block)
    signoff = SignOff.objects.filter(case=case).first()
    enquiry = Enquiry.objects.get(case=case)
    words = ("zebracorn", "quokkaflame", "QUOTEDINREASON", "hurt")
    return [
        reverse("moderation:case_list") + "?status=all",
        *[reverse("moderation:case_list") + f"?status=all&q={word}" for word in words],
        reverse("moderation:case_detail", args=[case.pk]),
        reverse("moderation:account_detail", args=[case.account_id]),
        reverse("moderation:flag_list"),
        reverse("moderation:flag_list") + "?status=all",
        reverse("moderation:case_create") + f"?post={post.pk}",
        reverse("moderation:import_detail", args=[world["csv_import"].pk]),
        reverse("moderation:import_list"),
        reverse("escalation:decision_list"),
        reverse("escalation:signoff_detail", args=[signoff.pk]),
        reverse("escalation:warning_detail", args=[Warning.objects.get(case=case).pk]),
        reverse("escalation:block_detail", args=[block.pk]),
        reverse("escalation:appeal_list"),
        reverse("escalation:appeal_detail", args=[appeal.pk]),
        reverse("escalation:appeal_create", args=[block.pk]),
        reverse("escalation:enquiry_create", args=[case.pk]),
        reverse("escalation:enquiry_from_post", args=[post.pk]),
        reverse("escalation:enquiry_step", args=[enquiry.pk, "answered"]),
        reverse("escalation:external_report_create", args=[case.pk]),
        reverse("escalation:safeguarding_mark", args=[case.pk]),
        reverse("escalation:warning_create", args=[case.pk]),
        reverse("escalation:block_create", args=[case.pk]),
        reverse("escalation:notification_preferences"),
        reverse("escalation:report"),
        reverse("escalation:report_download", args=["csv"]),
        reverse("escalation:statements_download", args=["jsonl"]),
        reverse("escalation:statements_download", args=["csv"]),
        reverse("moderation:case_statements", args=[case.pk]),
    ]


def admin_urls(world) -> list[str]:
    case = world["case"]
    objects = {
        Case: case,
        Post: world["post"],
        Evidence: Evidence.objects.filter(case=case).first(),
        CaseEvent: CaseEvent.objects.filter(case=case).order_by("pk").first(),
        SocialAccount: case.account,
        Warning: Warning.objects.filter(case=case).first(),
        SignOff: SignOff.objects.filter(case=case).first(),
        Block: world["block"],
        Appeal: Appeal.objects.filter(block__case=case).first(),
        Flag: Flag.objects.filter(post__case=case).first(),
        ExternalReport: ExternalReport.objects.filter(case=case).first(),
        SafeguardingReferral: None,
        Enquiry: Enquiry.objects.filter(case=case).first(),
    }
    urls = []
    for model in admin.site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        for word in ("zebracorn", "quokkaflame", "QUOTEDINREASON", "Reporter-Quail"):
            urls.append(reverse(f"{prefix}_changelist") + f"?q={word}")
        obj = objects.get(model) if model in objects else None
        if obj is not None:
            for view in ("change", "history"):
                urls.append(reverse(f"{prefix}_{view}", args=[obj.pk]))
    return urls


def api_urls(world) -> list[str]:
    case = world["case"]
    return [
        "/api/v1/cases/?status=all",
        *[f"/api/v1/cases/?status=all&q={word}" for word in ("zebracorn", "quokkaflame", "QUOTEDINREASON", "hurt")],
        f"/api/v1/cases/{case.pk}/",
        "/api/v1/accounts/",
        "/api/v1/blocks/",
        "/api/v1/appeals/",
    ]


def body_of(response) -> str:
    """The page, download or export as text (an XLSX or ZIP read inside)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode(errors="replace") for name in archive.namelist())
    return content.decode(errors="replace")


NOT_LEADS = ("officer", "manager", "director", "md", "superuser")


@pytest.mark.parametrize("role", NOT_LEADS)
def test_no_surface_shows_a_safeguarding_cases_text_to_a_role_without_the_permission(role, client, world):
    user = world["users"][role]
    case = world["case"]
    client.force_login(user)
    problems, opened = [], 0
    for url in [*workspace_urls(world), *admin_urls(world)]:
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        if response.status_code != 200:
            continue
        opened += 1
        found = canaries_in(body_of(response), searched_word(url))
        if found:
            problems.append(f"{url}: shows {found}")
    api = APIClient()
    api.force_login(user)
    for url in api_urls(world):
        response = api.get(url)
        if response.status_code == 200:
            opened += 1
            found = canaries_in(response.content.decode(), searched_word(url))
            if found:
                problems.append(f"API {url}: shows {found}")
    # subject access: the account's everything, as whoever may download it
    response = client.post(reverse("moderation:account_subject_access", args=[case.account_id]))
    if response.status_code == 200:
        found = canaries_in(body_of(response))
        if found:
            problems.append(f"subject access: shows {found}")
    assert opened > 3, f"{role} opened too few pages for the walk to mean anything"
    assert not problems, f"as {role}:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_the_team_sees_that_the_safeguarding_case_exists(role, client, world):
    client.force_login(world["users"][role])
    case = world["case"]
    page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
    assert RESTRICTED_TEXT in page
    assert "app-safeguarding-tag" in page or "Safeguarding" in page
    queue = client.get(reverse("moderation:case_list") + "?status=all").content.decode()
    assert reverse("moderation:case_detail", args=[case.pk]) in queue
    preview = client.get(reverse("moderation:import_detail", args=[world["csv_import"].pk])).content.decode()
    assert RESTRICTED_TEXT in preview
    assert "Bins not collected" in preview  # an ordinary row is shown as it is


def test_no_email_written_carries_the_text(world, mailoutbox):
    """Every email written in the world (the leads' alert, sign-off requests, notices), sent or waiting."""
    bodies = [f"{m.subject}\n{m.body}" for m in mailoutbox]
    bodies += [f"{m.subject}\n{m.body}" for m in OutboxMessage.objects.all()]
    assert bodies, "the world wrote no email: the check would mean nothing"
    leaks = [(body.splitlines()[0], canaries_in(body)) for body in bodies if canaries_in(body)]
    assert not leaks


def test_the_lead_reads_the_text_where_the_work_needs_it(client, world):
    lead, case = world["users"]["lead"], world["case"]
    client.force_login(lead)
    page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
    assert POST_TEXT in page
    assert "QUOTEDINREASON" in page
    assert "quokkaflame" in page  # the earlier version
    search = client.get(reverse("moderation:case_list") + "?status=all&q=zebracorn").content.decode()
    assert reverse("moderation:case_detail", args=[case.pk]) in search
    preview = client.get(reverse("moderation:import_detail", args=[world["csv_import"].pk])).content.decode()
    assert POST_TEXT in preview
    assert IMPORT_TEXT in preview
    admin_page = client.get(reverse("admin:moderation_post_change", args=[world["post"].pk])).content.decode()
    assert POST_TEXT in admin_page
    api = APIClient()
    api.force_login(lead)
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["reason"] == REASON
    assert detail["external_reports"][0]["note"] == REPORT_NOTE


def test_subject_access_withholds_a_safeguarding_cases_text_and_says_so_unless_a_lead_makes_it(client, world):
    import json

    case, manager = world["case"], world["users"]["manager"]
    client.force_login(manager)
    data = json.loads(body_of(client.post(reverse("moderation:account_subject_access", args=[case.account_id]))))
    assert data["withheld"]["safeguarding_cases"] == [case.pk]
    assert "safeguarding leads" in data["withheld"]["note"]
    [post] = data["posts"]
    assert post["text"] == RESTRICTED_TEXT
    assert data["cases"][0]["safeguarding"] is True
    assert data["cases"][0]["reason"] == RESTRICTED_TEXT

    lead_manager = factories.ManagerFactory(username="mo.lead")
    from django.contrib.auth.models import Group

    lead_manager.groups.add(Group.objects.get(name=SAFEGUARDING_LEAD))
    client.force_login(lead_manager)
    data = json.loads(body_of(client.post(reverse("moderation:account_subject_access", args=[case.account_id]))))
    assert data["withheld"] == {"safeguarding_cases": [], "note": ""}
    assert data["posts"][0]["text"] == POST_TEXT
    assert data["posts"][0]["earlier_texts"][0]["text"] == EARLIER_TEXT
    assert data["cases"][0]["reason"] == REASON


def test_the_statements_explain_with_the_reason_for_a_lead_only(client, world):
    case = world["case"]
    url = reverse("moderation:case_statements", args=[case.pk])
    client.force_login(world["users"]["officer"])
    assert "QUOTEDINREASON" not in client.get(url).content.decode()
    client.force_login(world["users"]["lead"])
    body = client.get(url).content.decode()
    assert "QUOTEDINREASON" in body  # the active block's statement explains with the case's reason


# --- who reported the post ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "reads"),
    [("officer", True), ("manager", True), ("lead", True), ("director", False), ("md", False), ("superuser", False)],
)
def test_who_reported_the_post_is_for_the_team_working_the_case(role, reads, client, world):
    client.force_login(world["users"][role])
    case = world["case"]
    pages = [reverse("moderation:case_detail", args=[case.pk])]
    if role in ("officer", "manager", "md", "superuser", "lead"):
        pages.append(reverse("admin:moderation_case_change", args=[case.pk]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert (REPORTER in response.content.decode()) == reads, url
    for url in admin_urls(world):
        if "Reporter-Quail" in url:
            response = client.get(url)
            if response.status_code == 200 and not reads:
                assert reverse("admin:moderation_case_change", args=[case.pk]) not in response.content.decode(), url


def test_who_reported_the_post_never_leaves_for_the_account_owner_or_an_integration(client, world, manager):
    case = world["case"]
    client.force_login(manager)
    everything = client.post(reverse("moderation:account_subject_access", args=[case.account_id]))
    assert everything.status_code == 200
    assert REPORTER not in body_of(everything)
    for url in (
        reverse("moderation:case_statements", args=[case.pk]),
        reverse("escalation:statements_download", args=["jsonl"]),
        reverse("escalation:report_download", args=["csv"]),
    ):
        assert REPORTER not in body_of(client.get(url)), url
    api = APIClient()
    api.force_login(manager)
    for url in api_urls(world):
        assert REPORTER not in api.get(url).content.decode(), url
    assert all(REPORTER not in m.body for m in OutboxMessage.objects.all())


@pytest.mark.parametrize("word", ["zebracorn", "quokkaflame", "QUOTEDINREASON", "EVIDENCECANARY"])
def test_a_search_by_the_text_never_finds_the_safeguarding_case_for_a_non_lead(word, client, world):
    """Finding the case by a word of its text would tell that word: the queue, the API and the admin's
    searches find it for the lead only."""
    case, post = world["case"], world["post"]
    links = {
        "queue": (
            reverse("moderation:case_list") + f"?status=all&q={word}",
            reverse("moderation:case_detail", args=[case.pk]),
        ),
        "admin cases": (
            reverse("admin:moderation_case_changelist") + f"?q={word}",
            reverse("admin:moderation_case_change", args=[case.pk]),
        ),
        "admin posts": (
            reverse("admin:moderation_post_changelist") + f"?q={word}",
            reverse("admin:moderation_post_change", args=[post.pk]),
        ),
        "admin flags": (
            reverse("admin:moderation_flag_changelist") + f"?q={word}",
            reverse("admin:moderation_flag_change", args=[Flag.objects.get(post=post).pk]),
        ),
    }
    for role in ("officer", "manager", "lead"):
        client.force_login(world["users"][role])
        api = APIClient()
        api.force_login(world["users"][role])
        found_by = {name for name, (url, link) in links.items() if link in client.get(url).content.decode()}
        if case.pk in [row["id"] for row in api.get(f"/api/v1/cases/?status=all&q={word}").json()["results"]]:
            found_by.add("api")
        if role != "lead":
            assert not found_by, f"{role} finds the case by ‘{word}’ in {found_by}"
        elif word == "zebracorn":  # the lead finds it by its post's text, in the queue, the API and the admin
            assert {"queue", "api", "admin posts"} <= found_by, found_by
