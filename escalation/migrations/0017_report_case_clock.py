# ruff: noqa: S608 - constant SQL built from this file's own names
"""Each case's clock for the reports (issue 14): ``escalation.models.ReportCase``, kept by triggers on
the cases and timeline tables, filled once from the tables here (the timeline read once, grouped)."""

from django.db import migrations, models

# moderation.constants.FIRST_RESPONSE_EVENTS as of this migration (a test compares the reports' time to
# first action from this table with the live one)
FIRST_RESPONSE_KINDS = ", ".join(
    f"'{kind}'"
    for kind in (
        "post_hidden",
        "post_deleted",
        "warning_drafted",
        "block_proposed",
        "block_immediate",
        "channel_ban",
        "case_closed",
        "enquiry_replied",
        "enquiry_holding_reply",
        "enquiry_signposted",
        "enquiry_clarification_asked",
    )
)

SQL = f"""
CREATE FUNCTION report_case_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO escalation_reportcase (case_id, channel_id, recorded_at, response_due_at)
        SELECT id, channel_id, recorded_at, response_due_at FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM escalation_reportcase r USING old_rows o WHERE r.case_id = o.id;
    ELSE  -- a row trigger, only when the case's times or channel changed
        UPDATE escalation_reportcase
           SET channel_id = NEW.channel_id, recorded_at = NEW.recorded_at, response_due_at = NEW.response_due_at
         WHERE case_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_case_cases_inserted AFTER INSERT ON moderation_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_case_cases();
CREATE TRIGGER report_case_cases_deleted AFTER DELETE ON moderation_case
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_case_cases();
CREATE TRIGGER report_case_cases_changed AFTER UPDATE ON moderation_case FOR EACH ROW
    WHEN (OLD.recorded_at IS DISTINCT FROM NEW.recorded_at OR OLD.channel_id IS DISTINCT FROM NEW.channel_id
          OR OLD.response_due_at IS DISTINCT FROM NEW.response_due_at)
    EXECUTE FUNCTION report_case_cases();

-- a first-response event: the case's first action is the earliest such event (the timeline is append-only)
CREATE FUNCTION report_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE escalation_reportcase r SET first_action_at = LEAST(r.first_action_at, m.at)
      FROM (SELECT case_id, min(at) AS at FROM new_rows WHERE kind IN ({FIRST_RESPONSE_KINDS}) GROUP BY case_id) m
     WHERE r.case_id = m.case_id AND (r.first_action_at IS NULL OR m.at < r.first_action_at);
    RETURN NULL;
END $$;

CREATE TRIGGER report_case_events_inserted AFTER INSERT ON moderation_caseevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_case_events();

CREATE FUNCTION report_case_rebuild() RETURNS bigint LANGUAGE sql AS $$
    DELETE FROM escalation_reportcase;
    INSERT INTO escalation_reportcase (case_id, channel_id, recorded_at, response_due_at, first_action_at)
    SELECT c.id, c.channel_id, c.recorded_at, c.response_due_at, f.at
      FROM moderation_case c
      LEFT JOIN (SELECT case_id, min(at) AS at FROM moderation_caseevent
                  WHERE kind IN ({FIRST_RESPONSE_KINDS}) GROUP BY case_id) f ON f.case_id = c.id;
    SELECT count(*) FROM escalation_reportcase;
$$;

SELECT report_case_rebuild();
"""

REVERSE_SQL = """
DROP TRIGGER report_case_cases_inserted ON moderation_case;
DROP TRIGGER report_case_cases_deleted ON moderation_case;
DROP TRIGGER report_case_cases_changed ON moderation_case;
DROP TRIGGER report_case_events_inserted ON moderation_caseevent;
DROP FUNCTION report_case_cases();
DROP FUNCTION report_case_events();
DROP FUNCTION report_case_rebuild();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0016_signoff_requested_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportCase",
            fields=[
                ("case_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("channel_id", models.BigIntegerField()),
                ("recorded_at", models.DateTimeField()),
                ("response_due_at", models.DateTimeField()),
                ("first_action_at", models.DateTimeField(null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["recorded_at"],
                        include=("channel_id", "response_due_at", "first_action_at"),
                        name="reportcase_recorded_idx",
                    )
                ],
            },
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
