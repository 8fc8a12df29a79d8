"""Our own YAML form of a roadmap: lossless, and readable enough to edit by hand.

Every field of every dataclass is written, `None` as `null`, dates in ISO form, enums by value,
in the dataclasses' own field order, so `load_roadmap(dump_roadmap(r), path) == r` holds for any
roadmap. Weekly indicators, when a roadmap defines any, are written last, in the form of
bot.importers.indicators. Loading is strict: an unknown key, a missing title or a value of the
wrong type is a DocumentError BAD_YAML that says where ("tasks[3].deadline.due: expected a date,
got 'завтра'").
"""

from __future__ import annotations

import enum
import reprlib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from bot.domain.model import (
    BaselineFigure,
    Deadline,
    Measure,
    OrganisationKind,
    Party,
    ReminderPolicy,
    Roadmap,
    Section,
    Target,
    Task,
    TaskStatus,
)
from bot.importers.errors import DocumentError, Problem
from bot.importers.limits import ROADMAP
from bot.importers.text import strip_controls

FORMAT = "roadmap-bot/1"

_E = TypeVar("_E", bound=enum.Enum)
_T = TypeVar("_T")


# --- dumping ---------------------------------------------------------------------------------


def _enum(value: enum.Enum | None) -> str | None:
    return None if value is None else str(value.value)


def _deadline(deadline: Deadline) -> dict[str, object]:
    # The document's deadline: a date the department set («по согласованию») lives in the
    # database and survives re-imports of this file.
    deadline = deadline.as_written
    return {
        "text": deadline.text,
        "start": deadline.start,
        "due": deadline.due,
        "recurrence": deadline.recurrence,
        "note": deadline.note,
    }


def _task(task: Task) -> dict[str, object]:
    return {
        "id": task.id,
        "number": task.number,
        "title": task.title,
        "section": task.section,
        "responsible": list(task.responsible),
        "deadline": _deadline(task.deadline),
        "result": task.result,
        "status": _enum(task.status),
    }


# Characters YAML reads as line breaks (or a byte-order mark) that PyYAML would write raw in a
# plain or single-quoted scalar, where they come back as spaces: only double quotes escape them.
_UNSAFE_RAW = frozenset("\x85\u2028\u2029\ufeff\r")


class _Dumper(yaml.SafeDumper):
    pass


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if _UNSAFE_RAW.intersection(text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def _policy(policy: ReminderPolicy) -> dict[str, object]:
    return {
        "before": list(policy.before),
        "overdue_every": policy.overdue_every,
        "overdue_limit": policy.overdue_limit,
        "escalate_after": policy.escalate_after,
        "kickoff": policy.kickoff,
        "recurring": policy.recurring,
        "undated_weekday": policy.undated_weekday,
    }


def dump_roadmap(roadmap: Roadmap) -> str:
    """The roadmap as YAML text (UTF-8 friendly: Cyrillic is written as is)."""
    document: dict[str, object] = {
        "format": FORMAT,
        "title": roadmap.title,
        "issuer": roadmap.issuer,
        "document_number": roadmap.document_number,
        "document_date": roadmap.document_date,
        "goal": roadmap.goal,
        "timezone": roadmap.timezone,
        "slug": roadmap.slug,
        "sections": [{"title": section.title} for section in roadmap.sections],
        "parties": [
            {"name": party.name, "aliases": list(party.aliases)} for party in roadmap.parties
        ],
        "baseline": [
            {
                "scope": figure.scope,
                "label": figure.label,
                "value": figure.value,
                "kind": _enum(figure.kind),
                "measure": _enum(figure.measure),
            }
            for figure in roadmap.baseline
        ],
        "targets": [
            {
                "text": target.text,
                "percent": target.percent,
                "value": target.value,
                "due": target.due,
            }
            for target in roadmap.targets
        ],
        "tasks": [_task(task) for task in roadmap.tasks],
    }
    if roadmap.reminders is not None:
        document["reminders"] = _policy(roadmap.reminders)
    if roadmap.indicators:
        # Imported here: the indicator form is read with this module's Reader.
        from bot.importers.indicators import dump_indicator

        document["indicators"] = [dump_indicator(indicator) for indicator in roadmap.indicators]
    return yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )


# --- loading ---------------------------------------------------------------------------------


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict = 2, 4, 4
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlong = 60, 60, 40


def kind_name(value: object) -> str:
    """What a value is, for an error message: a line's worth of it, whatever its size."""
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {_SHOWN.repr(value)}"


# --- reading YAML safely -------------------------------------------------------------------------

