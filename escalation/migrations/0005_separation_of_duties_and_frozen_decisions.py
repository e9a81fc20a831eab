"""Decisions PostgreSQL holds by itself, whatever role the application connects as.

* Separation of duties: whoever drafted a warning, proposed a block or logged an appeal never decides
  its sign-off; whoever proposed or approved a block never acknowledges it.
* Frozen decisions: once a sign-off, an appeal, a block's start or lift, an acknowledgement or a
  sent warning is recorded, the columns that carry it cannot change (no re-dating, no new decider).
* No back-dating: a decision stamp (and a timeline event) written by a role that does not own the
  tables — the application's role in production — must carry the database's time, give or take
  five minutes. The owner (migrations, the demo loader, tests that freeze the clock) is trusted.
"""

from django.conf import settings
from django.db import migrations, models

FORWARD = r"""
CREATE FUNCTION casework_trusted_writer(rel oid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = rel), 'MEMBER');
$$;

-- TG_ARGV[0]: the column whose being set freezes the row; the rest: the columns frozen with it.
CREATE FUNCTION casework_frozen_once_decided() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
    col text;
BEGIN
    IF old_row ->> TG_ARGV[0] IS NULL THEN
        RETURN NEW;
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (old_row -> col) IS DISTINCT FROM (new_row -> col) THEN
            RAISE EXCEPTION '%.% is recorded and cannot change (it was %)', TG_TABLE_NAME, col, old_row ->> col
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

-- TG_ARGV: timestamp columns that, when written, must carry the database's time (±5 minutes)
-- unless the writer owns the table.
CREATE FUNCTION casework_no_back_dating() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) ELSE '{}'::jsonb END;
    new_row jsonb := to_jsonb(NEW);
    col text;
    stamp timestamptz;
BEGIN
    IF casework_trusted_writer(TG_RELID) THEN
        RETURN NEW;
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF new_row ->> col IS NOT NULL AND (old_row -> col) IS DISTINCT FROM (new_row -> col) THEN
            stamp := (new_row ->> col)::timestamptz;
            IF abs(extract(epoch FROM stamp - clock_timestamp())) > 300 THEN
                RAISE EXCEPTION '%.% = % is not now: decisions and events carry the time they are made',
                    TG_TABLE_NAME, col, stamp USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE FUNCTION escalation_signoff_separation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    author bigint;
BEGIN
    IF NEW.decided_by_id IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.warning_id IS NOT NULL THEN
        SELECT drafted_by_id INTO author FROM escalation_warning WHERE id = NEW.warning_id;
    ELSIF NEW.block_id IS NOT NULL THEN
        SELECT proposed_by_id INTO author FROM escalation_block WHERE id = NEW.block_id;
    ELSIF NEW.appeal_id IS NOT NULL THEN
        SELECT recorded_by_id INTO author FROM escalation_appeal WHERE id = NEW.appeal_id;
    END IF;
    -- (the asker deciding is the signoff_decider_is_not_requester constraint's to refuse)
    IF NEW.decided_by_id = author AND NEW.decided_by_id IS DISTINCT FROM NEW.requested_by_id THEN
        RAISE EXCEPTION 'signoff_decider_is_not_author: whoever drafted, proposed or logged it cannot decide it'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION escalation_block_acknowledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.md_acknowledged_by_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM escalation_signoff
        WHERE block_id = NEW.id AND status = 'approved' AND decided_by_id = NEW.md_acknowledged_by_id
    ) THEN
        RAISE EXCEPTION 'block_acknowledger_is_not_approver: whoever approved a block cannot acknowledge it'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER signoff_separation BEFORE INSERT OR UPDATE ON escalation_signoff
    FOR EACH ROW EXECUTE FUNCTION escalation_signoff_separation();
CREATE TRIGGER block_acknowledger BEFORE UPDATE ON escalation_block
    FOR EACH ROW EXECUTE FUNCTION escalation_block_acknowledger();

CREATE TRIGGER signoff_frozen BEFORE UPDATE ON escalation_signoff FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided(
        'decided_at', 'decided_by_id', 'status', 'reason', 'requested_by_id', 'requested_at', 'kind',
        'warning_id', 'block_id', 'appeal_id', 'case_id');
CREATE TRIGGER appeal_frozen BEFORE UPDATE ON escalation_appeal FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided(
        'decided_at', 'decided_by_id', 'status', 'decision_reason', 'received_at', 'recorded_by_id', 'block_id');
CREATE TRIGGER block_started_frozen BEFORE UPDATE ON escalation_block FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided(
        'started_at', 'proposed_by_id', 'proposed_at', 'kind', 'scope', 'channel_id', 'account_id', 'case_id');
CREATE TRIGGER block_acknowledged_frozen BEFORE UPDATE ON escalation_block FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided('md_acknowledged_at', 'md_acknowledged_by_id');
CREATE TRIGGER block_lifted_frozen BEFORE UPDATE ON escalation_block FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided('lifted_at', 'lifted_reason');
CREATE TRIGGER warning_sent_frozen BEFORE UPDATE ON escalation_warning FOR EACH ROW
    EXECUTE FUNCTION casework_frozen_once_decided('sent_at', 'sent_by_id', 'text', 'drafted_by_id', 'case_id');

CREATE TRIGGER signoff_not_back_dated BEFORE INSERT OR UPDATE ON escalation_signoff FOR EACH ROW
    EXECUTE FUNCTION casework_no_back_dating('requested_at', 'decided_at');
CREATE TRIGGER appeal_not_back_dated BEFORE INSERT OR UPDATE ON escalation_appeal FOR EACH ROW
    EXECUTE FUNCTION casework_no_back_dating('recorded_at', 'decided_at');
CREATE TRIGGER block_not_back_dated BEFORE INSERT OR UPDATE ON escalation_block FOR EACH ROW
    EXECUTE FUNCTION casework_no_back_dating('proposed_at', 'started_at', 'md_acknowledged_at', 'lifted_at');
CREATE TRIGGER warning_not_back_dated BEFORE INSERT OR UPDATE ON escalation_warning FOR EACH ROW
    EXECUTE FUNCTION casework_no_back_dating('drafted_at', 'sent_at', 'withdrawn_at');
CREATE TRIGGER caseevent_not_back_dated BEFORE INSERT ON moderation_caseevent FOR EACH ROW
    EXECUTE FUNCTION casework_no_back_dating('at');
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS caseevent_not_back_dated ON moderation_caseevent;
DROP TRIGGER IF EXISTS warning_not_back_dated ON escalation_warning;
DROP TRIGGER IF EXISTS block_not_back_dated ON escalation_block;
DROP TRIGGER IF EXISTS appeal_not_back_dated ON escalation_appeal;
DROP TRIGGER IF EXISTS signoff_not_back_dated ON escalation_signoff;
DROP TRIGGER IF EXISTS warning_sent_frozen ON escalation_warning;
DROP TRIGGER IF EXISTS block_lifted_frozen ON escalation_block;
DROP TRIGGER IF EXISTS block_acknowledged_frozen ON escalation_block;
DROP TRIGGER IF EXISTS block_started_frozen ON escalation_block;
DROP TRIGGER IF EXISTS appeal_frozen ON escalation_appeal;
DROP TRIGGER IF EXISTS signoff_frozen ON escalation_signoff;
DROP TRIGGER IF EXISTS block_acknowledger ON escalation_block;
DROP TRIGGER IF EXISTS signoff_separation ON escalation_signoff;
DROP FUNCTION IF EXISTS escalation_block_acknowledger();
DROP FUNCTION IF EXISTS escalation_signoff_separation();
DROP FUNCTION IF EXISTS casework_no_back_dating();
DROP FUNCTION IF EXISTS casework_frozen_once_decided();
DROP FUNCTION IF EXISTS casework_trusted_writer(oid);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_appeal_digest_sent_for"),
        ("moderation", "0010_post_text_revisions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="block",
            constraint=models.CheckConstraint(
                condition=models.Q(("md_acknowledged_by__isnull", True))
                | ~models.Q(("md_acknowledged_by", models.F("proposed_by"))),
                name="block_acknowledger_is_not_proposer",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
