"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the case timeline: it is append-only."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION moderation_caseevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER caseevent_no_update_delete
    BEFORE UPDATE OR DELETE ON moderation_caseevent
    FOR EACH ROW EXECUTE FUNCTION moderation_caseevent_append_only();
CREATE TRIGGER caseevent_no_truncate
    BEFORE TRUNCATE ON moderation_caseevent
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_caseevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS caseevent_no_truncate ON moderation_caseevent;
DROP TRIGGER IF EXISTS caseevent_no_update_delete ON moderation_caseevent;
DROP FUNCTION IF EXISTS moderation_caseevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
