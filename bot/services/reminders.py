"""Reminder rounds: planned into the outbox from the database, composed when they are sent.

Planning (a scheduler tick, every minute): for each time zone where it is now a working day
past REMINDER_HOUR and before the quiet hours, and whose round for today is not planned yet,
work out every listener's lines — over the days since that zone's last planned round, so what
fell due during downtime is heard once, merged into one current digest — and write one outbox
row per listener and day (idempotent: the same round is never planned twice, not even by two
processes). Older rounds still waiting are superseded.

Shares (bot/domain/shares.py): a task owed by many organisations speaks only to those that
still owe it — an organisation that has done its share, or was excused, hears nothing more
about it, and an escalation lists only each coordinator's own late organisations. A recurring
task's share is per occurrence.

Composing (when the sender takes a row): the lines are checked against the tasks and shares as
they are now, so a task or share marked done, removed or given a date since planning drops out
(an escalation keeps only the organisations still late); a digest with nothing left is
cancelled, not sent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.access import Action, Person, Role, may, visible_organisations
from bot.domain.audience import Audience, Line, Listener, address, merge_lines
from bot.domain.model import OrganisationKind, Task, TaskStatus
from bot.domain.reminders import (
    Item,
    Reason,
    WorkCalendar,
    escalation_for,
    reminders_for,
)
from bot.domain.shares import Owing
from bot.services.clock import Clock
from bot.services.people import Forbidden
from bot.services.rounds import PlannedDays
from bot.services.shares import ShareIndex, ShareLedger, ShareService
from bot.services.snapshots import RoadmapView, Snapshots
from bot.services.tasks import TaskNotFound
from storage.db import Database
from storage.outbox import NewMessage, OutboxStore
from storage.roadmaps import RoadmapStore
from storage.tables import reminder_rounds

DIGEST = "digest"
MAX_CATCH_UP_DAYS = 14


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    hour: int = 10
    quiet: tuple[int, int] = (21, 8)  # no round is planned from the first hour to the second
    holidays: frozenset[date] = frozenset()
    timezone: str = "Europe/Moscow"  # for people and chats whose organisation names none
    # The working-day calendar (Russia's official one with HOLIDAYS and WORKDAYS on top, as
    # the composition root builds it); None: weekends and `holidays` only.
    calendar: WorkCalendar | None = None

    def work_calendar(self) -> WorkCalendar:
        return self.calendar or WorkCalendar(self.holidays)


@dataclass(frozen=True, slots=True)
class PlanOutcome:
    timezones: tuple[str, ...]
    listeners: int
    planned: int  # new outbox rows


def in_sending_window(local: datetime, settings: ReminderSettings) -> bool:
    quiet_start, quiet_end = settings.quiet
    hour = local.hour
    quiet = (
        quiet_start <= hour or hour < quiet_end
        if quiet_start > quiet_end
        else quiet_start <= hour < quiet_end
    )
    return hour >= settings.hour and not quiet


class ReminderPlanner:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        shares: ShareService,
        settings: ReminderSettings,
        *,
        wake_sender: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.shares = shares
        self.settings = settings
        self.calendar = settings.work_calendar()
        self.wake_sender = wake_sender
        self.rounds = PlannedDays(reminder_rounds)

    def _in_window(self, local: datetime) -> bool:
        return in_sending_window(local, self.settings)

    async def plan(self) -> PlanOutcome:
        """One tick. Cheap when nothing is due (a few dictionary look-ups)."""
        now = self.clock.now()
        audience = await self.snapshots.audience(self.settings.timezone)
        zones = {listener.timezone for listener in _everyone(audience)}
        async with self.database.transaction(write=False) as connection:
            await self.rounds.load(connection)
            due = self.rounds.due(zones, now, self.calendar, self._in_window)
            if not due:
                return PlanOutcome((), 0, 0)
            headers = await RoadmapStore(connection).headers()
        views = [await self.snapshots.roadmap(header.slug) for header in headers]
        indexes = {view.roadmap.id: await self.shares.index(view) for view in views}
        await self.shares.ledger.catch_up()
        messages: dict[str, list[NewMessage]] = {zone: [] for zone in due}
        listeners: dict[str, set[Listener]] = {zone: set() for zone in due}
        for zone, today in due.items():
            last = self.rounds.last.get(zone)
            first = (
                max(last + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS))
                if last
                else today
            )
            days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
            for view in views:
                lines = self._lines(view, indexes[view.roadmap.id], audience, days, zone)
                encoded: dict[int, str] = {}  # most listeners share most lines
                for listener, said in lines.items():
                    listeners[zone].add(listener)
                    messages[zone].append(
                        self._message(
                            view,
                            listener,
                            said,
                            today,
                            zone,
                            now,
                            indexes[view.roadmap.id].ids,
                            encoded,
                        )
                    )
        async with self.database.transaction() as connection:
            # The days first: a zone another planner recorded meanwhile is not planned twice.
            won = await self.rounds.claim(connection, due)
            wanted = [message for zone in won for message in messages[zone]]
            planned = await OutboxStore(connection).add(wanted, now)
        if planned and self.wake_sender is not None:
            self.wake_sender()
        heard = set().union(*(listeners[zone] for zone in won))
        return PlanOutcome(tuple(sorted(won)), len(heard), planned)

    def _lines(
        self,
        view: RoadmapView,
        index: ShareIndex,
        audience: Audience,
        days: list[date],
        zone: str,
    ) -> dict[Listener, list[Line]]:
        tasks = {task.id: task for task in view.tasks if task.id is not None}
        ledger = self.shares.ledger

        def owing(task: Task, item: Item) -> Owing | None:
            return still_owing(index, ledger, task, item)

        heard: defaultdict[Listener, list[Line]] = defaultdict(list)
        for day in days:
            reminders: dict[int, list[Item]] = {}
            escalations: dict[int, Item] = {}
            for task_id, task in tasks.items():
                items = reminders_for(task, day, view.policy, self.calendar)
                if items:
                    reminders[task_id] = items
                escalated = escalation_for(task, day, view.policy, self.calendar)
                if escalated is not None:
                    escalations[task_id] = escalated
            if not reminders and not escalations:
                continue
            for listener, lines in address(
                reminders, escalations, tasks, audience, view.acting, owing
            ).items():
                if listener.timezone == zone:
                    heard[listener].extend(lines)
        if len(days) == 1:  # an ordinary round: lines are as of today already
            return {listener: merge_lines(lines) for listener, lines in heard.items()}
        today = days[-1]
        counted: dict[Line, Line] = {}  # one recounted line for all who hear it
        return {
            listener: _as_of(merge_lines(lines), today, counted)
            for listener, lines in heard.items()
        }

    def _message(
        self,
        view: RoadmapView,
        listener: Listener,
        lines: list[Line],
        today: date,
        zone: str,
        now: datetime,
        ids: Mapping[str, int],
        encoded: dict[int, str],
    ) -> NewMessage:
        at_hour = datetime.combine(today, time(self.settings.hour), ZoneInfo(zone))
        head = json.dumps(
            {
                "roadmap": view.roadmap.id,
                "language": listener.language,
                "for": list(listener.organisations),
            },
            ensure_ascii=False,
        )
        body = ",".join(_encoded(line, ids, encoded) for line in lines)
        payload = f'{head[:-1]}, "lines": [{body}]}}'
        return NewMessage(
            channel=listener.channel,
            chat_id=listener.chat_id,
            person_id=listener.person_id,
            kind=f"{DIGEST}:{view.roadmap.id}",
            round=today,
            payload=payload,
            not_before=max(now, at_hour),
        )


def _encoded(line: Line, ids: Mapping[str, int], cache: dict[int, str]) -> str:
    """A digest line as JSON, encoded once per round however many hear it (by the line's
    identity: the lines of a round live until its messages are built)."""
    found = cache.get(id(line))
    if found is None:
        found = cache[id(line)] = json.dumps(
            {
                "task": line.item.task_id,
                "reason": line.item.reason.value,
                "day": line.item.day.isoformat(),
                "days": line.item.days,
                # An escalation's late organisations, by id: a coordinator's list can hold
                # hundreds of schools, and names would be most of the round's bytes.
                "below": [ids[name] for name in line.organisations if name in ids],
            }
        )
    return found


def still_owing(index: ShareIndex, ledger: ShareLedger, task: Task, item: Item) -> Owing | None:
    """Which organisations still owe what `item` is about (None: nobody has a share)."""
    owed = index.owed(task)
    if not len(owed) or task.id is None or item.reason is Reason.UNDATED:
        return None
    occurrence = item.day if item.reason is Reason.OCCURRENCE else None
    return Owing(ledger.marks(task.id, occurrence).pending(owed), index.ids)


def _as_of(lines: list[Line], today: date, counted: dict[Line, Line]) -> list[Line]:
    """Distances counted to the round's day (after downtime the latest line may be older):
    how late, how many days are left, or "due today" when the due day is the round's."""
    return [_counted(line, today, counted) for line in lines]


