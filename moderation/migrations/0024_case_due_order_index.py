"""The queue's default order (response_due_at, id) read from an index with status=all (issue 13);
built concurrently, safe on a live table (not in a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0023_search_full_text_and_trigram_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["response_due_at", "id"], name="case_due_id_idx"),
        ),
    ]
