"""Versions are append-only (as the case timeline and the security log), and version 1 is the policy the
deployment ran on before: the environment's settings (NHDC's by default)."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION policy_policyversion_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'policy_policyversion is append-only: publish a new version (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER policyversion_no_update_delete
    BEFORE UPDATE OR DELETE ON policy_policyversion
    FOR EACH ROW EXECUTE FUNCTION policy_policyversion_append_only();
CREATE TRIGGER policyversion_no_truncate
    BEFORE TRUNCATE ON policy_policyversion
    FOR EACH STATEMENT EXECUTE FUNCTION policy_policyversion_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS policyversion_no_truncate ON policy_policyversion;
DROP TRIGGER IF EXISTS policyversion_no_update_delete ON policy_policyversion;
DROP FUNCTION IF EXISTS policy_policyversion_append_only();
"""


def first_version(apps, schema_editor) -> None:
    """Version 1 from the settings, unless a version exists (idempotent: the test suite calls it again)."""
    from policy.services import from_settings

    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    if PolicyVersion.objects.exists():
        return
    template = from_settings()
    bookkeeping = ("id", "number", "created_at", "created_by_id", "created_by_label", "reason", "preset")
    # the fields of the model as this migration knows it (later migrations add more, with defaults)
    fields = {
        f.attname: getattr(template, f.attname) for f in PolicyVersion._meta.concrete_fields if f.name not in bookkeeping
    }
    PolicyVersion.objects.create(
        **fields,
        number=1,
        created_by_label="system",
        reason="Version 1: the policy this deployment ran on before policies were versioned (its settings).",
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(first_version, migrations.RunPython.noop),
    ]
