"""Which local day each time zone last had planned: shared by the reminder and question planners.

Each planner keeps its own table of (time zone, day); a zone is due once per working day,
inside the sending window, and the table lets a restarted planner (or a second process)
know what was planned already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Table, select
from sqlalchemy.dialects import postgresql
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

    async def claim(self, connection: AsyncConnection, due: dict[str, date]) -> dict[str, date]:
        """Record the days planned, in the planning transaction, before its messages: the
        zones whose day this unit records, that is, the ones it plans. A zone whose day is
        recorded already (another planner — another process — got there first) is left out,
        and its messages are not planned twice.

        One statement decides each zone: an UPDATE whose condition (an earlier day) is checked
        again after a concurrent writer committed, then an INSERT that does nothing on a
        conflict. On PostgreSQL the second planner waits for the first's row lock and finds
        the day recorded; on SQLite the write lock held since BEGIN does the same."""
        table = self.table
        won: dict[str, date] = {}
        for zone, day in due.items():
            updated = await connection.execute(
                table.update().where(table.c.timezone == zone, table.c.day < day).values(day=day)
            )
            if updated.rowcount == 0:
                inserted = await connection.execute(
                    _insert_new(connection, table), {"timezone": zone, "day": day}
                )
                if inserted.rowcount == 0:
                    continue
            won[zone] = day
        self.last.update(due)  # planned: by us or by whoever got there first
        return won


def _insert_new(connection: AsyncConnection, table: Table) -> Insert:
    """INSERT that does nothing when the zone has its row already."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["timezone"])
    return table.insert().prefix_with("OR IGNORE", dialect="sqlite")
