"""PostgreSQL refuses to DELETE a decision once it is recorded, whatever role writes.

0005 froze the columns that carry a decision; without this, a decided sign-off (and then its block)
could be deleted and a different decision inserted in its place. Refused, for every writer:

* a decided sign-off (``decided_at`` set: approved or refused);
* a started block (``started_at`` set: active or lifted), and a refused one (its decided sign-off
  refers to it as well);
* a decided appeal (``decided_at`` set: upheld or overturned);
* a sent warning (``sent_at`` set).

What is not yet decided (a pending sign-off, a proposed block, an appeal under review or premature,
a warning not sent) is left deletable by the database: no service or admin deletes any of these
rows today, and what was asked for is on the append-only timeline whatever happens to the row.
TRUNCATE fires no row trigger: the application's role holds TRUNCATE on no table it needs it for,
and the tests' flush (as the owner) empties these tables between committing tests.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION casework_decision_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.id = % is a recorded decision and cannot be deleted', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER signoff_decided_kept BEFORE DELETE ON escalation_signoff FOR EACH ROW
    WHEN (OLD.decided_at IS NOT NULL OR OLD.status <> 'pending')
    EXECUTE FUNCTION casework_decision_kept();
CREATE TRIGGER block_started_kept BEFORE DELETE ON escalation_block FOR EACH ROW
    WHEN (OLD.started_at IS NOT NULL OR OLD.status <> 'awaiting_signoff')
    EXECUTE FUNCTION casework_decision_kept();
CREATE TRIGGER appeal_decided_kept BEFORE DELETE ON escalation_appeal FOR EACH ROW
    WHEN (OLD.decided_at IS NOT NULL OR OLD.status IN ('upheld', 'overturned'))
    EXECUTE FUNCTION casework_decision_kept();
CREATE TRIGGER warning_sent_kept BEFORE DELETE ON escalation_warning FOR EACH ROW
    WHEN (OLD.sent_at IS NOT NULL OR OLD.status = 'sent')
    EXECUTE FUNCTION casework_decision_kept();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS warning_sent_kept ON escalation_warning;
DROP TRIGGER IF EXISTS appeal_decided_kept ON escalation_appeal;
DROP TRIGGER IF EXISTS block_started_kept ON escalation_block;
DROP TRIGGER IF EXISTS signoff_decided_kept ON escalation_signoff;
DROP FUNCTION IF EXISTS casework_decision_kept();
"""


class Migration(migrations.Migration):
    dependencies = [("escalation", "0007_triggers_fire_only_when_it_matters")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
