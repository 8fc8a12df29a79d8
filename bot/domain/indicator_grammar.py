"""The words of an indicator's definition, as a coordinator writes them in a file or a chat.

Each parser reads one field of an `Indicator`:

    parse_weekday    "пятница", "пт", "по пятницам", "в пятницу", "friday", "fri", "5" (ISO 1..7)
    parse_due_time   "18:00", "18.00", "18", "в 18:00", "18:00:30"
    parse_kinds      "школы и колледжи", "СПО, ДОО", "органы управления", ["school", "college"]
    parse_measure    "педагоги", "сотрудники", "обучающиеся", "teachers", "нет" / "none" / "-"
    parse_target     "100% до 31.05.2023", "90 % к 31 мая 2023 года", "3 500 до 31.05.2023", "300"
    parse_rollup     "последнее" / "latest", "неделя" / "week"

Matching ignores case, reads "ё" as "е" and any dash as "-". A phrase that is not understood is
a ValueError whose message quotes it; nothing else is ever raised, and nothing is guessed.

Pure: text in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time
from typing import Final, TypeVar

from bot.domain.deadlines import parse_deadline
from bot.domain.indicators import IndicatorTarget, Rollup
from bot.domain.model import Measure, OrganisationKind

__all__ = [
    "parse_due_time",
    "parse_kinds",
    "parse_measure",
    "parse_rollup",
    "parse_target",
    "parse_weekday",
]

_DASHES: Final = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_NORMALISE: Final = str.maketrans({"ё": "е", **dict.fromkeys(_DASHES, "-")})
_SPACES: Final = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Lower case, "ё" as "е", any dash as "-", single spaces, no trailing dot."""
    return _SPACES.sub(" ", text.lower().translate(_NORMALISE)).strip().rstrip(".").strip()


class _Missing:
    """No entry of a table matched (None being a meaningful value: "no denominator")."""


_MISSING: Final = _Missing()
_V = TypeVar("_V")


def _first(table: Iterable[tuple[re.Pattern[str], _V]], phrase: str) -> _V | _Missing:
    """The value of the first entry whose words are the whole phrase."""
    for pattern, value in table:
        if pattern.fullmatch(phrase):
            return value
    return _MISSING


# --- Weekdays ------------------------------------------------------------------------------------

# Masculine and feminine nouns decline differently; "по пятницам" (plural dative) is the usual form.
_MASCULINE: Final = "(?:ами|ам|ах|ом|а|у|е|и)?"
_FEMININE: Final = "(?:ами|ам|ах|ой|ей|а|у|ы|е)"
_WEEKDAY_WORDS: Final[tuple[tuple[str, str], ...]] = (
    (f"понедельник{_MASCULINE}|пн|monday|mon", "monday"),
    (f"вторник{_MASCULINE}|вт|tuesday|tues?", "tuesday"),
    (f"сред{_FEMININE}|ср|wednesday|wed", "wednesday"),
    (f"четверг{_MASCULINE}|чт|thursday|thu(?:rs?)?", "thursday"),
    (f"пятниц{_FEMININE}|пт|friday|fri", "friday"),
    (f"суббот{_FEMININE}|сб|saturday|sat", "saturday"),
    ("воскресен(?:ьями|ьям|ьях|ьем|ье|ья|ью)|вс|sunday|sun", "sunday"),
)
_WEEKDAY_LEAD: Final = r"(?:(?:по|во?|кажд[а-я]{0,3}|on|every)\s)?"
_WEEKDAYS: Final[tuple[tuple[re.Pattern[str], int], ...]] = tuple(
    # "fridays", "on fridays": an English plural is a plural of the full name only.
    (re.compile(f"{_WEEKDAY_LEAD}(?:{words}|{name}s)"), index)
    for index, (words, name) in enumerate(_WEEKDAY_WORDS)
)


