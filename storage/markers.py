"""Where a channel stands in its stream of updates (MAX's `GET /updates` marker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import update_markers


class MarkerStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, channel: str) -> int | None:
        """The marker to send next; None before the first batch was ever handled."""
        found = await self.connection.scalar(
            select(update_markers.c.marker).where(update_markers.c.channel == channel)
        )
        return None if found is None else int(found)

    async def put(self, channel: str, marker: int, now: datetime) -> None:
        """Remember the marker to send next (everything before it was handled)."""
        result = await self.connection.execute(
            update(update_markers)
            .where(update_markers.c.channel == channel)
            .values(marker=marker, updated_at=now)
        )
        if not result.rowcount:
            await self.connection.execute(
                insert(update_markers).values(channel=channel, marker=marker, updated_at=now)
            )
