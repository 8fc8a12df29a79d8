"""Organisations' shares of tasks: marking them, and how they stand at each person's scope.

What people did lives in `share_marks`; every process keeps the latest mark of every share in a
`ShareLedger` (a byte per organisation and task occurrence, see bot/domain/shares.py), catching
up by reading the rows added since it last looked — marks are frequent (355 schools on a Friday)
and must not rebuild the snapshots, so they do not move the database's version. Who owes a task
comes from the snapshot's party links, as organisation masks built once per snapshot
(`ShareIndex`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.access import Action, OrgTree, Person, Role, may, visible_organisations
from bot.domain.audience import Audience
from bot.domain.model import Task, TaskStatus
from bot.domain.shares import (
    NO_MARKS,
    Marks,
    MarkState,
    OrgSet,
    ShareCounts,
    ShareState,
    is_late,
    occurrence_of,
    share_state,
    tally,
)
from bot.services.clock import Clock
from bot.services.people import CLI, Forbidden, actor_name, person_of
from bot.services.snapshots import RoadmapView, Snapshots
from storage.audit import AuditLog
from storage.db import Database
from storage.locks import lock_rows
from storage.outbox import NewMessage, OutboxStore
from storage.people import PeopleStore
from storage.roadmaps import RoadmapStore
from storage.shares import MarkEvent, MarkRecord, ShareStore
from storage.tables import tasks as task_rows

NOTICE = "notice"
MAX_TALLIES = 1_000
NUDGE = "share"  # a coordinator's «напомнить им»: one per chat, task and day
ACTIONS = {
    MarkState.DONE: Action.MARK_DONE,
    MarkState.OPEN: Action.REOPEN,
    MarkState.EXCUSED: Action.EXCUSE,
}


class NotOwed(Exception):
    """The organisation does not owe this task: there is no share to mark."""

    def __init__(self, organisation: str) -> None:
        super().__init__(organisation)
        self.organisation = organisation


class NoOwnShare(Exception):
    """The person's own organisation does not owe the task; `within` organisations of their
    reach do (a coordinator marks one of them, or all after a confirmation)."""

    def __init__(self, task: Task, within: int) -> None:
        super().__init__(task.number)
        self.task = task
        self.within = within


class ReasonNeeded(Exception):
    """An organisation is excused only with a reason."""


class OrganisationNotFound(Exception):
    """No organisation owing the task (within the person's reach) answers to the name;
    `matches` lists them when several do."""

    def __init__(self, name: str, matches: Sequence[str] = ()) -> None:
        super().__init__(name)
        self.name = name
        self.matches = tuple(matches)


# -- the ledger --------------------------------------------------------------------------------


class ShareLedger:
    """The latest mark of every share, in memory, caught up from the database on each read."""

    def __init__(self, database: Database, *, max_age: float = 1.0) -> None:
        self.database = database
        self.max_age = max_age  # how stale another process's mark may be, in seconds
        self._marks: dict[tuple[int, date | None], Marks] = {}
        self._seen = 0  # the last mark's id read: what derived caches are keyed by
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def catch_up(self, *, now: bool = False) -> None:
        """Read the marks added since the last look: at once when `now` (after our own mark),
        otherwise at most every `max_age` seconds (as the snapshots notice other processes)."""
        if not now and time.monotonic() - self._checked_at < self.max_age:
            return
        async with self._lock:
            self._checked_at = time.monotonic()
            async with self.database.transaction(write=False) as connection:
                changes = await ShareStore(connection).since(self._seen)
            for key, made in changes.by_task.items():
                marks = self._marks.get(key)
                if marks is None:
                    marks = self._marks[key] = Marks()
                marks.apply(made)
            self._seen = changes.last

    @property
    def version(self) -> int:
        return self._seen

    def marks(self, task_id: int, occurrence: date | None) -> Marks:
        return self._marks.get((task_id, occurrence), NO_MARKS)


# -- organisations as masks, per snapshot --------------------------------------------------------


class ShareIndex:
    """Who owes each task of a roadmap view, and the registry's subtrees, as masks over ids."""

    def __init__(self, view: RoadmapView, ids: Mapping[str, int]) -> None:
        self.view = view
        self.ids = ids
        self.names = {org_id: name for name, org_id in ids.items()}
        self._owed: dict[tuple[str, ...], OrgSet] = {}
        self._subtrees: dict[str, OrgSet] = {}
        self._reach: dict[tuple[object, ...], OrgSet | None] = {}

    @property
    def tree(self) -> OrgTree:
        return self.view.tree

    def owed(self, task: Task) -> OrgSet:
        found = self._owed.get(task.responsible)
        if found is None:
            acting = self.view.acting.get(task.id or 0, frozenset())
            found = OrgSet.of(self.ids[name] for name in acting if name in self.ids)
            self._owed[task.responsible] = found
        return found

    def subtree(self, organisation: str) -> OrgSet:
        found = self._subtrees.get(organisation)
        if found is None:
            names = self.tree.subtree(organisation)
            found = OrgSet.of(self.ids[name] for name in names if name in self.ids)
            self._subtrees[organisation] = found
        return found

    def reach(self, person: Person) -> OrgSet | None:
        """What the person may see, as a mask; None for the whole region."""
        key = tuple(person.bindings)
        if key not in self._reach:
            visible = visible_organisations(person, self.tree)
            self._reach[key] = (
                None
                if visible is None
                else OrgSet.of(self.ids[name] for name in visible if name in self.ids)
            )
        return self._reach[key]

    def own(self, person: Person) -> list[str]:
        """The organisations a person acts for in their own name: a representative's school, a
        coordinator's body, the department for its staff."""
        own = [b.organisation for b in person.bindings if b.organisation]
        if any(b.organisation is None and b.role is Role.ADMIN for b in person.bindings):
            own += sorted(name for name, org in self.tree.by_name.items() if org.parent is None)
        return list(dict.fromkeys(own))


# -- what people see ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnShare:
    organisation: str
    state: ShareState
    by: str | None  # who did it, as people read it
    at: datetime | None
    note: str | None


@dataclass(frozen=True, slots=True)
class TaskShares:
    """A task's shares as one person sees them on a day."""

    occurrence: date | None
    late: bool
    own: tuple[OwnShare, ...]  # the person's own organisations that owe it
    counts: ShareCounts | None  # the roll-up at the person's scope (coordinators, admins)
    groups: tuple[tuple[str, ShareCounts], ...]  # by the organisations just below the scope
    unsettled: tuple[str, ...]  # those of the scope still owing it, by name
    may_mark_all: bool


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    task: Task
    state: MarkState
    changed: tuple[str, ...]
    already: tuple[OwnShare, ...]  # already so: who did it and when


def describe_actor(actor: str, names: Mapping[int, Person], tree: OrgTree) -> str:
    """«Иванова И. И., МБОУ СШ № 1 г. Вязьмы» for "person:4005": people see names, never ids."""
    number = person_of(actor)
    person = None if number is None else names.get(number)
    if person is None:
        return actor
    places = [b.organisation for b in person.bindings if b.organisation in tree.by_name]
    return ", ".join([person.name, *places[:1]])


class ShareService:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        ledger: ShareLedger,
        timezone: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.ledger = ledger
        self.timezone = timezone
        self._indexes: dict[int, ShareIndex] = {}
        # Tallies asked again (every /status) before anything changed: by (the view, the
        # ledger's version, the reach, the day, the tasks asked).
        self._tallies: dict[tuple[object, ...], tuple[RoadmapView, dict[int, ShareCounts]]] = {}

    async def index(self, view: RoadmapView) -> ShareIndex:
        cached = self._indexes.get(view.roadmap.id)
        if cached is None or cached.view is not view:
            cached = ShareIndex(view, await self.snapshots.organisation_ids())
            self._indexes[view.roadmap.id] = cached
        return cached

    def today(self, view: RoadmapView) -> date:
        zone = ZoneInfo(view.roadmap.timezone or self.timezone)
        return self.clock.now().astimezone(zone).date()

    async def tallies(
        self, person: Person, view: RoadmapView, tasks: Sequence[Task], as_of: date
    ) -> dict[int, ShareCounts]:
        """Each task's shares within the person's reach (tasks nobody owes are left out)."""
        await self.ledger.catch_up()
        index = await self.index(view)
        key = (
            view.roadmap.id,
            self.ledger.version,
            tuple(person.bindings),
            as_of,
            tuple(task.id for task in tasks),
        )
        cached = self._tallies.get(key)
        if cached is not None and cached[0] is view:
            return cached[1]
        reach = index.reach(person)
        found: dict[int, ShareCounts] = {}
        for task in tasks:
            if task.id is None:
                continue
            owed = index.owed(task)
            if reach is not None:
                owed = owed & reach
            if not len(owed):
                continue
            if task.status is TaskStatus.DONE:  # closed as a whole (before shares)
                found[task.id] = ShareCounts(len(owed), len(owed))
                continue
            marks = self.ledger.marks(task.id, occurrence_of(task, as_of))
            found[task.id] = tally(owed, marks, is_late(task, as_of))
        if len(self._tallies) >= MAX_TALLIES:
            self._tallies.clear()
        self._tallies[key] = (view, found)
        return found

    async def shares(
        self, person: Person, task: Task, view: RoadmapView, as_of: date
    ) -> TaskShares | None:
        """The task's shares for its card: the person's own, and the roll-up for those who see
        more than one organisation. None when no organisation owes the task."""
        await self.ledger.catch_up()
        index = await self.index(view)
        owed = index.owed(task)
        if not len(owed) or task.id is None:
            return None
        occurrence = occurrence_of(task, as_of)
        late = is_late(task, as_of)
        marks = self.ledger.marks(task.id, occurrence)
        own_names = [name for name in index.own(person) if index.ids.get(name, -1) in owed]
        # Who marked and when is read only for shares the ledger shows as settled.
        settled = [index.ids[name] for name in own_names if marks.settled(index.ids[name])]
        records: dict[int, MarkRecord] = {}
        if settled:
            async with self.database.transaction(write=False) as connection:
                records = await ShareStore(connection).records(task.id, occurrence, settled)
        names = await self._people(r.actor for r in records.values())
        own = tuple(
            self._own(name, index.ids[name], records, marks, late, task, names, index.tree)
            for name in own_names
        )
        reach = index.reach(person)
        wide = reach is None or len(reach) > 1
        if not wide:
            return TaskShares(occurrence, late, own, None, (), (), False)
        scoped = owed if reach is None else owed & reach
        counts = (
            ShareCounts(len(scoped), len(scoped))
            if task.status is TaskStatus.DONE
            else tally(scoped, marks, late)
        )
        groups = tuple(
            (name, tally(scoped & index.subtree(name), marks, late))
            for name in self._below_scope(person, index)
            if len(scoped & index.subtree(name))
        )
        unsettled = tuple(sorted(index.names[i] for i in marks.open_among(scoped)))
        may_all = bool(unsettled) and all(
            may(person, Action.MARK_DONE, index.tree, organisation=name) for name in unsettled[:1]
        )
        return TaskShares(occurrence, late, own, counts, groups, unsettled, may_all)

    @staticmethod
    def _below_scope(person: Person, index: ShareIndex) -> list[str]:
        """The organisations just below the person's scope (municipalities for the department,
        when there is more than one of them)."""
        tops: list[str] = []
        for binding in person.bindings:
            if binding.organisation is None:
                tops += [n for n, org in index.tree.by_name.items() if org.parent is None]
            elif binding.role is not Role.REP:
                tops.append(binding.organisation)
        below = [
            child
            for top in dict.fromkeys(tops)
            for child in sorted(index.tree.children.get(top, ()))
            if index.tree.children.get(child)
        ]
        return below if len(below) > 1 else []

    def _own(
        self,
        organisation: str,
        org_id: int,
        records: Mapping[int, MarkRecord],
        marks: Marks,
        late: bool,
        task: Task,
        names: Mapping[int, Person],
        tree: OrgTree,
    ) -> OwnShare:
        if task.status is TaskStatus.DONE:
            return OwnShare(organisation, ShareState.DONE, None, None, None)
        state = share_state(org_id, marks, late)
        record = records.get(org_id)
        if record is None or record.state is MarkState.OPEN:
            return OwnShare(organisation, state, None, None, None)
        by = describe_actor(record.actor, names, tree)
        return OwnShare(organisation, state, by, record.at, record.note)

    async def _people(self, actors: Iterable[str]) -> Mapping[int, Person]:
        """The people behind "person:N" actors: the bound ones from the audience snapshot (no
        query), anyone else (no longer bound) from the database."""
        ids = {number for number in map(person_of, actors) if number is not None}
        if not ids:
            return {}
        known = (await self.snapshots.audience(self.timezone)).people
        missing = ids - known.keys()
        if not missing:
            return known
        found = dict(known)
        async with self.database.transaction(write=False) as connection:
            store = PeopleStore(connection)
            for person_id in sorted(missing):
                person = await store.get(person_id)
                if person is not None:
                    found[person_id] = person
        return found

    async def actor_names(self, actors: Sequence[str], tree: OrgTree) -> dict[str, str]:
        """How people read each actor of a history (names, never ids)."""
        people = await self._people(actors)
        return {actor: describe_actor(actor, people, tree) for actor in actors}

    # -- marking -------------------------------------------------------------------------------

    async def targets(
        self,
        person: Person,
        task: Task,
        view: RoadmapView,
        state: MarkState,
        *,
        organisation: str | None = None,
        everyone: bool = False,
    ) -> list[str]:
        """The organisations a mark would be put on; refuses what the person may not do."""
        index = await self.index(view)
        owed = index.owed(task)
        action = ACTIONS[state]
        if organisation is not None:
            if index.ids.get(organisation, -1) not in owed:
                raise NotOwed(organisation)
            if not may(person, action, index.tree, organisation=organisation):
                raise Forbidden(action)
            if (
                state is MarkState.EXCUSED
                and organisation in index.own(person)
                and not person.is_admin
            ):
                raise Forbidden(action)  # nobody excuses themselves
            return [organisation]
        reach = index.reach(person)
        if everyone:
            if not any(b.role in (Role.ADMIN, Role.COORDINATOR) for b in person.bindings):
                raise Forbidden(action)
            scoped = owed if reach is None else owed & reach
            chosen = [index.names[i] for i in scoped.ids()]
            if not chosen:
                raise Forbidden(action)
            return sorted(
                name for name in chosen if may(person, action, index.tree, organisation=name)
            )
        own = [name for name in index.own(person) if index.ids.get(name, -1) in owed]
        own = [name for name in own if may(person, action, index.tree, organisation=name)]
        if not own:
            if not may(person, Action.VIEW, index.tree, acting=view.acting.get(task.id or 0)):
                raise Forbidden(action)
            within = owed if reach is None else owed & reach
            if not len(within) or not may(person, action, index.tree):
                raise Forbidden(action)
            raise NoOwnShare(task, len(within))
        return own

    async def mark(
        self,
        person: Person,
        task: Task,
        view: RoadmapView,
        state: MarkState,
        *,
        organisation: str | None = None,
        everyone: bool = False,
        note: str | None = None,
        occurrence: date | None = None,
        explicit_occurrence: bool = False,
    ) -> MarkOutcome:
        """Mark the shares of the person's own organisation (by default), of one organisation,
        or of every organisation of their reach that owes the task. Shares already so are
        left be (and said so); nothing is changed when any target is refused."""
        if task.id is None:
            raise NotOwed(organisation or "")
        if state is MarkState.EXCUSED and not (note and note.strip()):
            raise ReasonNeeded
        index = await self.index(view)
        names = await self.targets(
            person, task, view, state, organisation=organisation, everyone=everyone
        )
        as_of = self.today(view)
        if not explicit_occurrence:
            occurrence = occurrence_of(task, as_of)
        now = self.clock.now()
        ids = [index.ids[name] for name in names]
        actor = actor_name(person)
        audience = await self.snapshots.audience(self.timezone)
        async with self.database.transaction() as connection:
            # What is marked follows from the marks read: on PostgreSQL the task's row is
            # locked first, so two marks of its shares at once are taken one after the other
            # (the second sees the first's; the history's "old" is what was there).
            await lock_rows(connection, task_rows, [task.id])
            store = ShareStore(connection)
            records = await store.records(task.id, occurrence, ids)
            before = {
                org_id: records[org_id].state if org_id in records else MarkState.OPEN
                for org_id in ids
            }
            changed_ids = [org_id for org_id in ids if before[org_id] is not state]
            if changed_ids:
                await store.put(
                    task.id, occurrence, changed_ids, state, actor=actor, at=now, note=note
                )
                await AuditLog(connection).record_many(
                    [
                        {
                            "at": now,
                            "actor": actor,
                            "action": "share",
                            "subject": "share",
                            "subject_id": task.id,
                            "field": index.names[org_id],
                            "old": before[org_id].value,
                            "new": state.value
                            + (f" ({occurrence.isoformat()})" if occurrence else "")
                            + (f": {note.strip()}" if note and note.strip() else ""),
                        }
                        for org_id in changed_ids
                    ]
                )
                notices = self._notices(
                    view, [index.names[i] for i in changed_ids], person, audience, now
                )
                if notices:
                    await OutboxStore(connection).add(notices, now)
        # "All of mine" passes over those already so; a mark on one organisation says who did it.
        already_records = (
            [] if everyone else [records[i] for i in ids if i not in changed_ids and i in records]
        )
        people = await self._people(r.actor for r in already_records)
        already = tuple(
            OwnShare(
                index.names[r.organisation_id],
                ShareState.DONE if r.state is MarkState.DONE else ShareState.EXCUSED,
                describe_actor(r.actor, people, index.tree),
                r.at,
                r.note,
            )
            for r in already_records
            if r.state is not MarkState.OPEN
        )
        await self.ledger.catch_up(now=True)
        return MarkOutcome(task, state, tuple(index.names[i] for i in changed_ids), already)

    async def set_task_status(
        self, person: Person, task: Task, view: RoadmapView, status: TaskStatus
    ) -> Task:
        """A task no organisation owes keeps one status for all (the department's)."""
        action = Action.MARK_DONE if status is TaskStatus.DONE else Action.REOPEN
        if not may(person, action, view.tree, acting=view.acting.get(task.id or 0, frozenset())):
            raise Forbidden(action)
        assert task.id is not None
        async with self.database.transaction() as connection:
            await lock_rows(connection, task_rows, [task.id])  # the status read stays true
            store = RoadmapStore(connection)
            fresh = await store.tasks(view.roadmap.id, task.id)
            if not fresh or fresh[0].status is status:
                return fresh[0] if fresh else task
            now = self.clock.now()
            await store.set_status(task.id, status, now)
            await AuditLog(connection).record(
                at=now,
                actor=actor_name(person),
                action="status",
                subject="task",
                subject_id=task.id,
                field="status",
                old=fresh[0].status.value,
                new=status.value,
            )
        return replace(fresh[0], status=status)

    async def owing_named(self, person: Person, task: Task, view: RoadmapView, query: str) -> str:
        """The one organisation of the person's reach owing the task that `query` names."""
        index = await self.index(view)
        owed = index.owed(task)
        reach = index.reach(person)
        scoped = owed if reach is None else owed & reach
        names = frozenset(index.names[i] for i in scoped.ids())
        exact = index.tree.exact(query)
        if exact is not None and exact in names:
            return exact
        found = index.tree.search(query, within=names)
        if len(found) == 1:
            return found[0]
        raise OrganisationNotFound(query, sorted(found)[:10])

    async def remind_unsettled(self, person: Person, task: Task, view: RoadmapView) -> int:
        """«Напомнить им»: a reminder now to everyone who hears for an organisation of the
        person's reach still owing the task (once a day per chat and task). How many chats."""
        await self.ledger.catch_up()
        index = await self.index(view)
        if not any(b.role in (Role.ADMIN, Role.COORDINATOR) for b in person.bindings):
            raise Forbidden(Action.MARK_DONE)
        if task.id is None:
            return 0
        owed = index.owed(task)
        reach = index.reach(person)
        scoped = owed if reach is None else owed & reach
        as_of = self.today(view)
        occurrence = occurrence_of(task, as_of)
        unsettled = self.ledger.marks(task.id, occurrence).open_among(scoped)
        audience = await self.snapshots.audience(self.timezone)
        now = self.clock.now()
        messages: dict[int, NewMessage] = {}
        for org_id in unsettled:
            name = index.names[org_id]
            for listener in (*audience.at.get(name, ()), *audience.org_chats.get(name, ())):
                messages.setdefault(
                    listener.chat_id,
                    NewMessage(
                        channel=listener.channel,
                        chat_id=listener.chat_id,
                        person_id=listener.person_id,
                        kind=f"{NUDGE}:{task.id}",
                        round=as_of,
                        payload=json.dumps(
                            {
                                "roadmap": view.roadmap.id,
                                "task": task.id,
                                "occurrence": occurrence.isoformat() if occurrence else None,
                                "language": listener.language,
                                "for": list(listener.organisations),
                            },
                            ensure_ascii=False,
                        ),
                        not_before=now,
                    ),
                )
        async with self.database.transaction() as connection:
            return await OutboxStore(connection).add(list(messages.values()), now)

    async def nudge(self, payload: str) -> Nudge | None:
        """What a «напомнить им» row says now; None when their share is done meanwhile."""
        data = json.loads(payload)
        view = await self.snapshots.roadmap()
        task = view.task(int(data["task"]))
        if view.roadmap.id != int(data["roadmap"]) or task is None:
            return None
        await self.ledger.catch_up()
        index = await self.index(view)
        occurrence = date.fromisoformat(data["occurrence"]) if data.get("occurrence") else None
        marks = self.ledger.marks(task.id or 0, occurrence)
        owed = index.owed(task)
        own = [index.ids[o] for o in data.get("for", ()) if index.ids.get(o, -1) in owed]
        if task.status is not TaskStatus.OPEN or not any(not marks.settled(i) for i in own):
            return None
        return Nudge(task, data.get("language"))

    # -- notices to coordinators ----------------------------------------------------------------

    def _notices(
        self,
        view: RoadmapView,
        organisations: Sequence[str],
        person: Person,
        audience: Audience,
        now: datetime,
    ) -> list[NewMessage]:
        """One notice per coordinator above the changed organisations and hour: planned once
        (the outbox keeps one row per chat, kind and day), composed when sent from the marks
        made in that hour."""
        parents = {
            view.tree.by_name[name].parent
            for name in organisations
            if name in view.tree.by_name and view.tree.by_name[name].parent
        }
        roots = {name for name, org in view.tree.by_name.items() if org.parent is None}
        messages = []
        for parent in sorted(p for p in parents if p):
            listeners = audience.coordinators.get(parent, ())
            if not listeners and parent in roots:
                listeners = audience.staff
            for listener in listeners:
                if listener.person_id == person.id and person is not CLI:
                    continue  # they did it themselves
                zone = ZoneInfo(listener.timezone)
                local = now.astimezone(zone)
                start = local.replace(minute=0, second=0, microsecond=0)
                until = start + timedelta(hours=1)
                messages.append(
                    NewMessage(
                        channel=listener.channel,
                        chat_id=listener.chat_id,
                        person_id=listener.person_id,
                        kind=f"{NOTICE}:{start.hour:02d}",
                        round=start.date(),
                        payload=json.dumps(
                            {
                                "roadmap": view.roadmap.id,
                                "organisation": parent,
                                "language": listener.language,
                                "since": start.isoformat(),
                                "until": until.isoformat(),
                            },
                            ensure_ascii=False,
                        ),
                        not_before=until,
                    )
                )
        return messages

    async def notice(self, payload: str) -> Notice | None:
        """What a planned notice says now: the marks of that hour below the organisation, and
        the tasks that everyone below has now done. None when nothing is left to say."""
        data = json.loads(payload)
        view = await self.snapshots.roadmap()
        if view.roadmap.id != int(data["roadmap"]):
            return None
        index = await self.index(view)
        parent = str(data["organisation"])
        below = index.subtree(parent)
        ids = [i for i in below.ids() if index.names.get(i) != parent]
        async with self.database.transaction(write=False) as connection:
            events = await ShareStore(connection).changes(
                ids, datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["until"])
            )
        if not events:
            return None
        people = await self._people(e.actor for e in events)
        await self.ledger.catch_up()
        as_of = self.today(view)
        latest: dict[tuple[int, str], MarkEvent] = {}
        for event in events:
            latest[(event.task_id, event.organisation)] = event
        lines = []
        complete = []
        for (task_id, organisation), event in latest.items():
            task = view.task(task_id)
            if task is None:
                continue
            lines.append(
                NoticeLine(
                    task.number,
                    task.title,
                    organisation,
                    event.state,
                    describe_actor(event.actor, people, index.tree),
                )
            )
        for task_id in dict.fromkeys(task_id for task_id, _ in latest):
            task = view.task(task_id)
            if task is None:
                continue
            owed = index.owed(task) & below
            counts = tally(owed, self.ledger.marks(task_id, occurrence_of(task, as_of)), False)
            if counts.complete:
                complete.append((task.number, task.title, counts.owed))
        return Notice(
            view.roadmap.title, parent, data.get("language"), tuple(lines), tuple(complete)
        )


@dataclass(frozen=True, slots=True)
class Nudge:
    task: Task
    language: str | None


@dataclass(frozen=True, slots=True)
class NoticeLine:
    number: str
    title: str
    organisation: str
    state: MarkState
    by: str


@dataclass(frozen=True, slots=True)
class Notice:
    roadmap: str
    organisation: str
    language: str | None
    lines: tuple[NoticeLine, ...]
    complete: tuple[tuple[str, str, int], ...]  # (number, title, how many) everyone below did
