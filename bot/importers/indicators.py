"""Weekly indicators in our YAML form: in a roadmap's `indicators:` list, or in a file of their own.

One mapping is one version of an indicator's definition:

    - code: teachers_active
      name: Педагоги, написавшие не менее 10 сообщений за неделю
      question: Сколько педагогов написали не менее 10 сообщений за неделю?
      aliases: [педагогов, учителей]
      reported_by: [school, college]   # or in words: "школы и колледжи"
      denominator: teachers            # teachers, staff, pupils, or none (педагоги, нет ...)
      target: 100% до 31.05.2023       # or {percent: 100, due: 2023-05-31}, {value: 3500, due: ...}
      weekday: friday                  # пятница, пт, 5 (ISO) ...
      due_time: "18:00"
      rollup: latest                   # or week
      from: 2023-04-17                 # the week this version applies from (any day of it)

`code`, `name` and `question` are required; the rest default to a school's report every Friday
by 18:00, with no denominator and no target, rolled up by latest value, from the beginning. Words
are read by bot.domain.indicator_grammar. `id` is written for a stored indicator and may be left
out by hand. An unquoted `18:00` is what YAML reads as the number 1080 (base 60), and `18.30` as
a number too: both are taken as the time written.

Several entries with the same code are versions of one indicator, each from a different week.
Loading is strict, as for a roadmap: an unknown key or a value that is not understood is a
DocumentError BAD_YAML that says where ("indicators[0].weekday: not a weekday: 'пятн'").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, time
from pathlib import Path
from typing import Final, TypeVar

from bot.domain.indicator_grammar import (
    parse_due_time,
    parse_kinds,
    parse_measure,
    parse_rollup,
    parse_target,
    parse_weekday,
)
from bot.domain.indicators import Indicator, IndicatorTarget, versions_by_code, week_of
from bot.domain.model import OrganisationKind
from bot.importers.errors import DocumentError, Problem
from bot.importers.limits import TEXT_BYTES
from bot.importers.text import decode, read_bytes
from bot.importers.yaml_form import Reader, kind_name, safe_load

__all__ = ["dump_indicator", "load_indicator", "load_indicators", "read_indicators"]

_T = TypeVar("_T")

_INDICATOR: Final = (
    "id",
    "code",
    "name",
    "question",
    "aliases",
    "reported_by",
    "denominator",
    "target",
    "weekday",
    "due_time",
    "rollup",
    "from",
)
_TARGET: Final = ("percent", "value", "due")
_WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# What a definition leaves out is what the domain assumes.
_DEFAULT: Final = Indicator(code="default", name="default", question="")


# --- dumping -------------------------------------------------------------------------------------


def _clock(moment: time) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _target(target: IndicatorTarget) -> dict[str, object]:
    if target.percent is not None:
        return {"percent": target.percent, "due": target.due}
    return {"value": target.value, "due": target.due}


def dump_indicator(indicator: Indicator) -> dict[str, object]:
    """One version of an indicator as a mapping of the YAML form, every key written."""
    return {
        "id": indicator.id,
        "code": indicator.code,
        "name": indicator.name,
        "question": indicator.question,
        "aliases": list(indicator.aliases),
        "reported_by": [kind.value for kind in OrganisationKind if kind in indicator.reported_by],
        "denominator": None if indicator.denominator is None else indicator.denominator.value,
        "target": None if indicator.target is None else _target(indicator.target),
        "weekday": _WEEKDAYS[indicator.weekday],
        "due_time": _clock(indicator.due_time),
        "rollup": indicator.rollup.value,
        "from": indicator.valid_from,
    }


# --- loading -------------------------------------------------------------------------------------


def _words(reader: Reader, key: str, parse: Callable[[str], _T]) -> _T | None:
    """A field written in words (a number is taken as its digits); None when it is left out."""
    value = reader.data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        reader.fail(reader.at(key), f"expected text, got {kind_name(value)}")
    try:
        return parse(str(value))
    except ValueError as error:
        reader.fail(reader.at(key), str(error))


def _base_60(number: int) -> str:
    """An unquoted 18:00 as YAML 1.1 reads it (1080), written back: "18:00"."""
    digits = []
    while number >= 60:
        number, digit = divmod(number, 60)
        digits.append(f"{digit:02d}")
    return ":".join([str(number), *reversed(digits)])


def _due_time(reader: Reader) -> time | None:
    value = reader.data.get("due_time")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = _base_60(value)
    elif isinstance(value, float):
        text = f"{value:.2f}"  # 18.30, read as 18.3
    else:
        return _words(reader, "due_time", parse_due_time)
    try:
        return parse_due_time(text)
    except ValueError as error:
        reader.fail(reader.at("due_time"), str(error))


def _kinds(reader: Reader) -> frozenset[OrganisationKind] | None:
    value = reader.data.get("reported_by")
    if not isinstance(value, list):
        return _words(reader, "reported_by", parse_kinds)
    kinds: set[OrganisationKind] = set()
    for where, item in reader.items("reported_by"):
        if not isinstance(item, str):
            reader.fail(where, f"expected text, got {kind_name(item)}")
        try:
            kinds |= parse_kinds(item)
        except ValueError as error:
            reader.fail(where, str(error))
    if not kinds:
        reader.fail(reader.at("reported_by"), "expected at least one kind of organisation")
    return frozenset(kinds)


def _indicator_target(reader: Reader) -> IndicatorTarget | None:
    value = reader.data.get("target")
    if value is None or isinstance(value, str | int):
        return _words(reader, "target", parse_target)
    target = reader.child("target", _TARGET)
    try:
        return IndicatorTarget(
            percent=target.number("percent"), value=target.integer("value"), due=target.day("due")
        )
    except ValueError as error:
        reader.fail(target.where, str(error))


def load_indicator(path: Path, where: str, value: object) -> Indicator:
    """One version of an indicator from a mapping of the YAML form; `where` names it in errors."""
    reader = Reader(path, value, where, _INDICATOR)
    code = reader.required_text("code")
    name = reader.required_text("name")
    question = reader.required_text("question")
    aliases = reader.texts("aliases")
    reported_by = _kinds(reader)
    denominator = _words(reader, "denominator", parse_measure)
    target = _indicator_target(reader)
    weekday = _words(reader, "weekday", parse_weekday)
    due_time = _due_time(reader)
    rollup = _words(reader, "rollup", parse_rollup)
    start = reader.day("from")
    identifier = reader.integer("id")
    try:
        return Indicator(
            code=code,
            name=name,
            question=question,
            aliases=aliases,
            reported_by=_DEFAULT.reported_by if reported_by is None else reported_by,
            denominator=denominator,
            target=target,
            weekday=_DEFAULT.weekday if weekday is None else weekday,
            due_time=_DEFAULT.due_time if due_time is None else due_time,
            rollup=_DEFAULT.rollup if rollup is None else rollup,
            valid_from=None if start is None else week_of(start),
            id=identifier,
        )
    except ValueError as error:
        reader.fail(where, str(error))


def _week(start: date | None) -> str:
    return "the beginning" if start is None else f"the week of {start.isoformat()}"


def load_indicators(path: Path, entries: Iterable[tuple[str, object]]) -> list[Indicator]:
    """Several definitions, `(where, mapping)` each; versions of a code start in different weeks."""
    indicators: list[Indicator] = []
    for where, value in entries:
        indicator = load_indicator(path, where, value)
        try:
            versions_by_code([*indicators, indicator])
        except ValueError as error:
            detail = f"{where}: {error} ({indicator.code!r} from {_week(indicator.valid_from)})"
            raise DocumentError(path, Problem.BAD_YAML, detail=detail) from error
        indicators.append(indicator)
    return indicators


def read_indicators(path: Path) -> list[Indicator]:
    """Indicators from a YAML file of their own: a list of definitions, or `indicators:` and one."""
    document = safe_load(decode(path, read_bytes(path, TEXT_BYTES)), path)
    if isinstance(document, list):
        entries = [(f"indicators[{index}]", item) for index, item in enumerate(document)]
    else:
        entries = Reader(path, document, "", ("indicators",)).items("indicators")
    return load_indicators(path, entries)
