"""Use cases on the organisation registry: import a file, list what is known."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from bot.domain.model import Organisation
from bot.importers import read_organisations
from bot.services.clock import Clock
from storage.db import Database
from storage.organisations import OrganisationStore, SavedOrganisations


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
    for start in parents:
        seen = [start]
        current = parents[start]
        while current is not None:
            if current in seen:
                raise ParentCycle([*seen[seen.index(current) :], current])
            seen.append(current)
            current = parents.get(current)


class OrganisationService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def import_file(self, path: Path) -> SavedOrganisations:
        incoming = await asyncio.to_thread(read_organisations, path)
        async with self.database.transaction() as connection:
            store = OrganisationStore(connection)
            check_hierarchy(incoming, await store.all())
            return await store.save(incoming, self.clock.now())

    async def all(self) -> list[Organisation]:
        async with self.database.transaction() as connection:
            return await OrganisationStore(connection).all()
