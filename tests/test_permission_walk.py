"""Walk every URL of the workspace as anonymous and as each role.

Allowed pages answer (200, or a redirect within the workspace); everything else redirects an
anonymous visitor to sign-in and answers 403 to a signed-in user whose role does not reach it.
POST-only actions are tried with POST too: a role that may not take them gets 403 and nothing
changes. A URL added to the workspace without a row here fails ``test_every_url_is_walked``.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from escalation.constants import BlockStatus
from moderation import clock
from moderation.enquiries import enquiry_record
from moderation.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "officer", "manager", "director", "md")
OK, REDIRECT, FORBIDDEN, NOT_ALLOWED = 200, 302, 403, 405

# url name → (kwargs builder, expected GET status per role: officer, manager, director, md)
# "director" is the Service Director of the case's service area.
GET_ACCESS = {
    "home": ({}, (REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "moderation:case_list": ({}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:case_create": ({}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:case_detail": ({"pk": "case"}, (OK, OK, OK, OK)),
    "moderation:account_detail": ({"pk": "account"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:evidence_add": ({"pk": "case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:evidence_file": ({"pk": "case", "evidence_pk": "evidence"}, (OK, OK, OK, OK)),
    "moderation:post_visibility": ({"pk": "case", "post_pk": "post"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:case_assign": ({"pk": "case"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:case_close": ({"pk": "case"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:case_reopen": ({"pk": "case"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:flag_list": ({}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:flag_dismiss": ({"pk": "flag"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:import_list": ({}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:import_upload": ({}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:import_detail": ({"pk": "csv_import"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:import_columns": ({"pk": "csv_import"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:import_progress": ({"pk": "csv_import"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:import_start": ({"pk": "csv_import"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "moderation:import_discard": ({"pk": "csv_import"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "escalation:decision_list": ({}, (FORBIDDEN, OK, OK, OK)),
    "escalation:signoff_detail": ({"pk": "signoff"}, (FORBIDDEN, OK, OK, FORBIDDEN)),
    "escalation:warning_create": ({"case_pk": "other_case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:warning_detail": ({"pk": "warning"}, (OK, OK, OK, OK)),
    "escalation:block_create": ({"case_pk": "case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:block_detail": ({"pk": "block"}, (OK, OK, OK, OK)),  # the director: a case of their area
    "escalation:block_acknowledge": ({"pk": "block"}, (FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT)),
    "escalation:police_report_create": ({"case_pk": "case"}, (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:appeal_list": ({}, (OK, OK, FORBIDDEN, OK)),
    "escalation:appeal_create": ({"block_pk": "fresh_block"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:appeal_detail": ({"pk": "appeal"}, (OK, OK, FORBIDDEN, OK)),
    "escalation:crisis": ({}, (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:external_report_create": ({"case_pk": "case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:safeguarding_mark": ({"case_pk": "case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    # only a safeguarding lead (a role beside these: tests/escalation/test_safeguarding_pages.py)
    "escalation:safeguarding_referral": ({"case_pk": "case"}, (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)),
    "escalation:enquiry_create": ({"case_pk": "case"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:enquiry_from_post": ({"post_pk": "flagged_post"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:enquiry_step": ({"pk": "enquiry", "step": "step_hand_on"}, (OK, OK, FORBIDDEN, FORBIDDEN)),
    "escalation:enquiry_saved_reply_sent": ({"pk": "enquiry"}, (NOT_ALLOWED, NOT_ALLOWED, FORBIDDEN, FORBIDDEN)),
    "escalation:notification_preferences": ({}, (OK, OK, OK, OK)),  # each person's own: no id in the URL
    "escalation:report": ({}, (FORBIDDEN, OK, OK, OK)),
    "escalation:report_download": ({"fmt": "xlsx"}, (FORBIDDEN, OK, OK, OK)),
    "escalation:statements_download": ({"fmt": "jsonl"}, (FORBIDDEN, OK, FORBIDDEN, OK)),
    "moderation:case_statements": ({"pk": "case"}, (OK, OK, OK, OK)),
    "moderation:account_subject_access": ({"pk": "account"}, (NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)),
    "moderation:account_legal_hold": ({"pk": "account"}, (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:case_legal_hold": ({"pk": "case"}, (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
    "moderation:account_erase": ({"pk": "account"}, (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
}
# Extra query strings that change who may open a page.
VARIANTS = {
    ("escalation:block_create", "?kind=immediate"): (FORBIDDEN, OK, FORBIDDEN, FORBIDDEN),
}
# POST-only state changes: the roles that may not take them get 403, and no event is written.
POST_FORBIDDEN = {
    "moderation:post_visibility": ({"pk": "case", "post_pk": "post"}, {"visibility": "hidden"}, ("director", "md")),
    "moderation:case_close": ({"pk": "case"}, {"outcome": "no_action"}, ("director", "md")),
    "moderation:case_assign": ({"pk": "case"}, {"assignee": ""}, ("director", "md")),
    "moderation:flag_dismiss": ({"pk": "flag"}, {}, ("director", "md")),
    "moderation:import_start": ({"pk": "csv_import"}, {}, ("director", "md")),
    "moderation:import_discard": ({"pk": "csv_import"}, {}, ("director", "md")),
    "escalation:signoff_detail": ({"pk": "signoff"}, {"decision": "approve"}, ("officer", "md")),
    "escalation:block_acknowledge": ({"pk": "block"}, {}, ("officer", "manager", "director")),
    "escalation:appeal_detail": ({"pk": "appeal"}, {"decision": "overturn", "reason": "x"}, ("officer", "manager")),
    "escalation:crisis": ({}, {"reason": "Storm"}, ("officer", "director", "md")),
    "escalation:external_report_create": (
        {"case_pk": "case"},
        {
            "reported_to": "platform",
            "recipient": "Facebook",
            "reported_on_day": "1",
            "reported_on_month": "1",
            "reported_on_year": "2026",
        },
        ("director", "md"),
    ),
    "escalation:enquiry_create": (
        {"case_pk": "case"},
        {"kind": "question", "received_on_day": "1", "received_on_month": "1", "received_on_year": "2026"},
        ("director", "md"),
    ),
    "escalation:enquiry_from_post": (
        {"post_pk": "flagged_post"},
        {"kind": "question", "received_on_day": "1", "received_on_month": "1", "received_on_year": "2026"},
        ("director", "md"),
    ),
    "escalation:enquiry_step": ({"pk": "enquiry", "step": "step_hand_on"}, {"team": "FOI team"}, ("director", "md")),
    "escalation:enquiry_saved_reply_sent": ({"pk": "enquiry"}, {}, ("director", "md")),
    "moderation:account_subject_access": ({"pk": "account"}, {}, ("officer", "director")),
    "moderation:account_legal_hold": ({"pk": "account"}, {"reason": "Claim"}, ("officer", "director", "md")),
    "moderation:case_legal_hold": ({"pk": "case"}, {"reason": "Claim"}, ("officer", "director", "md")),
    "moderation:account_erase": ({"pk": "account"}, {"confirm": "on"}, ("officer", "director", "md")),
}


@pytest.fixture
def world(officer, manager, director, md, service_area):
    case = factories.OpenCaseFactory(service_area=service_area, recorded_by=officer)
    other_case = factories.OpenCaseFactory(service_area=service_area, recorded_by=officer)
    warning = factories.AwaitingSignoffWarningFactory(case=case, drafted_by=officer)
    block = factories.AppealEligibleBlockFactory(case=case, proposed_by=officer)
    appeal = factories.UnderReviewAppealFactory(block=block, recorded_by=officer)
    fresh_block = factories.ActiveBlockFactory(case=other_case, proposed_by=officer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from moderation.models import Evidence

    png = SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    evidence = Evidence.objects.create(case=case, file=png, description="Screenshot", added_by=officer)
    from moderation.constants import FlagKind
    from moderation.models import Flag, FlagRule

    flag_rule = FlagRule.objects.create(
        name="Insults", kind=FlagKind.WORD_LIST, terms="idiot", house_rule=factories.rule("abusive")
    )
    flag = Flag.objects.create(post=factories.PostFactory(), rule=flag_rule, reason="matched ‘idiot’")
    from moderation import csvfiles, imports

    export = SimpleUploadedFile("export.csv", b"ID,Date,Author,Text\r\nc1,01/03/2025 14:05,@a,hello\r\n")
    csv_import = imports.import_upload(actor=officer, file=export, source_name="Hootsuite")
    csv_import = imports.import_match_columns(
        actor=officer,
        csv_import=csv_import,
        columns=csvfiles.guess_columns(csv_import.headings),
        channel=factories.ChannelFactory(),
    )
    users = {"anonymous": None, "officer": officer, "manager": manager, "director": director, "md": md}
    objects = {
        "case": case.pk,
        "other_case": other_case.pk,
        "account": case.account_id,
        "post": case.posts.first().pk,
        "warning": warning.pk,
        "signoff": warning.signoffs.get().pk,
        "block": block.pk,
        "fresh_block": fresh_block.pk,
        "appeal": appeal.pk,
        "evidence": evidence.pk,
        "flag": flag.pk,
        "csv_import": csv_import.pk,
        "flagged_post": flag.post_id,
        "enquiry": enquiry_record(
            actor=officer, case=other_case, kind="complaint", received_on=timezone.localdate(clock.now())
        ).pk,
        "step_hand_on": "hand_on",
        "xlsx": "xlsx",
        "jsonl": "jsonl",
    }
    assert block.status == BlockStatus.ACTIVE
    return users, objects


def url_for(name: str, kwargs: dict, objects: dict) -> str:
    return reverse(name, kwargs={key: objects[value] for key, value in kwargs.items()})


def workspace_url_names() -> set[str]:
    names = {"home"}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("moderation", "escalation"):
                    walk(pattern.url_patterns, pattern.namespace)
            elif isinstance(pattern, URLPattern) and namespace and pattern.name:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names


def test_every_url_is_walked():
    assert workspace_url_names() == set(GET_ACCESS)


@pytest.mark.parametrize("role", ROLES)
def test_get_every_url_as(role, client, world):
    users, objects = world
    if users[role] is not None:
        client.force_login(users[role])
    pages = [(name, url_for(name, kwargs, objects), statuses) for name, (kwargs, statuses) in GET_ACCESS.items()]
    pages += [
        (name, url_for(name, GET_ACCESS[name][0], objects) + query, statuses)
        for (name, query), statuses in VARIANTS.items()
    ]
    wrong = []
    for name, url, statuses in pages:
        response = client.get(url)
        if role == "anonymous":
            ok = response.status_code == REDIRECT and response["Location"].startswith(reverse("sign_in"))
            expected = "redirect to sign-in"
        else:
            expected = statuses[ROLES.index(role) - 1]
            ok = response.status_code == expected
            if ok and expected == REDIRECT:
                ok = not response["Location"].startswith(reverse("sign_in"))
        if not ok:
            wrong.append(f"{name} {url}: {response.status_code}, expected {expected}")
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("name", "role"), [(n, r) for n, (_, _, roles) in POST_FORBIDDEN.items() for r in roles])
def test_post_is_refused_outside_the_role(name, role, client, world):
    users, objects = world
    kwargs, data, _ = POST_FORBIDDEN[name]
    client.force_login(users[role])
    events = CaseEvent.objects.count()
    response = client.post(url_for(name, kwargs, objects), data)
    assert response.status_code == FORBIDDEN
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize("name", list(POST_FORBIDDEN))
def test_post_as_anonymous_goes_to_sign_in(name, client, world):
    _, objects = world
    kwargs, data, _ = POST_FORBIDDEN[name]
    response = client.post(url_for(name, kwargs, objects), data)
    assert response.status_code == REDIRECT
    assert response["Location"].startswith(reverse("sign_in"))


@pytest.mark.parametrize(
    "name",
    [
        "moderation:case_detail",
        "escalation:signoff_detail",
        "escalation:block_detail",
        "escalation:warning_detail",
        "moderation:evidence_file",
    ],
)
def test_a_service_director_of_another_area_is_kept_out(name, client, world, other_director):
    _, objects = world
    client.force_login(other_director)
    assert client.get(url_for(name, GET_ACCESS[name][0], objects)).status_code == FORBIDDEN