def _counted(line: Line, today: date, counted: dict[Line, Line]) -> Line:
    found = counted.get(line)
    if found is not None:
        return found
    item = line.item
    if item.reason in (Reason.OVERDUE, Reason.ESCALATION):
        item = replace(item, days=(today - item.day).days)
    elif item.reason in (Reason.BEFORE, Reason.DUE_TODAY):
        left = (item.day - today).days
        if left < 0:
            item = replace(item, reason=Reason.OVERDUE, days=-left)
        else:
            reason = Reason.DUE_TODAY if left == 0 else Reason.BEFORE
            item = replace(item, reason=reason, days=left)
    found = counted[line] = replace(line, item=item) if item != line.item else line
    return found


def _everyone(audience: Audience) -> set[Listener]:
    everyone: set[Listener] = set(audience.staff)
    for group in (audience.at, audience.coordinators, audience.party_chats, audience.org_chats):
        for listeners in group.values():
            everyone.update(listeners)
    return everyone


# -- composing at send time ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestLine:
    """What a digest says of one task, checked against the task as it is now.

    One line per task, however many reasons, parties or folded rounds spoke of it: `reason`
    is the reader's own most urgent news (an escalation when the task is only their
    subordinates' business); `organisations` are the late organisations below them and
    `owed_below` how many organisations there owe the task (the «15 из 40»); `occurrence` the
    occurrence a ✅ marks for a recurring task."""

    task_id: int
    number: str
    title: str
    reason: Reason
    day: date
    days: int
    organisations: tuple[str, ...]
    deadline_text: str
    owed_below: int = 0
    schools: bool = False  # everything counted below is a school: «из 40 школ»
    occurrence: date | None = None

    @property
    def escalated(self) -> bool:
        return self.reason is Reason.ESCALATION or bool(self.organisations)

    @property
    def own(self) -> bool:
        """The reader has a share of their own to mark (not only subordinates late)."""
        return self.reason is not Reason.ESCALATION


