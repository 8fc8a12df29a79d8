"""Who may do what: people, their bindings to organisations, and the permission rules.

A person holds one or more bindings:
- an admin (department staff) sees and may do everything;
- a coordinator is bound to an authority (a regional body or a municipality) and acts for its
  whole subtree of organisations;
- a representative (rep) is bound to one organisation and acts for it alone;
- an observer sees the subtree of the organisation it is bound to (everything when bound to
  none) and changes nothing.

A task is someone's business when one of its responsible parties acts through an organisation
in their reach. Every action is checked here, on every call, by the services — never only by
hiding buttons.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.channels import Address, Identity
from bot.domain.model import Organisation
from bot.domain.short_names import aliases, fold, short_names


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REP = "rep"
    OBSERVER = "observer"


class Action(enum.StrEnum):
    VIEW = "view"  # status, task list, task cards within reach
    MARK_DONE = "mark_done"  # an organisation's share of a task
    EXCUSE = "excuse"  # let an organisation off its share, with a reason
    REOPEN = "reopen"
    COMMENT = "comment"
    INVITE = "invite"
    VIEW_ORGS = "view_orgs"
    EDIT_PARTIES = "edit_parties"
    BIND_CHAT = "bind_chat"
    REPORT = "report"  # give an organisation's weekly numbers
    DEFINE_INDICATORS = "define_indicators"
    REVOKE_INVITE = "revoke_invite"  # withdraw an invite one could have made
    UNBIND = "unbind"  # take a person's binding away, within one's reach


# The actions each role may take on things within its reach.
ALLOWED: Mapping[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW,
            Action.MARK_DONE,
            Action.EXCUSE,
            Action.REOPEN,
            Action.COMMENT,
            Action.INVITE,
            Action.VIEW_ORGS,
            Action.REPORT,
            Action.REVOKE_INVITE,
            Action.UNBIND,
        }
    ),
    Role.REP: frozenset(
        {Action.VIEW, Action.MARK_DONE, Action.REOPEN, Action.COMMENT, Action.REPORT}
    ),
    Role.OBSERVER: frozenset({Action.VIEW, Action.VIEW_ORGS}),
}

# Whom each role may invite (an admin may invite anyone; nobody else may make admins).
INVITABLE: Mapping[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.COORDINATOR, Role.REP, Role.OBSERVER}),
    Role.REP: frozenset(),
    Role.OBSERVER: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Binding:
    role: Role
    organisation: str | None = None  # None: the whole region (admins, regional observers)


@dataclass(frozen=True, slots=True)
class Person:
    id: int  # the person's number (people.id): not an address in any channel; 0: a stranger
    name: str
    bindings: tuple[Binding, ...] = ()
    username: str | None = None
    language: str | None = None
    # Their private chats, one per channel they joined in (a stranger has none).
    addresses: tuple[Address, ...] = ()
    # The identity the event in hand came from (None: not from a channel, e.g. the CLI).
    via: Identity | None = None

    def address_in(self, channel: str) -> Address | None:
        """Their private chat in `channel`: the one they are writing from, else a stored one."""
        if self.via is not None and self.via.channel == channel:
            return self.via.address
        return next((a for a in self.addresses if a.channel == channel), None)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(binding.role for binding in self.bindings)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def known(self) -> bool:
        """Bound to something: a stranger who wrote /start is not."""
        return bool(self.bindings)


class OrgTree:
    """The registry's hierarchy, for "this organisation and everything under it"."""

    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self.by_name = {org.name: org for org in organisations}
        self.children: dict[str, list[str]] = {}
        for org in self.by_name.values():
            if org.parent is not None:
                self.children.setdefault(org.parent, []).append(org.name)
        self.roots = frozenset(name for name, org in self.by_name.items() if org.parent is None)
        self.short = short_names(self.by_name.values())
        # Each organisation's names as compared: its name, short name and the genre's one.
        self._folded = {
            name: tuple(dict.fromkeys(_fold(alias) for alias in aliases(org, self.short)))
            for name, org in self.by_name.items()
        }
        self._exact: dict[str, str] = {}
        for name in self.by_name:  # a full name wins over another's short name
            self._exact.setdefault(_fold(name), name)
        for name, short in self.short.items():
            self._exact.setdefault(_fold(short), name)

    def short_name(self, name: str) -> str:
        """How lists and buttons name the organisation (the full name when it is unknown)."""
        return self.short.get(name, name)

    def names_of(self, name: str) -> tuple[str, ...]:
        """The folded names the organisation is found by (its name first)."""
        return self._folded.get(name, (_fold(name),))

    def subtree(self, name: str) -> frozenset[str]:
        found: set[str] = set()
        waiting = [name]
        while waiting:
            current = waiting.pop()
            if current in found:
                continue
            found.add(current)
            waiting.extend(self.children.get(current, ()))
        return frozenset(found)

    def exact(self, query: str) -> str | None:
        """The organisation named exactly so (any case, ё = е), by its name or its short name,
        anywhere in the registry."""
        return self._exact.get(_fold(query))

    def search(self, query: str, within: frozenset[str] | None = None) -> list[str]:
        """Organisations whose name, short name or the genre's short name holds every word of
        `query` (any case, ё = е); an exact name or short name wins outright. `within` limits
        the search to a person's reach."""
        exact = self.exact(query)
        if exact is not None and (within is None or exact in within):
            return [exact]
        words = _fold(query).split()
        return [
            name
            for name, folded in self._folded.items()
            if words
            and (within is None or name in within)
            and any(all(word in alias for word in words) for alias in folded)
        ]


_fold = fold


def reach(binding: Binding, tree: OrgTree) -> frozenset[str] | None:
    """The organisations a binding acts for; None means the whole region."""
    if binding.organisation is None:
        return None if binding.role in (Role.ADMIN, Role.OBSERVER) else frozenset()
    if binding.role is Role.REP:
        return frozenset({binding.organisation})
    return tree.subtree(binding.organisation)


def may(
    person: Person,
    action: Action,
    tree: OrgTree,
    *,
    acting: Iterable[str] | None = None,
    organisation: str | None = None,
) -> bool:
    """May `person` take `action` on a thing that `acting` organisations are responsible for
    (a task), or on `organisation` (an invite, the registry view)? With neither given, the
    question is whether the person may take the action anywhere at all."""
    acting_set = None if acting is None else frozenset(acting)
    for binding in person.bindings:
        if action not in ALLOWED[binding.role]:
            continue
        scope = reach(binding, tree)
        if scope is None:
            return True
        if acting_set is not None and not acting_set & scope:
            continue
        if organisation is not None and organisation not in scope:
            continue
        if acting_set is None and organisation is None and not scope:
            continue
        return True
    return False


def may_invite(person: Person, role: Role, organisation: str | None, tree: OrgTree) -> bool:
    """An invite is for a role at an organisation within the inviter's reach."""
    for binding in person.bindings:
        if role not in INVITABLE[binding.role]:
            continue
        scope = reach(binding, tree)
        if scope is None or (organisation is not None and organisation in scope):
            return True
    return False


def may_withdraw(person: Person, binding: Binding, tree: OrgTree) -> bool:
    """Whoever could have invited someone to a binding may take it (or its invite) back."""
    return may_invite(person, binding.role, binding.organisation, tree)


def visible_organisations(person: Person, tree: OrgTree) -> frozenset[str] | None:
    """Everything the person may look at; None for the whole region."""
    seen: set[str] = set()
    for binding in person.bindings:
        if Action.VIEW not in ALLOWED[binding.role]:
            continue
        scope = reach(binding, tree)
        if scope is None:
            return None
        seen |= scope
    return frozenset(seen)
