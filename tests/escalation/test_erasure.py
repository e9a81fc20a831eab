"""Legal holds and erasure on request (issue 14): a manager places and lifts holds (each on the
timeline), erases an account's personal data keeping the decision record, twice changes nothing,
refused under any hold on the page and in the service; other roles get 403; the admin only reads."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse

from escalation import retention, services
from escalation.constants import AppealStatus, BlockStatus, WarningStatus
from escalation.models import Appeal, Block, Warning
from moderation import clock, flags, holds
from moderation.constants import EventKind, FlagKind
from moderation.models import Case, CaseEvent, Evidence, Flag, FlagRule, Post, PostTextRevision, SocialAccount
from tests import factories
from tests.support import wait_until_blocked

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32
TEXT = "You lot are useless idiots, I'm Sam Smith of 1 High St."


@pytest.fixture
def account(db, officer):
    account = factories.SocialAccountFactory(handle="angry_resident", display_name="Sam Smith", platform_user_id="991")
    first = factories.OpenCaseFactory(account=account, recorded_by=officer, posts=[], reported_by="Jo Bloggs")
    post = factories.PostFactory(case=first, channel=first.channel, account=account, text=TEXT)
    PostTextRevision.objects.create(post=post, text="An earlier version by Sam", kind="replaced")
    rule = FlagRule.objects.create(
        name="Insults", kind=FlagKind.WORD_LIST, terms="idiots", house_rule=factories.rule("abusive")
    )
    Flag.objects.create(post=post, rule=rule, reason="matched ‘idiots’")
    Evidence.objects.create(
        case=first, file=ContentFile(PNG, name="shot.png"), added_by=officer, description="Sam's post"
    )
    factories.SentWarningFactory(case=first, drafted_by=officer, text="Please read our policy.")
    second = factories.OpenCaseFactory(account=account, recorded_by=officer)
    block = factories.ActiveBlockFactory(case=second, proposed_by=officer)
    Appeal.objects.create(
        block=block, status=AppealStatus.PREMATURE, received_at=block.started_at, recorded_by=officer,
        window_opens_at=block.appeal_opens_at, grounds="I was only joking. Sam",
    )  # fmt: skip
    factories.PostFactory(account=account, channel=first.channel, text="A post in no case, by Sam")
    factories.OpenCaseFactory(recorded_by=officer)  # someone else's: never touched
    return account


def appeal_under_review(block, actor):
    """An appeal recorded (through the service) the day after the block's window opened: it waits for
    the decider."""
    with clock.travel_to(block.appeal_opens_at + timedelta(days=1)):
        appeal = services.appeal_record(actor=actor, block=block, grounds="A year has passed. Sam")
    assert appeal.status == AppealStatus.UNDER_REVIEW
    return appeal


def decision_record(account):
    return (
        list(Case.objects.filter(account=account).order_by("pk").values_list("status", "outcome", "recorded_at")),
        list(Warning.objects.filter(case__account=account).values_list("status", "text", "sent_at")),
        list(Block.objects.filter(account=account).values_list("status", "started_at", "reason")),
        list(Appeal.objects.filter(block__account=account).values_list("status", "received_at")),
    )


class TestErasure:
    def test_a_manager_erases_the_personal_data_and_keeps_the_decision_record(self, account, manager):
        kept = decision_record(account)
        evidence = Evidence.objects.get()
        path = evidence.file.name
        assert default_storage.exists(path)

        summary = retention.account_erase(actor=manager, account=account)

        assert summary == {"posts": 3, "evidence": 1, "appeal_grounds": 1, "reported_by": 1, "display_name": 1}
        assert set(Post.objects.filter(account=account).values_list("text", flat=True)) == {flags.ERASED_TEXT}
        assert set(PostTextRevision.objects.values_list("text", flat=True)) == {flags.ERASED_TEXT}
        assert Flag.objects.get().reason == "matched a listed word (quote redacted)"
        assert not default_storage.exists(path)
        evidence.refresh_from_db()
        assert (evidence.file.name, evidence.description, evidence.redacted_at is not None) == ("", "", True)
        assert Appeal.objects.get().grounds == flags.ERASED_TEXT
        account.refresh_from_db()
        assert (account.handle, account.display_name, account.platform_user_id) == ("angry_resident", "", "")
        assert account.erased_by == manager
        assert not Case.objects.filter(account=account).exclude(reported_by="").exists()
        assert decision_record(account) == kept
        assert Warning.objects.get().status == WarningStatus.SENT
        assert Block.objects.get().status == BlockStatus.ACTIVE
        # someone else's case is untouched
        assert Post.objects.exclude(account=account).get().text != flags.ERASED_TEXT
        # one event per case of the account, saying what went, never the data
        events = CaseEvent.objects.filter(kind=EventKind.PERSONAL_DATA_ERASED)
        assert sorted(events.values_list("case_id", flat=True)) == sorted(account.cases.values_list("pk", flat=True))
        for event in events:
            assert event.actor == manager
            assert event.after == {"removed": summary}
            assert "Sam" not in event.note + str(event.after)

    def test_erasing_twice_changes_nothing_the_second_time(self, account, manager):
        retention.account_erase(actor=manager, account=account)
        account.refresh_from_db()
        stamped, events = account.erased_at, CaseEvent.objects.count()
        texts = list(Post.objects.order_by("pk").values_list("text", "redacted_at"))

        assert sum(retention.account_erase(actor=manager, account=account).values()) == 0

        account.refresh_from_db()
        assert account.erased_at == stamped
        assert CaseEvent.objects.count() == events
        assert list(Post.objects.order_by("pk").values_list("text", "redacted_at")) == texts

    @pytest.mark.parametrize("on", ["account", "case"])
    def test_refused_under_a_legal_hold_and_nothing_changes(self, account, manager, on):
        if on == "account":
            holds.account_legal_hold_place(actor=manager, account=account, reason="Claim K00XX123")
        else:
            holds.case_legal_hold_place(actor=manager, case=account.cases.last(), reason="Claim K00XX123")
        events = CaseEvent.objects.count()
        with pytest.raises(ValidationError) as refused:
            retention.account_erase(actor=manager, account=account)
        assert "cannot be erased while a legal hold is on" in refused.value.messages[0]
        assert refused.value.error_list[0].code == "conflict"
        assert Post.objects.filter(text=TEXT).exists()
        assert SocialAccount.objects.get(pk=account.pk).display_name == "Sam Smith"
        assert CaseEvent.objects.count() == events

    def test_refused_while_an_appeal_waits_for_its_decision_then_erased_once_decided(self, account, manager, md):
        block = Block.objects.get(account=account)
        appeal = appeal_under_review(block, manager)
        events = CaseEvent.objects.count()

        with pytest.raises(ValidationError) as refused:
            retention.account_erase(actor=manager, account=account)

        message = refused.value.messages[0]
        assert "cannot be erased while an appeal is waiting for a decision" in message
        assert f"against the block on case {block.case_id} is waiting for a decision" in message
        assert refused.value.error_list[0].code == "conflict"
        appeal.refresh_from_db()
        assert appeal.grounds == "A year has passed. Sam"
        assert Post.objects.filter(text=TEXT).exists()
        account.refresh_from_db()
        assert (account.display_name, account.erased_at) == ("Sam Smith", None)
        assert CaseEvent.objects.count() == events

        with clock.travel_to(block.appeal_opens_at + timedelta(days=2)):
            services.appeal_decide(actor=md, appeal=appeal, overturn=False, reason="Abuse resumed.")
        summary = retention.account_erase(actor=manager, account=account)

        assert summary["appeal_grounds"] == 2
        appeal.refresh_from_db()
        assert (appeal.status, appeal.grounds, appeal.decision_reason) == (
            AppealStatus.UPHELD, flags.ERASED_TEXT, "Abuse resumed.",
        )  # fmt: skip

    @pytest.mark.parametrize("role", ["officer", "director", "md"])
    def test_other_roles_are_refused_by_the_service(self, request, role, account):
        with pytest.raises(PermissionDenied):
            retention.account_erase(actor=request.getfixturevalue(role), account=account)
        assert Post.objects.filter(text=TEXT).exists()


class TestErasurePage:
    def test_confirm_then_erase(self, client, manager, account):
        client.force_login(manager)
        page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
        assert reverse("moderation:account_erase", args=[account.pk]) in page
        url = reverse("moderation:account_erase", args=[account.pk])
        page = client.get(url).content.decode()
        assert "govuk-warning-text" in page
        assert "This cannot be undone" in page
        # not confirmed: the error summary, nothing erased
        page = client.post(url, {}).content.decode()
        assert "There is a problem" in page
        assert "Confirm the account owner asked for erasure" in page
        assert Post.objects.filter(text=TEXT).exists()
        response = client.post(url, {"confirm": "on"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("moderation:account_detail", args=[account.pk])
        assert "The personal data of @angry_resident is erased: 3 post texts" in response.content.decode()
        assert not Post.objects.filter(text=TEXT).exists()
        # again: nothing more
        response = client.post(url, {"confirm": "on"}, follow=True)
        assert "Nothing more to erase" in response.content.decode()

    def test_refused_under_legal_hold_on_the_page(self, client, manager, account):
        holds.account_legal_hold_place(actor=manager, account=account, reason="Police investigation 42")
        client.force_login(manager)
        url = reverse("moderation:account_erase", args=[account.pk])
        page = client.get(url).content.decode()
        assert "cannot be erased while a legal hold is on" in page
        assert "Police investigation 42" in page
        assert "Erase personal data</button>" not in page
        # a post made anyway (a page opened before the hold) is refused with the reason
        page = client.post(url, {"confirm": "on"}).content.decode()
        assert "There is a problem" in page
        assert "cannot be erased while a legal hold is on" in page
        assert Post.objects.filter(text=TEXT).exists()

    def test_refused_while_an_appeal_waits_on_the_page(self, client, manager, account):
        block = Block.objects.get(account=account)
        appeal_under_review(block, manager)
        client.force_login(manager)
        url = reverse("moderation:account_erase", args=[account.pk])
        page = client.get(url).content.decode()
        assert "cannot be erased while an appeal is waiting for a decision" in page
        assert f"against the block on case {block.case_id} is waiting for a decision" in page
        assert "Erase personal data</button>" not in page
        # a post made anyway (a page opened before the appeal was recorded) is refused with the reason
        page = client.post(url, {"confirm": "on"}).content.decode()
        assert "There is a problem" in page
        assert "cannot be erased while an appeal is waiting for a decision" in page
        assert Appeal.objects.filter(grounds="A year has passed. Sam").exists()
        assert Post.objects.filter(text=TEXT).exists()

    @pytest.mark.parametrize("role", ["officer", "director", "md"])
    def test_other_roles_get_403_and_no_link(self, client, request, role, account):
        client.force_login(request.getfixturevalue(role))
        url = reverse("moderation:account_erase", args=[account.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "on"}).status_code == 403
        assert Post.objects.filter(text=TEXT).exists()
        if role == "officer":
            page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
            assert url not in page
            assert reverse("moderation:account_legal_hold", args=[account.pk]) not in page


class TestLegalHolds:
    def test_a_manager_places_and_lifts_a_hold_on_a_case(self, client, manager, account):
        case = account.cases.first()
        client.force_login(manager)
        url = reverse("moderation:case_legal_hold", args=[case.pk])
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        assert url in page
        page = client.post(url, {"reason": "  "}).content.decode()
        assert "Enter why the legal hold is needed" in page
        assert client.post(url, {"reason": "Claim K00XX123"}).status_code == 302
        case.refresh_from_db()
        assert (case.legal_hold_reason, case.legal_hold_by) == ("Claim K00XX123", manager)
        page = client.get(reverse("moderation:case_detail", args=[case.pk])).content.decode()
        assert "Claim K00XX123" in page
        assert client.post(url, {"reason": "Claim settled"}).status_code == 302
        case.refresh_from_db()
        assert case.legal_hold_at is None
        assert list(case.events.filter(kind__startswith="legal_hold").values_list("kind", "note")) == [
            (EventKind.LEGAL_HOLD_PLACED, "Claim K00XX123"),
            (EventKind.LEGAL_HOLD_LIFTED, "Claim settled"),
        ]

    def test_an_account_hold_is_an_event_on_each_of_its_cases_and_shown(self, client, manager, account):
        client.force_login(manager)
        url = reverse("moderation:account_legal_hold", args=[account.pk])
        assert client.post(url, {"reason": "Police investigation"}).status_code == 302
        events = CaseEvent.objects.filter(kind=EventKind.LEGAL_HOLD_PLACED)
        assert sorted(events.values_list("case_id", flat=True)) == sorted(account.cases.values_list("pk", flat=True))
        page = client.get(reverse("moderation:account_detail", args=[account.pk])).content.decode()
        assert "Police investigation" in page
        page = client.get(reverse("moderation:case_detail", args=[account.cases.first().pk])).content.decode()
        assert "On the account" in page

    def test_placing_twice_writes_one_event(self, manager, account):
        case = account.cases.first()
        holds.case_legal_hold_place(actor=manager, case=case, reason="One")
        holds.case_legal_hold_place(actor=manager, case=case, reason="Two")
        assert case.events.filter(kind=EventKind.LEGAL_HOLD_PLACED).count() == 1

    @pytest.mark.parametrize("role", ["officer", "director", "md"])
    def test_other_roles_get_403_and_the_service_refuses(self, client, request, role, account):
        user = request.getfixturevalue(role)
        client.force_login(user)
        case = account.cases.first()
        assert client.post(reverse("moderation:case_legal_hold", args=[case.pk]), {"reason": "x"}).status_code == 403
        assert (
            client.post(reverse("moderation:account_legal_hold", args=[account.pk]), {"reason": "x"}).status_code == 403
        )
        with pytest.raises(PermissionDenied):
            holds.case_legal_hold_place(actor=user, case=case, reason="x")
        assert not Case.objects.filter(legal_hold_at__isnull=False).exists()

    def test_the_admin_shows_the_hold_read_only(self, client, manager, account):
        case = account.cases.first()
        holds.case_legal_hold_place(actor=manager, case=case, reason="Claim K00XX123")
        manager.is_staff = True
        manager.save(update_fields=["is_staff"])
        client.force_login(manager)
        page = client.get(reverse("admin:moderation_case_change", args=[case.pk])).content.decode()
        assert "Claim K00XX123" in page
        assert 'name="legal_hold_reason"' not in page
        page = client.get(reverse("admin:moderation_socialaccount_change", args=[account.pk])).content.decode()
        assert "Legal hold" in page
        assert 'name="legal_hold_reason"' not in page


@pytest.mark.django_db(transaction=True)
def test_an_appeal_recorded_during_an_erasure_is_seen_or_waits():
    """An appeal being recorded (its block locked, not yet committed) when an erasure starts: the erasure
    waits for it, then sees it under review and refuses, so no appeal waits with its grounds erased."""
    manager = factories.ManagerFactory(username="maya.manager")
    account = factories.SocialAccountFactory(handle="angry_resident", display_name="Sam Smith")
    block = factories.AppealEligibleBlockFactory(case=factories.OpenCaseFactory(account=account), account=account)
    pids: list[int] = []
    outcome: list[object] = []

    def erase() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            outcome.append(retention.account_erase(actor=manager, account=account))
        except Exception as error:  # judged below
            outcome.append(error)
        finally:
            connection.close()

    eraser = threading.Thread(target=erase)
    with transaction.atomic():
        services.appeal_record(actor=manager, block=block, grounds="A year has passed. Sam")
        eraser.start()
        wait_until_blocked(pids, count=1, what="the block the appeal is recorded under")
    eraser.join(timeout=30)

    [refused] = outcome
    assert isinstance(refused, ValidationError)
    assert "cannot be erased while an appeal is waiting for a decision" in refused.messages[0]
    assert Appeal.objects.get().grounds == "A year has passed. Sam"
    assert SocialAccount.objects.get(pk=account.pk).display_name == "Sam Smith"
