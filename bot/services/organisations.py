"""Use cases on the organisation registry: import a file, list what is known, find the one a
person names (`NotOneOrganisation` when the name fits none or several: /status and /orgs then
say so or offer a choice)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.domain.access import Action, OrgTree, Person, may, visible_organisations
from bot.domain.model import Organisation
from bot.domain.short_names import order_key
from bot.importers import read_organisations
from bot.services.clock import Clock
from bot.services.people import Forbidden
from bot.services.snapshots import Snapshots
from storage.db import Database
from storage.organisations import OrganisationStore, SavedOrganisations
from storage.people import PeopleStore


class UnknownParent(Exception):
    """An organisation names a parent that is neither in the file nor already registered."""

    def __init__(self, organisation: str, parent: str) -> None:
        super().__init__(f"{organisation}: {parent}")
        self.organisation = organisation
        self.parent = parent


class ParentCycle(Exception):
    """Organisations that would be each other's parents."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(" -> ".join(names))
        self.names = tuple(names)


def check_hierarchy(incoming: Sequence[Organisation], registered: Sequence[Organisation]) -> None:
    """Raise if a parent is unknown or the hierarchy would loop; the registry stays a forest."""
    parents = {org.name: org.parent for org in registered}
    parents.update({org.name: org.parent for org in incoming})
    for org in incoming:
        if org.parent and org.parent not in parents:
            raise UnknownParent(org.name, org.parent)
    # Each name is walked once: a walk stops at a name an earlier walk has cleared, so a chain
    # of 10,000 parents costs 10,000 steps, not 50 million.
    cleared: set[str] = set()
    for start in parents:
        path: dict[str, None] = {}  # this walk, in order (a dict: ordered, O(1) membership)
        current: str | None = start
        while current is not None and current not in cleared:
            if current in path:
                walked = list(path)
                raise ParentCycle([*walked[walked.index(current) :], current])
            path[current] = None
            current = parents.get(current)
        cleared.update(path)


@dataclass(frozen=True, slots=True)
class NotOneOrganisation:
    """A name that fits no organisation (`matches` empty) or several (`matches`, ordered by
    short name as lists name them): the person is told so, or chooses one."""

    query: str
    matches: tuple[str, ...] = ()


def by_short_name(names: Iterable[str], tree: OrgTree) -> tuple[str, ...]:
    """Names in the order lists give them: by short name, then by name."""
    return tuple(sorted(names, key=lambda name: (order_key(tree.short_name(name)), name)))


def drill_target(person: Person, query: str, tree: OrgTree) -> str | NotOneOrganisation:
    """The organisation `query` names for a drill-down: a whole name (or short name) is that
    organisation even outside the person's reach (to be refused as such); words are looked
    for within the reach only, and must fit one."""
    exact = tree.exact(query)
    if exact is not None:
        return exact
    found = tree.search(query, visible_organisations(person, tree))
    if len(found) == 1:
        return found[0]
    return NotOneOrganisation(query, by_short_name(found, tree))


@dataclass(frozen=True, slots=True)
class RosterRow:
    name: str
    short_name: str  # how the list names it
    people: tuple[str, ...]  # who is bound to it (leaves) ...
    joined: int  # ... or, for an organisation with others under it, how many of those joined
    total: int
    has_children: bool
    depth: int = 0  # 1: one of the organisations of the group row above it


@dataclass(frozen=True, slots=True)
class Roster:
    root: str
    joined: int
    total: int
    rows: tuple[RosterRow, ...]


def _roster_rows(
    tree: OrgTree, root: str, bound: Mapping[str, Sequence[Person]]
) -> tuple[RosterRow, ...]:
    """The organisations under `root`: each one with others under it (a municipality) followed
    by those, then the rest; each part ordered by short name, as people know them."""

    def row(name: str, depth: int) -> RosterRow:
        below = tree.subtree(name) - {name}
        leaves = [n for n in below if not tree.children.get(n)]
        return RosterRow(
            name=name,
            short_name=tree.short_name(name),
            people=tuple(p.name for p in bound.get(name, ())),
            joined=sum(1 for n in leaves if bound.get(n)),
            total=len(leaves),
            has_children=bool(below),
            depth=depth,
        )

    def ordered(names: Iterable[str]) -> list[str]:
        return sorted(names, key=lambda name: (order_key(tree.short_name(name)), name))

    children = tree.children.get(root, ())
    groups = ordered(n for n in children if tree.children.get(n))
    rows: list[RosterRow] = []
    for group in groups:
        rows.append(row(group, 0))
        rows.extend(row(name, 1) for name in ordered(tree.children[group]))
    rows.extend(row(name, 0) for name in ordered(n for n in children if not tree.children.get(n)))
    return tuple(rows)


class OrganisationService:
    def __init__(self, database: Database, clock: Clock, snapshots: Snapshots) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots

    async def import_file(self, path: Path) -> SavedOrganisations:
        incoming = await asyncio.to_thread(read_organisations, path)
        async with self.database.transaction() as connection:
            store = OrganisationStore(connection)
            check_hierarchy(incoming, await store.all())
            return await store.save(incoming, self.clock.now())

    async def drill_target(self, person: Person, query: str) -> str | NotOneOrganisation:
        """The organisation `/status <query>` drills into (see `drill_target`)."""
        return drill_target(person, query, (await self.snapshots.roadmap()).tree)

    async def roster(
        self, person: Person, query: str | None = None
    ) -> list[Roster] | NotOneOrganisation:
        """Who has joined, organisation by organisation, below the person's own (or the one
        asked for, within reach): the coordinator's "who hasn't joined yet" list. A name
        that fits none or several organisations in reach is answered as such («Школа» names
        hundreds: ask, never pick one)."""
        tree = await self.snapshots.tree()
        async with self.database.transaction() as connection:
            if not may(person, Action.VIEW_ORGS, tree):
                raise Forbidden(Action.VIEW_ORGS)
            reach = visible_organisations(person, tree)
            if query:
                roots = tree.search(query, reach)
                if len(roots) != 1:
                    return NotOneOrganisation(
                        query,
                        tuple(sorted(roots, key=lambda name: order_key(tree.short_name(name)))),
                    )
            elif reach is None:
                roots = [org.name for org in tree.by_name.values() if org.parent is None]
            else:
                roots = sorted(
                    (n for n in reach if tree.by_name[n].parent not in reach),
                    key=lambda name: order_key(tree.short_name(name)),
                )
            everyone = frozenset().union(*(tree.subtree(root) for root in roots))
            bound = await PeopleStore(connection).people_at(everyone)
        rosters = []
        for root in roots:
            leaves = [n for n in tree.subtree(root) - {root} if not tree.children.get(n)]
            rosters.append(
                Roster(
                    root,
                    sum(1 for n in leaves if bound.get(n)),
                    len(leaves),
                    _roster_rows(tree, root, bound),
                )
            )
        return rosters

    async def all(self) -> list[Organisation]:
        async with self.database.transaction() as connection:
            return await OrganisationStore(connection).all()
