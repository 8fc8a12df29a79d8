"""Collecting the weekly numbers: the question, the reminder, the coordinator's list.

For each indicator and week, in each organisation's time zone, on working days only:

* the due day (or the last working day before it), from REMINDER_HOUR: each representative of
  each reporting organisation is asked in private chat, once per organisation ("ask"); an
  education authority's own indicator is asked of its coordinators;
* the next working day: those organisations that still owe a value are asked again ("nudge");
* the working day after that: the coordinators above the organisations still owing get their
  list with a "remind them" button ("missing"); the department's staff get the organisations
  no coordinator chases.

Everything goes through the outbox, keyed by chat + kind + day, so a tick run twice, two
processes, or a restart never ask twice; and what is asked is checked again when it is sent,
so a question answered meanwhile is not sent at all.
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.access import Action, Person, Role, may, visible_organisations
from bot.domain.audience import Audience, Listener, timezone_of
from bot.domain.channels import TELEGRAM
from bot.domain.indicators import Indicator, IndicatorHistory, due_day, week_of
from bot.domain.model import OrganisationKind
from bot.domain.reminders import WorkCalendar
from bot.services.answers import MessageRef, WeeklyAnswers
from bot.services.clock import Clock
from bot.services.reminders import ReminderSettings, in_sending_window
from bot.services.reports import ReportService
from bot.services.rounds import PlannedDays
from bot.services.snapshots import Snapshots
from storage.db import Database
from storage.outbox import NewMessage, OutboxStore
from storage.roadmaps import RoadmapStore
from storage.tables import question_rounds

ASK = "ask"
NUDGE = "nudge"
MISSING = "missing"
# A school asked (by the weekly question, its nudge or a coordinator's reminder) is not
# reminded again by «🔔 Напомнить им» for this long: the press says when it was asked.
REMIND_GAP = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class CollectionOutcome:
    timezones: tuple[str, ...]
    planned: int


@dataclass(frozen=True, slots=True)
class Steps:
    """What a day is for one indicator: the week asked today, nudged, or listed missing."""

    ask: date | None = None
    nudge: date | None = None
    missing: date | None = None


def steps_on(today: date, history: IndicatorHistory, calendar: WorkCalendar) -> Steps:
    """Which step of which week falls on `today` (a working day) for this indicator."""
    weekday = history.current.weekday
    found: dict[str, date] = {}
    this_week = week_of(today)
    for week in (this_week + timedelta(days=7), this_week, this_week - timedelta(days=7)):
        if history.at(week) is None:
            continue
        due = due_day(week, weekday)
        ask = calendar.last_working_on_or_before(due)
        nudge = calendar.next_working_after(due)
        missing = calendar.next_working_after(nudge)
        for step, day in (("ask", ask), ("nudge", nudge), ("missing", missing)):
            if day == today:
                found.setdefault(step, week)
    return Steps(found.get("ask"), found.get("nudge"), found.get("missing"))


class QuestionPlanner:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        reports: ReportService,
        settings: ReminderSettings,
        *,
        wake_sender: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.reports = reports
        self.settings = settings
        self.calendar = settings.work_calendar()
        self.wake_sender = wake_sender
        self.rounds = PlannedDays(question_rounds)

    def _in_window(self, local: datetime) -> bool:
        return in_sending_window(local, self.settings)

    async def plan(self) -> CollectionOutcome:
        """One tick: cheap when no zone has a new day to plan."""
        now = self.clock.now()
        audience = await self.snapshots.audience(self.settings.timezone)
        tree = audience.tree
        zones = {timezone_of(org, tree, self.settings.timezone) for org in audience.at} | {
            self.settings.timezone
        }
        async with self.database.transaction() as connection:
            await self.rounds.load(connection)
            due = self.rounds.due(zones, now, self.calendar, self._in_window)
            if not due:
                return CollectionOutcome((), 0)
            headers = await RoadmapStore(connection).headers()
        messages: dict[str, list[NewMessage]] = {zone: [] for zone in due}
        for header in headers:
            histories = await self.snapshots.indicators(header.id)
            if not histories:
                continue
            for zone, today in due.items():
                messages[zone].extend(
                    await self._messages(header.id, histories, audience, zone, today, now)
                )
        async with self.database.transaction() as connection:
            # The days first: a zone another planner recorded meanwhile is not planned twice.
            won = await self.rounds.claim(connection, due)
            wanted = [message for zone in won for message in messages[zone]]
            planned = await OutboxStore(connection).add(wanted, now)
        if planned and self.wake_sender is not None:
            self.wake_sender()
        return CollectionOutcome(tuple(sorted(won)), planned)

    async def _messages(
        self,
        roadmap_id: int,
        histories: tuple[IndicatorHistory, ...],
        audience: Audience,
        zone: str,
        today: date,
        now: datetime,
    ) -> list[NewMessage]:
        tree = audience.tree
        ids = await self.snapshots.organisation_ids()
        asked: defaultdict[str, set[str]] = defaultdict(set)  # org -> codes
        nudged: defaultdict[str, set[str]] = defaultdict(set)
        listed: defaultdict[date, list[IndicatorHistory]] = defaultdict(list)
        in_zone = [
            name for name in tree.by_name if timezone_of(name, tree, self.settings.timezone) == zone
        ]
        for history in histories:
            steps = steps_on(today, history, self.calendar)
            if steps.ask is not None:
                version = history.at(steps.ask)
                assert version is not None
                for name in in_zone:
                    if _answering(name, audience) and version.reports(tree.by_name[name]):
                        asked[name].add(history.code)
            if steps.nudge is not None:
                owing = await self.reports.unanswered(
                    [n for n in in_zone if _answering(n, audience)],
                    due_day(steps.nudge, history.current.weekday),
                )
                for name, indicators in owing.items():
                    nudged[name].update(indicator.code for indicator in indicators)
            if steps.missing is not None:
                listed[steps.missing].append(history)
        at_hour = datetime.combine(today, time(self.settings.hour), ZoneInfo(zone))
        not_before = max(now, at_hour)
        messages = []
        # One question a message: each can be answered by a reply or its own buttons, and
        # numbered «Вопрос 1 из 2» so that numbers given in order are clear.
        order = {history.code: index for index, history in enumerate(histories)}
        for kind, wanted in ((ASK, asked), (NUDGE, nudged)):
            for name, codes in wanted.items():
                # In the roadmap's order, as /report numbers them: bare numbers fill them so.
                ordered = sorted(codes, key=lambda code: (order.get(code, len(order)), code))
                for listener in _answering(name, audience):
                    for number, code in enumerate(ordered, start=1):
                        messages.append(
                            NewMessage(
                                channel=listener.channel,
                                chat_id=listener.chat_id,
                                person_id=listener.person_id,
                                kind=f"{kind}:{ids[name]}:{code}",
                                round=today,
                                payload=json.dumps(
                                    {
                                        "roadmap": roadmap_id,
                                        "organisation": name,
                                        "indicators": [code],
                                        "position": [number, len(ordered)],
                                        "language": listener.language,
                                    },
                                    ensure_ascii=False,
                                ),
                                not_before=not_before,
                            )
                        )
        for week, owed_histories in listed.items():
            weekday = owed_histories[0].current.weekday
            owing_orgs = await self.reports.unanswered(in_zone, due_day(week, weekday))
            chasers: defaultdict[Listener, list[str]] = defaultdict(list)
            for name in sorted(owing_orgs):
                for listener in _chasers(name, audience):
                    chasers[listener].append(name)
            for listener, names in chasers.items():
                messages.append(
                    NewMessage(
                        channel=listener.channel,
                        chat_id=listener.chat_id,
                        person_id=listener.person_id,
                        kind=f"{MISSING}:{roadmap_id}",
                        round=today,
                        payload=json.dumps(
                            {
                                "roadmap": roadmap_id,
                                "due": due_day(week, weekday).isoformat(),
                                "organisations": names,
                                "language": listener.language,
                            },
                            ensure_ascii=False,
                        ),
                        not_before=not_before,
                    )
                )
        return messages

    async def asked_about(
        self, chat_id: int, message_id: int | str, channel: str = TELEGRAM
    ) -> str | None:
        """The organisation a question sent as this message was about (a reply to it)."""
        asked = await WeeklyAnswers(self.reports).question_sent_as(
            MessageRef(channel, chat_id, str(message_id))
        )
        return asked.organisation if asked is not None else None

    async def missing(self, organisations: Iterable[str], due: date) -> Missing:
        """Of `organisations`, those still owing the week due that day, each with why."""
        return await missing_standing(self.reports, self.snapshots, organisations, due)

    def _reach(self, person: Person, audience: Audience) -> list[str]:
        tree = audience.tree
        reach = visible_organisations(person, tree)
        return [
            name
            for name in (tree.by_name if reach is None else reach)
            if may(person, Action.REPORT, tree, organisation=name)
        ]

    async def owing_within(self, person: Person, due: date) -> Missing:
        """The organisations within the person's reach still owing the week due that day."""
        audience = await self.snapshots.audience(self.settings.timezone)
        return await self.missing(self._reach(person, audience), due)

    async def remind(self, person: Person, due_ordinal: int) -> Reminded:
        """A coordinator's "remind them": ask again, now, the organisations within their reach
        that still owe the week due that day — those that someone can hear, and that were not
        asked less than REMIND_GAP ago. Says who was reminded and who could not be."""
        due = date.fromordinal(due_ordinal)
        audience = await self.snapshots.audience(self.settings.timezone)
        # Those below them: a coordinator's own body (asked its own figure) is theirs to answer.
        own = {binding.organisation for binding in person.bindings}
        below = [name for name in self._reach(person, audience) if name not in own]
        found = await self.missing(below, due)
        reachable = [name for name, why in found.standing.items() if why in _HEARD]
        now = self.clock.now()
        ids = await self.snapshots.organisation_ids()
        async with self.database.transaction(write=False) as connection:
            last = await _last_asked(
                connection, {ids[name]: name for name in reachable}, now - REMIND_GAP
            )
        fresh = [name for name in reachable if name not in last]
        view = await self.snapshots.roadmap()
        messages = []
        for name in fresh:
            for listener in _answering(name, audience):
                local = now.astimezone(ZoneInfo(listener.timezone))
                messages.append(
                    NewMessage(
                        channel=listener.channel,
                        chat_id=listener.chat_id,
                        person_id=listener.person_id,
                        # One a chat per organisation and hour (the outbox's key): a double
                        # press never asks twice; REMIND_GAP keeps presses apart.
                        kind=f"{NUDGE}:{ids[name]}:r{local.hour}",
                        round=local.date(),
                        payload=json.dumps(
                            {
                                "roadmap": view.roadmap.id,
                                "organisation": name,
                                "indicators": sorted(i.code for i in found.owing[name]),
                                "language": listener.language,
                            },
                            ensure_ascii=False,
                        ),
                        not_before=now,
                    )
                )
        if messages:
            async with self.database.transaction() as connection:
                await OutboxStore(connection).add(messages, now)
            if self.wake_sender is not None:
                self.wake_sender()
        return Reminded(
            reminded=tuple(fresh),
            recently=tuple(sorted(last.items())),
            nobody=found.named(Standing.NOBODY),
            unreachable=found.named(Standing.UNREACHABLE),
            held=found.named(Standing.HELD),
        )


