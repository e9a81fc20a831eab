"""Subject access (issue 14): everything about an account as one zip, for the roles that answer such
requests; the download is recorded on each of the account's cases; others are refused and nothing is
written."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from escalation.constants import AppealStatus
from escalation.models import Appeal
from moderation.constants import EventKind, FlagKind
from moderation.models import CaseEvent, Evidence, Flag, FlagRule
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.fixture
def account_with_history(db, officer, md):
    account = factories.SocialAccountFactory(handle="angry_resident", display_name="A. Resident")
    first = factories.OpenCaseFactory(account=account, recorded_by=officer)
    second = factories.OpenCaseFactory(account=account, recorded_by=officer)
    factories.PostFactory(account=account, channel=first.channel, text="A post in no case")
    factories.SentWarningFactory(case=first, drafted_by=officer, text="Please read our policy.")
    block = factories.ActiveBlockFactory(case=second, proposed_by=officer)
    Appeal.objects.create(
        block=block,
        status=AppealStatus.PREMATURE,
        received_at=block.started_at,
        recorded_by=officer,
        window_opens_at=block.appeal_opens_at,
        grounds="I was only joking.",
    )
    rule = FlagRule.objects.create(
        name="Insults", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=factories.rule("abusive")
    )
    Flag.objects.create(post=first.posts.get(), rule=rule, reason="a listed word")
    Evidence.objects.create(
        case=first,
        file=SimpleUploadedFile("shot.png", PNG, content_type="image/png"),
        added_by=officer,
        description="Screenshot",
    )
    factories.OpenCaseFactory(recorded_by=officer)  # someone else's case: never in the export
    return account, (first, second)


def test_a_manager_downloads_everything_and_it_is_recorded(client, manager, account_with_history):
    account, cases = account_with_history
    client.force_login(manager)
    page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
    assert "Download everything about this account" in page
    response = client.post(reverse("moderation:account_subject_access", args=[account.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("account.json"))
    assert data["account"]["handle"] == "angry_resident"
    assert data["account"]["display_name"] == "A. Resident"
    assert len(data["posts"]) == 3  # one per case and the one in no case
    assert {case["id"] for case in data["cases"]} == {case.pk for case in cases}
    assert all(case["timeline"] is not None for case in data["cases"])
    assert [w["text"] for w in data["warnings"]] == ["Please read our policy."]
    assert len(data["blocks"]) == 1
    assert [a["grounds"] for a in data["appeals"]] == ["I was only joking."]
    assert [f["rule"] for f in data["flags"]] == ["Insults"]
    (evidence,) = data["evidence"]
    assert archive.read(evidence["file"]) == PNG
    # one event on each of the account's cases, none elsewhere
    events = CaseEvent.objects.filter(kind=EventKind.SUBJECT_ACCESS_EXPORTED)
    assert sorted(events.values_list("case_id", flat=True)) == sorted(case.pk for case in cases)
    assert {event.actor_id for event in events} == {manager.pk}


def test_the_head_may_download_it_too(client, md, account_with_history):
    account, cases = account_with_history
    client.force_login(md)
    assert client.post(reverse("moderation:account_subject_access", args=[account.pk])).status_code == 200
    assert CaseEvent.objects.filter(kind=EventKind.SUBJECT_ACCESS_EXPORTED).count() == len(cases)


@pytest.mark.parametrize("role", ["officer", "director"])
def test_other_roles_are_refused_and_nothing_is_written(client, request, role, account_with_history):
    account, _ = account_with_history
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("moderation:account_subject_access", args=[account.pk]))
    assert response.status_code == 403
    assert not CaseEvent.objects.filter(kind=EventKind.SUBJECT_ACCESS_EXPORTED).exists()


def test_an_officer_sees_no_button(client, officer, account_with_history):
    account, _ = account_with_history
    client.force_login(officer)
    page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
    assert "Download everything about this account" not in page


def test_a_get_changes_nothing(client, manager, account_with_history):
    account, _ = account_with_history
    client.force_login(manager)
    assert client.get(reverse("moderation:account_subject_access", args=[account.pk])).status_code == 405
    assert not CaseEvent.objects.filter(kind=EventKind.SUBJECT_ACCESS_EXPORTED).exists()


class TestStaffNames:
    """Staff names kept or replaced by role titles, as the policy says (every preset: role titles)."""

    @pytest.fixture
    def named_history(self, db, officer, manager, md):
        from moderation.events import record_event

        for person, first, last in ((officer, "Olivia", "Okafor"), (manager, "Maya", "Mensah")):
            person.first_name, person.last_name = first, last
            person.save()
        account = factories.SocialAccountFactory(handle="angry_resident", display_name="A. Resident")
        case = factories.OpenCaseFactory(account=account, recorded_by=officer)
        factories.PostFactory(account=account, channel=case.channel, text="Maya Mensah never answers me")
        factories.SentWarningFactory(case=case, drafted_by=officer, text="Please read our policy. Olivia Okafor")
        record_event(
            case=case,
            kind=EventKind.CASE_ASSIGNED,
            actor=manager,
            subject=case,
            after={"assignee": "Olivia Okafor", "by": "maya.manager"},
            note="Assigned to Olivia Okafor (olivia.officer@council.example) by Maya Mensah.",
        )
        return account

    def download(self, client, manager, account) -> dict:
        client.force_login(manager)
        response = client.post(reverse("moderation:account_subject_access", args=[account.pk]))
        assert response.status_code == 200
        return json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("account.json"))

    def test_every_preset_shows_role_titles(self):
        from policy.presets import presets

        assert {slug: p.settings["subject_access_staff_names"] for slug, p in presets().items()} == {
            "cafcass": False,
            "hart": False,
            "hmcts": False,
            "hmpps": False,
            "nhdc": False,
        }

    def test_by_default_staff_appear_by_their_role_titles(self, client, manager, named_history):
        from policy.titles import titles

        data = self.download(client, manager, named_history)
        text = json.dumps(data)
        for name in ("Olivia", "Okafor", "Maya", "Mensah", "olivia.officer", "maya.manager"):
            assert name not in text.replace("Maya Mensah never answers me", ""), name
        assert data["staff_shown_as"] == "role titles"
        (case,) = data["cases"]
        assigned = next(e for e in case["timeline"] if e["kind"] == EventKind.CASE_ASSIGNED)
        officer_title, manager_title = titles().officer, titles().manager
        assert assigned["by"] == manager_title
        assert assigned["after"] == {"assignee": officer_title, "by": manager_title}
        assert assigned["note"] == f"Assigned to {officer_title} ({officer_title}) by {manager_title}."
        assert data["warnings"][0]["text"] == f"Please read our policy. {officer_title}"
        # what the account owner wrote is theirs, as written
        assert "Maya Mensah never answers me" in [p["text"] for p in data["posts"]]

    def test_a_policy_that_names_staff_keeps_the_names(self, client, manager, named_history):
        from policy import services as policy

        version = policy.current()
        version.pk, version.number, version.subject_access_staff_names = None, None, True
        policy.publish(version=version, reason="Staff are named in subject access exports.")
        data = self.download(client, manager, named_history)
        assert data["staff_shown_as"] == "names"
        (case,) = data["cases"]
        assigned = next(e for e in case["timeline"] if e["kind"] == EventKind.CASE_ASSIGNED)
        assert assigned["by"] == "Maya Mensah"
        assert assigned["note"] == "Assigned to Olivia Okafor (olivia.officer@council.example) by Maya Mensah."
        assert data["warnings"][0]["text"] == "Please read our policy. Olivia Okafor"

    def test_the_export_takes_a_fixed_number_of_queries(
        self, client, manager, named_history, django_assert_max_num_queries
    ):
        client.force_login(manager)
        client.get(reverse("moderation:account_detail", args=[named_history.pk]))  # sessions, policy cached
        with django_assert_max_num_queries(40):
            client.post(reverse("moderation:account_subject_access", args=[named_history.pk]))
