"""Indicators, their versions, and weekly reports: stored, corrected with history, rolled up.

Works inside the caller's transaction and never commits. Portable SQL (SQLite and
PostgreSQL). Organisations are named by id here; the services translate names.

Reading and writing values is `ReportWriter`, plain (sync) SQLAlchemy meant for
`Database.run`: a report — claim, read, write, history — is one trip to the database.

Roll-ups are computed in SQL over the `until_week` ranges (see storage.tables.weekly_reports):
the value an organisation counts with in week W is the one with ``week <= W < until_week``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.indicators import Indicator, IndicatorTarget, Rollup
from bot.domain.model import Measure, OrganisationKind
from storage.audit import AuditLog
from storage.locks import lock_rows, lock_rows_sync
from storage.tables import (
    audit_log,
    indicator_versions,
    indicators,
    organisations,
    report_drafts,
    roadmaps,
    weekly_reports,
)

FOREVER = date(9999, 12, 31)
"""`until_week` of an organisation's newest report: it counts from its week on."""


@dataclass(frozen=True, slots=True)
class Change:
    """What storing a value did: `old` is None for a first report; equal values change nothing."""

    report_id: int
    old: int | None
    new: int

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True, slots=True)
class OrgWeek:
    """One organisation's standing in a week: the value it counts with (carried from an earlier
    week under Rollup.LATEST), the value reported for the week itself, and last week's."""

    organisation_id: int
    counted: int | None
    reported: int | None
    late: bool
    previous: int | None


def _subtree(roots: Sequence[int]) -> Select[tuple[int]]:
    """Ids of the organisations under (and including) `roots`."""
    top = (
        select(organisations.c.id)
        .where(organisations.c.id.in_(roots))
        .cte("subtree", recursive=True)
    )
    below = select(organisations.c.id).where(organisations.c.parent_id == top.c.id)
    tree = top.union_all(below)
    return select(tree.c.id)


def _version_row(indicator: Indicator) -> dict[str, object]:
    target = indicator.target
    return {
        "valid_from": indicator.valid_from,
        "name": indicator.name,
        "question": indicator.question,
        "aliases": json.dumps(list(indicator.aliases), ensure_ascii=False),
        "reported_by": ",".join(sorted(kind.value for kind in indicator.reported_by)),
        "denominator": indicator.denominator.value if indicator.denominator else None,
        "target_percent": target.percent if target else None,
        "target_value": target.value if target else None,
        "target_due": target.due if target else None,
        "weekday": indicator.weekday,
        "due_time": indicator.due_time.strftime("%H:%M"),
        "rollup": indicator.rollup.value,
    }


class ReportStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # -- definitions ------------------------------------------------------------------------

    async def indicators(self, roadmap_id: int) -> list[Indicator]:
        """Every version of every indicator of the roadmap, by position then week."""
        rows = await self.connection.execute(
            select(indicators.c.id, indicators.c.code, indicator_versions)
            .select_from(
                indicators.join(
                    indicator_versions, indicator_versions.c.indicator_id == indicators.c.id
                )
            )
            .where(indicators.c.roadmap_id == roadmap_id)
            .order_by(indicators.c.position, indicator_versions.c.valid_from)
        )
        found = []
        for row in rows:
            target = None
            if row.target_percent is not None or row.target_value is not None:
                target = IndicatorTarget(row.target_percent, row.target_value, row.target_due)
            hour, minute = (int(part) for part in row.due_time.split(":"))
            found.append(
                Indicator(
                    code=row.code,
                    name=row.name,
                    question=row.question,
                    aliases=tuple(json.loads(row.aliases)),
                    reported_by=frozenset(
                        OrganisationKind(kind) for kind in row.reported_by.split(",")
                    ),
                    denominator=Measure(row.denominator) if row.denominator else None,
                    target=target,
                    weekday=row.weekday,
                    due_time=time(hour, minute),
                    rollup=Rollup(row.rollup),
                    valid_from=row.valid_from,
                    id=row.indicator_id,
                )
            )
        return found

    async def define(
        self, roadmap_id: int, indicator: Indicator, now: datetime, actor: str
    ) -> tuple[int, bool]:
        """Store a version of an indicator (created on first sight). A version for a week that
        already has one replaces it. Returns the indicator's id and whether anything changed.

        The roadmap's row is locked first (PostgreSQL): two definitions at once (the same file
        imported twice) are taken in turn, the second finding the first's."""
        await lock_rows(self.connection, roadmaps, [roadmap_id])
        indicator_id = await self.connection.scalar(
            select(indicators.c.id).where(
                indicators.c.roadmap_id == roadmap_id, indicators.c.code == indicator.code
            )
        )
        if indicator_id is None:
            position = await self.connection.scalar(
                select(func.count()).where(indicators.c.roadmap_id == roadmap_id)
            )
            indicator_id = (
                await self.connection.execute(
                    insert(indicators).values(
                        roadmap_id=roadmap_id,
                        code=indicator.code,
                        position=int(position or 0),
                        created_at=now,
                    )
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        wanted = _version_row(indicator)
        same_week = (
            indicator_versions.c.valid_from.is_(None)
            if indicator.valid_from is None
            else indicator_versions.c.valid_from == indicator.valid_from
        )
        existing = (
            await self.connection.execute(
                select(indicator_versions).where(
                    indicator_versions.c.indicator_id == indicator_id, same_week
                )
            )
        ).first()
        if existing is not None:
            stored = {key: getattr(existing, key) for key in wanted}
            if stored == wanted:
                return indicator_id, False
            await self.connection.execute(
                update(indicator_versions)
                .where(indicator_versions.c.id == existing.id)
                .values(**wanted, created_at=now)
            )
            old = json.dumps(stored, ensure_ascii=False, default=str)
        else:
            await self.connection.execute(
                insert(indicator_versions).values(
                    indicator_id=indicator_id, created_at=now, **wanted
                )
            )
            old = None
        await AuditLog(self.connection).record(
            at=now,
            actor=actor,
            action="define",
            subject="indicator",
            subject_id=indicator_id,
            field=str(indicator.valid_from or "start"),
            old=old,
            new=json.dumps(wanted, ensure_ascii=False, default=str),
        )
        return indicator_id, True

    # -- values -----------------------------------------------------------------------------

    async def reporters(self, indicator_id: int, week: date) -> set[int]:
        """Organisations with a value for `week` (anywhere in the registry)."""
        rows = await self.connection.execute(
            select(weekly_reports.c.organisation_id).where(
                weekly_reports.c.indicator_id == indicator_id, weekly_reports.c.week == week
            )
        )
        return set(rows.scalars())

    # -- roll-ups ---------------------------------------------------------------------------

    async def totals(
        self,
        indicator_id: int,
        weeks: Sequence[date],
        rollup: Rollup,
        roots: Sequence[int] | None = None,
    ) -> list[int | None]:
        """The rolled-up value of each week (None: nobody counted yet), in one scan."""
        if not weeks:
            return []
        table = weekly_reports.c
        columns = []
        for week in weeks:
            if rollup is Rollup.LATEST:
                counts = and_(table.week <= week, table.until_week > week)
            else:
                counts = table.week == week
            columns.append(func.sum(case((counts, table.value))))
        query = select(*columns).where(table.indicator_id == indicator_id)
        if rollup is Rollup.LATEST:
            query = query.where(table.until_week > min(weeks), table.week <= max(weeks))
        else:
            query = query.where(table.week >= min(weeks), table.week <= max(weeks))
        if roots is not None:
            query = query.where(table.organisation_id.in_(_subtree(roots)))
        row = (await self.connection.execute(query)).one()
        return [None if total is None else int(total) for total in row]

    async def coverage(
        self, indicator_id: int, week: date, roots: Sequence[int] | None = None
    ) -> tuple[int, int]:
        """How many organisations reported for `week`: (on time, late)."""
        table = weekly_reports.c
        query = (
            select(table.late, func.count())
            .where(table.indicator_id == indicator_id, table.week == week)
            .group_by(table.late)
        )
        if roots is not None:
            query = query.where(table.organisation_id.in_(_subtree(roots)))
        counts = {bool(late): int(count) for late, count in await self.connection.execute(query)}
        return counts.get(False, 0), counts.get(True, 0)

    async def by_organisation(
        self, indicator_id: int, week: date, rollup: Rollup, roots: Sequence[int] | None = None
    ) -> dict[int, OrgWeek]:
        """Each organisation's standing in `week` (only those with anything to show)."""
        table = weekly_reports.c
        last_week = week - timedelta(days=7)
        query = select(table.organisation_id, table.week, table.until_week, table.value, table.late)
        query = query.where(
            table.indicator_id == indicator_id, table.week <= week, table.until_week > last_week
        )
        if rollup is Rollup.WEEK:
            query = query.where(table.week >= last_week)
        if roots is not None:
            query = query.where(table.organisation_id.in_(_subtree(roots)))
        found: dict[int, OrgWeek] = {}
        for org, at, until, value, late in await self.connection.execute(query):
            current = found.get(org, OrgWeek(org, None, None, False, None))
            counted, reported, is_late, previous = (
                current.counted,
                current.reported,
                current.late,
                current.previous,
            )
            if at == week:
                reported, is_late = value, bool(late)
            if at <= week < until and (rollup is Rollup.LATEST or at == week):
                counted = value
            if at <= last_week < until and (rollup is Rollup.LATEST or at == last_week):
                previous = value
            found[org] = OrgWeek(org, counted, reported, is_late, previous)
        return found


# -- taking values ------------------------------------------------------------------------------

# A key of a value: (indicator, organisation, week).
ValueKey = tuple[int, int, date]
ORGANISATIONS_PER_READ = 500  # bound parameters per statement stay well under SQLite's limit


@dataclass(frozen=True, slots=True)
class Near:
    """An organisation's value for a week, and the latest it reported before that week."""

    value: int | None
    previous: int | None


@dataclass(frozen=True, slots=True)
class NewValue:
    indicator_id: int
    organisation_id: int
    week: date
    value: int
    late: bool

    @property
    def key(self) -> ValueKey:
        return self.indicator_id, self.organisation_id, self.week


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    week: date
    until_week: date
    value: int


_t = weekly_reports.c
# Built once: the statements of every report, compiled once and cached by SQLAlchemy.
_STANDING = select(_t.id, _t.indicator_id, _t.organisation_id, _t.week, _t.until_week, _t.value)
# One organisation (a report by message): no list to expand, the common case kept cheap.
_STANDING_OF_ONE = _STANDING.where(
    _t.organisation_id == bindparam("organisation"), _t.until_week >= bindparam("since")
)
_STANDING_OF_MANY = _STANDING.where(
    _t.organisation_id.in_(bindparam("organisations", expanding=True)),
    _t.until_week >= bindparam("since"),
)
_CLOSE = update(weekly_reports).where(_t.id == bindparam("report_id"))
_CLOSE = _CLOSE.values(until_week=bindparam("new_until"))
_CORRECT = update(weekly_reports).where(_t.id == bindparam("report_id"))
_CORRECT = _CORRECT.values(
    value=bindparam("new_value"),
    updated_at=bindparam("now"),
    reported_by=bindparam("actor"),
    source=bindparam("new_source"),
)
_INSERT = insert(weekly_reports).returning(_t.id, sort_by_parameter_order=True)
_HISTORY = insert(audit_log)
_DRAFT = select(report_drafts.c.payload).where(
    report_drafts.c.id == bindparam("draft_id"),
    report_drafts.c.person_id == bindparam("person_id"),
    report_drafts.c.settled_at.is_(None),
)


class ReportWriter:
    """Reads and writes weekly values inside the caller's (sync) transaction.

    Every report reads its organisation's standing once and writes in as few statements as
    the change needs — a new value closes the one before it (`until_week`) and is inserted; a
    correction updates in place; the history goes to the audit log in one statement.

    What it writes follows from the standing it read, so on PostgreSQL a writer locks the
    organisations' rows before it reads their standing (storage.locks): two reports for one
    organisation at once are taken one after the other, the second reading what the first
    wrote — else both would close the same report, or insert the same week twice. A writer
    made with `locking=False` only reads (the questions asked).
    """

    def __init__(self, connection: Connection, *, locking: bool = True) -> None:
        self.connection = connection
        self._locking = locking
        self._locked: set[int] = set()  # organisations whose rows this unit holds
        # The last read, until this writer writes: `near` then `store` read once.
        self._read: tuple[frozenset[tuple[int, int]], date, dict[tuple[int, int], list[_Row]]]
        self._read = (frozenset(), FOREVER, {})

    def _standing(self, keys: Sequence[ValueKey]) -> dict[tuple[int, int], list[_Row]]:
        """(indicator, organisation) -> its reports that matter from the earliest of the
        weeks on: the one counting in a week, the one it closed, and any later ones."""
        found: dict[tuple[int, int], list[_Row]] = {}
        if not keys:
            return found
        pairs = frozenset((key[0], key[1]) for key in keys)
        since = min(key[2] for key in keys)
        read_pairs, read_since, read = self._read
        if pairs <= read_pairs and read_since <= since:
            return read
        organisation_ids = sorted({key[1] for key in keys})
        if self._locking and not self._locked.issuperset(organisation_ids):
            lock_rows_sync(self.connection, organisations, organisation_ids)
            self._locked.update(organisation_ids)
        reads = (
            [(_STANDING_OF_ONE, {"organisation": organisation_ids[0], "since": since})]
            if len(organisation_ids) == 1
            else [
                (
                    _STANDING_OF_MANY,
                    {
                        "organisations": organisation_ids[start : start + ORGANISATIONS_PER_READ],
                        "since": since,
                    },
                )
                for start in range(0, len(organisation_ids), ORGANISATIONS_PER_READ)
            ]
        )
        for statement, parameters in reads:
            for report_id, indicator, organisation, week, until, value in self.connection.execute(
                statement, parameters
            ):
                if (indicator, organisation) in pairs:
                    found.setdefault((indicator, organisation), []).append(
                        _Row(report_id, week, until, value)
                    )
        self._read = (pairs, since, found)
        return found

    def near(self, keys: Sequence[ValueKey]) -> dict[ValueKey, Near]:
        """Each key's value for its week and the organisation's report before, in one read."""
        standing = self._standing(keys)
        found = {}
        for key in keys:
            indicator, organisation, week = key
            value = previous = None
            for row in standing.get((indicator, organisation), ()):
                if row.week == week:
                    value = row.value
                elif row.week < week <= row.until_week:
                    previous = row.value
            found[key] = Near(value, previous)
        return found

    def store(
        self, values: Sequence[NewValue], *, now: datetime, actor: str, source: str
    ) -> list[Change]:
        """Report or correct values (in order: a key given twice is reported, then corrected);
        the history goes to the audit log. One Change per value, in the order given."""
        rounds: list[list[tuple[int, NewValue]]] = []
        seen: dict[ValueKey, int] = {}
        for index, value in enumerate(values):
            round_ = seen.get(value.key, -1) + 1
            seen[value.key] = round_
            if round_ == len(rounds):
                rounds.append([])
            rounds[round_].append((index, value))
        changes: list[Change | None] = [None] * len(values)
        history: list[tuple[int, dict[str, object]]] = []
        for round_values in rounds:
            for index, change in self._store_round(round_values, now, actor, source):
                changes[index] = change
                if change.changed:
                    history.append(
                        (
                            index,
                            {
                                "at": now,
                                "actor": actor,
                                "action": "report",
                                "subject": "report",
                                "subject_id": change.report_id,
                                "field": source,
                                "old": None if change.old is None else str(change.old),
                                "new": str(change.new),
                            },
                        )
                    )
        if history:
            history.sort(key=lambda item: item[0])
            self.connection.execute(_HISTORY, [row for _, row in history])
        assert all(change is not None for change in changes)
        return [change for change in changes if change is not None]

    def _store_round(
        self, values: Sequence[tuple[int, NewValue]], now: datetime, actor: str, source: str
    ) -> list[tuple[int, Change]]:
        """Values whose keys are all different: one read, then at most four writes."""
        standing = self._standing([value.key for _, value in values])
        done: list[tuple[int, Change]] = []
        closes = []
        corrections = []
        fresh: list[tuple[int, NewValue, dict[str, object]]] = []
        for index, value in values:
            rows = standing.get((value.indicator_id, value.organisation_id), [])
            existing = next((row for row in rows if row.week == value.week), None)
            if existing is not None:
                if existing.value != value.value:
                    corrections.append(
                        {
                            "report_id": existing.id,
                            "new_value": value.value,
                            "now": now,
                            "actor": actor,
                            "new_source": source,
                        }
                    )
                done.append((index, Change(existing.id, existing.value, value.value)))
                continue
            # The report before this one now counts until this week; this one until the next.
            for row in rows:
                if row.week < value.week < row.until_week:
                    closes.append({"report_id": row.id, "new_until": value.week})
            following = min((row.week for row in rows if row.week > value.week), default=FOREVER)
            fresh.append(
                (
                    index,
                    value,
                    {
                        "indicator_id": value.indicator_id,
                        "organisation_id": value.organisation_id,
                        "week": value.week,
                        "until_week": following,
                        "value": value.value,
                        "late": value.late,
                        "reported_at": now,
                        "updated_at": now,
                        "reported_by": actor,
                        "source": source,
                    },
                )
            )
        if closes or corrections or fresh:
            self._read = (frozenset(), FOREVER, {})
        if closes:
            self.connection.execute(_CLOSE, closes)
        if corrections:
            self.connection.execute(_CORRECT, corrections)
        if fresh:
            ids = self.connection.execute(_INSERT, [row for _, _, row in fresh]).scalars().all()
            for (index, value, _), report_id in zip(fresh, ids, strict=True):
                done.append((index, Change(report_id, None, value.value)))
        return done

    # -- drafts -----------------------------------------------------------------------------

    def add_draft(self, person_id: int, payload: Mapping[str, object], now: datetime) -> int:
        result = self.connection.execute(
            insert(report_drafts).values(
                person_id=person_id,
                payload=json.dumps(payload, ensure_ascii=False, default=str),
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def draft(self, draft_id: int, person_id: int) -> dict[str, object] | None:
        """An open draft of this person (None: not theirs, or settled already)."""
        payload = self.connection.scalar(_DRAFT, {"draft_id": draft_id, "person_id": person_id})
        if payload is None:
            return None
        loaded: dict[str, object] = json.loads(payload)
        return loaded

    def settle_draft(self, draft_id: int, person_id: int, outcome: str, now: datetime) -> bool:
        """Close an open draft of this person; False when it is not theirs or already settled
        (a second press of the button does nothing)."""
        settled = self.connection.execute(
            update(report_drafts)
            .where(
                report_drafts.c.id == draft_id,
                report_drafts.c.person_id == person_id,
                report_drafts.c.settled_at.is_(None),
            )
            .values(settled_at=now, outcome=outcome)
        )
        return bool(settled.rowcount == 1)
