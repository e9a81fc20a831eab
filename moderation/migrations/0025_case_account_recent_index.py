"""An account's cases newest first, a page at a time (the account page, issue 13); built
concurrently, safe on a live table (not in a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0024_case_due_order_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["account", "-recorded_at", "-id"], name="case_account_recent_idx"),
        ),
    ]
