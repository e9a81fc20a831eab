"""The change history (issue 14, ADR 14): who changed which field of which configured object, before and
after; append-only in PostgreSQL; read in the admin by superusers only, and on no other surface."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.models import SecurityEvent, SecurityEventKind
from moderation.models import HouseRule
from tests import factories

pytestmark = pytest.mark.django_db


def history_of(obj) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk)).order_by(
            "id"
        )
    )


def admin_form_data(page) -> dict:
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = value
    return data


@pytest.fixture
def superuser(db):
    return factories.UserFactory(
        username="ada.admin", first_name="Ada", last_name="Admin", is_superuser=True, is_staff=True
    )


class TestWhatIsRecorded:
    def test_an_admin_change_of_a_house_rule_names_the_field_before_after_and_who(self, client, superuser):
        rule = factories.rule("abusive")
        old_title = rule.title
        client.force_login(superuser)
        url = reverse("admin:moderation_houserule_change", args=[rule.pk])
        data = admin_form_data(client.get(url))
        data.update(title="Abuse of staff or residents", appeal_wait_months=9)
        response = client.post(url, data, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302, response.context["adminform"].form.errors
        entry = history_of(rule)[-1]  # after any the seed data wrote
        assert entry.action == LogEntry.Action.UPDATE
        assert entry.changes["title"] == [old_title, "Abuse of staff or residents"]
        assert entry.changes["appeal_wait_months"][1] == "9"
        assert set(entry.changes) == {"title", "appeal_wait_months"}  # only what changed
        assert entry.actor_id == superuser.pk
        assert entry.additional_data["by"] == "ada.admin (Ada Admin)"
        assert entry.remote_addr == "198.51.100.7"
        # and the security log still says an admin change happened, by whom
        change = SecurityEvent.objects.filter(kind=SecurityEventKind.ADMIN_CHANGE).get()
        assert change.actor_id == superuser.pk
        assert change.detail["object"] == "moderation.houserule"

    def test_a_forged_forwarded_address_is_not_believed(self, client, superuser):
        rule = factories.rule("spam")
        client.force_login(superuser)
        url = reverse("admin:moderation_houserule_change", args=[rule.pk])
        data = admin_form_data(client.get(url))
        data.update(guidance="Adverts and repeated posts.")
        client.post(url, data, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.66")
        assert history_of(rule)[-1].remote_addr == "198.51.100.7"

    def test_roles_given_to_a_person_are_in_the_history_without_the_password(self, superuser, officer):
        from django.contrib.auth.models import Group

        from escalation import routing

        officer.set_password("another correct horse battery")
        officer.save()
        officer.groups.add(Group.objects.get(name=routing.MANAGER))
        entries = history_of(officer)
        assert all("password" not in (entry.changes or {}) for entry in entries)
        assert any("groups" in (entry.changes or {}) for entry in entries)

    def test_a_change_outside_any_request_is_the_systems(self):
        rule = factories.rule("spam")
        rule.position = 42
        rule.save()
        entry = history_of(rule)[-1]  # after any the seed data wrote
        assert entry.actor_id is None
        assert entry.additional_data["by"] == "system"
        assert entry.changes["position"][1] == "42"

    def test_a_new_and_a_deleted_object_are_recorded(self, superuser):
        period = factories.ElectionPeriodFactory() if hasattr(factories, "ElectionPeriodFactory") else None
        if period is None:
            from datetime import date

            from moderation.models import ElectionPeriod

            period = ElectionPeriod.objects.create(
                name="Elections", starts_on=date(2027, 3, 29), ends_on=date(2027, 5, 6)
            )
        pk = period.pk
        period.delete()
        created, deleted = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(period), object_pk=str(pk)
        ).order_by("id")
        assert created.action == LogEntry.Action.CREATE
        assert created.changes["name"][1] == "Elections"
        assert deleted.action == LogEntry.Action.DELETE


class TestAppendOnly:
    @pytest.fixture
    def entry(self):
        rule = factories.rule("spam")
        rule.position = 7
        rule.save()
        return history_of(rule)[-1]

    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE auditlog_logentry SET changes = '{}'",
            "UPDATE auditlog_logentry SET timestamp = now() - interval '1 year'",
            "UPDATE auditlog_logentry SET actor_id = NULL, object_repr = 'forged'",
            "DELETE FROM auditlog_logentry",
            "TRUNCATE auditlog_logentry",
        ],
        ids=["update", "back-date", "update-with-unlink", "delete", "truncate"],
    )
    def test_the_database_refuses_changes(self, entry, sql):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred foreign keys, checked now
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql)
        entry.refresh_from_db()
        assert entry.changes["position"][1] == "7"

    def test_deleting_an_account_unlinks_its_entries_and_keeps_its_name(self, client, superuser):
        rule = factories.rule("spam")
        client.force_login(superuser)
        url = reverse("admin:moderation_houserule_change", args=[rule.pk])
        data = admin_form_data(client.get(url))
        data.update(guidance="Changed by someone who then left.")
        client.post(url, data)
        client.logout()
        superuser.delete()
        entry = history_of(rule)[-1]
        assert entry.actor_id is None
        assert entry.additional_data["by"] == "ada.admin (Ada Admin)"
        assert "guidance" in entry.changes

    def test_a_forged_time_is_replaced_by_the_databases(self, entry):
        from django.utils import timezone

        assert abs((entry.timestamp - timezone.now()).total_seconds()) < 60


class TestWhoReadsIt:
    def test_only_superusers_read_it_in_the_admin(self, client, manager, superuser):
        rule = factories.rule("spam")
        rule.position = 3
        rule.save()
        entry = history_of(rule)[-1]
        manager.is_staff = True
        manager.save()
        client.force_login(manager)
        changelist = reverse("admin:auditlog_logentry_changelist")
        assert client.get(changelist).status_code == 403
        assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 403
        index = client.get(reverse("admin:index"))
        assert changelist not in index.content.decode()
        client.force_login(superuser)
        assert client.get(changelist).status_code == 200
        assert changelist in client.get(reverse("admin:index")).content.decode()
        page = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
        assert page.status_code == 200
        assert "Position" in page.content.decode()

    def test_nobody_adds_edits_or_deletes_an_entry_in_the_admin(self, client, superuser):
        rule = factories.rule("spam")
        rule.position = 3
        rule.save()
        entry = history_of(rule)[-1]
        client.force_login(superuser)
        assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
        assert (
            client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
        )
        response = client.post(
            reverse("admin:auditlog_logentry_changelist"),
            {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302)
        assert LogEntry.objects.filter(pk=entry.pk).exists()

    def test_no_url_outside_the_admin_serves_either_log(self):
        """The API and the workspace expose neither log: no view outside /admin/ is built on them."""
        logs = {LogEntry, SecurityEvent}

        def walk(patterns, prefix=""):
            for pattern in patterns:
                if isinstance(pattern, URLResolver):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
                elif isinstance(pattern, URLPattern):
                    yield prefix + str(pattern.pattern), pattern.callback

        for route, callback in walk(get_resolver().url_patterns):
            if route.startswith("admin/"):
                continue
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            queryset = getattr(view, "queryset", None)
            model = getattr(view, "model", None) or getattr(queryset, "model", None)
            assert model not in logs, route

    def test_the_api_answers_no_log(self, client, superuser):
        client.force_login(superuser)
        for path in ("/api/change-history/", "/api/security-events/", "/api/auditlog/"):
            assert client.get(path).status_code in (403, 404)


def test_every_configured_model_an_admin_edits_is_tracked():
    from auditlog.registry import auditlog
    from django.contrib import admin

    from config import history

    tracked = set(history.tracked_models())
    assert all(auditlog.contains(model) for model in tracked)
    configuration = {"HouseRule", "FlagRule", "Channel", "ServiceArea", "ElectionPeriod", "Integration"}
    configuration |= {"PolicyVersion", "CrisisPeriod", "IdentityProviderGroupRole", "User", "Group", "ImportSource"}
    assert configuration <= {model.__name__ for model in tracked}
    assert all(model in admin.site._registry for model in tracked if model.__name__ in configuration)
    assert HouseRule in tracked


def test_a_policy_version_published_is_in_the_history_with_its_values():
    """The policy holds lists of dates, times and decimals: each value is kept as text."""
    from datetime import date

    from policy import services as policy

    version = policy.current()
    version.pk, version.number = None, None
    version.closure_days = [date(2026, 12, 24), date(2026, 12, 29)]
    published = policy.publish(version=version, reason="Christmas shutdown.")
    entry = history_of(published)[-1]
    assert entry.action == LogEntry.Action.CREATE
    assert "2026, 12, 24" in entry.changes["closure_days"][1]
    assert entry.additional_data["by"] == "system"


def test_the_admin_list_takes_a_fixed_number_of_queries(client, superuser, django_assert_max_num_queries):
    for position, code in enumerate(("spam", "abusive", "misinformation"), start=20):
        rule = factories.rule(code)
        rule.position = position
        rule.save()
    client.force_login(superuser)
    changelist = reverse("admin:auditlog_logentry_changelist")
    client.get(changelist)
    with django_assert_max_num_queries(12):
        response = client.get(changelist)
    assert response.status_code == 200
