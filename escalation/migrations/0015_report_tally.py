# ruff: noqa: S608 - constant SQL built from this file's own names
"""The reports' tally (issue 14): ``escalation.models.ReportTally``, kept by triggers on the posts, cases
and timeline tables, counted once from the tables here (a few seconds for a million posts: the tables
are read once each, inside this migration)."""

from django.db import migrations, models

# The timeline's kinds each count adds up (escalation.reports.ACTION_KINDS, as of this migration; a
# test compares the tally with the live count of every figure).
EVENT_COUNTS = {
    "posts_hidden": ("post_hidden",),
    "posts_deleted": ("post_deleted",),
    "warnings_sent": ("warning_sent",),
    "blocks": ("block_approved", "block_immediate"),
    "channel_bans": ("channel_ban",),
    "police_reports": ("police_reported",),
    "appeals_logged": ("appeal_received", "appeal_premature"),
    "appeals_premature": ("appeal_premature",),
    "appeals_upheld": ("appeal_upheld",),
    "appeals_overturned": ("appeal_overturned",),
}
KINDS = ", ".join(sorted({f"'{kind}'" for kinds in EVENT_COUNTS.values() for kind in kinds}))
COLUMNS = ", ".join(EVENT_COUNTS)


def _event_sums(sign: str) -> str:
    return ", ".join(
        f"COALESCE(sum({sign}) FILTER (WHERE e.kind IN ({', '.join(repr(k) for k in kinds)})), 0)"
        for kinds in EVENT_COUNTS.values()
    )


# ``date_trunc(…, 'UTC')``: the hour in UTC whatever the session's time zone
SQL = f"""
CREATE FUNCTION report_tally_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO escalation_reporttally (hour, channel_id, posts_in)
        SELECT date_trunc('hour', created_at, 'UTC'), channel_id, count(*) FROM new_rows GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO escalation_reporttally (hour, channel_id, posts_in)
        SELECT date_trunc('hour', created_at, 'UTC'), channel_id, -count(*) FROM old_rows GROUP BY 1, 2;
    ELSE  -- a row trigger, only when the post's time or channel changed
        INSERT INTO escalation_reporttally (hour, channel_id, posts_in)
        VALUES (date_trunc('hour', OLD.created_at, 'UTC'), OLD.channel_id, -1),
               (date_trunc('hour', NEW.created_at, 'UTC'), NEW.channel_id, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_tally_posts_inserted AFTER INSERT ON moderation_post
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_tally_posts();
CREATE TRIGGER report_tally_posts_deleted AFTER DELETE ON moderation_post
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_tally_posts();
CREATE TRIGGER report_tally_posts_moved AFTER UPDATE ON moderation_post FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.channel_id IS DISTINCT FROM NEW.channel_id)
    EXECUTE FUNCTION report_tally_posts();

CREATE FUNCTION report_tally_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO escalation_reporttally (hour, channel_id, cases_opened)
        SELECT date_trunc('hour', recorded_at, 'UTC'), channel_id, count(*) FROM new_rows GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO escalation_reporttally (hour, channel_id, cases_opened)
        SELECT date_trunc('hour', recorded_at, 'UTC'), channel_id, -count(*) FROM old_rows GROUP BY 1, 2;
    ELSE  -- a row trigger, only when the case's time or channel changed: its actions follow its channel
        INSERT INTO escalation_reporttally (hour, channel_id, cases_opened)
        VALUES (date_trunc('hour', OLD.recorded_at, 'UTC'), OLD.channel_id, -1),
               (date_trunc('hour', NEW.recorded_at, 'UTC'), NEW.channel_id, 1);
        IF OLD.channel_id IS DISTINCT FROM NEW.channel_id THEN
            INSERT INTO escalation_reporttally (hour, channel_id, {COLUMNS})
            SELECT date_trunc('hour', e.at, 'UTC'), m.channel_id, {_event_sums("m.sign")}
              FROM (VALUES (OLD.channel_id, -1), (NEW.channel_id, 1)) AS m(channel_id, sign)
              CROSS JOIN moderation_caseevent e
             WHERE e.case_id = NEW.id AND e.kind IN ({KINDS})
             GROUP BY 1, 2;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER report_tally_cases_inserted AFTER INSERT ON moderation_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_tally_cases();
CREATE TRIGGER report_tally_cases_deleted AFTER DELETE ON moderation_case
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_tally_cases();
CREATE TRIGGER report_tally_cases_moved AFTER UPDATE ON moderation_case FOR EACH ROW
    WHEN (OLD.recorded_at IS DISTINCT FROM NEW.recorded_at OR OLD.channel_id IS DISTINCT FROM NEW.channel_id)
    EXECUTE FUNCTION report_tally_cases();

-- the timeline is append-only (PostgreSQL refuses UPDATE and DELETE on it): inserts are all there is
CREATE FUNCTION report_tally_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO escalation_reporttally (hour, channel_id, {COLUMNS})
    SELECT date_trunc('hour', e.at, 'UTC'), c.channel_id, {_event_sums("1")}
      FROM new_rows e JOIN moderation_case c ON c.id = e.case_id
     WHERE e.kind IN ({KINDS})
     GROUP BY 1, 2;
    RETURN NULL;
END $$;

CREATE TRIGGER report_tally_events_inserted AFTER INSERT ON moderation_caseevent
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_tally_events();

-- the whole tally counted afresh from the tables (this migration, and after a bulk load that ran
-- without triggers: the benchmark's)
CREATE FUNCTION report_tally_rebuild() RETURNS bigint LANGUAGE sql AS $$
    DELETE FROM escalation_reporttally;
    INSERT INTO escalation_reporttally (hour, channel_id, posts_in, cases_opened, {COLUMNS})
    SELECT hour, channel_id, sum(posts_in), sum(cases_opened), {", ".join(f"sum({c})" for c in EVENT_COUNTS)}
      FROM (
        SELECT date_trunc('hour', created_at, 'UTC') AS hour, channel_id, count(*) AS posts_in, 0 AS cases_opened,
               {", ".join(f"0 AS {c}" for c in EVENT_COUNTS)}
          FROM moderation_post GROUP BY 1, 2
        UNION ALL
        SELECT date_trunc('hour', recorded_at, 'UTC'), channel_id, 0, count(*), {", ".join("0" for _ in EVENT_COUNTS)}
          FROM moderation_case GROUP BY 1, 2
        UNION ALL
        SELECT date_trunc('hour', e.at, 'UTC'), c.channel_id, 0, 0, {_event_sums("1")}
          FROM moderation_caseevent e JOIN moderation_case c ON c.id = e.case_id
         WHERE e.kind IN ({KINDS})
         GROUP BY 1, 2
      ) AS counted
     GROUP BY 1, 2;
    SELECT count(*) FROM escalation_reporttally;
$$;

-- each hour and channel's rows summed into one (the beat task; safe beside the triggers: a row written
-- while it runs is not among those it deletes, and stays beside the sum)
CREATE FUNCTION report_tally_compact() RETURNS bigint LANGUAGE sql AS $$
    WITH repeated AS (
        SELECT hour, channel_id FROM escalation_reporttally GROUP BY 1, 2 HAVING count(*) > 1
    ), gone AS (
        DELETE FROM escalation_reporttally t USING repeated r
         WHERE t.hour = r.hour AND t.channel_id = r.channel_id
        RETURNING t.*
    ), summed AS (
        INSERT INTO escalation_reporttally (hour, channel_id, posts_in, cases_opened, {COLUMNS})
        SELECT hour, channel_id, sum(posts_in), sum(cases_opened), {", ".join(f"sum({c})" for c in EVENT_COUNTS)}
          FROM gone GROUP BY 1, 2
        HAVING {" OR ".join(f"sum({c}) <> 0" for c in ("posts_in", "cases_opened", *EVENT_COUNTS))}
        RETURNING 1
    )
    SELECT count(*) FROM gone;
$$;

SELECT report_tally_rebuild();
"""

