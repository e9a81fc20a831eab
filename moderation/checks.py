"""System checks: the database must be PostgreSQL 15 or newer.

Two invariants are partial unique constraints with NULLS NOT DISTINCT (one live block per account
and scope; one pending sign-off per subject), which PostgreSQL supports from version 15; Django
would silently skip them on an older server.
"""

from django.core.checks import Error, Tags, register
from django.db import connections

MINIMUM = 150000


@register(Tags.database)
def postgresql_version(app_configs, databases=None, **kwargs):
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            errors.append(Error("Moderation Casework runs on PostgreSQL only.", id="moderation.E001"))
        elif connection.pg_version < MINIMUM:
            errors.append(
                Error(
                    f"PostgreSQL {connection.pg_version // 10000} is too old: version 15 or newer is needed "
                    "for the NULLS NOT DISTINCT constraints that keep one live block per account and scope.",
                    id="moderation.E002",
                )
            )
    return errors
