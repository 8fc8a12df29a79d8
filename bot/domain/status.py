"""Where a roadmap stands on a given day: what is done, late, coming up, and what lacks a date.

Rules (a coordinator's reading of the table):
- a task is overdue when it is open and its due date is before the day asked about;
- "coming up" lists, within the horizon, due dates, start dates ("с 20.04.2023" is news on the
  20th) and the next occurrence of a recurring task ("еженедельно, по пятницам");
- a task needs a date when the deadline grammar found none ("по согласованию").
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateutil.rrule import rrule, rruleset, rrulestr

from bot.domain.model import Deadline, Task, TaskStatus


class Standing(enum.StrEnum):
    """A task's status as of a day: the stored status, with "overdue" worked out from the date."""

    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    CANCELLED = "cancelled"


class Milestone(enum.StrEnum):
    DUE = "due"
    START = "start"
    OCCURRENCE = "occurrence"


@dataclass(frozen=True, slots=True)
class Upcoming:
    day: date
    milestone: Milestone
    task: Task


@dataclass(frozen=True, slots=True)
class StatusSummary:
    as_of: date
    horizon_days: int
    total: int
    by_standing: dict[Standing, int]
    overdue: tuple[Task, ...]
    upcoming: tuple[Upcoming, ...]
    needs_date: tuple[Task, ...]


def standing(task: Task, as_of: date) -> Standing:
    if task.status is TaskStatus.DONE:
        return Standing.DONE
    if task.status is TaskStatus.CANCELLED:
        return Standing.CANCELLED
    due = task.deadline.due
    if due is not None and due < as_of:
        return Standing.OVERDUE
    return Standing.OPEN


@lru_cache(maxsize=4096)
def _rule(recurrence: str, anchor: date) -> rrule | rruleset:
    return rrulestr(recurrence, dtstart=datetime.combine(anchor, time()))


def occurrences(deadline: Deadline, first: date, last: date) -> list[date]:
    """The days a recurring deadline falls on between `first` and `last`, inclusive.

    The rule runs from the deadline's start (or `first` when it has none) and stops at its due
    date. A rule that cannot be read yields nothing rather than a guess.
    """
    if deadline.recurrence is None:
        return []
    begin = max(first, deadline.start) if deadline.start else first
    end = min(last, deadline.due) if deadline.due else last
    if begin > end:
        return []
    anchor = deadline.start or first
    try:
        rule = _rule(deadline.recurrence, anchor)
        found = rule.between(
            datetime.combine(begin, time()), datetime.combine(end, time()), inc=True
        )
    except (ValueError, TypeError):
        return []
    return [moment.date() for moment in found]


def _milestones(task: Task, first: date, last: date) -> Iterable[Upcoming]:
    deadline = task.deadline
    if deadline.start is not None and first <= deadline.start <= last:
        yield Upcoming(deadline.start, Milestone.START, task)
    if deadline.recurrence is not None:
        upcoming = occurrences(deadline, first, last)
        if upcoming:
            yield Upcoming(upcoming[0], Milestone.OCCURRENCE, task)
    elif deadline.due is not None and first <= deadline.due <= last:
        yield Upcoming(deadline.due, Milestone.DUE, task)


def summarise(tasks: Sequence[Task], as_of: date, horizon_days: int = 14) -> StatusSummary:
    standings = {id(task): standing(task, as_of) for task in tasks}
    counts = Counter(standings.values())
    overdue = sorted(
        (task for task in tasks if standings[id(task)] is Standing.OVERDUE),
        key=lambda task: task.deadline.due or as_of,  # stable: document order within a day
    )
    last = as_of + timedelta(days=horizon_days)
    upcoming = sorted(
        (
            milestone
            for task in tasks
            if standings[id(task)] is Standing.OPEN
            for milestone in _milestones(task, as_of, last)
        ),
        key=lambda item: item.day,
    )
    needs_date = tuple(
        task for task in tasks if not task.deadline.fixed and standings[id(task)] is Standing.OPEN
    )
    return StatusSummary(
        as_of=as_of,
        horizon_days=horizon_days,
        total=len(tasks),
        by_standing={kind: counts.get(kind, 0) for kind in Standing},
        overdue=tuple(overdue),
        upcoming=tuple(upcoming),
        needs_date=needs_date,
    )
