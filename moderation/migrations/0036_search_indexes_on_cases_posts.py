"""Queue indexes at a million posts (issue 13): the posts' full-text index over the posts on a case
alone (a search finds cases; the other posts never matched one), the few safeguarding cases, and
the queue's default order (open safeguarding cases first, then by deadline) so a page of all cases
is read in order instead of sorting every case.
Built and dropped concurrently: safe on live tables (the new index is built before the old one goes)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0035_post_retention_index"),
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
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                models.Case(
                    models.When(
                        safeguarding_at__isnull=False, safeguarding_decided_at__isnull=True, status="open", then=0
                    ),
                    models.When(safeguarding_at__isnull=False, status="open", then=1),
                    default=2,
                    output_field=models.IntegerField(),
                ),
                models.OrderBy(models.F("safeguarding_due_at"), nulls_last=True),
                models.F("response_due_at"),
                models.F("id"),
                name="case_queue_order_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                models.F("status"),
                models.Case(
                    models.When(
                        safeguarding_at__isnull=False, safeguarding_decided_at__isnull=True, status="open", then=0
                    ),
                    models.When(safeguarding_at__isnull=False, status="open", then=1),
                    default=2,
                    output_field=models.IntegerField(),
                ),
                models.OrderBy(models.F("safeguarding_due_at"), nulls_last=True),
                models.F("response_due_at"),
                models.F("id"),
                name="case_status_queue_order_idx",
            ),
        ),
    ]
