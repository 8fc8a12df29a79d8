"""A school hears when someone else changes its number.

When a coordinator (an admin, a sheet, the command line: anyone who does not answer for the
organisation) replaces a value the organisation had reported, each of its representatives gets
a message: who changed what from what to what. It is planned in the outbox in the same
transaction as the values (never lost: the values and the notice commit together; never
doubled: the row's kind names the audit entry, unique for ever), and composed when sent, from
the audit log: the names of the person and the indicator as they are then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from bot.domain.audience import Listener
from bot.services.shares import describe_actor
from bot.services.snapshots import Snapshots
from storage.db import Database
from storage.outbox import PENDING, insert_once
from storage.reports import Change
from storage.tables import audit_log, weekly_reports

CHANGED = "changed"  # outbox kind "changed:<first audit id>": one message per recipient


@dataclass(frozen=True, slots=True)
class Overwritten:
    """One organisation's values another person replaced, in one go."""

    organisation: str
    changes: Sequence[Change]


def plan_overwrites(
    connection: Connection,
    overwritten: Sequence[Overwritten],
    listeners: Mapping[str, Sequence[Listener]],
    *,
    roadmap_id: int,
    actor: str,
    now: datetime,
) -> int:
    """Plan the notices of `overwritten` for the organisations' `listeners`, inside the unit
    that stored the values (after the history was written); returns how many rows."""
    rows: list[dict[str, Any]] = []
    for item in overwritten:
        heard = listeners.get(item.organisation, ())
        replaced = [c for c in item.changes if c.old is not None and c.changed]
        if not heard or not replaced:
            continue
        audit_ids = sorted(
            connection.scalars(
                select(audit_log.c.id).where(
                    audit_log.c.subject == "report",
                    audit_log.c.subject_id.in_([c.report_id for c in replaced]),
                    audit_log.c.at == now,
                    audit_log.c.actor == actor,
                    audit_log.c.old.is_not(None),
                )
            )
        )
        if not audit_ids:
            continue
        for listener in heard:
            rows.append(
                {
                    "channel": listener.channel,
                    "chat_id": listener.chat_id,
                    "person_id": listener.person_id,
                    "kind": f"{CHANGED}:{audit_ids[0]}",
                    "round": now.astimezone(ZoneInfo(listener.timezone)).date(),
                    "payload": json.dumps(
                        {
                            "roadmap": roadmap_id,
                            "organisation": item.organisation,
                            "audit": audit_ids,
                            "language": listener.language,
                        },
                        ensure_ascii=False,
                    ),
                    "status": PENDING,
                    "attempts": 0,
                    "not_before": now,
                    "created_at": now,
                }
            )
    if rows:
        connection.execute(insert_once(connection.dialect.name), rows)
    return len(rows)


@dataclass(frozen=True, slots=True)
class ChangeLine:
    indicator: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    who: str
    organisation: str
    week: date
    lines: tuple[ChangeLine, ...]
    language: str | None


class Overwrites:
    """Reads a planned notice back when it is sent."""

    def __init__(self, database: Database, snapshots: Snapshots) -> None:
        self.database = database
        self.snapshots = snapshots

    async def read(self, payload: str) -> ChangeNotice | None:
        data = json.loads(payload)
        ids = [int(number) for number in data.get("audit", [])]
        if not ids:
            return None
        histories = await self.snapshots.indicators(int(data["roadmap"]))
        names = {v.id: v.name for h in histories for v in h.versions}
        async with self.database.transaction(write=False) as connection:
            found = list(
                await connection.execute(
                    select(
                        audit_log.c.actor,
                        audit_log.c.old,
                        audit_log.c.new,
                        weekly_reports.c.indicator_id,
                        weekly_reports.c.week,
                    )
                    .join(weekly_reports, weekly_reports.c.id == audit_log.c.subject_id)
                    .where(audit_log.c.id.in_(ids))
                    .order_by(audit_log.c.id)
                )
            )
        if not found:
            return None  # the values are gone (the indicator was removed)
        audience = await self.snapshots.audience("UTC")
        who = describe_actor(found[0].actor, audience.people, audience.tree)
        return ChangeNotice(
            who=who,
            organisation=str(data["organisation"]),
            week=found[0].week,
            lines=tuple(
                ChangeLine(names.get(row.indicator_id, "?"), row.old or "—", row.new or "—")
                for row in found
            ),
            language=data.get("language"),
        )
