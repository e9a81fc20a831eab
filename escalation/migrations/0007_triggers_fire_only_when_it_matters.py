"""The guards of 0005, called only when a row could break them (issue 13: a set-based UPDATE of
50,000 old blocks spent 57 s in five triggers, each turning the whole row into JSON twice).

Each trigger gains a ``WHEN`` condition that PostgreSQL evaluates without calling the function: a
frozen column changed on a row already decided; a stamp written that is not now; a decider named.
The functions are unchanged and still decide, so the guards refuse exactly what they refused. A
trigger that ran on INSERT OR UPDATE is split in two, because an INSERT's ``WHEN`` cannot name OLD.
"""

from django.db import migrations

FROZEN = {
    # trigger: (table, the column whose being set freezes the row, the columns frozen with it)
    "signoff_frozen": (
        "escalation_signoff",
        [
            "decided_at",
            "decided_by_id",
            "status",
            "reason",
            "requested_by_id",
            "requested_at",
            "kind",
            "warning_id",
            "block_id",
            "appeal_id",
            "case_id",
        ],
    ),
    "appeal_frozen": (
        "escalation_appeal",
        ["decided_at", "decided_by_id", "status", "decision_reason", "received_at", "recorded_by_id", "block_id"],
    ),
    "block_started_frozen": (
        "escalation_block",
        ["started_at", "proposed_by_id", "proposed_at", "kind", "scope", "channel_id", "account_id", "case_id"],
    ),
    "block_acknowledged_frozen": ("escalation_block", ["md_acknowledged_at", "md_acknowledged_by_id"]),
    "block_lifted_frozen": ("escalation_block", ["lifted_at", "lifted_reason"]),
    "warning_sent_frozen": ("escalation_warning", ["sent_at", "sent_by_id", "text", "drafted_by_id", "case_id"]),
}
STAMPED = {
    # trigger: (table, the decision stamps that must carry the database's time when written)
    "signoff_not_back_dated": ("escalation_signoff", ["requested_at", "decided_at"]),
    "appeal_not_back_dated": ("escalation_appeal", ["recorded_at", "decided_at"]),
    "block_not_back_dated": ("escalation_block", ["proposed_at", "started_at", "md_acknowledged_at", "lifted_at"]),
    "warning_not_back_dated": ("escalation_warning", ["drafted_at", "sent_at", "withdrawn_at"]),
}


def _args(columns):
    return ", ".join(f"'{column}'" for column in columns)


def _off(column):
    return f"abs(extract(epoch FROM NEW.{column} - clock_timestamp())) > 300"


def forward_sql():
    sql = []
    for name, (table, columns) in FROZEN.items():
        old = ", ".join(f"OLD.{column}" for column in columns)
        new = ", ".join(f"NEW.{column}" for column in columns)
        sql += [
            f"DROP TRIGGER {name} ON {table};",
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD.{columns[0]} IS NOT NULL AND ROW({old}) IS DISTINCT FROM ROW({new})) "
            f"EXECUTE FUNCTION casework_frozen_once_decided({_args(columns)});",
        ]
    for name, (table, columns) in STAMPED.items():
        on_insert = " OR ".join(_off(column) for column in columns)
        on_update = " OR ".join(f"(NEW.{c} IS DISTINCT FROM OLD.{c} AND {_off(c)})" for c in columns)
        sql += [
            f"DROP TRIGGER {name} ON {table};",
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW WHEN ({on_update}) "
            f"EXECUTE FUNCTION casework_no_back_dating({_args(columns)});",
            f"CREATE TRIGGER {name}_on_insert BEFORE INSERT ON {table} FOR EACH ROW WHEN ({on_insert}) "
            f"EXECUTE FUNCTION casework_no_back_dating({_args(columns)});",
        ]
    sql += [
        "DROP TRIGGER caseevent_not_back_dated ON moderation_caseevent;",
        "CREATE TRIGGER caseevent_not_back_dated BEFORE INSERT ON moderation_caseevent FOR EACH ROW "
        f"WHEN ({_off('at')}) EXECUTE FUNCTION casework_no_back_dating('at');",
        "DROP TRIGGER signoff_separation ON escalation_signoff;",
        "CREATE TRIGGER signoff_separation BEFORE INSERT OR UPDATE ON escalation_signoff FOR EACH ROW "
        "WHEN (NEW.decided_by_id IS NOT NULL) EXECUTE FUNCTION escalation_signoff_separation();",
        "DROP TRIGGER block_acknowledger ON escalation_block;",
        "CREATE TRIGGER block_acknowledger BEFORE UPDATE ON escalation_block FOR EACH ROW "
        "WHEN (NEW.md_acknowledged_by_id IS NOT NULL "
        "AND NEW.md_acknowledged_by_id IS DISTINCT FROM OLD.md_acknowledged_by_id) "
        "EXECUTE FUNCTION escalation_block_acknowledger();",
    ]
    return "\n".join(sql)


def backward_sql():
    """As 0005 made them: every trigger calls its function for every row."""
    sql = []
    for name, (table, columns) in FROZEN.items():
        sql += [
            f"DROP TRIGGER {name} ON {table};",
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION casework_frozen_once_decided({_args(columns)});",
        ]
    for name, (table, columns) in STAMPED.items():
        sql += [
            f"DROP TRIGGER {name} ON {table};",
            f"DROP TRIGGER {name}_on_insert ON {table};",
            f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION casework_no_back_dating({_args(columns)});",
        ]
    sql += [
        "DROP TRIGGER caseevent_not_back_dated ON moderation_caseevent;",
        "CREATE TRIGGER caseevent_not_back_dated BEFORE INSERT ON moderation_caseevent FOR EACH ROW "
        "EXECUTE FUNCTION casework_no_back_dating('at');",
        "DROP TRIGGER signoff_separation ON escalation_signoff;",
        "CREATE TRIGGER signoff_separation BEFORE INSERT OR UPDATE ON escalation_signoff FOR EACH ROW "
        "EXECUTE FUNCTION escalation_signoff_separation();",
        "DROP TRIGGER block_acknowledger ON escalation_block;",
        "CREATE TRIGGER block_acknowledger BEFORE UPDATE ON escalation_block FOR EACH ROW "
        "EXECUTE FUNCTION escalation_block_acknowledger();",
    ]
    return "\n".join(sql)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0006_indexes_for_removed_posts_and_recent_decisions")]

    operations = [migrations.RunSQL(forward_sql(), backward_sql())]
