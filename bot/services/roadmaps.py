"""Use cases on roadmaps: import (and re-import) a document, read it back, export, status.

Each public method is one transaction; the CLI and the bot call the same methods, so they
never disagree.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.model import Roadmap, Task
from bot.domain.revision import Revision, revise
from bot.domain.slugs import roadmap_slug
from bot.domain.status import StatusSummary, summarise
from bot.importers import read_roadmap
from bot.services.clock import Clock
from storage.db import Database
from storage.audit import AuditLog
from storage.roadmaps import RoadmapHeader, RoadmapStore


class NoRoadmapYet(Exception):
    """Nothing has been imported: there is no roadmap to show."""


class RoadmapNotFound(Exception):
    def __init__(self, slug: str, known: list[str]) -> None:
        super().__init__(slug)
        self.slug = slug
        self.known = known


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    slug: str
    created: bool
    roadmap: Roadmap
    revision: Revision


@dataclass(frozen=True, slots=True)
class StatusReport:
    roadmap: RoadmapHeader
    summary: StatusSummary


def _history_text(task: Task, field: str) -> str | None:
    value = getattr(task, field)
    if field == "responsible":
        return ", ".join(value)
    if field == "deadline":
        return str(value.text)
    return None if value is None else str(value)


class RoadmapService:
    def __init__(self, database: Database, clock: Clock, timezone: str) -> None:
        self.database = database
        self.clock = clock
        self.timezone = timezone

    def today(self, roadmap_timezone: str | None = None) -> date:
        zone = ZoneInfo(roadmap_timezone or self.timezone)
        return self.clock.now().astimezone(zone).date()

    async def import_document(self, path: Path, *, slug: str | None = None) -> ImportOutcome:
        """Read a document (off the event loop: Word files take a moment) and store it."""
        roadmap = await asyncio.to_thread(read_roadmap, path)
        return await self.import_roadmap(roadmap, slug=slug, source=path.name)

    async def import_roadmap(
        self, roadmap: Roadmap, *, slug: str | None = None, source: str = ""
    ) -> ImportOutcome:
        """Store a roadmap, or revise the stored one with the same slug in place.

        Matched tasks keep their id, status and history; changes are written to the history;
        tasks gone from the document are marked removed, never deleted.
        """
        slug = slug or roadmap.slug or roadmap_slug(roadmap)
        roadmap = replace(roadmap, slug=slug, timezone=roadmap.timezone or self.timezone)
        now = self.clock.now()
        actor = f"import:{source}" if source else "import"
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            audit = AuditLog(connection)
            header = await store.find(slug)
            if header is None:
                roadmap_id = await store.create(roadmap, slug, source, now)
                stored: list[Task] = []
            else:
                roadmap_id = header.id
                await store.update_header(roadmap_id, roadmap, source, now)
                stored = await store.tasks(roadmap_id)
            # Ids in a document (our YAML carries them) are another database's; identity here
            # comes from matching.
            revision = revise(stored, [replace(task, id=None) for task in roadmap.tasks])
            section_ids = await store.sync_sections(roadmap_id, roadmap.sections)
            party_ids = await store.sync_parties(roadmap_id, roadmap.parties)
            changes = {change.after.id: change for change in revision.changed}
            saved = []
            for position, task in enumerate(revision.tasks):
                change = changes.get(task.id)
                if task.id is not None and change is None:
                    saved.append(task)
                    continue
                task_id = await store.save_task(
                    roadmap_id,
                    task,
                    position=position,
                    section_ids=section_ids,
                    party_ids=party_ids,
                    now=now,
                )
                saved.append(replace(task, id=task_id))
                if change is None:
                    await audit.record(
                        at=now, actor=actor, action="added", subject="task", subject_id=task_id
                    )
                for field in change.fields if change else ():
                    await audit.record(
                        at=now,
                        actor=actor,
                        action="changed",
                        subject="task",
                        subject_id=task_id,
                        field=field,
                        old=_history_text(change.before, field) if change else None,
                        new=_history_text(task, field),
                    )
            for task in revision.removed:
                assert task.id is not None
                await store.mark_removed(task.id, now)
                await audit.record(
                    at=now, actor=actor, action="removed", subject="task", subject_id=task.id
                )
            await store.replace_figures(roadmap_id, roadmap.baseline, roadmap.targets)
        return ImportOutcome(
            slug=slug,
            created=header is None,
            roadmap=replace(roadmap, tasks=tuple(saved)),
            revision=revision,
        )

    async def _header(self, store: RoadmapStore, slug: str | None) -> RoadmapHeader:
        header = await (store.find(slug) if slug else store.newest())
        if header is not None:
            return header
        known = [found.slug for found in await store.headers()]
        if slug is None or not known:
            raise NoRoadmapYet
        raise RoadmapNotFound(slug, known)

    async def roadmap(self, slug: str | None = None) -> Roadmap:
        """The stored roadmap (`slug`, or the newest), tasks in document order with ids."""
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            return await store.load(await self._header(store, slug))

    async def status(
        self, slug: str | None = None, *, as_of: date | None = None, horizon_days: int = 14
    ) -> StatusReport:
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            header = await self._header(store, slug)
            tasks = await store.tasks(header.id)
        day = as_of or self.today(header.timezone)
        return StatusReport(header, summarise(tasks, day, horizon_days))