YAML_DEPTH = 50  # our form nests five deep; a hand-edited file a few more
YAML_NODES = 1_000_000  # nodes after aliases are followed: a "billion laughs" is refused early
MAX_INTEGER = 2**63 - 1  # the largest whole number the database holds


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts: nesting deeper than YAML_DEPTH (100,000 brackets were a
    RecursionError) and aliases that expand past YAML_NODES nodes (409 bytes took 24 GB) are
    errors before anything is built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        self._sizes: dict[int, int] = {}

    def _size(self, node: yaml.Node) -> int:
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._size(key) + self._size(value) for key, value in node.value)
        self._sizes[id(node)] = size
        return size

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            anchored = self.anchors.get(event.anchor)
            if anchored is not None:
                self._expanded += self._size(anchored)
                if self._expanded > YAML_NODES:
                    raise yaml.composer.ComposerError(
                        None,
                        None,
                        f"aliases expand to over {YAML_NODES:,} values",
                        None,
                    )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {YAML_DEPTH} levels", event.start_mark
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None:
            self._expanded += 1
            if self._expanded > YAML_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {YAML_NODES:,} values", event.start_mark
                )
        return node


def safe_load(text: str, path: Path) -> object:
    """A YAML document as plain data (see `_Loader`); a broken one is a DocumentError BAD_YAML
    of one line."""
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        detail = " ".join(str(error).split())
        raise DocumentError(path, Problem.BAD_YAML, detail=detail[:300]) from error
    except RecursionError as error:  # cannot happen within YAML_DEPTH; a last line of defence
        raise DocumentError(path, Problem.BAD_YAML, detail="nested too deep") from error
    finally:
        loader.dispose()


class Reader:
    """Reads one mapping of a YAML document, knowing where it is for error messages.

    Shared with the indicator form (bot.importers.indicators).
    """

    def __init__(self, path: Path, value: object, where: str, allowed: tuple[str, ...]) -> None:
        self.path = path
        self.where = where
        if not isinstance(value, Mapping):
            self.fail(where, f"expected a mapping, got {kind_name(value)}")
        self.data: Mapping[Any, Any] = value
        unknown = [str(key) for key in value if key not in allowed]
        if unknown:
            self.fail(where, f"unknown field {unknown[0]!r} (known: {', '.join(allowed)})")

    def fail(self, where: str, message: str) -> NoReturn:
        raise DocumentError(self.path, Problem.BAD_YAML, detail=f"{where or 'document'}: {message}")

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _typed(
        self, key: str, check: Callable[[object], _T | None], expected: str, *, required: bool
    ) -> _T | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(self.at(key), f"missing {expected}")
            return None
        converted = check(value)
        if converted is None:
            self.fail(self.at(key), f"expected {expected}, got {kind_name(value)}")
        return converted

    def text(self, key: str, *, required: bool = False) -> str | None:
        return self._typed(
            key,
            lambda v: strip_controls(v) if isinstance(v, str) else None,
            "text",
            required=required,
        )

    def required_text(self, key: str) -> str:
        value = self.text(key, required=True)
        assert value is not None  # _typed fails first
        return value

    def integer(self, key: str) -> int | None:
        return self._typed(
            key,
            lambda v: (
                v
                if isinstance(v, int)
                and not isinstance(v, bool)
                and -MAX_INTEGER - 1 <= v <= MAX_INTEGER
                else None
            ),
            "a whole number",
            required=False,
        )

    def number(self, key: str) -> float | None:
        return self._typed(
            key,
            lambda v: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None,
            "a number",
            required=False,
        )

    def day(self, key: str) -> date | None:
        def check(value: object) -> date | None:
            if isinstance(value, datetime):
                return None  # a time of day has no place here
            if isinstance(value, date):
                return value
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    return None
            return None

        return self._typed(key, check, "a date (YYYY-MM-DD)", required=False)

    def choice(self, key: str, kind: type[_E]) -> _E | None:
        def check(value: object) -> _E | None:
            for member in kind:
                if member.value == value:
                    return member
            return None

        names = ", ".join(str(member.value) for member in kind)
        return self._typed(key, check, f"one of {names}", required=False)

    def items(self, key: str) -> list[tuple[str, object]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(self.at(key), f"expected a list, got {kind_name(value)}")
        return [(f"{self.at(key)}[{index}]", item) for index, item in enumerate(value)]

    def texts(self, key: str) -> tuple[str, ...]:
        out: list[str] = []
        for where, item in self.items(key):
            if not isinstance(item, str):
                self.fail(where, f"expected text, got {kind_name(item)}")
            out.append(strip_controls(item))
        return tuple(out)

    def child(self, key: str, allowed: tuple[str, ...]) -> Reader:
        return Reader(self.path, self.data.get(key), self.at(key), allowed)


_ROADMAP = (
    "format",
    "title",
    "issuer",
    "document_number",
    "document_date",
    "goal",
    "timezone",
    "slug",
    "sections",
    "parties",
    "baseline",
    "targets",
    "reminders",
    "tasks",
    "indicators",
)
_POLICY = (
    "before",
    "overdue_every",
    "overdue_limit",
    "escalate_after",
    "kickoff",
    "recurring",
    "undated_weekday",
)
_SECTION = ("title",)
_PARTY = ("name", "aliases")
_FIGURE = ("scope", "label", "value", "kind", "measure")
_TARGET = ("text", "percent", "value", "due")
_TASK = ("id", "number", "title", "section", "responsible", "deadline", "result", "status")
_DEADLINE = ("text", "start", "due", "recurrence", "note")


def _load_task(path: Path, where: str, value: object) -> Task:
    task = Reader(path, value, where, _TASK)
    number = task.data.get("number")
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)  # a hand-written `number: 3` means "3"
    if not isinstance(number, str):
        task.fail(task.at("number"), f"expected text, got {kind_name(number)}")
    # A hand-written task may leave the deadline out: it has none yet.
    deadline = task.child("deadline", _DEADLINE) if "deadline" in task.data else None
    return Task(
        number=str(number),
        title=task.required_text("title"),
        section=task.text("section"),
        responsible=task.texts("responsible"),
        deadline=Deadline("")
        if deadline is None
        else Deadline(
            text=deadline.text("text") or "",
            start=deadline.day("start"),
            due=deadline.day("due"),
            recurrence=deadline.text("recurrence"),
            note=deadline.text("note"),
        ),
        result=task.text("result"),
        status=task.choice("status", TaskStatus) or TaskStatus.OPEN,
        id=task.integer("id"),
    )