class Standing(enum.StrEnum):
    """Why an organisation has no report yet, as its coordinator needs to know."""

    NOBODY = "nobody"  # nobody from the organisation has joined the bot
    UNREACHABLE = "unreachable"  # people joined, but every one of them blocked the bot
    SILENT = "silent"  # joined, not answered
    HELD = "held"  # answered; the answer waits for the sender's confirmation (a draft)


_HEARD = (Standing.SILENT, Standing.HELD)  # someone there can be asked again


@dataclass(frozen=True, slots=True)
class Missing:
    owing: Mapping[str, list[Indicator]]
    standing: Mapping[str, Standing]  # in the order of names

    def named(self, standing: Standing) -> tuple[str, ...]:
        return tuple(name for name, why in self.standing.items() if why is standing)


@dataclass(frozen=True, slots=True)
class Reminded:
    """What a «🔔 Напомнить им» did: nothing owed when every tuple is empty."""

    reminded: tuple[str, ...] = ()
    recently: tuple[tuple[str, datetime], ...] = ()  # asked less than REMIND_GAP ago: when
    nobody: tuple[str, ...] = ()  # nobody from it has joined: nobody to remind
    unreachable: tuple[str, ...] = ()  # everyone who joined blocked the bot
    held: tuple[str, ...] = ()  # of those reminded: an answer waits for their confirmation

    @property
    def anything(self) -> bool:
        return bool(self.reminded or self.recently or self.nobody or self.unreachable)