def parse_weekday(text: str) -> int:
    """The day a weekly report is due: 0 (Monday) to 6 (Sunday); a digit is ISO, 1 to 7."""
    phrase = _normalise(text)
    if phrase.isascii() and phrase.isdecimal() and len(phrase) == 1:
        if not "1" <= phrase <= "7":
            raise ValueError(f"a weekday number is 1 (Monday) to 7 (Sunday): {text!r}")
        return int(phrase) - 1
    found = _first(_WEEKDAYS, phrase)
    if isinstance(found, _Missing):
        raise ValueError(f"not a weekday: {text!r}")
    return found


# --- Time of day ---------------------------------------------------------------------------------

_TIME: Final = re.compile(
    r"(?:(?:в|до|к|at|by)\s)?(?P<h>[0-9]{1,2})(?:[:.](?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?)?"
)


def parse_due_time(text: str) -> time:
    """The time of day a weekly report is on time until: "18:00", "18.00", "18"."""
    found = _TIME.fullmatch(_normalise(text))
    if found is None:
        raise ValueError(f"not a time of day (like 18:00): {text!r}")
    hour, minute, second = (int(found[part] or 0) for part in ("h", "m", "s"))
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"no such time of day: {text!r}")
    return time(hour, minute, second)


# --- Kinds of organisation -----------------------------------------------------------------------

_ORGANISATIONS: Final = r"(?: (?:организаци|учреждени)[а-я]*)?"
_KIND_WORDS: Final[tuple[tuple[str, OrganisationKind], ...]] = (
    (
        rf"schools?|школ[а-я]*|общеобразовательн[а-я]*{_ORGANISATIONS}",
        OrganisationKind.SCHOOL,
    ),
    (
        rf"colleges?|колледж[а-я]*|техникум[а-я]*|спо"
        rf"|профессиональн[а-я]*(?: образовательн[а-я]*)?{_ORGANISATIONS}",
        OrganisationKind.COLLEGE,
    ),
    (
        r"authorit(?:y|ies)|моуо|(?:муниципальн[а-я]* )?орган[а-я]*"
        r"(?: управлени[а-я]*(?: (?:в сфере )?образовани[а-я]*)?)?",
        OrganisationKind.AUTHORITY,
    ),
    (
        rf"preschools?|детск[а-я]* сад[а-я]*|детсад[а-я]*|доо"
        rf"|дошкольн[а-я]*(?: образовательн[а-я]*)?{_ORGANISATIONS}",
        OrganisationKind.PRESCHOOL,
    ),
    (
        r"additional|до|удо|доп\. ?образовани[а-я]*|доп образовани[а-я]*"
        r"|(?:(?:организаци|учреждени)[а-я]* )?дополнительн[а-я]* образовани[а-я]*",
        OrganisationKind.ADDITIONAL,
    ),
)
_KINDS: Final = tuple((re.compile(words), kind) for words, kind in _KIND_WORDS)
_KIND_SEPARATOR: Final = re.compile(r"\s*(?:[,;/]|\sи\s|\sand\s)\s*")


def parse_kinds(value: str | Iterable[str]) -> frozenset[OrganisationKind]:
    """Who reports an indicator: "школы и колледжи", "СПО, ДОО", or a list of such phrases."""
    phrases = [value] if isinstance(value, str) else list(value)
    kinds: set[OrganisationKind] = set()
    for phrase in phrases:
        for fragment in _KIND_SEPARATOR.split(_normalise(phrase)):
            if not fragment:
                continue
            kind = _first(_KINDS, fragment)
            if isinstance(kind, _Missing):
                raise ValueError(f"not a kind of organisation: {fragment!r}")
            kinds.add(kind)
    if not kinds:
        raise ValueError(f"no kind of organisation given: {value!r}")
    return frozenset(kinds)


# --- Denominators --------------------------------------------------------------------------------

