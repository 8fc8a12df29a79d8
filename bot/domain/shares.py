"""Each organisation's share of a task: a task owed by many is done by each of them.

A task's responsible parties act through organisations (`bot.domain.links`): "Департамент"
through the department alone, "руководители общеобразовательных организаций" through every
school. Each of those organisations owes the task — its *share* — and stands on it on its own:

- open, until someone acts for it;
- done, when its representative, a coordinator above it or an admin marks it (who, when, an
  optional comment);
- excused, when a coordinator or an admin lets it off, with a reason;
- overdue, when it is still open after the due date.

What people did is stored (a mark per organisation and task, and per occurrence for a recurring
task); who owes a task is never stored but worked out from the party links and the registry, so
re-linking a party or importing new organisations changes who owes it without losing a mark, and
nothing materialises tasks × organisations rows to answer a question.

At the region's scale (40,000 organisations, a hundred tasks) a set of organisations is held as
a mask over their registry ids: a byte per organisation for O(1) look-ups, and the same bytes
read as one integer for counting (`popcount(owed & done)`), so a roll-up costs microseconds
and memory grows with the organisations, not with the marks.

A recurring task ("еженедельно, по пятницам") has a share per occurrence: marking it done on
Wednesday settles this Friday's, and next week's is open again. Its shares are never overdue
(the next occurrence comes anyway); the one-off task's are, once its due date has passed.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.model import Task
from bot.domain.status import occurrences


class ShareState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    OVERDUE = "overdue"
    EXCUSED = "excused"


class MarkState(enum.StrEnum):
    """What a mark says (stored). OPEN is a share reopened: kept as the latest act on it."""

    DONE = "done"
    EXCUSED = "excused"
    OPEN = "open"


_CODE = {MarkState.OPEN: 0, MarkState.DONE: 1, MarkState.EXCUSED: 2}
_STATE = {code: state for state, code in _CODE.items()}
# Byte values as bit masks: a done organisation has bit 0 of its byte set, an excused one bit 1.
_DONE_BYTES = bytes(1 if code == 1 else 0 for code in range(256))
_EXCUSED_BYTES = bytes(1 if code == 2 else 0 for code in range(256))


def occurrence_of(task: Task, as_of: date) -> date | None:
    """The occurrence a share is about on `as_of`: None for a one-off task; for a recurring
    task the next occurrence on or after `as_of` (what people are working towards), or the
    last one when the series has ended."""
    deadline = task.deadline
    if deadline.recurrence is None:
        return None
    ahead = occurrences(deadline, as_of, as_of + timedelta(days=400))
    if ahead:
        return ahead[0]
    start = deadline.start or as_of - timedelta(days=400)
    past = occurrences(deadline, start, as_of)
    return past[-1] if past else None


def is_late(task: Task, as_of: date) -> bool:
    """Whether an open share of the task is overdue on `as_of` (recurring shares never are)."""
    due = task.deadline.due
    return task.deadline.recurrence is None and due is not None and due < as_of


class OrgSet:
    """A set of organisations as a mask over their registry ids (see the module's docstring)."""

    __slots__ = ("_bits", "_bytes", "_count")

    def __init__(self, data: bytes | bytearray) -> None:
        self._bytes = bytes(data)
        self._bits = int.from_bytes(self._bytes, "little")
        self._count = self._bits.bit_count()

    @classmethod
    def of(cls, ids: Iterable[int]) -> OrgSet:
        wanted = list(ids)
        data = bytearray(max(wanted, default=-1) + 1)
        for org_id in wanted:
            data[org_id] = 1
        return cls(data)

    def __contains__(self, org_id: int) -> bool:
        return 0 <= org_id < len(self._bytes) and self._bytes[org_id] == 1

    def __len__(self) -> int:
        return self._count

    def __and__(self, other: OrgSet) -> OrgSet:
        size = min(len(self._bytes), len(other._bytes))
        both = (self._bits & other._bits) & ((1 << (8 * size)) - 1) if size else 0
        return OrgSet(both.to_bytes(size, "little"))

    @property
    def bits(self) -> int:
        return self._bits

    def ids(self) -> list[int]:
        return [org_id for org_id, flag in enumerate(self._bytes) if flag]


class Marks:
    """What people did on one task (occurrence): the latest mark of each organisation."""

    __slots__ = ("_counted", "_states")

    def __init__(self) -> None:
        self._states = bytearray()
        self._counted: tuple[int, int] | None = None  # (done bits, excused bits), while valid

    def set(self, org_id: int, state: MarkState) -> None:
        if org_id >= len(self._states):
            if state is MarkState.OPEN:
                return
            self._states.extend(bytes(org_id + 1 - len(self._states)))
        self._states[org_id] = _CODE[state]
        self._counted = None

    def apply(self, changes: Iterable[tuple[int, MarkState]]) -> None:
        """Several changes in the order they were made (a ledger's catch-up)."""
        made = list(changes)
        if not made:
            return
        highest = max(org_id for org_id, _ in made)
        if highest >= len(self._states):
            self._states.extend(bytes(highest + 1 - len(self._states)))
        states, code = self._states, _CODE
        for org_id, state in made:
            states[org_id] = code[state]
        self._counted = None

    def state(self, org_id: int) -> MarkState:
        if 0 <= org_id < len(self._states):
            return _STATE[self._states[org_id]]
        return MarkState.OPEN

    def settled(self, org_id: int) -> bool:
        return 0 <= org_id < len(self._states) and self._states[org_id] != 0

    def _bits(self) -> tuple[int, int]:
        if self._counted is None:
            data = bytes(self._states)
            self._counted = (
                int.from_bytes(data.translate(_DONE_BYTES), "little"),
                int.from_bytes(data.translate(_EXCUSED_BYTES), "little"),
            )
        return self._counted

    def count(self, owed: OrgSet) -> tuple[int, int]:
        """(done, excused) among the organisations `owed`."""
        done, excused = self._bits()
        return (done & owed.bits).bit_count(), (excused & owed.bits).bit_count()

    def pending(self, owed: OrgSet) -> bytes:
        """A byte per organisation id: 1 where the organisation owes the task and has not
        settled its share (for look-ups by the thousand, as when a round is planned)."""
        done, excused = self._bits()
        rest = owed.bits & ~(done | excused)
        return rest.to_bytes((rest.bit_length() + 7) // 8, "little")

    def open_among(self, owed: OrgSet) -> list[int]:
        """Ids of the organisations `owed` whose share is still open, in id order."""
        return [org_id for org_id, flag in enumerate(self.pending(owed)) if flag]


NO_MARKS = Marks()


class Owing:
    """Which organisations still owe what a reminder is about, asked by name (the audience
    knows names) or, in bulk, by id: `pending` has a byte per organisation id, 1 while it owes."""

    __slots__ = ("ids", "pending")

    def __init__(self, pending: bytes, ids: Mapping[str, int]) -> None:
        self.pending = pending
        self.ids = ids

    def __call__(self, organisation: str) -> bool:
        org_id = self.ids.get(organisation, -1)
        return 0 <= org_id < len(self.pending) and self.pending[org_id] == 1

    def anyone(self) -> bool:
        return b"\x01" in self.pending


@dataclass(frozen=True, slots=True)
class ShareCounts:
    """How the shares of a task stand within some scope."""

    owed: int
    done: int = 0
    excused: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.owed - self.done - self.excused - self.overdue

    @property
    def settled(self) -> int:
        return self.done + self.excused

    @property
    def complete(self) -> bool:
        return self.owed > 0 and self.settled == self.owed

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.owed) if self.owed else 0

    def __add__(self, other: ShareCounts) -> ShareCounts:
        return ShareCounts(
            self.owed + other.owed,
            self.done + other.done,
            self.excused + other.excused,
            self.overdue + other.overdue,
        )


def tally(owed: OrgSet, marks: Marks, late: bool) -> ShareCounts:
    """The shares of `owed` organisations, given what they did and whether the task is late."""
    done, excused = marks.count(owed)
    unsettled = len(owed) - done - excused
    return ShareCounts(len(owed), done, excused, unsettled if late else 0)


def share_state(org_id: int, marks: Marks, late: bool) -> ShareState:
    state = marks.state(org_id)
    if state is MarkState.DONE:
        return ShareState.DONE
    if state is MarkState.EXCUSED:
        return ShareState.EXCUSED
    return ShareState.OVERDUE if late else ShareState.OPEN
