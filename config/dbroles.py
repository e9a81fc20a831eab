"""Two database roles: the owner runs migrations; the application runs as a role that owns nothing.

The application's role (``DATABASE_APP_ROLE``) may read and write the tables, but it owns none, so it
can never ALTER a table, drop or disable a trigger; and it holds no UPDATE, DELETE or TRUNCATE on the
append-only tables (the case timeline, the security log, the change history). ``grant_app_role`` runs after every
``migrate`` (as the owner), so new tables are granted as they appear; ``manage.py db_app_role``
creates the role once.
"""

from __future__ import annotations

from django.db import connection
from psycopg import sql

APPEND_ONLY_TABLES = (
    "moderation_caseevent",
    "config_security_securityevent",
    "policy_policyversion",
    "auditlog_logentry",
)
# the one column the application may update on an append-only table: a deleted account's entries in
# the change history lose their link to it (the trigger lets through nothing else)
UPDATABLE_COLUMNS = {"auditlog_logentry": ("actor_id",)}


def role_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        return cursor.fetchone() is not None


def create_app_role(name: str, password: str | None = None) -> bool:
    """Create ``name`` (LOGIN, no other attribute) if it does not exist; True when created."""
    if role_exists(name):
        return False
    statement = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION").format(
        sql.Identifier(name)
    )
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return True


def grant_app_role(name: str) -> None:
    """Give ``name`` what the application needs, and not the rest (run as the owner)."""
    role = sql.Identifier(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
        row = cursor.fetchone()
        if row is None:
            raise ValueError(f"The database role {name!r} does not exist (manage.py db_app_role --create).")
        if row[0]:
            raise ValueError(f"The application's role {name!r} must not be a superuser.")
        cursor.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(connection.settings_dict["NAME"]), role)
        )
        cursor.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
        cursor.execute(
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(role)
        )
        cursor.execute(sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
        cursor.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in APPEND_ONLY_TABLES), role
            )
        )
        for table, columns in UPDATABLE_COLUMNS.items():
            cursor.execute(
                sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(table), role
                )
            )


def after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: grant the application's role (``DATABASE_APP_ROLE``) when one is named."""
    from django.conf import settings

    name = getattr(settings, "DATABASE_APP_ROLE", "")
    if not name or sender.label != "config_security":
        return
    if not role_exists(name):
        import logging

        logging.getLogger("moderation.security").warning(
            "DATABASE_APP_ROLE %s does not exist yet: create it with manage.py db_app_role --create", name
        )
        return
    grant_app_role(name)
