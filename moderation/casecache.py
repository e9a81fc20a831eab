"""What the queue shows of the cases, kept while nothing it shows has changed (issue 13).

The queue's results (the count, the 25 rows with their stage and clock, the pagination) cost two
thirds of a queue page: the stage query, the rows, the count. An officer refreshing the queue, or
a team with the queue open in several tabs, asks for the same results again and again between two
changes. They are kept in Django's cache under a key that holds:

* a *generation*, moved on after every committed write to a table the results are read from
  (cases, their rules, timelines, enquiries, warnings, blocks, sign-offs, appeals, posts, accounts,
  channels, house rules, service areas, people and their roles, the policy, crisis mode). Writes are seen where
  they happen, in the database connection (``watch``, a Django execute wrapper installed on every
  connection), so a service, a bulk ``QuerySet.update``, a raw SQL task, the admin and a management
  command all move it on; a page that read the results before the write was visible stored them
  under a generation that is then already past;
* the London minute: the "time left" column and the overdue filter change with the clock, in
  minutes, so an entry is never used after its minute;
* the person (what their role may see: safeguarding cases, their own assignments, the numbers on
  the page) and the page's whole query string.

A transaction that has written a watched table reads and stores nothing here (what it would read
is not yet everyone's). An unreachable cache renders afresh.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from moderation import clock
from moderation.generations import Generation

GENERATION = Generation("cases:generation", "the queue's results")
TTL = 120  # seconds: an entry is only read within its minute; this lets Redis drop it soon after

# Tables the queue's results are read from. A new post or a new account is on no case yet (the case
# that takes it writes the case table), so only their updates and deletions count.
WATCHED = frozenset(
    {
        "moderation_case",
        "moderation_case_rules",
        "moderation_caseevent",
        "moderation_enquiry",
        "moderation_channel",
        "moderation_houserule",
        "moderation_servicearea",
        "moderation_safeguardingreferral",
        "escalation_warning",
        "escalation_block",
        "escalation_signoff",
        "escalation_appeal",
        "escalation_crisisperiod",  # crisis mode orders the default queue by priority
        "policy_policyversion",
        "auth_user",
        "auth_user_groups",
        "auth_user_user_permissions",
        "auth_group_permissions",
        "moderation_post",
        "moderation_socialaccount",
    }
)
INSERTS_IGNORED = frozenset({"moderation_post", "moderation_socialaccount"})
# the table each write statement writes: INSERT INTO t, UPDATE t, DELETE FROM t, TRUNCATE t (a CTE's too)
_TARGET = re.compile(
    r'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)"?', re.I
)


def writes_watched(sql: str) -> bool:
    """Whether ``sql`` writes a table the queue's results are read from."""
    head = sql[:12].lstrip()[:6].upper()
    if head == "SELECT" or head.startswith(("SAVEPO", "RELEAS", "SET ", "ROLLBA", "BEGIN", "COMMIT")):
        return False
    for verb, table in _TARGET.findall(sql):
        table = table.lower()
        if table in WATCHED and not (verb[:6].upper() == "INSERT" and table in INSERTS_IGNORED):
            return True
    return False


def _committed() -> None:
    """The on-commit callback of a transaction that wrote a watched table (one per transaction)."""
    GENERATION.move_on()


def _pending(connection) -> bool:
    """Whether the open transaction has written a watched table (its move-on is waiting for the commit)."""
    return connection.in_atomic_block and any(entry[1] is _committed for entry in connection.run_on_commit)


def watch(execute, sql, params, many, context):
    """Django execute wrapper: after a statement that writes a watched table, the generation moves on
    once its transaction commits (at once, outside a transaction)."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and writes_watched(sql):
        connection = context["connection"]
        if not _pending(connection):
            transaction.on_commit(_committed, using=connection.alias)
    return result


def watch_connection(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: every connection, in every process, has the wrapper once."""
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def generation() -> int:
    return GENERATION.current()


def cached(name: str, user_id: int, parts: list, render: Callable[[], str]) -> SafeString:
    """``render()``'s HTML for ``name``, ``user_id`` and ``parts`` (the page's query), from the cache
    while no watched table has changed and the minute is the same."""
    if _pending(connections[DEFAULT_DB_ALIAS]):
        return mark_safe(render())  # noqa: S308 - rendered by our templates, escaped there
    minute = timezone.localtime(clock.now()).strftime("%Y%m%d%H%M")
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    found = GENERATION.cached(f"{name}:{minute}:{user_id}:{digest}", render, TTL)
    return mark_safe(found)  # noqa: S308 - rendered by our templates, escaped there
