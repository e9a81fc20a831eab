"""The lists' "undo the block on the platform" stage read from a partial index of the few lifted
blocks not yet undone (issue 13); built concurrently, safe on a live table (not in a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalation", "0010_reports_to_platforms_and_agencies"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="block",
            index=models.Index(
                condition=models.Q(("status", "lifted"), ("undone_on_platform_at__isnull", True)),
                fields=["case"],
                name="block_to_undo_case_idx",
            ),
        ),
    ]
