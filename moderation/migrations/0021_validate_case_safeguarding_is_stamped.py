"""Validate the check 0016 added NOT VALID on the (big) cases table: outside a transaction, so the scan
holds only a SHARE UPDATE EXCLUSIVE lock and the queue keeps reading and writing."""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("moderation", "0020_safeguarding_lead_role")]

    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE moderation_case VALIDATE CONSTRAINT case_safeguarding_is_stamped;",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