async def missing_standing(
    reports: ReportService, snapshots: Snapshots, organisations: Iterable[str], due: date
) -> Missing:
    """Of `organisations`, those still owing the week due that day (sorted), and why."""
    owing = await reports.unanswered(organisations, due)
    audience = await snapshots.audience(reports.timezone)
    held = await reports.held(owing, due)
    joined = {
        binding.organisation
        for person in audience.people.values()
        for binding in person.bindings
        if binding.role is Role.REP
    }
    standing: dict[str, Standing] = {}
    for name in sorted(owing):
        if _answering(name, audience):  # its representatives, or an authority's coordinators
            standing[name] = Standing.HELD if name in held else Standing.SILENT
        elif name in joined:
            standing[name] = Standing.UNREACHABLE
        else:
            standing[name] = Standing.NOBODY
    return Missing({name: owing[name] for name in standing}, standing)


async def _last_asked(
    connection: AsyncConnection, organisations: Mapping[int, str], since: datetime
) -> dict[str, datetime]:
    """The organisations asked (the weekly question, a nudge, a reminder) since `since`, and
    when last: rows planned then and not cancelled or superseded."""
    if not organisations:
        return {}
    found: dict[str, datetime] = {}
    planned = await OutboxStore(connection).planned_since((f"{ASK}:", f"{NUDGE}:"), since)
    for kind, at in planned:
        number = kind.split(":")[1]
        name = organisations.get(int(number)) if number.isdigit() else None
        if name is not None and at > found.get(name, since):
            found[name] = at
    return found


def _answering(organisation: str, audience: Audience) -> list[Listener]:
    """Who answers an organisation's weekly questions: its representatives; for an education
    authority (which has coordinators, not representatives) its coordinators too."""
    found = list(audience.reps.get(organisation, ()))
    org = audience.tree.by_name.get(organisation)
    if org is not None and org.kind is OrganisationKind.AUTHORITY:
        found += audience.coordinators.get(organisation, ())
    return list(dict.fromkeys(found))


def _chasers(organisation: str, audience: Audience) -> list[Listener]:
    """Who chases an organisation: the coordinators of its nearest supervising body that has
    any; the department's staff when none has."""
    tree = audience.tree
    current = tree.by_name.get(organisation)
    seen: set[str] = set()
    while current is not None and current.parent and current.parent not in seen:
        seen.add(current.parent)
        above = audience.coordinators.get(current.parent)
        if above:
            return list(above)
        current = tree.by_name.get(current.parent)
    return list(audience.staff)
