"""The roles' titles as the organisation says them ("Managing Director", "Chief Executive", "Head of
News"): what every page, email and API answer calls a role. Read at call time from the current
policy, never frozen at import, so a new policy version renames the roles everywhere at once.

The roles themselves are Django groups with fixed names (``policy.roles``, once
``escalation.routing``): internal identifiers, never shown. The group names are repeated here (a
test checks they match ``ROLES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import lazy

# policy.roles' group names (OFFICER, MANAGER, SERVICE_DIRECTOR, MANAGING_DIRECTOR) → field
_ROLE_FIELDS = {
    "Communications officer": "officer",
    "Communications manager": "manager",
    "Service director": "director",
    "Managing director": "head",
}


def _capitalised(text: str) -> str:
    """The first letter upper case, the rest as the organisation writes it."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Titles:
    officer: str
    manager: str
    director: str
    head: str

    def for_role(self, group_name: str) -> str:
        """The title of the role whose group is ``group_name``; another group's name as it is."""
        field = _ROLE_FIELDS.get(group_name)
        return getattr(self, field) if field else group_name

    @property
    def start(self) -> Titles:
        """The titles for the start of a sentence (``{{ titles.start.head }}``)."""
        return Titles(*(_capitalised(t) for t in (self.officer, self.manager, self.director, self.head)))


def titles() -> Titles:
    """The current policy's titles (the policy is cached: cheap to call)."""
    from policy import services  # here, not at import: models import this module before the registry is ready

    version = services.current()
    return Titles(
        officer=version.title_officer,
        manager=version.title_manager,
        director=version.title_director,
        head=version.title_head,
    )


def _formatted(template: str) -> str:
    return template.format(t=titles())


_lazy_formatted = lazy(_formatted, str)


def lazily(template: str):
    """``template`` with the titles filled in when it is shown, not when it is defined (for texts
    fixed at import: admin action descriptions, form help texts): ``lazily("Acknowledge ({t.head})")``."""
    return _lazy_formatted(template)
