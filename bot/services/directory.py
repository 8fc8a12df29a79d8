"""The registry's shape, read once and kept until it changes.

Every permission check needs the organisation tree; reading 40,000 rows per update would be
the slowest thing the bot does, so the tree is cached and re-read only when the registry's
fingerprint (row count and newest change) moves — also when another process (the CLI) changed it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.access import OrgTree
from storage.organisations import OrganisationStore
from storage.tables import organisations


class Directory:
    def __init__(self) -> None:
        self._tree = OrgTree(())
        self._fingerprint: tuple[object, ...] | None = None

    async def tree(self, connection: AsyncConnection) -> OrgTree:
        fingerprint = tuple(
            (
                await connection.execute(
                    select(
                        func.count(),
                        func.max(organisations.c.updated_at),
                        func.max(organisations.c.id),
                    )
                )
            ).one()
        )
        if fingerprint != self._fingerprint:
            self._tree = OrgTree(await OrganisationStore(connection).all())
            self._fingerprint = fingerprint
        return self._tree
