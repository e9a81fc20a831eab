"""Search at scale (issue 13): pg_trgm, trigram indexes on handles and display names, and a
full-text index on post text; built concurrently, safe on a live table (not in a transaction)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0022_event_kinds_of_periods_reports_and_safeguarding"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="post",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("text", config="english"), name="post_text_search_idx"
            ),
        ),
        AddIndexConcurrently(
            model_name="socialaccount",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("handle"), name="gin_trgm_ops"
                ),
                name="account_handle_trgm_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="socialaccount",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("display_name"), name="gin_trgm_ops"
                ),
                name="account_name_trgm_idx",
            ),
        ),
    ]
