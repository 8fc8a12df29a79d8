"""The organisation registry: the department, municipal bodies, schools, colleges and the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from bot.domain.model import Organisation, OrganisationKind
from storage.tables import organisations


@dataclass(frozen=True, slots=True)
class SavedOrganisations:
    added: int
    updated: int
    unchanged: int


class OrganisationStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def all(self) -> list[Organisation]:
        parent = aliased(organisations)
        rows = await self.connection.execute(
            select(organisations, parent.c.name.label("parent_name"))
            .select_from(organisations.outerjoin(parent, organisations.c.parent_id == parent.c.id))
            .order_by(organisations.c.id)
        )
        return [
            Organisation(
                name=row.name,
                kind=OrganisationKind(row.kind),
                parent=row.parent_name,
                teachers=row.teachers,
                staff=row.staff,
                pupils=row.pupils,
                timezone=row.timezone,
                short_name=row.short_name,
            )
            for row in rows
        ]

    async def ids_by_name(self) -> dict[str, int]:
        rows = await self.connection.execute(select(organisations.c.name, organisations.c.id))
        return {row.name: row.id for row in rows}

    async def save(self, wanted: Sequence[Organisation], now: datetime) -> SavedOrganisations:
        """Insert or update by name; parents may name organisations stored earlier or in `wanted`.

        The caller has checked that every parent exists (see services.organisations).
        """
        before = {org.name: org for org in await self.all()}
        ids = await self.ids_by_name()
        added = updated = 0
        new_rows = []
        for org in wanted:
            values = {
                "kind": org.kind.value,
                "teachers": org.teachers,
                "staff": org.staff,
                "pupils": org.pupils,
                "timezone": org.timezone,
                "short_name": org.short_name,
                "updated_at": now,
            }
            if org.name in ids:
                if before[org.name] != org:
                    updated += 1
                    await self.connection.execute(
                        update(organisations)
                        .where(organisations.c.id == ids[org.name])
                        .values(**values)
                    )
            else:
                added += 1
                new_rows.append({"name": org.name, **values})
        if new_rows:
            await self.connection.execute(insert(organisations), new_rows)
            ids = await self.ids_by_name()
        # Parents last: a parent may come later in the file than its children.
        parent_links = [
            {"org_id": ids[org.name], "new_parent": ids[org.parent] if org.parent else None}
            for org in wanted
            if org.name not in before or before[org.name].parent != org.parent
        ]
        if parent_links:
            await self.connection.execute(
                update(organisations)
                .where(organisations.c.id == bindparam("org_id"))
                .values(parent_id=bindparam("new_parent")),
                parent_links,
            )
        return SavedOrganisations(added, updated, len(wanted) - added - updated)
