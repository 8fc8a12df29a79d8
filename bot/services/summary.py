"""The weekly summary for the department's staff (admins): where the week left things.

Planned once a week per time zone, on SUMMARY_WEEKDAY from SUMMARY_HOUR (Monday 09:00 by
default), on a working day: a day off moves it to the next working day of the same week; after
downtime it goes when the bot is back, that week. Outside the quiet hours, like every planner.
One outbox row per admin and week: the planner remembers the week per zone, and after a restart
the outbox itself says who has this week's summary already (a row of kind ``summary:<roadmap>``
with a round in this week), so it is never planned twice.

What it says is worked out when it is sent (as the other outbox kinds), from the services that
answer /status: the indicators' totals and their change on last week (ReportService.progress),
the five municipalities furthest behind on the first indicator with a headcount, the tasks done
in the last seven days and those overdue now that were not a week ago (TaskService.status_for
today and a week ago, with the shares' tallies), and the first indicator's chart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.domain.audience import Listener
from bot.domain.model import Task, TaskStatus
from bot.domain.progress import Progress
from bot.domain.reminders import WorkCalendar
from bot.render.charts import ChartSeries
from bot.services.clock import Clock
from bot.services.reminders import ReminderSettings, in_sending_window
from bot.services.reports import PartRow, ReportService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from storage.db import Database
from storage.outbox import NewMessage, OutboxStore
from storage.roadmaps import RoadmapStore
from storage.tables import audit_log, outbox, share_marks

SUMMARY = "summary"
WEAKEST = 5


def summary_day(today: date, weekday: int, calendar: WorkCalendar) -> date | None:
    """The day of `today`'s week (Monday to Sunday) the summary goes: the first working day on
    or after `weekday`; None when the rest of that week is off."""
    monday = today - timedelta(days=today.weekday())
    for offset in range(weekday, 7):
        day = monday + timedelta(days=offset)
        if calendar.is_working(day):
            return day
    return None


class SummaryPlanner:
    """Plans the weekly summary into the outbox (a tick every minute; cheap when not due)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        snapshots: Snapshots,
        settings: ReminderSettings,
        *,
        weekday: int = 0,
        hour: int = 9,
        wake_sender: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.settings = replace(settings, hour=hour)
        self.weekday = weekday
        self.calendar = WorkCalendar(settings.holidays)
        self.wake_sender = wake_sender
        self.planned: dict[str, date] = {}  # zone -> the Monday of the week planned

    def _due(self, zones: set[str], now: datetime) -> dict[str, date]:
        found = {}
        for zone in zones:
            local = now.astimezone(ZoneInfo(zone))
            today = local.date()
            monday = today - timedelta(days=today.weekday())
            if self.planned.get(zone) == monday:
                continue
            day = summary_day(today, self.weekday, self.calendar)
            if day is None or today < day or not self.calendar.is_working(today):
                continue
            if in_sending_window(local, self.settings):
                found[zone] = today
        return found

    async def plan(self) -> int:
        """One tick: the new outbox rows (0 when nothing is due)."""
        now = self.clock.now()
        audience = await self.snapshots.audience(self.settings.timezone)
        staff = list(dict.fromkeys(audience.staff))
        due = self._due({listener.timezone for listener in staff}, now)
        if not due:
            return 0
        async with self.database.transaction() as connection:
            headers = await RoadmapStore(connection).headers()
        if not headers:
            return 0
        view = await self.snapshots.roadmap()
        kind = f"{SUMMARY}:{view.roadmap.id}"
        weeks = {zone: today - timedelta(days=today.weekday()) for zone, today in due.items()}
        async with self.database.transaction() as connection:
            rows = await connection.execute(
                select(outbox.c.channel, outbox.c.chat_id, outbox.c.round).where(
                    outbox.c.kind == kind, outbox.c.round >= min(weeks.values())
                )
            )
            had = {
                (row.channel, row.chat_id, row.round - timedelta(days=row.round.weekday()))
                for row in rows
            }
            messages = [
                self._message(listener, kind, view.roadmap.id, due[listener.timezone], now)
                for listener in staff
                if listener.timezone in due
                and (listener.channel, listener.chat_id, weeks[listener.timezone]) not in had
            ]
            planned = await OutboxStore(connection).add(messages, now)
        self.planned.update(weeks)
        if planned and self.wake_sender is not None:
            self.wake_sender()
        return planned

    def _message(
        self, listener: Listener, kind: str, roadmap_id: int, today: date, now: datetime
    ) -> NewMessage:
        at_hour = datetime.combine(today, time(self.settings.hour), ZoneInfo(listener.timezone))
        return NewMessage(
            channel=listener.channel,
            chat_id=listener.chat_id,
            person_id=listener.person_id,
            kind=kind,
            round=today,
            payload=json.dumps(
                {
                    "roadmap": roadmap_id,
                    "day": today.isoformat(),
                    "timezone": listener.timezone,
                    "language": listener.language,
                },
                ensure_ascii=False,
            ),
            not_before=max(now, at_hour),
        )


