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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Final, TypeVar

from bot.domain.deadlines import parse_deadline
from bot.domain.indicators import IndicatorTarget, Rollup
from bot.domain.model import Measure, OrganisationKind
from bot.domain.reports import ProblemKind, ReportProblem

__all__ = [
    "AnswerProblem",
    "AnswerRefused",
    "WeeklyAnswer",
    "parse_due_time",
    "parse_kinds",
    "parse_measure",
    "parse_rollup",
    "parse_target",
    "parse_weekday",
    "read_weekly_answer",
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


# --- The weekly answer ---------------------------------------------------------------------------
#
# How a school answers the weekly question, read the way people write it: "38", "38 из 45",
# "30, 15" and "30 и 15" (numbers in the order the questions are numbered), "учителей 30, чатов
# 15", "учителей 30 чатов 15", "Добрый день! У нас 45 педагогов и 16 чатов". Greetings and other
# words that are neither a label nor a qualifier are filler and ignored; "№ 4" names a school and
# is not a value. What is not a plain count is refused, never guessed: "3.5", "30,15", "-5",
# "38%", "около 40", "38 12", "٣٨", a label with no number, a bare number next to labelled ones.

_ANSWER_DIGITS: Final = frozenset("0123456789")
_GROUP_SPACE: Final = "[ \u00a0\u2007\u2008\u2009\u200a\u202f]"
_ANSWER_GROUPED: Final = re.compile(rf"[0-9]{{1,3}}(?:{_GROUP_SPACE}[0-9]{{3}})+")
_ANSWER_GLUED: Final = re.compile(r"(?<![0-9])[0-9]+(?:[.,_'’ʼ`´:\-–—][0-9]+)+")
_ANSWER_SIGNED: Final = re.compile(r"(?<!\w)[+\-\u2212\u2796\ufe62\ufe63\uff0b\uff0d][0-9]+")
_ANSWER_TOKEN: Final = re.compile(
    rf"""
    (?P<number>[0-9]+(?:{_GROUP_SPACE}+[0-9]+)*)
    |(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)
    |(?P<sep>[,;.!?\n\r\v\f\u0085\u2028\u2029])
    |(?P<slash>/)
    |(?P<sign>[%‰~≈<>№#])
    |(?P<other>\S)
    |(?P<space>\s+)
    """,
    re.VERBOSE | re.DOTALL,
)
_HEDGES: Final = frozenset(
    {
        "около", "примерно", "приблизительно", "почти", "более", "менее", "больше", "меньше",
        "свыше", "максимум", "минимум", "где-то", "порядка", "не",
    }
)  # fmt: skip
_AND_WORDS: Final = frozenset({"и", "а", "and"})
_OF_WORDS: Final = frozenset({"из", "of"})
_ANSWER_MAX_DIGITS: Final = 9
# fmt: off
_ANSWER_ENDINGS: Final = tuple(sorted(
    {
        "ыми", "ими", "ями", "ами", "ого", "его", "ому", "ему",
        "ых", "их", "ые", "ие", "ая", "яя", "ой", "ей", "ий", "ый", "ую", "юю",
        "ов", "ев", "ам", "ям", "ах", "ях", "ом", "ем",
        "а", "я", "ы", "и", "у", "ю", "е", "о", "ь", "й",
    },
    key=len,
    reverse=True,
))
# fmt: on


# A message that is not an answer is refused in the report grammar's words: one vocabulary.
AnswerProblem = ProblemKind
AnswerRefused = ReportProblem


@dataclass(frozen=True, slots=True)
class WeeklyAnswer:
    """The numbers of a message. `labelled`: indicator code -> count, as the person named them.
    `bare`: unlabelled counts in the order written (for the questions in their numbered order).
    One of the two is empty. `of`: a denominator stated with a single number ("38 из 45")."""

    labelled: tuple[tuple[str, int], ...] = ()
    bare: tuple[int, ...] = ()
    of: int | None = None


def _answer_fold(word: str) -> str:
    return word.casefold().replace("ё", "е")


def _answer_stem(word: str) -> str:
    for ending in _ANSWER_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _label_entries(labels: Mapping[str, str]) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
    entries = []
    for alias, code in labels.items():
        words = tuple(_answer_fold(word) for word in alias.split())
        if words:
            entries.append((words, tuple(_answer_stem(word) for word in words), code))
    entries.sort(key=lambda entry: -len(entry[0]))  # the longest alias first
    return entries


def _answer_lexical(text: str) -> AnswerRefused | None:
    for index, char in enumerate(text):
        if char not in _ANSWER_DIGITS and (char.isdecimal() or char.isdigit() or char.isnumeric()):
            start, end = index, index + 1
            while start > 0 and not text[start - 1].isspace():
                start -= 1
            while end < len(text) and not text[end].isspace():
                end += 1
            return AnswerRefused(AnswerProblem.BAD_NUMBER, text[start:end])
    for pattern in (_ANSWER_GLUED, _ANSWER_SIGNED):
        match = pattern.search(text)
        if match is not None:
            return AnswerRefused(AnswerProblem.BAD_NUMBER, match.group())
    return None


def _answer_number(token: str) -> int | AnswerRefused:
    digits = token
    if not all(char in _ANSWER_DIGITS for char in token):
        if _ANSWER_GROUPED.fullmatch(token) is None:  # "38 12": two numbers with no separator
            return AnswerRefused(AnswerProblem.BAD_NUMBER, token)
        digits = re.sub(_GROUP_SPACE, "", token)
    if len(digits) > _ANSWER_MAX_DIGITS:
        return AnswerRefused(AnswerProblem.BAD_NUMBER, token)
    return int(digits)


# An item of a message: ("n", value, of) a number, ("l", code) a label, ("|",) a separator.
_Item = tuple[Any, ...]


def _answer_items(
    text: str, entries: list[tuple[tuple[str, ...], tuple[str, ...], str]]
) -> list[_Item] | AnswerRefused:
    tokens = [
        (match.lastgroup or "", match.group())
        for match in _ANSWER_TOKEN.finditer(text)
        if match.lastgroup != "space"
    ]
    items: list[_Item] = []
    index = 0
    while index < len(tokens):
        kind, token = tokens[index]
        if kind == "number":
            value = _answer_number(token)
            if isinstance(value, AnswerRefused):
                return value
            of: int | None = None
            following = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
            if following[0] == "slash" or _answer_fold(following[1]) in _OF_WORDS:
                if index + 2 >= len(tokens) or tokens[index + 2][0] != "number":
                    return AnswerRefused(AnswerProblem.NOT_A_NUMBER, f"{token} {following[1]}")
                denominator = _answer_number(tokens[index + 2][1])
                if isinstance(denominator, AnswerRefused):
                    return denominator
                if denominator == 0:
                    return AnswerRefused(AnswerProblem.BAD_NUMBER, f"{token} из 0")
                of = denominator
                index += 2
            if following[1] == "%" or following[1] == "‰":
                return AnswerRefused(AnswerProblem.BAD_NUMBER, token + following[1])
            items.append(("n", value, of))
            index += 1
        elif kind == "sign" and token in "№#":
            index += 2 if index + 1 < len(tokens) and tokens[index + 1][0] == "number" else 1
        elif kind == "sign":
            near = " ".join(t for _, t in tokens[index : index + 2])
            return AnswerRefused(AnswerProblem.NOT_A_NUMBER, near)
        elif kind == "sep" or (kind == "word" and _answer_fold(token) in _AND_WORDS):
            items.append(("|",))
            index += 1
        elif kind == "word":
            folded = _answer_fold(token)
            if folded in _HEDGES:
                near = " ".join(t for _, t in tokens[index : index + 3])
                return AnswerRefused(AnswerProblem.NOT_A_NUMBER, near)
            if folded in _OF_WORDS:  # "из 45" with no number before it: which one is the value?
                near = " ".join(t for _, t in tokens[index : index + 2])
                return AnswerRefused(AnswerProblem.NOT_A_NUMBER, near)
            if folded in ("n", "no", "номер"):  # "N 4", "номер 4": a school's number
                index += 2 if index + 1 < len(tokens) and tokens[index + 1][0] == "number" else 1
                continue
            found = _answer_label(tokens, index, entries)
            if isinstance(found, AnswerRefused):
                return found
            if found is None:
                index += 1  # filler: "добрый день", "у нас", "написали"
            else:
                code, length = found
                items.append(("l", code))
                index += length
        else:
            index += 1  # other punctuation: "—", ":", "(", quotes
    return items


def _answer_label(
    tokens: list[tuple[str, str]],
    index: int,
    entries: list[tuple[tuple[str, ...], tuple[str, ...], str]],
) -> tuple[str, int] | AnswerRefused | None:
    """The label starting at `index` (its code and how many words), if any; an exact match wins
    over a stem match, and a stem that fits two indicators is refused."""
    for exact in (True, False):
        codes: set[str] = set()
        length = 0
        for words, stems, code in entries:
            size = len(words)
            window = tokens[index : index + size]
            if len(window) < size or any(kind != "word" for kind, _ in window):
                continue
            typed = tuple(_answer_fold(word) for _, word in window)
            if (typed == words) if exact else (tuple(map(_answer_stem, typed)) == stems):
                if length and size < length:
                    continue
                if size > length:
                    codes, length = set(), size
                codes.add(code)
        if len(codes) == 1:
            return codes.pop(), length
        if codes:
            phrase = " ".join(word for _, word in tokens[index : index + length])
            return AnswerRefused(AnswerProblem.UNKNOWN_LABEL, f"{phrase} (ambiguous)")
    return None


def _pair(items: list[_Item]) -> list[tuple[str, int]] | None:
    """Labels and numbers alternating, in one style: "учителей 30 чатов 15" or "30 учителей,
    15 чатов"; None when they do not pair up."""
    if len(items) % 2 or not items:
        return None
    if items[0][0] == "l" and all(
        items[i][0] == ("l" if i % 2 == 0 else "n") for i in range(len(items))
    ):
        return [(items[i][1], items[i + 1][1]) for i in range(0, len(items), 2)]
    if items[0][0] == "n" and all(
        items[i][0] == ("n" if i % 2 == 0 else "l") for i in range(len(items))
    ):
        return [(items[i + 1][1], items[i][1]) for i in range(0, len(items), 2)]
    return None


def read_weekly_answer(text: str, labels: Mapping[str, str]) -> WeeklyAnswer | AnswerRefused:
    """An answer to the weekly question(s); see the block comment above. Never raises.

    `labels` maps what people may type (an indicator's aliases) to its code."""
    if not text.strip():
        return AnswerRefused(AnswerProblem.EMPTY, text)
    if len(text) > 1000:
        return AnswerRefused(AnswerProblem.NOT_A_NUMBER, text[:40] + "…")
    problem = _answer_lexical(text)
    if problem is not None:
        return problem
    if not any(char in _ANSWER_DIGITS for char in text):
        return AnswerRefused(AnswerProblem.NOT_A_NUMBER, text.strip()[:60])
    items = _answer_items(text, _label_entries(labels))
    if isinstance(items, AnswerRefused):
        return items
    numbers = [item for item in items if item[0] == "n"]
    if not numbers:
        return AnswerRefused(AnswerProblem.NOT_A_NUMBER, text.strip()[:60])
    stated = [item[2] for item in numbers if item[2] is not None]
    of = stated[0] if len(numbers) == 1 and stated else None
    if stated and len(numbers) > 1:
        return AnswerRefused(AnswerProblem.MIXED, text.strip()[:60])
    if not any(item[0] == "l" for item in items):
        return WeeklyAnswer(bare=tuple(item[1] for item in numbers), of=of)
    pairs: list[tuple[str, int]] | None = []
    part: list[_Item] = []
    for item in [*items, ("|",)]:
        if item[0] != "|":
            part.append(item)
            continue
        if part:
            paired = _pair(part)
            if paired is None or pairs is None:
                pairs = None
            else:
                pairs.extend(paired)
        part = []
    if pairs is None:  # parts do not pair up one by one: try the message as a whole
        pairs = _pair([item for item in items if item[0] != "|"])
    if pairs is None:
        return AnswerRefused(AnswerProblem.MIXED, text.strip()[:60])
    values: dict[str, int] = {}
    for code, value in pairs:
        if values.get(code, value) != value:
            return AnswerRefused(AnswerProblem.CONFLICT, f"{values[code]}; {value}")
        values[code] = value
    return WeeklyAnswer(labelled=tuple(values.items()), of=of)
