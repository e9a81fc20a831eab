"""Search indexes at a million posts (issue 13): the posts' full-text index over the posts on a case
alone (a search finds cases; the other posts never matched one), and the few safeguarding cases.
Built and dropped concurrently: safe on live tables (the new index is built before the old one goes)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0033_event_kinds_with_subject_access"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="post",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("text", config="english"),
                condition=models.Q(("case__isnull", False)),
                name="post_case_text_search_idx",
            ),
        ),
        RemoveIndexConcurrently(model_name="post", name="post_text_search_idx"),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(("safeguarding_at__isnull", False)),
                fields=["status", "id"],
                name="case_safeguarding_idx",
            ),
        ),
    ]