# -- composing at send time ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeeklySummary:
    roadmap: str
    day: date  # the day it is for
    language: str | None
    indicators: tuple[Progress, ...]  # each indicator's week: total, change, share, target
    weakest_of: Progress | None  # the indicator the municipalities are ranked by
    weakest: tuple[PartRow, ...]  # the municipalities furthest behind, weakest first
    tasks: int  # tasks at the reader's scope (cancelled left out)
    done: int  # of them done
    done_this_week: tuple[Task, ...]
    newly_overdue: tuple[Task, ...]
    overdue: int  # overdue now, all told
    chart: ChartSeries | None


class SummaryReader:
    """Turns a summary row back into the figures as they stand when it is sent."""

    def __init__(
        self, database: Database, snapshots: Snapshots, reports: ReportService, tasks: TaskService
    ) -> None:
        self.database = database
        self.snapshots = snapshots
        self.reports = reports
        self.tasks = tasks

    async def current(self, person_id: int | None, payload: str) -> WeeklySummary | None:
        """The summary a row planned for the person numbered `person_id` says now."""
        data = json.loads(payload)
        audience = await self.snapshots.audience(self.tasks.timezone)
        person = None if person_id is None else audience.people.get(person_id)
        if person is None or not person.is_admin:
            return None  # no longer on the staff
        view = await self.snapshots.roadmap()
        if view.roadmap.id != int(data["roadmap"]):
            return None  # another roadmap is current now: its own summary comes next week
        day = date.fromisoformat(data["day"])
        report = await self.reports.progress(person, details=True, as_of=day)
        indicators = tuple(block.progress for block in report.blocks)
        ranked = next(
            (block for block in report.blocks if any(part.denominator for part in block.parts)),
            None,
        )
        weakest: tuple[PartRow, ...] = ()
        if ranked is not None:
            # A municipality where nobody reported is furthest behind of all.
            weakest = tuple(
                sorted(
                    (part for part in ranked.parts if part.denominator),
                    key=lambda part: (part.percent is not None, part.percent or 0.0, part.name),
                )[:WEAKEST]
            )
            tree = await self.snapshots.tree()
            weakest = tuple(replace(part, name=tree.short_name(part.name)) for part in weakest)
        now_status = await self.tasks.status_for(person, as_of=day)
        before = await self.tasks.status_for(person, as_of=day - timedelta(days=7))
        was_overdue = {task.id for task in before.summary.overdue}
        newly_overdue = tuple(t for t in now_status.summary.overdue if t.id not in was_overdue)
        live = [t for t in now_status.tasks if t.status is not TaskStatus.CANCELLED]
        done = [t for t in live if t.status is TaskStatus.DONE]
        since = datetime.combine(day - timedelta(days=7), time(0), ZoneInfo(data["timezone"]))
        settled = await self._settled_since([t.id for t in done if t.id is not None], since)
        chart = None
        charted = ranked.progress if ranked is not None else (indicators[0] if indicators else None)
        if charted is not None:
            series = await self.reports.series(person, charted.indicator.code)
            chart = ChartSeries(
                title=charted.indicator.name,
                weeks=series.weeks,
                totals=series.totals,
                target=charted.target,
                target_due=charted.target_due,
                denominator=charted.denominator,
                forecast=charted.forecast,
                as_of=day,
            )
        return WeeklySummary(
            roadmap=view.roadmap.title,
            day=day,
            language=data.get("language"),
            indicators=indicators,
            weakest_of=ranked.progress if ranked is not None else None,
            weakest=weakest,
            tasks=len(live),
            done=len(done),
            done_this_week=tuple(t for t in done if t.id in settled),
            newly_overdue=newly_overdue,
            overdue=len(now_status.summary.overdue),
            chart=chart,
        )

    async def _settled_since(self, task_ids: list[int], since: datetime) -> set[int]:
        """Of these tasks (done now), those whose last share was settled, or which were closed
        as a whole, since `since`."""
        if not task_ids:
            return set()
        async with self.database.transaction(write=False) as connection:
            marks = await connection.execute(
                select(share_marks.c.task_id, func.max(share_marks.c.at))
                .where(
                    share_marks.c.task_id.in_(task_ids),
                    share_marks.c.state.in_(("done", "excused")),
                )
                .group_by(share_marks.c.task_id)
            )
            closed = await connection.execute(
                select(audit_log.c.subject_id, func.max(audit_log.c.at))
                .where(
                    audit_log.c.subject == "task",
                    audit_log.c.field == "status",
                    audit_log.c.new == TaskStatus.DONE.value,
                    audit_log.c.subject_id.in_(task_ids),
                )
                .group_by(audit_log.c.subject_id)
            )
            latest: dict[int, datetime] = {}
            for task_id, at in [*marks.all(), *closed.all()]:
                if at is not None and (task_id not in latest or at > latest[task_id]):
                    latest[task_id] = at
        return {task_id for task_id, at in latest.items() if _aware(at) >= since}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo("UTC"))
