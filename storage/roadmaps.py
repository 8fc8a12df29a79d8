"""Roadmaps, their sections, parties, tasks, history, figures and targets in the database.

A store works inside the caller's transaction and never commits: the use case owns the commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.model import (
    BaselineFigure,
    Deadline,
    Measure,
    OrganisationKind,
    Party,
    ReminderPolicy,
    Roadmap,
    Section,
    Target,
    Task,
    TaskStatus,
)
from storage.tables import (
    baseline_figures,
    parties,
    party_aliases,
    roadmaps,
    sections,
    targets,
    task_parties,
    tasks,
)


@dataclass(frozen=True, slots=True)
class RoadmapHeader:
    id: int
    slug: str
    title: str
    document_number: str | None
    document_date: date | None
    timezone: str | None
    imported_at: datetime
    updated_at: datetime
    current: bool = False


def _header(row: Any) -> RoadmapHeader:
    return RoadmapHeader(
        id=row.id,
        slug=row.slug,
        title=row.title,
        document_number=row.document_number,
        document_date=row.document_date,
        timezone=row.timezone,
        imported_at=row.imported_at,
        updated_at=row.updated_at,
        current=bool(row.current),
    )


class RoadmapStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    # -- roadmaps -------------------------------------------------------------------------

    async def headers(self) -> list[RoadmapHeader]:
        rows = await self.connection.execute(select(roadmaps).order_by(roadmaps.c.id))
        return [_header(row) for row in rows]

    async def find(self, slug: str) -> RoadmapHeader | None:
        row = (
            await self.connection.execute(select(roadmaps).where(roadmaps.c.slug == slug))
        ).first()
        return _header(row) if row else None

    async def newest(self) -> RoadmapHeader | None:
        row = (
            await self.connection.execute(select(roadmaps).order_by(roadmaps.c.id.desc()).limit(1))
        ).first()
        return _header(row) if row else None

    async def current(self) -> RoadmapHeader | None:
        """The roadmap the department made current; the newest if none was (never, after 0007,
        unless the current one was removed)."""
        row = (
            await self.connection.execute(
                select(roadmaps).order_by(roadmaps.c.current.desc(), roadmaps.c.id.desc()).limit(1)
            )
        ).first()
        return _header(row) if row else None

    async def current_id(self) -> int | None:
        """The id of the roadmap marked current, None when none is marked."""
        return await self.connection.scalar(
            select(roadmaps.c.id).where(roadmaps.c.current.is_(True)).limit(1)
        )

    async def make_current(self, roadmap_id: int) -> None:
        await self.connection.execute(update(roadmaps).values(current=roadmaps.c.id == roadmap_id))

    async def create(self, roadmap: Roadmap, slug: str, source: str, now: datetime) -> int:
        result = await self.connection.execute(
            insert(roadmaps).values(
                slug=slug,
                source=source,
                imported_at=now,
                updated_at=now,
                **_roadmap_values(roadmap),
            )
        )
        (roadmap_id,) = result.inserted_primary_key or (None,)
        assert roadmap_id is not None
        return int(roadmap_id)

    async def update_header(
        self, roadmap_id: int, roadmap: Roadmap, source: str, now: datetime
    ) -> None:
        await self.connection.execute(
            update(roadmaps)
            .where(roadmaps.c.id == roadmap_id)
            .values(source=source, updated_at=now, **_roadmap_values(roadmap))
        )

    async def set_policy(self, roadmap_id: int, policy: ReminderPolicy, now: datetime) -> None:
        await self.connection.execute(
            update(roadmaps)
            .where(roadmaps.c.id == roadmap_id)
            .values(reminder_policy=policy_json(policy), updated_at=now)
        )

    async def policy(self, roadmap_id: int) -> ReminderPolicy:
        text = await self.connection.scalar(
            select(roadmaps.c.reminder_policy).where(roadmaps.c.id == roadmap_id)
        )
        return policy_from_json(text)

    async def load(self, header: RoadmapHeader) -> Roadmap:
        """The roadmap as stored, its tasks with ids, tasks removed by a revision left out."""
        connection = self.connection
        row = (await connection.execute(select(roadmaps).where(roadmaps.c.id == header.id))).one()
        section_rows = await connection.execute(
            select(sections.c.title)
            .where(sections.c.roadmap_id == header.id)
            .order_by(sections.c.position)
        )
        return Roadmap(
            title=row.title,
            issuer=row.issuer,
            document_number=row.document_number,
            document_date=row.document_date,
            goal=row.goal,
            timezone=row.timezone,
            sections=tuple(Section(title) for (title,) in section_rows),
            tasks=tuple(await self.tasks(header.id)),
            parties=tuple(await self.parties(header.id)),
            baseline=tuple(await self._baseline(header.id)),
            targets=tuple(await self._targets(header.id)),
            slug=row.slug,
            reminders=policy_from_json(row.reminder_policy),
        )

    # -- sections and parties ---------------------------------------------------------------

    async def sync_sections(self, roadmap_id: int, wanted: Sequence[Section]) -> dict[str, int]:
        """Make the roadmap's sections exactly `wanted`, keeping the ids of those that stay."""
        rows = await self.connection.execute(
            select(sections.c.id, sections.c.title).where(sections.c.roadmap_id == roadmap_id)
        )
        existing = {title: section_id for section_id, title in rows}
        ids: dict[str, int] = {}
        for position, section in enumerate(wanted):
            if section.title in existing:
                section_id = existing.pop(section.title)
                await self.connection.execute(
                    update(sections).where(sections.c.id == section_id).values(position=position)
                )
            else:
                result = await self.connection.execute(
                    insert(sections).values(
                        roadmap_id=roadmap_id, position=position, title=section.title
                    )
                )
                section_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            ids[section.title] = section_id
        if existing:
            await self.connection.execute(
                delete(sections).where(sections.c.id.in_(existing.values()))
            )
        return ids

    async def sync_parties(self, roadmap_id: int, wanted: Sequence[Party]) -> dict[str, int]:
        """Add or refresh parties; one no longer named is kept (people may be bound to it)."""
        rows = await self.connection.execute(
            select(parties.c.id, parties.c.name).where(parties.c.roadmap_id == roadmap_id)
        )
        ids = {name: party_id for party_id, name in rows}
        for party in wanted:
            if party.name not in ids:
                result = await self.connection.execute(
                    insert(parties).values(roadmap_id=roadmap_id, name=party.name)
                )
                ids[party.name] = int(result.inserted_primary_key[0])  # type: ignore[index]
            party_id = ids[party.name]
            await self.connection.execute(
                delete(party_aliases).where(party_aliases.c.party_id == party_id)
            )
            if party.aliases:
                await self.connection.execute(
                    insert(party_aliases),
                    [
                        {"party_id": party_id, "alias": alias}
                        for alias in dict.fromkeys(party.aliases)
                    ],
                )
        return ids

    async def parties(self, roadmap_id: int) -> list[Party]:
        rows = await self.connection.execute(
            select(parties.c.name, party_aliases.c.alias)
            .select_from(parties.outerjoin(party_aliases))
            .where(parties.c.roadmap_id == roadmap_id)
            .order_by(parties.c.id, party_aliases.c.id)
        )
        aliases: dict[str, list[str]] = {}
        for name, alias in rows:
            aliases.setdefault(name, [])
            if alias is not None:
                aliases[name].append(alias)
        return [Party(name, tuple(found)) for name, found in aliases.items()]

    # -- tasks ------------------------------------------------------------------------------

    async def tasks(self, roadmap_id: int, task_id: int | None = None) -> list[Task]:
        """The roadmap's current tasks in document order (or just `task_id`, if still current)."""
        query = (
            select(tasks, sections.c.title.label("section_title"))
            .select_from(tasks.outerjoin(sections))
            .where(tasks.c.roadmap_id == roadmap_id, tasks.c.removed_at.is_(None))
            .order_by(tasks.c.position)
        )
        if task_id is not None:
            query = query.where(tasks.c.id == task_id)
        rows = await self.connection.execute(query)
        responsible = await self._responsible(roadmap_id, task_id)
        return [
            Task(
                id=row.id,
                number=row.number,
                title=row.title,
                section=row.section_title,
                responsible=tuple(responsible.get(row.id, ())),
                deadline=Deadline(
                    text=row.deadline_text,
                    start=row.deadline_start,
                    due=row.deadline_due or row.agreed_due,
                    recurrence=row.deadline_recurrence,
                    note=row.deadline_note,
                    agreed=row.deadline_due is None and row.agreed_due is not None,
                ),
                result=row.result,
                status=TaskStatus(row.status),
            )
            for row in rows
        ]

    async def _responsible(self, roadmap_id: int, task_id: int | None) -> Mapping[int, list[str]]:
        query = (
            select(task_parties.c.task_id, parties.c.name)
            .select_from(task_parties.join(parties))
            .where(parties.c.roadmap_id == roadmap_id)
            .order_by(task_parties.c.task_id, task_parties.c.position)
        )
        if task_id is not None:
            query = query.where(task_parties.c.task_id == task_id)
        rows = await self.connection.execute(query)
        found: defaultdict[int, list[str]] = defaultdict(list)
        for task_id, name in rows:
            found[task_id].append(name)
        return found

    async def save_tasks(
        self,
        roadmap_id: int,
        placed: Sequence[tuple[int, Task]],
        *,
        section_ids: Mapping[str, int],
        party_ids: Mapping[str, int],
        now: datetime,
    ) -> list[int]:
        """Write (position, task) pairs: tasks without an id are inserted, the others
        overwritten. Returns the ids in the order given. Batched: a 1,000-row document is a
        handful of statements, not thousands."""

        def values(position: int, task: Task) -> dict[str, object]:
            return {
                "position": position,
                "section_id": section_ids.get(task.section) if task.section else None,
                "number": task.number,
                "title": task.title,
                "deadline_text": task.deadline.text,
                "deadline_start": task.deadline.start,
                "deadline_due": task.deadline.due,
                "deadline_recurrence": task.deadline.recurrence,
                "deadline_note": task.deadline.note,
                "result": task.result,
                "status": task.status.value,
                "updated_at": now,
            }

        fresh = [(position, task) for position, task in placed if task.id is None]
        new_ids: list[int] = []
        if fresh:
            result = await self.connection.execute(
                insert(tasks).returning(tasks.c.id, sort_by_parameter_order=True),
                [
                    {"roadmap_id": roadmap_id, "created_at": now, **values(position, task)}
                    for position, task in fresh
                ],
            )
            new_ids = [row.id for row in result]
        known = [task.id for _, task in placed if task.id is not None]
        for position, task in placed:
            if task.id is not None:
                await self.connection.execute(
                    update(tasks).where(tasks.c.id == task.id).values(**values(position, task))
                )
        if known:
            await self.connection.execute(
                delete(task_parties).where(task_parties.c.task_id.in_(known))
            )
        fresh_ids = iter(new_ids)
        ids = [task.id if task.id is not None else next(fresh_ids) for _, task in placed]
        links = [
            {"task_id": task_id, "party_id": party_ids[name], "position": index}
            for task_id, (_, task) in zip(ids, placed, strict=True)
            for index, name in enumerate(task.responsible)
        ]
        if links:
            await self.connection.execute(insert(task_parties), links)
        return ids

    async def set_positions(self, positions: Sequence[tuple[int, int]]) -> None:
        """(task id, position) pairs: unchanged tasks move when rows are added above them."""
        if positions:
            await self.connection.execute(
                update(tasks)
                .where(tasks.c.id == bindparam("task_id"))
                .values(position=bindparam("new_position")),
                [{"task_id": task_id, "new_position": pos} for task_id, pos in positions],
            )

    async def set_agreed_due(self, task_id: int, due: date | None, now: datetime) -> None:
        """The date the department set for a task whose document leaves it to be agreed."""
        await self.connection.execute(
            update(tasks).where(tasks.c.id == task_id).values(agreed_due=due, updated_at=now)
        )

    async def set_status(self, task_id: int, status: TaskStatus, now: datetime) -> None:
        await self.connection.execute(
            update(tasks).where(tasks.c.id == task_id).values(status=status.value, updated_at=now)
        )

    async def mark_removed(self, task_id: int, now: datetime) -> None:
        await self.connection.execute(
            update(tasks).where(tasks.c.id == task_id).values(removed_at=now, updated_at=now)
        )

    # -- figures and targets ------------------------------------------------------------------

    async def replace_figures(
        self, roadmap_id: int, baseline: Iterable[BaselineFigure], wanted: Iterable[Target]
    ) -> None:
        await self.connection.execute(
            delete(baseline_figures).where(baseline_figures.c.roadmap_id == roadmap_id)
        )
        await self.connection.execute(delete(targets).where(targets.c.roadmap_id == roadmap_id))
        figure_rows = [
            {
                "roadmap_id": roadmap_id,
                "position": position,
                "scope": figure.scope,
                "label": figure.label,
                "value": figure.value,
                "kind": figure.kind.value if figure.kind else None,
                "measure": figure.measure.value if figure.measure else None,
            }
            for position, figure in enumerate(baseline)
        ]
        if figure_rows:
            await self.connection.execute(insert(baseline_figures), figure_rows)
        target_rows = [
            {
                "roadmap_id": roadmap_id,
                "position": position,
                "text": target.text,
                "percent": target.percent,
                "value": target.value,
                "due": target.due,
            }
            for position, target in enumerate(wanted)
        ]
        if target_rows:
            await self.connection.execute(insert(targets), target_rows)

    async def _baseline(self, roadmap_id: int) -> list[BaselineFigure]:
        rows = await self.connection.execute(
            select(baseline_figures)
            .where(baseline_figures.c.roadmap_id == roadmap_id)
            .order_by(baseline_figures.c.position)
        )
        return [
            BaselineFigure(
                scope=row.scope,
                label=row.label,
                value=row.value,
                kind=OrganisationKind(row.kind) if row.kind else None,
                measure=Measure(row.measure) if row.measure else None,
            )
            for row in rows
        ]

    async def _targets(self, roadmap_id: int) -> list[Target]:
        rows = await self.connection.execute(
            select(targets).where(targets.c.roadmap_id == roadmap_id).order_by(targets.c.position)
        )
        return [Target(row.text, row.percent, row.value, row.due) for row in rows]


def _roadmap_values(roadmap: Roadmap) -> dict[str, object]:
    values: dict[str, object] = {
        "title": roadmap.title,
        "issuer": roadmap.issuer,
        "document_number": roadmap.document_number,
        "document_date": roadmap.document_date,
        "goal": roadmap.goal,
        "timezone": roadmap.timezone,
    }
    if roadmap.reminders is not None:  # a document without one keeps the stored policy
        values["reminder_policy"] = policy_json(roadmap.reminders)
    return values


def policy_json(policy: ReminderPolicy) -> str:
    return json.dumps(asdict(policy))


def policy_from_json(text: str | None) -> ReminderPolicy:
    if not text:
        return ReminderPolicy()
    data = json.loads(text)
    return ReminderPolicy(**{**data, "before": tuple(data.get("before", ()))})
