"""Tasks as a person sees and acts on them: status for their reach, lists, cards, done/reopen.

Visibility and every action are decided by `bot.domain.access` on each call, with the task's
acting organisations worked out from the party links; handlers only show what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from zoneinfo import ZoneInfo

from bot.domain.access import Action, OrgTree, Person, Role, may, visible_organisations
from bot.domain.audience import Audience
from bot.domain.channels import EventKey
from bot.domain.deadlines import parse_deadline
from bot.domain.model import Task, TaskStatus
from bot.domain.shares import MarkState, ShareCounts, ShareState
from bot.domain.status import Standing, standing, summarise
from bot.services.clock import Clock
from bot.services.people import Forbidden, actor_name
from bot.services.roadmaps import StatusReport
from bot.services.shares import MarkOutcome, ShareLedger, ShareService, TaskShares
from bot.services.snapshots import RoadmapView, Snapshots
from storage.audit import AuditLog, Entry
from storage.db import Database
from storage.locks import lock_rows
from storage.people import PeopleStore
from storage.roadmaps import RoadmapHeader, RoadmapStore
from storage.tables import tasks as task_rows

MAX_REPORTS = 1_000


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
    shares: Mapping[int, ShareCounts]  # task id -> its shares within the person's reach


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
    shares: TaskShares | None = None  # None: nobody owes it (one status for all)
    actors: Mapping[str, str] = field(default_factory=dict)  # "person:1" -> a name
    may_agree: bool = False  # may set the date the document left to be agreed


class TaskService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        timezone: str,
        *,
        shares: ShareService | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.timezone = timezone
        # The composition root hands the bot's one ShareService in; alone (the tests, a
        # script) a TaskService keeps its own.
        self.shares = shares or ShareService(
            database, clock, snapshots, ShareLedger(database), timezone
        )
        # /status asked again before anything it reads changed: the same report. By (the
        # roadmap asked, the reach, the day, the horizon, the share marks' version), valid
        # while the snapshots hand out the same view and audience.
        self._reports: dict[tuple[object, ...], tuple[RoadmapView, Audience, StatusReport]] = {}
        # Which tasks a reach sees, by (the roadmap asked, the reach), while the snapshots
        # hand out the same view.
        self._seen: dict[tuple[object, ...], tuple[RoadmapView, Scope]] = {}

    def today(self, header: RoadmapHeader) -> date:
        return self.clock.now().astimezone(ZoneInfo(header.timezone or self.timezone)).date()

    @staticmethod
    def _own_organisations(person: Person, tree: OrgTree) -> frozenset[str]:
        own = {binding.organisation for binding in person.bindings if binding.organisation}
        if any(binding.organisation is None for binding in person.bindings):
            # Department staff: the top of the registry is their own organisation.
            own |= tree.roots
        return frozenset(own)

    async def scope(
        self,
        person: Person,
        slug: str | None = None,
        *,
        as_of: date | None = None,
        shares: bool = True,
    ) -> Scope:
        """The tasks the person sees, each with the status it has at their scope: done when
        every organisation of their reach that owes it has done (or been excused from) its
        share, open otherwise. Without `shares`, only which tasks they see."""
        view = await self.snapshots.roadmap(slug)
        if not may(person, Action.VIEW, view.tree):
            raise Forbidden(Action.VIEW)
        cached = self._seen.get((slug, person.bindings))
        if cached is not None and cached[0] is view:
            seen = cached[1]
        else:
            seen = self._seen_in(person, view)
            if len(self._seen) >= MAX_REPORTS:
                self._seen.clear()
            self._seen[(slug, person.bindings)] = (view, seen)
        if not shares:
            return seen
        visible = seen.tasks
        sections, own = seen.sections, seen.own
        day = as_of or self.today(view.roadmap)
        tallied = await self.shares.tallies(person, view, visible, day)
        scoped = tuple(_at_scope(task, tallied.get(task.id or 0)) for task in visible)
        return Scope(view.roadmap, scoped, sections, own, tallied)

    def _seen_in(self, person: Person, view: RoadmapView) -> Scope:
        """Which of the view's tasks the person sees (no shares)."""
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
        return Scope(view.roadmap, tuple(visible), sections, frozenset(own), {})

    async def status_for(
        self,
        person: Person,
        slug: str | None = None,
        *,
        as_of: date | None = None,
        horizon_days: int = 14,
    ) -> StatusReport:
        """The roadmap at a glance within the person's reach (everything, for the CLI).

        Everything it says comes from the snapshots, the share marks and the day, so a report
        is kept until one of them moves (the snapshots' view or audience is a new object, the
        marks' version or the day changed): asked again, it is not worked out again.
        """
        view = await self.snapshots.roadmap(slug)
        audience = await self.snapshots.audience(self.timezone)
        await self.shares.ledger.catch_up()
        day = as_of or self.today(view.roadmap)
        key = (slug, person.bindings, day, horizon_days, self.shares.ledger.version)
        cached = self._reports.get(key)
        if cached is not None and cached[0] is view and cached[1] is audience:
            return cached[2]
        report = await self._status(person, slug, day, horizon_days, view, audience)
        if len(self._reports) >= MAX_REPORTS:
            self._reports.clear()
        self._reports[key] = (view, audience, report)
        return report

    async def _status(
        self,
        person: Person,
        slug: str | None,
        day: date,
        horizon_days: int,
        view: RoadmapView,
        audience: Audience,
    ) -> StatusReport:
        scope = await self.scope(person, slug, as_of=day)
        parties = dict.fromkeys(
            party
            for task in scope.tasks
            if task.status is TaskStatus.OPEN
            for party in task.responsible
        )
        silent = {
            party
            for party in parties
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
            shares=scope.shares,
            tasks=scope.tasks,
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
        scope = await self.scope(person, slug, shares=False)
        return [task for task in scope.tasks if task.number == wanted]

    async def _view_of(self, task_id: int) -> tuple[Task, RoadmapView]:
        """The task and its roadmap's view; the newest roadmap first, as nearly always."""
        view = await self.snapshots.roadmap()
        task = view.task(task_id)
        if task is not None:
            return task, view
        async with self.database.transaction(write=False) as connection:
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
        today = self.today(view.roadmap)
        shares = await self.shares.shares(person, task, view, today)
        actors = await self.shares.actor_names(
            list(dict.fromkeys(entry.actor for entry in history)), view.tree
        )
        if shares is None:  # nobody owes it: one status for all, as before shares
            return TaskCard(
                task=task,
                roadmap=view.roadmap,
                acting=tuple(sorted(acting)),
                history=history,
                standing=standing(task, today),
                may_mark_done=task.status is TaskStatus.OPEN
                and may(person, Action.MARK_DONE, view.tree, acting=acting),
                may_reopen=task.status is not TaskStatus.OPEN
                and may(person, Action.REOPEN, view.tree, acting=acting),
                may_comment=may(person, Action.COMMENT, view.tree, acting=acting),
                actors=actors,
                may_agree=_may_agree(person, task, view, acting),
            )
        own_open = [s for s in shares.own if s.state in (ShareState.OPEN, ShareState.OVERDUE)]
        own_done = [s for s in shares.own if s.state in (ShareState.DONE, ShareState.EXCUSED)]
        scoped = _at_scope(task, shares.counts) if shares.counts else task
        if shares.counts is None and shares.own:
            scoped = replace(task, status=TaskStatus.OPEN if own_open else TaskStatus.DONE)
        return TaskCard(
            task=task,
            roadmap=view.roadmap,
            acting=tuple(sorted(acting)),
            history=history,
            standing=standing(scoped, today),
            may_mark_done=bool(own_open)
            and task.status is TaskStatus.OPEN
            and may(person, Action.MARK_DONE, view.tree, organisation=own_open[0].organisation),
            may_reopen=(
                may(person, Action.REOPEN, view.tree, acting=acting)
                if task.status is TaskStatus.DONE  # closed as a whole before shares
                else bool(own_done)
                and task.status is TaskStatus.OPEN
                and may(person, Action.REOPEN, view.tree, organisation=own_done[0].organisation)
            ),
            may_comment=may(person, Action.COMMENT, view.tree, acting=acting),
            shares=shares,
            actors=actors,
            may_agree=_may_agree(person, task, view, acting),
        )

    async def mark(
        self,
        person: Person,
        task_id: int,
        state: MarkState,
        *,
        organisation: str | None = None,
        everyone: bool = False,
        note: str | None = None,
        occurrence: date | None = None,
        explicit_occurrence: bool = False,
    ) -> MarkOutcome:
        """Mark shares of the task (see ShareService.mark); a task nobody owes keeps one
        status for all."""
        task, view = await self._view_of(task_id)
        closed_as_whole = task.status is TaskStatus.DONE and state is MarkState.OPEN
        if closed_as_whole or not len((await self.shares.index(view)).owed(task)):
            # A task nobody owes, or one closed for all before shares: one status for all.
            if state is MarkState.EXCUSED or organisation is not None:
                raise Forbidden(Action.EXCUSE if state is MarkState.EXCUSED else Action.MARK_DONE)
            status = TaskStatus.DONE if state is MarkState.DONE else TaskStatus.OPEN
            before = task.status
            task = await self.shares.set_task_status(person, task, view, status)
            changed = ("",) if before is not status else ()
            return MarkOutcome(task, state, changed, ())
        return await self.shares.mark(
            person,
            task,
            view,
            state,
            organisation=organisation,
            everyone=everyone,
            note=note,
            occurrence=occurrence,
            explicit_occurrence=explicit_occurrence,
        )

    async def owing_named(self, person: Person, task_id: int, query: str) -> str:
        task, view = await self._view_of(task_id)
        return await self.shares.owing_named(person, task, view, query)

    async def remind_unsettled(self, person: Person, task_id: int) -> int:
        task, view = await self._view_of(task_id)
        if not may(person, Action.VIEW, view.tree, acting=view.acting.get(task_id, frozenset())):
            raise Forbidden(Action.VIEW)
        return await self.shares.remind_unsettled(person, task, view)

    async def mark_done(
        self,
        person: Person,
        task_id: int,
        comment: str | None = None,
        *,
        organisation: str | None = None,
        everyone: bool = False,
    ) -> MarkOutcome:
        return await self.mark(
            person,
            task_id,
            MarkState.DONE,
            note=comment,
            organisation=organisation,
            everyone=everyone,
        )

    async def reopen(
        self,
        person: Person,
        task_id: int,
        *,
        organisation: str | None = None,
        everyone: bool = False,
    ) -> MarkOutcome:
        return await self.mark(
            person, task_id, MarkState.OPEN, organisation=organisation, everyone=everyone
        )

    async def agree_deadline(self, person: Person, task_id: int, text: str) -> Task:
        """Set the date of a task whose document leaves it to be agreed («по согласованию»),
        read from `text` as the deadline grammar reads orders («15.05.2023», «до 15 мая»);
        «нет» takes it back. Admins, and coordinators of the organisations acting for the
        task. A date in the document itself cannot be overridden here: re-import the order."""
        task, view = await self._view_of(task_id)
        if not _may_agree(person, task, view, view.acting.get(task_id, frozenset())):
            if task.deadline.as_written.fixed:
                raise DeadlineInDocument(task)
            raise Forbidden(Action.COMMENT)
        today = self.today(view.roadmap)
        wanted = " ".join(text.split())
        due: date | None
        if wanted.casefold() in ("нет", "снять", "none", "-"):
            due = None
        else:
            read = parse_deadline(wanted, year=today.year)
            due = read.due if read.recurrence is None else None
            if due is None:
                raise UnreadDate(wanted)
            if due < today:
                raise DateInThePast(due)
        async with self.database.transaction() as connection:
            now = self.clock.now()
            # The history's "old" is the date stored when this one is: read under the task's
            # row lock (PostgreSQL), not from the snapshot, which another writer may have
            # outdated a moment ago (another coordinator, another process).
            await lock_rows(connection, task_rows, [task_id])
            store = RoadmapStore(connection)
            stored = await store.tasks(view.roadmap.id, task_id)
            await store.set_agreed_due(task_id, due, now)
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(person),
                action="agreed",
                subject="task",
                subject_id=task_id,
                field="deadline",
                old=_agreed(stored[0] if stored else task),
                new=due.isoformat() if due else None,
            )
        found, _ = await self._view_of(task_id)
        return found

    async def comment(
        self, person: Person, task_id: int, text: str, *, event: EventKey | None = None
    ) -> bool:
        """Add a comment to the task's history; False when this event already added it
        (a redelivered message must not comment twice)."""
        _, view = await self._view_of(task_id)
        if not may(person, Action.COMMENT, view.tree, acting=view.acting.get(task_id, frozenset())):
            raise Forbidden(Action.COMMENT)
        async with self.database.transaction() as connection:
            now = self.clock.now()
            if event is not None and not await PeopleStore(connection).claim_event(event, now):
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


