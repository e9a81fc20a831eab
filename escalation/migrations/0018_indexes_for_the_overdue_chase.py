"""The overdue chase reads the pending sign-offs and the unacknowledged active blocks from partial
indexes of those few rows (issue 13: at a million blocks its run with nothing to chase read them
all); built concurrently, safe on a live table (not in a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalation", "0017_report_case_clock"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="block",
            index=models.Index(
                condition=models.Q(("md_acknowledged_at__isnull", True), ("status", "active")),
                fields=["started_at"],
                name="block_unacknowledged_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="signoff",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["due_at"], name="signoff_pending_due_idx"
            ),
        ),
    ]
