"""A case's first action read from one partial index (issue 14: the reports' time to first action; the
queue's clock), and the cases recorded in a range from another: built without locking the tables
against writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

FIRST_RESPONSE_KINDS = (
    "post_hidden",
    "post_deleted",
    "warning_drafted",
    "block_proposed",
    "block_immediate",
    "channel_ban",
    "case_closed",
    "enquiry_replied",
    "enquiry_holding_reply",
    "enquiry_signposted",
    "enquiry_clarification_asked",
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0036_search_indexes_on_cases_posts"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(
                condition=models.Q(("kind__in", FIRST_RESPONSE_KINDS)),
                fields=["case", "at", "id"],
                name="caseevent_first_response_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(fields=["recorded_at"], include=["id", "response_due_at"], name="case_recorded_idx"),
        ),
    ]
