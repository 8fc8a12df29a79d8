"""What changed between the stored roadmap and a revised document.

Tasks have no identity in a document, so they are matched the way a coordinator would compare
two printouts: the same number and title first; then the same title under a new number (rows
were renumbered); then the same number where exactly one task on each side is left (the wording
was edited). Whatever is left over was added or removed. A matched task keeps its stored id and
status, so marking done and the history survive a re-import.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace

from bot.domain.model import Task

COMPARED_FIELDS = ("number", "section", "title", "responsible", "deadline", "result")


@dataclass(frozen=True, slots=True)
class TaskChange:
    before: Task
    after: Task
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Revision:
    """`tasks` is the revised roadmap in document order: matched tasks carry the stored id and
    status, added ones have no id yet."""

    tasks: tuple[Task, ...]
    added: tuple[Task, ...]
    changed: tuple[TaskChange, ...]
    removed: tuple[Task, ...]
    kept: tuple[Task, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


_SPACE = re.compile(r"\s+")


def _title_key(task: Task) -> str:
    return _SPACE.sub(" ", task.title).strip().casefold().rstrip(".")


def _pair_by(
    key: Callable[[Task], Hashable],
    old: list[Task],
    new: list[Task],
    pairs: list[tuple[Task, Task]],
    *,
    only_unique: bool = False,
) -> tuple[list[Task], list[Task]]:
    waiting: defaultdict[Hashable, list[Task]] = defaultdict(list)
    for task in old:
        waiting[key(task)].append(task)
    if only_unique:
        new_counts: defaultdict[Hashable, int] = defaultdict(int)
        for task in new:
            new_counts[key(task)] += 1
    unmatched_new = []
    for task in new:
        candidates = waiting.get(key(task))
        if candidates and (
            not only_unique or (len(candidates) == 1 and new_counts[key(task)] == 1)
        ):
            pairs.append((candidates.pop(0), task))
        else:
            unmatched_new.append(task)
    matched = {id(before) for before, _ in pairs}
    return [task for task in old if id(task) not in matched], unmatched_new


def revise(stored: Sequence[Task], revised: Sequence[Task]) -> Revision:
    """Match `revised` (fresh from a document, no ids) against `stored` (with ids)."""
    pairs: list[tuple[Task, Task]] = []
    old, new = list(stored), list(revised)
    old, new = _pair_by(lambda t: (t.number, _title_key(t)), old, new, pairs)
    old, new = _pair_by(_title_key, old, new, pairs)
    old, new = _pair_by(lambda t: t.number, old, new, pairs, only_unique=True)

    order = {id(task): index for index, task in enumerate(revised)}
    pairs.sort(key=lambda pair: order[id(pair[1])])
    changed: list[TaskChange] = []
    kept: list[Task] = []
    carried: dict[int, Task] = {}
    for before, fresh in pairs:
        after = replace(fresh, id=before.id, status=before.status)
        carried[id(fresh)] = after
        # A date the department set for a task «по согласованию» is not the document's: the
        # document saying the same words again is no change.
        written = replace(before, deadline=before.deadline.as_written)
        fields = tuple(
            name for name in COMPARED_FIELDS if getattr(written, name) != getattr(after, name)
        )
        if fields:
            changed.append(TaskChange(before, after, fields))
        else:
            kept.append(after)
    return Revision(
        tasks=tuple(carried.get(id(task), task) for task in revised),
        added=tuple(new),
        changed=tuple(changed),
        removed=tuple(old),
        kept=tuple(kept),
    )
