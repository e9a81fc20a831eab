"""The accessibility statement at ``/accessibility/``, in the GOV.UK model statement's format.

Two kinds of fact go into it:

* the organisation's own details (its name, who to contact about a problem, how soon it replies,
  the statement's dates), read in one place, ``statement_details()``, so that each organisation
  publishes its own statement: the name from the organisation's policy (``policy.services.current``),
  the contact and dates from the ``ACCESSIBILITY_*`` settings.
* what is known not to be accessible yet in the product, with the WCAG 2.2 success criteria it
  fails and the date by which it will be fixed (``KNOWN_ISSUES``). Remove an entry when its fix
  ships, and change ``ACCESSIBILITY_STATEMENT_REVIEWED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from policy import services as policy


@dataclass(frozen=True)
class StatementDetails:
    organisation: str
    contact_email: str
    contact_phone: str
    reply_working_days: int
    prepared_on: date
    reviewed_on: date
    tested_on: date


def statement_details() -> StatementDetails:
    """The organisation's details the statement gives (the one place they are read)."""
    return StatementDetails(
        organisation=policy.current().organisation_name,
        contact_email=settings.ACCESSIBILITY_CONTACT_EMAIL,
        contact_phone=settings.ACCESSIBILITY_CONTACT_PHONE,
        reply_working_days=settings.ACCESSIBILITY_REPLY_WORKING_DAYS,
        prepared_on=settings.ACCESSIBILITY_STATEMENT_PREPARED,
        reviewed_on=settings.ACCESSIBILITY_STATEMENT_REVIEWED,
        tested_on=settings.ACCESSIBILITY_LAST_TESTED,
    )


@dataclass(frozen=True)
class KnownIssue:
    """Something that fails WCAG 2.2 AA today: in short (for the list at the top), what a user meets,
    the criteria, the date of the fix."""

    headline: str
    summary: str
    criteria: tuple[str, ...]
    fix_by: date


# From the audit of issue 16 (49 page states, as each of the five roles), less what is fixed.
KNOWN_ISSUES: tuple[KnownIssue, ...] = (
    KnownIssue(
        "the administration screens have not been fully tested",
        "The administration screens, where administrators configure the service, are Django's own and "
        "have not been fully tested: some of their forms rely on the browser's own error pop-up rather "
        "than an error on the page. No decision is made on them: every decision (signing off a warning, "
        "approving or refusing a block, acknowledging a block, deciding an appeal) is made on the main "
        "screens, and whatever else a role records there can be recorded on the main screens too.",
        ("3.3.1 Error identification", "1.4.10 Reflow"),
        date(2027, 3, 31),
    ),
)
