from __future__ import annotations

import importlib
import zlib

import factory.random
import pytest
from django.apps import apps
from django.db import connection
from django.test import Client, TransactionTestCase

from config.dbroles import APPEND_ONLY_TABLES
from escalation.constants import BlockStatus
from moderation import clock
from tests import factories


@pytest.fixture(autouse=True)
def generated_data_is_the_same_on_every_run(request):
    """The factories' generated names (Faker) are drawn from a seed taken from the test's own id.

    Each test still gets its own names, apostrophes and all (O'Neill, D'Souza), but the same ones on
    every run: a test that passes here passes in CI, and one that fails fails again when run alone.
    """
    factory.random.reseed_random(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def force_login_passes_the_second_step(monkeypatch):
    """``client.force_login(user)`` stands for the whole sign-in: the password and the second step.

    The user gets a confirmed authenticator app (a real django-otp device) and the session is marked
    verified by it, as ``config.mfa`` does after a right code. Tests of the second step itself sign
    in through the pages (tests/test_mfa.py).
    """
    original = Client.force_login

    def force_login(self, user, backend=None):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        original(self, user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def officer(db):
    return factories.OfficerFactory(username="olivia.officer")


@pytest.fixture
def other_officer(db):
    return factories.OfficerFactory(username="oscar.officer")


@pytest.fixture
def manager(db):
    return factories.ManagerFactory(username="maya.manager")


@pytest.fixture
def other_manager(db):
    return factories.ManagerFactory(username="mark.manager")


@pytest.fixture
def service_area(db):
    return factories.ServiceAreaFactory(name="Waste and recycling")


@pytest.fixture
def director(db, service_area):
    user = factories.ServiceDirectorFactory(username="dev.director")
    service_area.directors.add(user)
    return user


@pytest.fixture
def md(db):
    return factories.ManagingDirectorFactory(username="martha.md")


@pytest.fixture
def channel(db):
    return factories.ChannelFactory(name="NHDC Facebook", handle="northhertsdc")


def _set_event_trigger(enabled: bool) -> None:
    with connection.cursor() as cursor:
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def seed_reference_data() -> None:
    """House rules and roles, as the data migrations create them (idempotent)."""
    importlib.import_module("moderation.migrations.0003_house_rules").seed(apps, None)
    importlib.import_module("escalation.migrations.0002_roles").create_roles(apps, None)
    importlib.import_module("moderation.migrations.0007_import_posts_role").grant(apps, None)
    importlib.import_module("escalation.migrations.0013_reports_permission").grant(apps, None)
    importlib.import_module("moderation.migrations.0014_house_rule_offence_and_redaction").mark_offences(apps, None)
    importlib.import_module("escalation.migrations.0009_crisis_mode").grant(apps, None)
    importlib.import_module("moderation.migrations.0020_safeguarding_lead_role").create_role(apps, None)
    importlib.import_module("moderation.migrations.0034_legal_holds_and_redaction").grant(apps, None)
    importlib.import_module("escalation.migrations.0014_retention_runs").grant(apps, None)
    importlib.import_module("policy.migrations.0002_append_only_and_first_version").first_version(apps, None)


_flush_after_transactional_test = TransactionTestCase._fixture_teardown


def _fixture_teardown(self):
    """Tests that commit (``transaction=True``, ``live_server``) end with Django's flush.

    The flush TRUNCATEs every table: the append-only trigger would refuse it, and it empties the
    house rules and roles the data migrations seeded. So: trigger off (as the table owner) for the
    flush only, then on again, and the seed data put back.
    """
    _set_event_trigger(False)
    try:
        _flush_after_transactional_test(self)
    finally:
        _set_event_trigger(True)
        seed_reference_data()


TransactionTestCase._fixture_teardown = _fixture_teardown


def _reset_sequences(db_name):
    """``reset_sequences``: each sequence restarts after the rows its table holds, not at 1.

    The flush after a committing test puts the seed data back (roles, house rules, the policy, and
    the security events the role grants write); Django's reset would restart their sequences at 1
    and the next insert would collide with a seeded row.
    """
    from django.core.management.color import no_style
    from django.db import connections

    connection = connections[db_name]
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


TransactionTestCase._reset_sequences = staticmethod(_reset_sequences)


@pytest.fixture(autouse=True)
def policy_read_afresh(request):
    """The policy is cached across requests, as in production: a test starts with this database's
    version read (a page's query count is that of a warm deployment) and leaves nothing cached, since
    its versions are rolled back or flushed after it."""
    from escalation.periods import forget_notices, notices
    from policy.services import current, forget

    forget()
    forget_notices()
    if {"db", "transactional_db"} & set(request.fixturenames) or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")
        current()
        notices()  # the periods in force, cached as every page reads them
    yield
    forget()
    forget_notices()


@pytest.fixture(autouse=True)
def navigation_counted_afresh():
    """Each test starts with no navigation counts cached (moderation.navcache): user ids repeat
    across tests whose sequences are reset."""
    from moderation import casecache, navcache

    navcache.GENERATION.move_on()
    casecache._committed()  # and no queue results kept (moderation.casecache)


@pytest.fixture
def block_in_state(db):
    """Make a block in a given status: ``make(status, **factory_kwargs)``.

    ``awaiting_signoff`` comes with its pending sign-off; ``refused`` never started; ``active`` and
    ``lifted`` started 13 months ago, so their appeal window is open (only the status can refuse them).
    """

    def make(status: str, **kwargs):
        if status == BlockStatus.AWAITING_SIGNOFF:
            return factories.ProposedBlockFactory(**kwargs)
        if status == BlockStatus.REFUSED:
            return factories.ProposedBlockFactory(status=status, signoff=None, **kwargs)
        if status == BlockStatus.LIFTED:
            kwargs = {"lifted_at": clock.now(), "lifted_reason": "Appeal overturned.", **kwargs}
        return factories.AppealEligibleBlockFactory(status=status, **kwargs)

    return make


@pytest.fixture
def other_director(db):
    """A Service Director of another service area (Planning) than ``service_area``."""
    user = factories.ServiceDirectorFactory(username="pat.planning")
    factories.ServiceAreaFactory(name="Planning").directors.add(user)
    return user
