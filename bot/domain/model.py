"""The roadmap as its users speak of it: sections, tasks, parties, organisations, figures, targets.

Pure data: no I/O, no framework, no clock. Everything here is immutable so a value read from one
place can be handed to another without surprises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.indicators import Indicator


class TaskStatus(enum.StrEnum):
    """Where a task stands. "Overdue" is not a status: it is worked out from the deadline."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class OrganisationKind(enum.StrEnum):
    AUTHORITY = "authority"  # the department, a municipal education body, a regional coordinator
    SCHOOL = "school"
    COLLEGE = "college"
    PRESCHOOL = "preschool"
    ADDITIONAL = "additional"  # additional (out-of-school) education


class Measure(enum.StrEnum):
    """What a baseline figure counts."""

    ORGANISATIONS = "organisations"
    TEACHERS = "teachers"
    STAFF = "staff"
    PUPILS = "pupils"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A deadline as written and as understood.

    `start` and `due` are calendar dates (either may be missing); `recurrence` is an iCalendar RRULE
    such as ``FREQ=WEEKLY;BYDAY=FR``; `note` keeps a trailing condition the grammar did not turn
    into dates ("в течении 2 суток после получения"). `text` is always the original wording.
    """

    text: str
    start: date | None = None
    due: date | None = None
    recurrence: str | None = None
    note: str | None = None
    # True when `due` is not the document's: the order left the date to be agreed («по
    # согласованию») and the department set it in the bot or the CLI. A re-import keeps it.
    agreed: bool = False

    @property
    def as_written(self) -> Deadline:
        """The deadline as the document has it, without a date the department set."""
        return replace(self, due=None, agreed=False) if self.agreed else self

    @property
    def fixed(self) -> bool:
        """True when the deadline yields at least one date; False means a person must set one."""
        return self.start is not None or self.due is not None or self.recurrence is not None


@dataclass(frozen=True, slots=True)
class Party:
    """A responsible party (ответственный) with the other spellings people use for it."""

    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    title: str


@dataclass(frozen=True, slots=True)
class Task:
    """One activity (мероприятие) of a roadmap.

    `number` is kept as printed without a trailing dot; numbers may repeat (the Smolensk order has
    two rows numbered 11), so a task is identified by `id` once stored, and matched on re-import by
    number and title.
    """

    number: str
    title: str
    section: str | None
    responsible: tuple[str, ...]
    deadline: Deadline
    result: str | None = None
    status: TaskStatus = TaskStatus.OPEN
    id: int | None = None


@dataclass(frozen=True, slots=True)
class BaselineFigure:
    """A statistic the roadmap starts from: "общеобразовательных организаций – 355"."""

    scope: str
    label: str
    value: int
    kind: OrganisationKind | None = None
    measure: Measure | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """What the roadmap promises: "100% педагогических работников ... до 31 мая 2023 года"."""

    text: str
    percent: float | None = None
    value: int | None = None
    due: date | None = None


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """When tasks speak up: see bot.domain.reminders for the rules."""

    before: tuple[int, ...] = (7, 3, 1, 0)
    overdue_every: int = 2
    overdue_limit: int = 5
    escalate_after: int = 3
    kickoff: bool = True
    recurring: bool = True
    undated_weekday: int = 0  # Monday

    def __post_init__(self) -> None:
        if any(days < 0 for days in self.before):
            raise ValueError("days before the due date cannot be negative")
        if self.overdue_every < 1 or self.overdue_limit < 0 or self.escalate_after < 0:
            raise ValueError("overdue cadence must be >= 1, limits and delays >= 0")
        if not 0 <= self.undated_weekday <= 6:
            raise ValueError("undated_weekday is 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True, slots=True)
class Roadmap:
    """A whole roadmap as imported from one document."""

    title: str
    issuer: str | None = None
    document_number: str | None = None
    document_date: date | None = None
    goal: str | None = None
    timezone: str | None = None
    sections: tuple[Section, ...] = ()
    tasks: tuple[Task, ...] = ()
    parties: tuple[Party, ...] = ()
    baseline: tuple[BaselineFigure, ...] = ()
    targets: tuple[Target, ...] = ()
    slug: str | None = None
    reminders: ReminderPolicy | None = None  # None: as stored, or the default
    indicators: tuple[Indicator, ...] = ()  # weekly indicators (all versions) the roadmap defines


@dataclass(frozen=True, slots=True)
class Organisation:
    """A body that takes part: the department, a municipal education body, a school, a college.

    `short_name` is the one the registry gives, if any: lists and buttons show it, cards the full
    `name` (see bot.domain.short_names for the one made when the registry gives none)."""

    name: str
    kind: OrganisationKind
    parent: str | None = None
    teachers: int | None = None
    staff: int | None = None
    pupils: int | None = None
    timezone: str | None = None
    short_name: str | None = None
