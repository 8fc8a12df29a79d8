"""Use cases on roadmaps: import (and re-import) a document, read it back, export, status.

Each public method is one transaction; the CLI and the bot call the same methods, so they
never disagree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.model import ReminderPolicy, Roadmap, Task
from bot.domain.revision import Revision, revise
from bot.domain.shares import ShareCounts
from bot.domain.slugs import roadmap_slug
from bot.domain.status import StatusSummary
from bot.importers import read_roadmap_built
from bot.services.clock import Clock
from storage.audit import AuditLog
from storage.db import Database
from storage.reports import ReportStore
from storage.roadmaps import RoadmapHeader, RoadmapStore, policy_json


class NoRoadmapYet(Exception):
    """Nothing has been imported: there is no roadmap to show."""


class BadPolicy(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
    current: bool = True  # the roadmap served now; False: `current_slug` still is
    current_slug: str | None = None
    # What the importer had to assume ("no responsible column: the issuer is responsible"),
    # for the import's reply.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusReport:
    roadmap: RoadmapHeader
    summary: StatusSummary
    nobody_to_remind: tuple[str, ...] = ()  # parties of open tasks that nobody would hear
    unreachable: tuple[str, ...] = ()  # people within reach who blocked the bot
    shares: Mapping[int, ShareCounts] = field(default_factory=dict)  # task id -> its shares
    tasks: tuple[Task, ...] = ()  # the tasks summarised, in document order


async def resolve_roadmap(store: RoadmapStore, slug: str | None) -> RoadmapHeader:
    """The roadmap called `slug`, or the current one (`roadmaps use SLUG`): what the bot
    serves. A clear exception when there is none."""
    header = await (store.find(slug) if slug else store.current())
    if header is not None:
        return header
    known = [found.slug for found in await store.headers()]
    if slug is None or not known:
        raise NoRoadmapYet
    raise RoadmapNotFound(slug, known)


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

    async def import_document(
        self, path: Path, *, slug: str | None = None, make_current: bool = False
    ) -> ImportOutcome:
        """Read a document (off the event loop: Word files take a moment) and store it; the
        outcome carries the importer's warnings."""
        built = await asyncio.to_thread(read_roadmap_built, path)
        outcome = await self.import_roadmap(
            built.roadmap, slug=slug, source=path.name, make_current=make_current
        )
        return replace(outcome, warnings=built.warnings)

    async def import_roadmap(
        self,
        roadmap: Roadmap,
        *,
        slug: str | None = None,
        source: str = "",
        make_current: bool = False,
    ) -> ImportOutcome:
        """Store a roadmap, or revise the stored one with the same slug in place.

        Matched tasks keep their id, status and history; changes are written to the history;
        tasks gone from the document are marked removed, never deleted. The roadmap becomes
        the one served only when it is the first, or when `make_current` asks: a test import
        must not switch everyone to it.
        """
        slug = slug or roadmap.slug or roadmap_slug(roadmap)
        roadmap = replace(roadmap, slug=slug, timezone=roadmap.timezone or self.timezone)
        now = self.clock.now()
        actor = f"import:{source}" if source else "import"
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
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
            placed = list(enumerate(revision.tasks))
            to_write = [(pos, t) for pos, t in placed if t.id is None or t.id in changes]
            written = await store.save_tasks(
                roadmap_id, to_write, section_ids=section_ids, party_ids=party_ids, now=now
            )
            ids = dict(zip((pos for pos, _ in to_write), written, strict=True))
            await store.set_positions(
                [(t.id, pos) for pos, t in placed if t.id is not None and t.id not in changes]
            )
            saved = [replace(task, id=ids.get(pos, task.id)) for pos, task in placed]
            entry = {"at": now, "actor": actor, "subject": "task"}
            history: list[dict[str, object]] = [
                {**entry, "action": "added", "subject_id": ids[pos]}
                for pos, task in to_write
                if task.id is None
            ]
            history += [
                {
                    **entry,
                    "action": "changed",
                    "subject_id": change.after.id,
                    "field": field,
                    "old": _history_text(change.before, field),
                    "new": _history_text(change.after, field),
                }
                for change in revision.changed
                for field in change.fields
            ]
            for task in revision.removed:
                assert task.id is not None
                await store.mark_removed(task.id, now)
                history.append({**entry, "action": "removed", "subject_id": task.id})
            await AuditLog(connection).record_many(history)
            await store.replace_figures(roadmap_id, roadmap.baseline, roadmap.targets)
            reports = ReportStore(connection)
            for indicator in roadmap.indicators:  # a roadmap's YAML may define its indicators
                await reports.define(roadmap_id, indicator, now, actor)
            current_id = await store.current_id()
            if make_current or current_id is None:
                if current_id != roadmap_id:
                    await store.make_current(roadmap_id)
                current_id = roadmap_id
            served = await store.current()
        return ImportOutcome(
            slug=slug,
            created=header is None,
            roadmap=replace(roadmap, tasks=tuple(saved)),
            revision=revision,
            current=current_id == roadmap_id,
            current_slug=served.slug if served is not None else None,
        )

    async def headers(self) -> list[RoadmapHeader]:
        """Every stored roadmap, the current one marked."""
        async with self.database.transaction(write=False) as connection:
            return await RoadmapStore(connection).headers()

    async def use(self, slug: str) -> RoadmapHeader:
        """Make `slug` the roadmap the bot serves and commands use by default."""
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            header = await resolve_roadmap(store, slug)
            if not header.current:
                await store.make_current(header.id)
                await AuditLog(connection).record(
                    at=self.clock.now(),
                    actor="cli",
                    action="current",
                    subject="roadmap",
                    subject_id=header.id,
                )
            return replace(header, current=True)

    async def policy(
        self, slug: str | None = None, *, change: Mapping[str, object] | None = None
    ) -> tuple[str, ReminderPolicy]:
        """The roadmap's reminder policy, changed first when `change` names fields."""
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            header = await resolve_roadmap(store, slug)
            policy = await store.policy(header.id)
            if change:
                try:
                    updated = replace(policy, **change)  # type: ignore[arg-type]
                except ValueError as error:
                    raise BadPolicy(str(error)) from None
                await store.set_policy(header.id, updated, self.clock.now())
                await AuditLog(connection).record(
                    at=self.clock.now(),
                    actor="cli",
                    action="policy",
                    subject="roadmap",
                    subject_id=header.id,
                    old=policy_json(policy),
                    new=policy_json(updated),
                )
                policy = updated
            return header.slug, policy

    async def roadmap(self, slug: str | None = None) -> Roadmap:
        """The stored roadmap (`slug`, or the current one), tasks in document order, with ids."""
        async with self.database.transaction(write=False) as connection:
            store = RoadmapStore(connection)
            return await store.load(await resolve_roadmap(store, slug))
