"""The change history (django-auditlog's table) is append-only, as the security log is.

PostgreSQL refuses UPDATE, DELETE and TRUNCATE on ``auditlog_logentry``, with one exception: when a
person's account is deleted, Django empties the ``actor_id`` of their entries (the library's
``SET_NULL``); that update, changing nothing else, is let through (the name stays in the entry's
``actor_email`` and ``additional_data.by``). An INSERT takes the database's clock, whatever it says.

And the security log's new kind, "Data downloaded".
"""

from django.db import migrations, models

FORWARD = """
CREATE FUNCTION config_changehistory_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'auditlog_logentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE FUNCTION config_changehistory_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."timestamp" := clock_timestamp();
    RETURN NEW;
END;
$$;
CREATE TRIGGER changehistory_no_update_delete
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION config_changehistory_append_only();
CREATE TRIGGER changehistory_no_truncate
    BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION config_changehistory_append_only();
CREATE TRIGGER changehistory_stamp
    BEFORE INSERT ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION config_changehistory_stamp();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS changehistory_stamp ON auditlog_logentry;
DROP TRIGGER IF EXISTS changehistory_no_truncate ON auditlog_logentry;
DROP TRIGGER IF EXISTS changehistory_no_update_delete ON auditlog_logentry;
DROP FUNCTION IF EXISTS config_changehistory_stamp();
DROP FUNCTION IF EXISTS config_changehistory_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("config_security", "0003_alter_securityevent_kind"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        # and the security log's new kind: a download of personal or bulk data
        migrations.AlterField(
            model_name="securityevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("signed_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("locked_out", "Locked out after repeated failures"),
                    ("signed_out", "Signed out"),
                    ("session_expired", "Signed out by the session limits"),
                    ("second_step_passed", "Two-step verification passed"),
                    ("second_step_failed", "Two-step verification failed"),
                    ("device_added", "Two-step device set up"),
                    ("device_removed", "Two-step device removed"),
                    ("recovery_codes_renewed", "Recovery codes made"),
                    ("role_added", "Role given"),
                    ("role_removed", "Role taken away"),
                    ("permission_changed", "Permissions changed"),
                    ("account_changed", "Account flags changed"),
                    ("admin_change", "Changed in the admin"),
                    ("policy_published", "Policy version published"),
                    ("data_downloaded", "Data downloaded"),
                ],
                max_length=32,
            ),
        ),
    ]
