"""Which local day each time zone last had planned: shared by the reminder and question planners.

Each planner keeps its own table of (time zone, day); a zone is due once per working day,
inside the sending window, and the table lets a restarted planner (or a second process)
know what was planned already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.reminders import WorkCalendar


class PlannedDays:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.last: dict[str, date] = {}  # zone -> last local day planned
        self._loaded = False

    async def load(self, connection: AsyncConnection) -> None:
        """Read the table once; afterwards the planner's own record is enough."""
        if not self._loaded:
            rows = await connection.execute(select(self.table))
            self.last.update({row.timezone: row.day for row in rows})
            self._loaded = True

    def due(
        self,
        zones: Iterable[str],
        now: datetime,
        calendar: WorkCalendar,
        in_window: Callable[[datetime], bool],
    ) -> dict[str, date]:
        """Zones whose local today is a working day, inside the window, not planned yet."""
        found = {}
        for zone in zones:
            local = now.astimezone(ZoneInfo(zone))
            today = local.date()
            if self.last.get(zone) != today and calendar.is_working(today) and in_window(local):
                found[zone] = today
        return found

    async def mark(self, connection: AsyncConnection, due: dict[str, date]) -> None:
        """Record the days planned, in the planning transaction."""
        for zone, day in due.items():
            updated = await connection.execute(
                self.table.update().where(self.table.c.timezone == zone).values(day=day)
            )
            if updated.rowcount == 0:
                await connection.execute(self.table.insert().values(timezone=zone, day=day))
        self.last.update(due)
