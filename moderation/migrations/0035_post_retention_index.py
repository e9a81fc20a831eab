"""The retention purge's index (issue 14): posts in no case whose text is not yet redacted, by the time
they came in. Partial, so it holds only what the nightly run may still redact. Built concurrently: safe
on a live posts table."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0034_legal_holds_and_redaction"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="post",
            index=models.Index(
                condition=models.Q(("case__isnull", True), ("redacted_at__isnull", True)),
                fields=["created_at", "id"],
                name="post_uncased_unredacted_idx",
            ),
        ),
    ]
