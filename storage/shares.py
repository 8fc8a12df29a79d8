"""Marks on organisations' shares of tasks (see bot/domain/shares.py for what they mean)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.shares import MarkState
from storage.tables import organisations, share_marks

ONCE = date(1, 1, 1)  # the occurrence of a one-off task, as stored
_CHUNK = 500
_MISSING: Any = object()
# Untyped on purpose: the values come as the driver gives them (see `since`).
_SINCE = text(
    "SELECT id, task_id, organisation_id, occurrence, state FROM share_marks"
    " WHERE id > :last ORDER BY id"
)


def _stored(occurrence: date | None) -> date:
    return ONCE if occurrence is None else occurrence


def _read(occurrence: date) -> date | None:
    return None if occurrence == ONCE else occurrence


@dataclass(frozen=True, slots=True)
class MarkChanges:
    """Changes to shares as a ledger reads them: (organisation, state) in the order they were
    made, by (task, occurrence); `last` is the newest change's id."""

    last: int
    by_task: dict[tuple[int, date | None], list[tuple[int, MarkState]]]


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """The latest act on one organisation's share: who, when, what they said."""

    organisation_id: int
    state: MarkState
    actor: str
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class MarkEvent:
    """A change within a subtree, for a coordinator's notice."""

    task_id: int
    organisation: str
    occurrence: date | None
    state: MarkState
    actor: str
    at: datetime


class ShareStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def since(self, last_id: int) -> MarkChanges:
        """Every change above `last_id`, grouped by task and occurrence, oldest first within
        each. A process reads all marks once when it starts (1.3 million at the region's
        scale), so the rows come as the driver gives them, without SQLAlchemy's per-row type
        processing, and are grouped in one pass."""
        result = await self.connection.execute(_SINCE, {"last": last_id})
        days: dict[object, date | None] = {}
        states = {state.value: state for state in MarkState}
        grouped: dict[tuple[int, date | None], list[tuple[int, MarkState]]] = {}
        last = last_id
        for last, task_id, organisation_id, occurrence, state in result.all():  # noqa: B007
            day = days.get(occurrence, _MISSING)
            if day is _MISSING:
                parsed = (
                    occurrence if isinstance(occurrence, date) else date.fromisoformat(occurrence)
                )
                day = days[occurrence] = _read(parsed)
            changes = grouped.get((task_id, day))
            if changes is None:
                changes = grouped[(task_id, day)] = []
            changes.append((organisation_id, states[state]))
        return MarkChanges(last, grouped)

    async def records(
        self, task_id: int, occurrence: date | None, organisation_ids: Sequence[int]
    ) -> dict[int, MarkRecord]:
        found: dict[int, MarkRecord] = {}
        for start in range(0, len(organisation_ids), _CHUNK):
            rows = await self.connection.execute(
                select(share_marks).where(
                    share_marks.c.task_id == task_id,
                    share_marks.c.occurrence == _stored(occurrence),
                    share_marks.c.organisation_id.in_(organisation_ids[start : start + _CHUNK]),
                )
            )
            for row in rows:
                found[row.organisation_id] = MarkRecord(
                    row.organisation_id, MarkState(row.state), row.actor, row.at, row.note
                )
        return found

    async def put(
        self,
        task_id: int,
        occurrence: date | None,
        organisation_ids: Sequence[int],
        state: MarkState,
        *,
        actor: str,
        at: datetime,
        note: str | None,
    ) -> None:
        """Record `state` as the latest act on each organisation's share: the old row goes, a
        new one (with a new id) comes, so every ledger sees the change."""
        stored = _stored(occurrence)
        for start in range(0, len(organisation_ids), _CHUNK):
            chunk = organisation_ids[start : start + _CHUNK]
            await self.connection.execute(
                delete(share_marks).where(
                    share_marks.c.task_id == task_id,
                    share_marks.c.occurrence == stored,
                    share_marks.c.organisation_id.in_(chunk),
                )
            )
            await self.connection.execute(
                insert(share_marks),
                [
                    {
                        "task_id": task_id,
                        "organisation_id": org_id,
                        "occurrence": stored,
                        "state": state.value,
                        "actor": actor,
                        "at": at,
                        "note": note,
                    }
                    for org_id in chunk
                ],
            )

    async def changes(
        self, organisation_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[MarkEvent]:
        """Marks made in [since, until) on these organisations' shares, oldest first."""
        found: list[MarkEvent] = []
        for start in range(0, len(organisation_ids), _CHUNK):
            rows = await self.connection.execute(
                select(
                    share_marks.c.task_id,
                    organisations.c.name,
                    share_marks.c.occurrence,
                    share_marks.c.state,
                    share_marks.c.actor,
                    share_marks.c.at,
                )
                .select_from(share_marks.join(organisations))
                .where(
                    share_marks.c.organisation_id.in_(organisation_ids[start : start + _CHUNK]),
                    share_marks.c.at >= since,
                    share_marks.c.at < until,
                )
            )
            found += [
                MarkEvent(r.task_id, r.name, _read(r.occurrence), MarkState(r.state), r.actor, r.at)
                for r in rows
            ]
        return sorted(found, key=lambda event: event.at)

    async def count(self) -> int:
        return int(await self.connection.scalar(select(func.count()).select_from(share_marks)) or 0)