def _at_scope(task: Task, counts: ShareCounts | None) -> Task:
    """The task with the status it has at a scope whose shares are `counts`."""
    if counts is None or task.status is TaskStatus.CANCELLED:
        return task
    status = TaskStatus.DONE if counts.complete else TaskStatus.OPEN
    return task if task.status is status else replace(task, status=status)


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


def _agreed(task: Task) -> str | None:
    deadline = task.deadline
    return deadline.due.isoformat() if deadline.agreed and deadline.due else None


def _may_agree(person: Person, task: Task, view: RoadmapView, acting: frozenset[str]) -> bool:
    """Admins, and coordinators of organisations acting for the task, may set the date a
    document left to be agreed (and only such a date)."""
    if task.deadline.as_written.fixed:
        return False
    if any(binding.role is Role.ADMIN for binding in person.bindings):
        return True
    return any(binding.role is Role.COORDINATOR for binding in person.bindings) and may(
        person, Action.COMMENT, view.tree, acting=acting
    )


class DeadlineInDocument(Exception):
    """The document gives the task a date: it is changed by re-importing the order."""

    def __init__(self, task: Task) -> None:
        super().__init__(task.number)
        self.task = task


class UnreadDate(Exception):
    """No single date could be read from what was written."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class DateInThePast(Exception):
    def __init__(self, day: date) -> None:
        super().__init__(day.isoformat())
        self.day = day