_MEASURE_WORDS: Final[tuple[tuple[str, Measure | None], ...]] = (
    (
        r"teachers?|педагог[а-я]*(?: работник[а-я]*)?|педагогическ[а-я]* работник[а-я]*"
        r"|учител[а-я]*|преподавател[а-я]*",
        Measure.TEACHERS,
    ),
    (r"staff|employees|сотрудник[а-я]*|работник[а-я]*|персонал", Measure.STAFF),
    (
        r"pupils?|students?|обучающи[а-я]*|учени[кц][а-я]*|учащи[а-я]*|студент[а-я]*",
        Measure.PUPILS,
    ),
    (r"none|no|нет|-+|без знаменателя", None),
)
_MEASURES: Final = tuple((re.compile(words), measure) for words, measure in _MEASURE_WORDS)
_ORGANISATION_COUNT: Final = re.compile(r"organi[sz]ations?|организаци[а-я]*")


def parse_measure(text: str) -> Measure | None:
    """The headcount an indicator counts against: teachers, staff, pupils, or none."""
    phrase = _normalise(text)
    found = _first(_MEASURES, phrase)
    if not isinstance(found, _Missing):
        return found
    if _ORGANISATION_COUNT.fullmatch(phrase):
        raise ValueError(f"a denominator is a headcount (teachers, staff, pupils): {text!r}")
    raise ValueError(f"not a denominator (teachers, staff, pupils or none): {text!r}")


# --- Targets -------------------------------------------------------------------------------------

_MAX_DIGITS: Final = 12
_TARGET: Final = re.compile(
    r"(?P<number>[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3})+(?![0-9])|[0-9]+(?:[.,][0-9]+)?)"
    r"\s*(?P<percent>%|процент[а-яё]*)?(?:\s*(?P<when>\S.*))?",
    re.IGNORECASE | re.DOTALL,
)


def parse_target(text: str) -> IndicatorTarget:
    """A target: a percentage of the denominator or a number, by a date or open-ended.

    The date part is read by the deadline grammar ("до 31.05.2023", "к 31 мая 2023 года",
    "до конца мая 2023") and must name the day the target is due, with nothing left over.
    """
    found = _TARGET.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not a target (a percentage or a number, then a date): {text!r}")
    number = re.sub(r"\s", "", found["number"]).replace(",", ".")
    if len(number) > _MAX_DIGITS:
        raise ValueError(f"a target too large to be meant: {found['number']!r}")
    due = None
    if found["when"] is not None:
        deadline = parse_deadline(found["when"])
        if deadline.due is None or deadline.recurrence is not None or deadline.note is not None:
            raise ValueError(f"not the day a target is due: {found['when']!r}")
        due = deadline.due
    if float(number) == 0:
        raise ValueError(f"a target is above zero: {text!r}")
    percent = found["percent"] is not None
    if not percent and "." in number:
        raise ValueError(f"a target number is a whole number: {found['number']!r}")
    try:
        if percent:
            return IndicatorTarget(percent=float(number), due=due)
        return IndicatorTarget(value=int(number), due=due)
    except ValueError as error:  # a percentage beyond belief
        raise ValueError(f"{error}: {text!r}") from None


# --- Roll-up -------------------------------------------------------------------------------------

_ROLLUP_WORDS: Final[tuple[tuple[str, Rollup], ...]] = (
    (r"latest|last|последн[а-я]*(?: значени[а-я]*)?", Rollup.LATEST),
    (r"week|weekly|(?:за )?недел[а-я]*|недельн[а-я]*(?: значени[а-я]*)?", Rollup.WEEK),
)
_ROLLUPS: Final = tuple((re.compile(words), rollup) for words, rollup in _ROLLUP_WORDS)


def parse_rollup(text: str) -> Rollup:
    """How a region's value is added up: organisations' latest values, or that week's only."""
    found = _first(_ROLLUPS, _normalise(text))
    if isinstance(found, _Missing):
        raise ValueError(f"not a roll-up (latest or week): {text!r}")
    return found
