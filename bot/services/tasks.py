"""Tasks as a person sees and acts on them: status for their reach, lists, cards, done/reopen.

Visibility and every action are decided by `bot.domain.access` on each call, with the task's
acting organisations worked out from the party links; handlers only show what this returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.access import Action, OrgTree, Person, may, visible_organisations
from bot.domain.model import Task, TaskStatus
from bot.domain.status import Standing, standing, summarise
from bot.services.clock import Clock
from bot.services.people import Forbidden, actor_name
from bot.services.roadmaps import StatusReport
from bot.services.snapshots import RoadmapView, Snapshots
from storage.audit import AuditLog, Entry
from storage.db import Database
from storage.people import PeopleStore
from storage.roadmaps import RoadmapHeader, RoadmapStore


class TaskNotFound(Exception):
    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


@dataclass(frozen=True, slots=True)
class Scope:
    """A roadmap as one person may see it."""

    roadmap: RoadmapHeader
    tasks: tuple[Task, ...]  # visible to the person, document order
    sections: tuple[str, ...]
    own: frozenset[int]  # ids of tasks of the person's own organisations ("mine")


@dataclass(frozen=True, slots=True)
class TaskCard:
    task: Task
    roadmap: RoadmapHeader
    acting: tuple[str, ...]
    history: tuple[Entry, ...]
    standing: Standing
    may_mark_done: bool
    may_reopen: bool
    may_comment: bool


class TaskService:
    def __init__(
        self, database: Database, clock: Clock, snapshots: Snapshots, timezone: str
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.timezone = timezone

    def today(self, header: RoadmapHeader) -> date:
        return self.clock.now().astimezone(ZoneInfo(header.timezone or self.timezone)).date()

    @staticmethod
    def _own_organisations(person: Person, tree: OrgTree) -> frozenset[str]:
        own = {binding.organisation for binding in person.bindings if binding.organisation}
        if any(binding.organisation is None for binding in person.bindings):
            # Department staff: the top of the registry is their own organisation.
            own |= {org.name for org in tree.by_name.values() if org.parent is None}
        return frozenset(own)

    async def scope(self, person: Person, slug: str | None = None) -> Scope:
        view = await self.snapshots.roadmap(slug)
        if not may(person, Action.VIEW, view.tree):
            raise Forbidden(Action.VIEW)
        reach = visible_organisations(person, view.tree)  # the same rule as may(VIEW)
        own_orgs = self._own_organisations(person, view.tree)
        visible = []
        own = set()
        for task in view.tasks:
            acting = view.acting.get(task.id or 0, frozenset())
            if reach is None or acting & reach:
                visible.append(task)
                if task.id is not None and acting & own_orgs:
                    own.add(task.id)
        sections = tuple(dict.fromkeys(t.section for t in visible if t.section))
        return Scope(view.roadmap, tuple(visible), sections, frozenset(own))

    async def status_for(
        self,
        person: Person,
        slug: str | None = None,
        *,
        as_of: date | None = None,
        horizon_days: int = 14,
    ) -> StatusReport:
        """The roadmap at a glance within the person's reach (everything, for the CLI)."""
        scope = await self.scope(person, slug)
        day = as_of or self.today(scope.roadmap)
        view = await self.snapshots.roadmap(slug)
        audience = await self.snapshots.audience(self.timezone)
        silent = {
            party
            for task in scope.tasks
            if task.status is TaskStatus.OPEN
            for party in task.responsible
            if not audience.hears_party(party, view.parties.acting.get(party, frozenset()))
        }
        reach = visible_organisations(person, view.tree)
        blocked = [
            blocked.name
            + (
                f" ({', '.join(b.organisation for b in blocked.bindings if b.organisation)})"
                if any(b.organisation for b in blocked.bindings)
                else ""
            )
            for blocked in audience.blocked
            if reach is None or any(b.organisation in reach for b in blocked.bindings)
        ]
        return StatusReport(
            scope.roadmap,
            summarise(scope.tasks, day, horizon_days),
            nobody_to_remind=tuple(
                p
                for p in dict.fromkeys(party for task in scope.tasks for party in task.responsible)
                if p in silent
            ),
            unreachable=tuple(blocked),
        )

    async def find(self, person: Person, number: str, slug: str | None = None) -> list[Task]:
        """Visible tasks printed with this number (numbers may repeat)."""
        wanted = number.strip().rstrip(".")
        return [task for task in (await self.scope(person, slug)).tasks if task.number == wanted]

    async def _view_of(self, task_id: int) -> tuple[Task, RoadmapView]:
        """The task and its roadmap's view; the newest roadmap first, as nearly always."""
        view = await self.snapshots.roadmap()
        task = view.task(task_id)
        if task is not None:
            return task, view
        async with self.database.transaction() as connection:
            headers = await RoadmapStore(connection).headers()
        for header in headers:
            other = await self.snapshots.roadmap(header.slug)
            task = other.task(task_id)
            if task is not None:
                return task, other
        raise TaskNotFound(str(task_id))

    async def card(self, person: Person, task_id: int) -> TaskCard:
        task, view = await self._view_of(task_id)
        acting = view.acting.get(task_id, frozenset())
        if not may(person, Action.VIEW, view.tree, acting=acting):
            raise Forbidden(Action.VIEW)
        history = await self.snapshots.history(task_id)
        return TaskCard(
            task=task,
            roadmap=view.roadmap,
            acting=tuple(sorted(acting)),
            history=history,
            standing=standing(task, self.today(view.roadmap)),
            may_mark_done=task.status is TaskStatus.OPEN
            and may(person, Action.MARK_DONE, view.tree, acting=acting),
            may_reopen=task.status is not TaskStatus.OPEN
            and may(person, Action.REOPEN, view.tree, acting=acting),
            may_comment=may(person, Action.COMMENT, view.tree, acting=acting),
        )

    async def _set_status(
        self, person: Person, task_id: int, action: Action, status: TaskStatus, comment: str | None
    ) -> Task:
        task, view = await self._view_of(task_id)
        if not may(person, action, view.tree, acting=view.acting.get(task_id, frozenset())):
            raise Forbidden(action)
        async with self.database.transaction() as connection:
            store = RoadmapStore(connection)
            # The status as stored now, not as last read: two presses must not log twice.
            fresh = await store.tasks(view.roadmap.id, task_id)
            if not fresh:
                raise TaskNotFound(str(task_id))
            task = fresh[0]
            if task.status is status:
                return task
            now = self.clock.now()
            await store.set_status(task_id, status, now)
            audit = AuditLog(connection)
            await audit.record(
                at=now,
                actor=actor_name(person),
                action="status",
                subject="task",
                subject_id=task_id,
                field="status",
                old=task.status.value,
                new=status.value,
            )
            if comment and comment.strip():
                await audit.record(
                    at=now,
                    actor=actor_name(person),
                    action="comment",
                    subject="task",
                    subject_id=task_id,
                    new=comment.strip(),
                )
        return replace(task, status=status)

    async def mark_done(self, person: Person, task_id: int, comment: str | None = None) -> Task:
        return await self._set_status(person, task_id, Action.MARK_DONE, TaskStatus.DONE, comment)

    async def reopen(self, person: Person, task_id: int) -> Task:
        return await self._set_status(person, task_id, Action.REOPEN, TaskStatus.OPEN, None)

    async def comment(
        self, person: Person, task_id: int, text: str, *, update_id: int | None = None
    ) -> bool:
        """Add a comment to the task's history; False when this update already added it
        (a redelivered message must not comment twice)."""
        _, view = await self._view_of(task_id)
        if not may(person, Action.COMMENT, view.tree, acting=view.acting.get(task_id, frozenset())):
            raise Forbidden(Action.COMMENT)
        async with self.database.transaction() as connection:
            now = self.clock.now()
            if update_id is not None and not await PeopleStore(connection).claim_update(
                update_id, now
            ):
                return False
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(person),
                action="comment",
                subject="task",
                subject_id=task_id,
                new=text.strip(),
            )
        return True


def filter_tasks(
    scope: Scope,
    *,
    as_of: date,
    mine: bool = False,
    section: int | None = None,
    standing_filter: Standing | None = None,
) -> Sequence[Task]:
    """A scope's tasks narrowed the way the /tasks buttons narrow them."""
    chosen = scope.tasks
    if mine:
        chosen = tuple(t for t in chosen if t.id in scope.own)
    if section is not None and 0 <= section < len(scope.sections):
        chosen = tuple(t for t in chosen if t.section == scope.sections[section])
    if standing_filter is not None:
        chosen = tuple(t for t in chosen if standing(t, as_of) is standing_filter)
    return chosen
