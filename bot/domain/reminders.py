"""When a task speaks up, and to whom: the reminder policy.

For an open task, on a working day `today` (the recipient's local date):
- before the due date: `before` days ahead (7, 3, 1) and on the day (0). A reminder whose day
  is not a working day comes on the last working day before it, and says how far off the due
  date truly is from there (a Friday's "1 day ahead" of a Monday says "3 days left");
- after it: on the first working day after the due date, then every `overdue_every` working
  days, `overdue_limit` times at most; it says how many calendar days late the task is;
- once more than `escalate_after` working days overdue (counted like the cadence above, so a
  weekend or a holiday does not make a task "3 days late" overnight), on the same days, the
  supervising coordinator (the responsible organisation's parent) hears of it too, with
  everything overdue below them. Never on the first overdue day: the responsible hear first;
- a task that starts on a date ("с 20.04.2023") gets a kick-off reminder on that date;
- a recurring task ("еженедельно, по пятницам") gets one for each occurrence;
- a task without a date is put to the coordinators once a week (`undated_weekday`).

Pure: dates in, items out. Sending times, recipients and delivery live elsewhere.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.model import ReminderPolicy, Task, TaskStatus
from bot.domain.status import occurrences

__all__ = [
    "Item",
    "Reason",
    "ReminderPolicy",
    "WorkCalendar",
    "escalation_for",
    "merge",
    "reminders_for",
]


class Reason(enum.StrEnum):
    BEFORE = "before"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    KICKOFF = "kickoff"
    OCCURRENCE = "occurrence"
    ESCALATION = "escalation"
    UNDATED = "undated"


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Weekends and the holidays are not working days, except the `workdays`: the Saturdays
    (and Sundays) a government transfer makes working, and any day taken back from `holidays`.
    The dates are given (see bot/workdays.py for Russia's calendar); nothing is looked up."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def last_working_on_or_before(self, day: date) -> date:
        for _ in range(60):  # no calendar has two months of holidays in a row
            if self.is_working(day):
                return day
            day -= timedelta(days=1)
        return day

    def next_working_after(self, day: date) -> date:
        for _ in range(60):
            day += timedelta(days=1)
            if self.is_working(day):
                return day
        return day

    def working_days_after(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        whole_weeks, rest = divmod((end - start).days, 7)
        count = whole_weeks * 5
        day = start + timedelta(days=whole_weeks * 7)
        for _ in range(rest):
            day += timedelta(days=1)
            count += day.weekday() < 5
        count -= sum(
            1
            for h in self.holidays
            if start < h <= end and h.weekday() < 5 and h not in self.workdays
        )
        return count + sum(1 for w in self.workdays if start < w <= end and w.weekday() >= 5)


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a digest: `task_id` speaks up today for `reason` about `day`."""

    task_id: int
    reason: Reason
    day: date  # the due, start or occurrence date the line is about
    days: int = 0  # calendar days from today to `day` (BEFORE) or from `day` to today (late)


def reminders_for(
    task: Task, today: date, policy: ReminderPolicy, calendar: WorkCalendar
) -> list[Item]:
    """What an open task says to its own people today (empty on a non-working day)."""
    if task.status is not TaskStatus.OPEN or task.id is None or not calendar.is_working(today):
        return []
    deadline = task.deadline
    items: list[Item] = []
    fires = calendar.last_working_on_or_before
    if deadline.due is not None and deadline.recurrence is None:
        due = deadline.due
        if today <= due:
            # Which offset fired only decides whether to speak; the line tells the true
            # distance (a reminder moved off a weekend is further from the due date).
            if any(fires(due - timedelta(days=n)) == today for n in policy.before):
                left = (due - today).days
                reason = Reason.DUE_TODAY if left == 0 else Reason.BEFORE
                items.append(Item(task.id, reason, due, left))
        elif _overdue_day(due, today, policy, calendar):
            items.append(Item(task.id, Reason.OVERDUE, due, (today - due).days))
    if (
        policy.kickoff
        and deadline.start is not None
        and fires(deadline.start) == today
        and (deadline.due is None or deadline.due > deadline.start)
    ):
        items.append(Item(task.id, Reason.KICKOFF, deadline.start))
    if policy.recurring and deadline.recurrence is not None:
        for day in occurrences(deadline, today, today + timedelta(days=7)):
            if fires(day) == today:
                items.append(Item(task.id, Reason.OCCURRENCE, day))
                break
    if not deadline.fixed and today.weekday() == policy.undated_weekday:
        items.append(Item(task.id, Reason.UNDATED, today))
    return items


def escalation_for(
    task: Task, today: date, policy: ReminderPolicy, calendar: WorkCalendar
) -> Item | None:
    """What an overdue task says to the coordinators above its organisations today."""
    due = task.deadline.due
    if (
        task.status is not TaskStatus.OPEN
        or task.id is None
        or due is None
        or task.deadline.recurrence is not None
        # "after 3 days overdue": working days, as the overdue cadence counts them, and never
        # on the first overdue day, when the responsible themselves hear of it first.
        or calendar.working_days_after(due, today) <= max(policy.escalate_after, 1)
        or not _overdue_day(due, today, policy, calendar)
    ):
        return None
    return Item(task.id, Reason.ESCALATION, due, (today - due).days)


def _overdue_day(due: date, today: date, policy: ReminderPolicy, calendar: WorkCalendar) -> bool:
    if not calendar.is_working(today):
        return False
    late = calendar.working_days_after(due, today)
    if late < 1:
        return False
    step, offset = divmod(late - 1, policy.overdue_every)
    return offset == 0 and step < policy.overdue_limit


def merge(items: Iterable[Item]) -> list[Item]:
    """One line per task and kind of news. When a digest covers several days (after
    downtime), the latest news wins: a person hears where things stand now ("overdue"), not
    the history of the gap ("due in 7 days", "due in 3 days", ...)."""
    latest: dict[tuple[int, str], Item] = {}
    for item in items:
        key = (item.task_id, _GROUP.get(item.reason, item.reason.value))
        if key not in latest or _progress(item) >= _progress(latest[key]):
            latest[key] = item
    return sorted(latest.values(), key=lambda item: (_ORDER[item.reason], item.day, item.task_id))


_GROUP = {Reason.BEFORE: "due", Reason.DUE_TODAY: "due", Reason.OVERDUE: "due"}


def _progress(item: Item) -> tuple[int, int, date]:
    stage = {Reason.BEFORE: 0, Reason.DUE_TODAY: 1}.get(item.reason, 2)
    return stage, -item.days if item.reason is Reason.BEFORE else item.days, item.day


_ORDER = {
    Reason.ESCALATION: 0,
    Reason.OVERDUE: 1,
    Reason.DUE_TODAY: 2,
    Reason.BEFORE: 3,
    Reason.OCCURRENCE: 4,
    Reason.KICKOFF: 5,
    Reason.UNDATED: 6,
}