@dataclass(frozen=True, slots=True)
class Digest:
    roadmap: str  # the roadmap's title
    language: str | None
    lines: tuple[DigestLine, ...]


# Most urgent first: the order of a digest's lines, and which news of a task it tells.
URGENCY = {
    Reason.ESCALATION: 0,
    Reason.OVERDUE: 1,
    Reason.DUE_TODAY: 2,
    Reason.BEFORE: 3,
    Reason.OCCURRENCE: 4,
    Reason.KICKOFF: 5,
    Reason.UNDATED: 6,
}


def below(index: ShareIndex, task: Task, tops: Iterable[str]) -> list[str]:
    """The organisations an escalation to `tops` speaks of: those just below them that owe the
    task (as the planner's `Audience.supervisors` finds them), by name."""
    owed = index.owed(task)
    tree = index.tree
    return sorted(
        child
        for top in dict.fromkeys(tops)
        for child in tree.children.get(top, ())
        if index.ids.get(child, -1) in owed
    )


def as_of_payload(raws: list[Mapping[str, object]]) -> date | None:
    """The day a payload's newest round was planned for: each line's day and distance tell its
    round's day, and folded lines come from older rounds."""
    found: date | None = None
    for raw in raws:
        reason = Reason(str(raw["reason"]))
        day = date.fromisoformat(str(raw["day"]))
        days = int(str(raw["days"]))
        if reason in (Reason.OVERDUE, Reason.ESCALATION):
            said = day + timedelta(days=days)
        elif reason in (Reason.BEFORE, Reason.DUE_TODAY):
            said = day - timedelta(days=days)
        else:
            continue
        found = said if found is None or said > found else found
    return found


def one_per_task(lines: list[DigestLine]) -> list[DigestLine]:
    """A task said once: its most urgent news of the reader's own (an escalation only when
    they have none), with the late organisations below and the occurrence a ✅ marks; tasks
    ordered by their most urgent news."""
    by_task: dict[int, list[DigestLine]] = {}
    for line in lines:
        by_task.setdefault(line.task_id, []).append(line)
    merged = []
    for said in by_task.values():
        said.sort(key=lambda line: (URGENCY[line.reason], line.day))
        own = [line for line in said if line.reason is not Reason.ESCALATION]
        escalation = next((line for line in said if line.reason is Reason.ESCALATION), None)
        first = own[0] if own else said[0]
        occurrence = next((line.day for line in own if line.reason is Reason.OCCURRENCE), None)
        merged.append(
            (
                (URGENCY[said[0].reason], said[0].day, first.task_id),
                replace(
                    first,
                    organisations=escalation.organisations if escalation else (),
                    owed_below=escalation.owed_below if escalation else 0,
                    schools=escalation.schools if escalation else False,
                    occurrence=occurrence,
                ),
            )
        )
    return [line for _, line in sorted(merged, key=lambda pair: pair[0])]


@dataclass(frozen=True, slots=True)
class LateBelow:
    task: Task
    late: tuple[str, ...]  # by name
    owed: int  # how many organisations there owe the task


