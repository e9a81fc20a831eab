"""The timeline's own index on ``case_id`` goes: ``caseevent_case_at_idx`` (case, at) serves every
read by case, and the index was one more entry for every event written (issue 13: the appeal sweep
writes a million at once). Dropped concurrently, safe on a live table (not in a transaction)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("moderation", "0039_meta_deliveries_kept"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="moderation.case",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS moderation_caseevent_case_id_6f82d5a2",
                    reverse_sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS moderation_caseevent_case_id_6f82d5a2"
                    " ON moderation_caseevent (case_id)",
                ),
            ],
        ),
    ]
