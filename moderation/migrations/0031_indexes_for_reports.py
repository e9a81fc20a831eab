"""Indexes for the reports (issue 14): posts by the time they came in (and channel), timeline events by
time and kind, so the report's counts read an index, not the tables. Built concurrently: safe on live tables."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0030_outbox_recipient_users"),
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
