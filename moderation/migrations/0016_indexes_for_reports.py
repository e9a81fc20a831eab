"""Indexes for the reports (issue 14): posts by the time they came in (and channel), timeline events by
time and kind, so the report's counts read an index, not the tables. Built concurrently: safe on live tables."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0015_indexes_for_removed_posts_and_recent_decisions"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="post",
            index=models.Index(fields=["created_at", "channel"], name="post_created_channel_idx"),
        ),
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(fields=["at", "kind"], name="caseevent_at_kind_idx"),
        ),
    ]
