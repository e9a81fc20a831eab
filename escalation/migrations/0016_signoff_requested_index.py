"""The sign-offs asked for in a range (issue 14: the reports' time to sign-off), built without locking
the table against writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalation", "0015_report_tally"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="signoff",
            index=models.Index(
                fields=["requested_at"], include=["status", "decided_at", "due_at"], name="signoff_requested_idx"
            ),
        ),
    ]