def _load_policy(path: Path, where: str, value: object) -> ReminderPolicy | None:
    """The `reminders:` mapping; what it leaves out keeps the default."""
    defaults = ReminderPolicy()
    if value is None:
        return None
    reader = Reader(path, value, where, _POLICY)
    before = reader.data.get("before", list(defaults.before))
    if not isinstance(before, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in before
    ):
        reader.fail(reader.at("before"), "expected a list of whole numbers of days")
    flags: dict[str, bool] = {}
    for key in ("kickoff", "recurring"):
        flag = reader.data.get(key, getattr(defaults, key))
        if not isinstance(flag, bool):
            reader.fail(reader.at(key), f"expected true or false, got {kind_name(flag)}")
        flags[key] = flag

    def number(key: str) -> int:
        value = reader.integer(key)
        return int(getattr(defaults, key)) if value is None else value

    try:
        return ReminderPolicy(
            before=tuple(before),
            overdue_every=number("overdue_every"),
            overdue_limit=number("overdue_limit"),
            escalate_after=number("escalate_after"),
            kickoff=flags["kickoff"],
            recurring=flags["recurring"],
            undated_weekday=number("undated_weekday"),
        )
    except ValueError as error:
        reader.fail(where, str(error))


def load_roadmap(text: str, path: Path) -> Roadmap:
    """A roadmap from our YAML form; `path` only names the file in errors."""
    top = Reader(path, safe_load(text, path), "", _ROADMAP)
    form = top.text("format")
    if form is not None and form != FORMAT:
        top.fail("format", f"expected {FORMAT!r}, got {form!r}")

    sections = []
    for where, item in top.items("sections"):
        section = Reader(path, item, where, _SECTION)
        sections.append(Section(section.required_text("title")))
    parties = []
    for where, item in top.items("parties"):
        party = Reader(path, item, where, _PARTY)
        parties.append(Party(party.required_text("name"), party.texts("aliases")))
    baseline = []
    for where, item in top.items("baseline"):
        figure = Reader(path, item, where, _FIGURE)
        value = figure.integer("value")
        if value is None:
            figure.fail(figure.at("value"), "missing a whole number")
        baseline.append(
            BaselineFigure(
                scope=figure.text("scope") or "",
                label=figure.required_text("label"),
                value=int(value),
                kind=figure.choice("kind", OrganisationKind),
                measure=figure.choice("measure", Measure),
            )
        )
    targets = []
    for where, item in top.items("targets"):
        target = Reader(path, item, where, _TARGET)
        targets.append(
            Target(
                text=target.required_text("text"),
                percent=target.number("percent"),
                value=target.integer("value"),
                due=target.day("due"),
            )
        )
    entries = top.items("tasks")
    if len(entries) > ROADMAP.limit:
        raise ROADMAP.exceeded(path)
    tasks = [_load_task(path, where, item) for where, item in entries]
    # Imported here: the indicator form is read with this module's Reader.
    from bot.importers.indicators import load_indicators

    indicators = load_indicators(path, top.items("indicators"))
    return Roadmap(
        title=top.required_text("title"),
        issuer=top.text("issuer"),
        document_number=top.text("document_number"),
        document_date=top.day("document_date"),
        goal=top.text("goal"),
        timezone=top.text("timezone"),
        sections=tuple(sections),
        tasks=tuple(tasks),
        parties=tuple(parties),
        baseline=tuple(baseline),
        targets=tuple(targets),
        slug=top.text("slug"),
        reminders=_load_policy(path, top.at("reminders"), top.data.get("reminders")),
        indicators=tuple(indicators),
    )
