"""The audit log: who changed what, when, from what to what. Written in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import audit_log


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    actor: str
    action: str
    field: str | None
    old: str | None
    new: str | None


class AuditLog:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def record(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject: str,
        subject_id: int | None = None,
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
    ) -> None:
        await self.connection.execute(
            insert(audit_log).values(
                at=at,
                actor=actor,
                action=action,
                subject=subject,
                subject_id=subject_id,
                field=field,
                old=old,
                new=new,
            )
        )

    async def record_many(self, entries: list[dict[str, object]]) -> None:
        """Several rows at once; each a dict of `record`'s keyword arguments."""
        if entries:
            await self.connection.execute(
                insert(audit_log),
                [
                    {"subject_id": None, "field": None, "old": None, "new": None, **entry}
                    for entry in entries
                ],
            )

    async def history(self, subject: str, subject_id: int) -> list[Entry]:
        rows = await self.connection.execute(
            select(audit_log)
            .where(audit_log.c.subject == subject, audit_log.c.subject_id == subject_id)
            .order_by(audit_log.c.id)
        )
        return [Entry(r.at, r.actor, r.action, r.field, r.old, r.new) for r in rows]
