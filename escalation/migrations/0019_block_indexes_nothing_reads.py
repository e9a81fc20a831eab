"""Four indexes on blocks go: on ``channel_id``, ``proposed_by_id``, ``md_acknowledged_by_id`` and
``undone_on_platform_by_id``. Nothing reads blocks by them (a channel's live blocks are found by
account through ``block_one_live_per_account_scope``; only deleting a channel or a person, refused
while blocks refer to them, would look), and each was one more entry for every block the appeal
sweep flags (issue 13: a million at once). Dropped concurrently, safe on a live table (not in a
transaction)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROPPED = {
    "channel": ("escalation_block_channel_id_413302d9", "channel_id", "moderation.channel"),
    "md_acknowledged_by": ("escalation_block_md_acknowledged_by_id_9c4517df", "md_acknowledged_by_id", None),
    "proposed_by": ("escalation_block_proposed_by_id_7db4d3e0", "proposed_by_id", None),
    "undone_on_platform_by": ("escalation_block_undone_on_platform_by_id_102538a0", "undone_on_platform_by_id", None),
}


def _field(name: str, to: str | None):
    if name == "proposed_by":
        return models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.PROTECT,
            related_name="proposed_blocks",
            to=settings.AUTH_USER_MODEL,
        )
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to=to or settings.AUTH_USER_MODEL,
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalation", "0018_indexes_for_the_overdue_chase"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="block", name=name, field=_field(name, to))
                for name, (_index, _column, to) in DROPPED.items()
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {index}",
                    reverse_sql=f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON escalation_block ({column})",
                )
                for index, column, _to in DROPPED.values()
            ],
        ),
    ]