REVERSE_SQL = """
DROP TRIGGER report_tally_posts_inserted ON moderation_post;
DROP TRIGGER report_tally_posts_deleted ON moderation_post;
DROP TRIGGER report_tally_posts_moved ON moderation_post;
DROP TRIGGER report_tally_cases_inserted ON moderation_case;
DROP TRIGGER report_tally_cases_deleted ON moderation_case;
DROP TRIGGER report_tally_cases_moved ON moderation_case;
DROP TRIGGER report_tally_events_inserted ON moderation_caseevent;
DROP FUNCTION report_tally_posts();
DROP FUNCTION report_tally_cases();
DROP FUNCTION report_tally_events();
DROP FUNCTION report_tally_rebuild();
DROP FUNCTION report_tally_compact();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0014_retention_runs"),
        ("moderation", "0033_event_kinds_with_subject_access"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("channel_id", models.BigIntegerField()),
                ("posts_in", models.IntegerField(db_default=0)),
                ("cases_opened", models.IntegerField(db_default=0)),
                ("posts_hidden", models.IntegerField(db_default=0)),
                ("posts_deleted", models.IntegerField(db_default=0)),
                ("warnings_sent", models.IntegerField(db_default=0)),
                ("blocks", models.IntegerField(db_default=0)),
                ("channel_bans", models.IntegerField(db_default=0)),
                ("police_reports", models.IntegerField(db_default=0)),
                ("appeals_logged", models.IntegerField(db_default=0)),
                ("appeals_premature", models.IntegerField(db_default=0)),
                ("appeals_upheld", models.IntegerField(db_default=0)),
                ("appeals_overturned", models.IntegerField(db_default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["hour", "channel_id"], name="reporttally_hour_channel_idx")],
            },
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