class DigestReader:
    """Turns an outbox payload back into what is still worth saying."""

    def __init__(self, snapshots: Snapshots, shares: ShareService) -> None:
        self.snapshots = snapshots
        self.shares = shares

    async def current(self, payload: str) -> Digest | None:
        data = json.loads(payload)
        view = await self._view(int(data["roadmap"]))
        if view is None:
            return None
        index = await self.shares.index(view)
        await self.shares.ledger.catch_up()
        hears_for = tuple(data.get("for", ()))
        raws = list(data["lines"])
        # Lines folded from older rounds (storage/outbox.py `fold`) count their days from
        # their own round: recounted to the newest, so a task is not both "3 days left" and
        # "2 days late".
        today = as_of_payload(raws)
        counted: dict[Line, Line] = {}
        lines = []
        for raw in raws:
            task = view.task(int(raw["task"]))
            reason = Reason(raw["reason"])
            if task is None or task.status is not TaskStatus.OPEN:
                continue  # done, cancelled or removed since planning
            if reason is Reason.UNDATED and task.deadline.fixed:
                continue  # got a date meanwhile
            item = Item(task.id or 0, reason, date.fromisoformat(raw["day"]), int(raw["days"]))
            if today is not None:
                item = _counted(Line(item), today, counted).item
            owes = still_owing(index, self.shares.ledger, task, item)
            organisations = tuple(
                index.names[org_id] for org_id in raw.get("below", ()) if org_id in index.names
            ) or tuple(raw.get("organisations", ()))  # (rows planned before ids)
            owed_below: list[str] = []
            if owes is not None:
                if item.reason is Reason.ESCALATION:
                    owed_below = below(index, task, hears_for)
                    organisations = tuple(o for o in owed_below if owes(o)) or tuple(
                        o for o in organisations if owes(o)
                    )
                    if not organisations:
                        continue  # every late organisation below has done it since
                else:
                    own = [o for o in hears_for if index.ids.get(o, -1) in index.owed(task)]
                    if own and not any(owes(o) for o in own):
                        continue  # their share is done since planning
                    if not own and not owes.anyone():
                        continue  # everyone's share is done
            tree = index.tree.by_name
            lines.append(
                DigestLine(
                    task_id=int(raw["task"]),
                    number=task.number,
                    title=task.title,
                    reason=item.reason,
                    day=item.day,
                    days=item.days,
                    organisations=organisations,
                    deadline_text=task.deadline.text,
                    owed_below=max(len(owed_below), len(organisations)),
                    schools=bool(organisations)
                    and all(
                        name in tree and tree[name].kind is OrganisationKind.SCHOOL
                        for name in owed_below or organisations
                    ),
                )
            )
        if not lines:
            return None
        return Digest(view.roadmap.title, data.get("language"), tuple(one_per_task(lines)))

    async def late_below(self, person: Person, task_id: int) -> LateBelow:
        """The «📋 список» of a digest's task: the organisations just below the person's own
        (a coordinator's body, the department for its staff) that owe the task and have not
        done it, within what the person may see. Refused (Forbidden) for a representative,
        and for a task outside the person's reach — a forged button included."""
        view = await self.snapshots.roadmap()
        task = view.task(task_id)
        if task is None:
            async with self.snapshots.database.transaction(write=False) as connection:
                headers = await RoadmapStore(connection).headers()
            for header in headers:
                other = await self.snapshots.roadmap(header.slug)
                if other.task(task_id) is not None:
                    view, task = other, other.task(task_id)
                    break
        if task is None or task.id is None:
            raise TaskNotFound(str(task_id))
        tree = view.tree
        tops = [
            binding.organisation
            for binding in person.bindings
            if binding.role in (Role.COORDINATOR, Role.ADMIN) and binding.organisation
        ]
        if any(b.role is Role.ADMIN and b.organisation is None for b in person.bindings):
            tops += sorted(tree.roots)
        acting = view.acting.get(task.id, frozenset())
        if not tops or not may(person, Action.VIEW, tree, acting=acting):
            raise Forbidden(Action.VIEW)
        index = await self.shares.index(view)
        await self.shares.ledger.catch_up()
        visible = visible_organisations(person, tree)
        names = [n for n in below(index, task, tops) if visible is None or n in visible]
        owes = Owing(self.shares.ledger.marks(task.id, None).pending(index.owed(task)), index.ids)
        late = tuple(tree.short_name(n) for n in names if owes(n))  # as lists name them
        return LateBelow(task, late, len(names))

    async def _view(self, roadmap_id: int) -> RoadmapView | None:
        newest = await self.snapshots.roadmap()
        if newest.roadmap.id == roadmap_id:
            return newest
        async with self.snapshots.database.transaction(write=False) as connection:
            headers = {h.id: h for h in await RoadmapStore(connection).headers()}
        header = headers.get(roadmap_id)
        return await self.snapshots.roadmap(header.slug) if header else None
