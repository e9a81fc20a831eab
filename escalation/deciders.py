"""Who else can decide a request: the one place every page, confirmation and admin message asks.

A sign-off of a written warning, the approval of a proposed block and the decision of an appeal each
go to the people whose role decides them under the routing table (``escalation.routing``). Neither
who asks nor who wrote what is asked about may decide it, an inactive person cannot, and an
administrator (a superuser) configures and never decides (``policy.roles.holds``). What is left is
the list shown before a request is sent ("Who can sign this off: Jane Smith (Communications
manager)"), named in the confirmation after it is sent, and, when it is empty, the warning that
nobody else can decide it and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from escalation import routing
from escalation.constants import SignOffKind
from policy.titles import titles

VERBS = {
    SignOffKind.WARNING: "sign this off",
    SignOffKind.BLOCK: "approve this block",
    SignOffKind.APPEAL: "decide this appeal",
}


def name_of(user) -> str:
    return user.get_full_name() or user.get_username()


def _or_list(items: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    if not items:
        return ""
    return ", ".join(items[:-1]) + (" or " if len(items) > 1 else "") + items[-1]


@dataclass(frozen=True)
class Decider:
    """A person who may decide the request, and the role by which they may."""

    user: object
    role: str

    @property
    def label(self) -> str:
        return f"{name_of(self.user)} ({self.role})"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Deciders:
    """Who else can decide a request of ``kind`` on a case (``people``: empty when nobody can)."""

    kind: str
    people: list[Decider] = field(default_factory=list)
    # the role phrase of the routing table ("Communications manager or the case's Service director")
    role: str = ""
    # the role someone must be given when nobody can decide ("Communications manager")
    role_needed: str = ""
    # a warning whose case's service area has no active service director (who could otherwise decide)
    no_director: bool = False

    def __bool__(self) -> bool:
        return bool(self.people)

    @property
    def verb(self) -> str:
        return VERBS.get(self.kind, "decide this")

    @property
    def names(self) -> str:
        """ "Jane Smith (Communications manager) or Sam Okafor (Service director)"; "" for nobody."""
        return _or_list([person.label for person in self.people])

    @property
    def nobody(self) -> str:
        """Why nobody else can decide it, for the warning and the confirmation (a sentence)."""
        text = f"Nobody else can {self.verb}"
        if self.no_director:
            text += f": this case's service area has no active {titles().director}"
        return text + "."

    @property
    def advice(self) -> str:
        """What to do when nobody else can decide it (a sentence)."""
        text = f"Ask an administrator to give someone else the {self.role_needed} role"
        if self.no_director:
            text += f" or to add a {titles().director} to the area"
        return text + "."

    def sent(self, done: str) -> str:
        """The confirmation once the request was sent: ``done`` ("Warning saved and sent for sign-off")
        followed by the people it went to, or by the warning that nobody else can decide it."""
        if self.people:
            return f"{done} to {self.names}."
        return f"{done}, but nobody else can {self.verb}. {self.advice}"


def _role_of(user, *, kind: str) -> str:
    t = titles()
    if kind == SignOffKind.WARNING:
        return t.manager if routing.holds(user, routing.PERM_SIGNOFF_WARNING_ANY) else t.director
    if kind == SignOffKind.BLOCK:
        if routing.block_approval() == "head":
            return t.head
        return t.manager if routing.holds(user, routing.PERM_APPROVE_BLOCK) else t.director
    return t.head


def _role_needed(kind: str) -> str:
    t = titles()
    if kind == SignOffKind.WARNING:
        return t.manager
    if kind == SignOffKind.BLOCK:
        return t.head if routing.block_approval() == "head" else t.manager
    return t.head


def deciders(*, kind: str, case, excluding: set[int | None]) -> Deciders:
    """The active people, other than ``excluding`` (who asks, who wrote it), who may decide a request
    of ``kind`` (``SignOffKind``) on ``case``, by name, with the role by which each may."""
    users = (
        routing.deciders_for(kind=kind, service_area_id=case.service_area_id)
        .filter(is_active=True, is_superuser=False)
        .exclude(pk__in={pk for pk in excluding if pk is not None})
        .order_by("first_name", "last_name", "username")
    )
    # the role query answers who holds it; can_decide_signoff is the rule the service applies
    people = [
        Decider(user=user, role=_role_of(user, kind=kind))
        for user in users
        if routing.can_decide_signoff(user, kind=kind, service_area_id=case.service_area_id)
    ]
    no_director = (
        kind == SignOffKind.WARNING
        and routing.directors_sign_off_warnings()
        and (case.service_area_id is None or not case.service_area.directors.filter(is_active=True).exists())
    )
    return Deciders(
        kind=kind,
        people=people,
        role=routing.signoff_decided_by(kind),
        role_needed=_role_needed(kind),
        no_director=no_director,
    )
