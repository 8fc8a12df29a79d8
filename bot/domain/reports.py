"""What an administrator's answer to the weekly question says, read strictly.

The bot asks, for example, "Сколько педагогов написали не менее 10 сообщений за неделю? Всего
педагогов: 45", and the person answers by message. `parse_report` turns that message into
numbers, or says precisely why it cannot. It never raises and never guesses: a message that could
mean two things is refused, and the person is asked again.

Grammar
-------

A message is one or more *parts* separated by commas, semicolons, line breaks or the word "и";
empty parts are skipped, and each part may end with one period. Whitespace around anything is
free. A part is one of::

    NUMBER                          "38"                -> {None: 38}
    NUMBER из NUMBER                "38 из 45"          -> {None: 38}, of=45
    NUMBER / NUMBER                 "38/45"             -> {None: 38}, of=45
    LABEL [: = — – -] NUMBER        "учителей 38"       -> {"teachers": 38}
                                    "учителя — 38", "чаты: 12"
    NUMBER [: = — – -] LABEL        "38 учителей"       -> {"teachers": 38}

A labelled part may state a denominator as well ("учителей 38 из 45", "38/45 педагогов"), but a
denominator is only accepted in a message of a single part: `of` is one number, for the one
indicator the question was about. `None` is the key of an unlabelled value: it stands for the
indicator the question asked about, which only the caller knows. Several parts give several
values: "учителей 38, чатов 12" and "38 учителей; 12 чатов" both give
``{"teachers": 38, "chats": 12}``.

NUMBER is ASCII digits only (``[0-9]``, never `str.isdigit`, which also admits "٣٨", "３８" and
"²"), at most 9 of them, either run together ("1234") or grouped in thousands by single spaces,
no-break spaces or thin spaces: a first group of 1-3 digits and then groups of exactly 3
("1 234", "12 345", "1 234 567"). "0" is a real report. Leading zeros are read ("007" is 7).

LABEL is one or more words, matched against the `labels` given (alias -> indicator code) like
this: both sides are case-folded and "ё" is read as "е"; the typed phrase must have as many words
as the alias; a word matches when it is equal to the alias word or when both have the same
*stem*, the word with one common Russian inflectional ending (-ов, -ей, -ям, -ами, -ы, -и, -я,
-ь, ...) removed, keeping at least three letters. So an alias "педагог" (stem "педагог") matches
"педагогов", "педагоги" and "педагогам"; "учителей" matches "учителя" and "учитель" (stem
"учител"); "чатов" matches "чаты" and "чат". An exact match wins over a stem match; a phrase
whose stem matches aliases of two different indicators is refused as unknown (ambiguous).

Refused, as a `ReportProblem` whose `detail` names the offending fragment:

* `EMPTY` -- nothing but whitespace (or only separators);
* `NOT_A_NUMBER` -- no digits at all ("много"), a part without a number ("спасибо"), "38 из"
  without its denominator, or a part in no shape above ("38%", "учителей 38 человек");
* `BAD_NUMBER` -- anything that looks like a number but is not a plain count: signs ("+5", "-5",
  "−5"), fractions and decimal or thousands marks ("3.5", "3,5", "1,000", "1.000", "1_000",
  "1'000", "½"), ranges ("5-6"), digits other than ASCII ("٣٨", "３８", "³"), "nan" and "inf",
  bad grouping ("1 23", "38 12"), more than 9 digits, a denominator of 0;
* `UNKNOWN_LABEL` -- a label that matches no known indicator ("учеников"), or matches two;
* `CONFLICT` -- the same indicator twice with different values ("38, 40"; "учителей 38,
  педагогов 40" when both aliases mean teachers); the same value twice is simply one value;
* `MIXED` -- an unlabelled number next to labelled ones ("38, чатов 12"), two numbers run
  together in one part ("38 учителей 12 чатов"), or a denominator in a message of several parts.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["MAX_DIGITS", "ParsedReport", "ProblemKind", "ReportProblem", "parse_report"]

MAX_DIGITS = 9
"""The longest count accepted, in digits: 999 999 999 is more than any school will report."""


class ProblemKind(enum.StrEnum):
    """Why a message is not a report; the caller picks its reply from this."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    BAD_NUMBER = "bad_number"
    UNKNOWN_LABEL = "unknown_label"
    CONFLICT = "conflict"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class ReportProblem:
    """A message refused: `kind` says why, `detail` names the fragment at fault."""

    kind: ProblemKind
    detail: str


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """The numbers a message reports.

    `values` maps an indicator code to its count; the key `None` is an unlabelled number, meaning
    the indicator the question asked about. `of` is a denominator the person stated ("38 из 45"),
    kept as written for the caller to compare with the headcount it knows.
    """

    values: Mapping[str | None, int]
    of: int | None = None

    def __post_init__(self) -> None:
        # A read-only copy, so a report handed around cannot be changed behind anyone's back.
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __hash__(self) -> int:
        return hash((frozenset(self.values.items()), self.of))

    @property
    def value(self) -> int | None:
        """The unlabelled number, if the message was one."""
        return self.values.get(None)


# --- Lexical pieces ------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
# Spaces that may group thousands: plain, no-break, figure, punctuation, thin, hair, narrow.
_GROUP_SPACE = "[ \u00a0\u2007\u2008\u2009\u200a\u202f]"
_GROUPED = re.compile(rf"[0-9]{{1,3}}(?:{_GROUP_SPACE}[0-9]{{3}})+")
_SEPARATOR = re.compile(r"[,;\n\r\v\f\u0085\u2028\u2029]|\s+и\s+", re.IGNORECASE)
# Digits glued by a decimal, thousands or range mark: "3.5", "1,000", "1_000", "5-6".
_GLUED = re.compile(r"(?<![0-9])[0-9]+(?:[.,_'’ʼ`´\-–—][0-9]+)+")
# A sign before a digit, not inside a word ("учителя-38" is a label and a dash, "-38" is negative).
_SIGNED = re.compile(r"(?<!\w)[+\-\u2212\u2796\ufe62\ufe63\uff0b\uff0d][0-9]+")
_NON_FINITE = re.compile(r"(?<![^\W\d_])(?:nan|inf(?:inity)?)(?![^\W\d_])", re.IGNORECASE)
_TOKEN = re.compile(
    rf"""
    (?P<number>[0-9]+(?:{_GROUP_SPACE}[0-9]+)*)
    |(?P<word>[^\W\d_]+(?:-[^\W\d_]+)*)
    |(?P<link>[:=—–\-])
    |(?P<slash>/)
    |(?P<space>\s+)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_OF_WORD = "из"

# fmt: off
_ENDINGS = tuple(sorted(
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
_MIN_STEM = 3


@dataclass(frozen=True, slots=True)
class _Part:
    """One part of a message, read but not yet checked against the others."""

    text: str
    label: str | None  # the label phrase as typed, or None for a bare number
    value: int
    of: int | None


# --- The parser ----------------------------------------------------------------------------------


def parse_report(
    text: str, labels: Mapping[str, str] | None = None
) -> ParsedReport | ReportProblem:
    """Read an answer to the weekly question; see the module docstring for the grammar.

    `labels` maps what people may type (aliases such as "учителей", "чаты") to indicator codes
    ("teachers", "chats"). Without it only unlabelled numbers are understood.
    """
    if not text.strip():
        return ReportProblem(ProblemKind.EMPTY, text)
    problem = _lexical_problem(text)
    if problem is not None:
        return problem
    if not any(char in _DIGITS for char in text):
        return ReportProblem(ProblemKind.NOT_A_NUMBER, text.strip())

    parts: list[_Part] = []
    for chunk in _SEPARATOR.split(text):
        chunk = chunk.strip()
        if chunk.endswith("."):
            chunk = chunk[:-1].rstrip()
        if not chunk:
            continue
        part = _read_part(chunk)
        if isinstance(part, ReportProblem):
            return part
        parts.append(part)
    if not parts:
        return ReportProblem(ProblemKind.EMPTY, text.strip())
    return _combine(parts, _Aliases(labels or {}))


def _lexical_problem(text: str) -> ReportProblem | None:
    """Whatever looks numeric but is not a plain ASCII count, anywhere in the message."""
    for index, char in enumerate(text):
        if char not in _DIGITS and (char.isdecimal() or char.isdigit() or char.isnumeric()):
            return ReportProblem(ProblemKind.BAD_NUMBER, _fragment_around(text, index))
    for pattern in (_GLUED, _SIGNED, _NON_FINITE):
        match = pattern.search(text)
        if match is not None:
            return ReportProblem(ProblemKind.BAD_NUMBER, match.group())
    return None


def _fragment_around(text: str, index: int) -> str:
    start = index
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = index + 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def _tokens(chunk: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(chunk):
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            yield kind, match.group()


def _number(token: str) -> int | ReportProblem:
    if not all(char in _DIGITS for char in token):
        # Grouped in thousands by single spaces of some kind.
        if _GROUPED.fullmatch(token) is None:
            return ReportProblem(ProblemKind.BAD_NUMBER, token)
        digits = re.sub(_GROUP_SPACE, "", token)
    else:
        digits = token
    if len(digits) > MAX_DIGITS:
        return ReportProblem(ProblemKind.BAD_NUMBER, token)
    return int(digits)


def _read_part(chunk: str) -> _Part | ReportProblem:
    """One part: [LABEL [link]] NUMBER [(из | /) NUMBER] [[link] LABEL], one label at most."""
    tokens = list(_tokens(chunk))
    numbers = [text for kind, text in tokens if kind == "number"]
    for token in numbers:
        checked = _number(token)
        if isinstance(checked, ReportProblem):
            return checked

    position = 0

    def peek(*kinds: str) -> bool:
        return position < len(tokens) and tokens[position][0] in kinds

    def is_of_word() -> bool:
        return peek("word") and _fold(tokens[position][1]) == _OF_WORD

    before: list[str] = []
    while peek("word") and not is_of_word():
        before.append(tokens[position][1])
        position += 1
    if before and peek("link"):
        position += 1
    value: int | None = None
    of: int | None = None
    if peek("number"):
        value = _as_int(tokens[position][1])
        position += 1
        if is_of_word() or peek("slash"):
            position += 1
            if not peek("number"):
                return ReportProblem(ProblemKind.NOT_A_NUMBER, chunk)
            of = _as_int(tokens[position][1])
            position += 1
            if of == 0:
                return ReportProblem(ProblemKind.BAD_NUMBER, chunk)
    after: list[str] = []
    if value is not None and not before:
        if after_link := peek("link"):
            position += 1
        while peek("word") and not is_of_word():
            after.append(tokens[position][1])
            position += 1
        if after_link and not after:
            return ReportProblem(ProblemKind.NOT_A_NUMBER, chunk)

    if value is None or position < len(tokens):
        if not numbers:
            return ReportProblem(ProblemKind.NOT_A_NUMBER, chunk)
        if len(numbers) > (2 if of is not None else 1):
            return ReportProblem(ProblemKind.MIXED, chunk)
        return ReportProblem(ProblemKind.NOT_A_NUMBER, chunk)
    words = before or after
    return _Part(chunk, " ".join(words) if words else None, value, of)


def _as_int(token: str) -> int:
    number = _number(token)
    assert isinstance(number, int)  # every number token was checked before the walk
    return number


def _combine(parts: list[_Part], aliases: _Aliases) -> ParsedReport | ReportProblem:
    bare = [part for part in parts if part.label is None]
    if bare and len(bare) < len(parts):
        labelled = next(part for part in parts if part.label is not None)
        return ReportProblem(ProblemKind.MIXED, f"{bare[0].text}; {labelled.text}")
    if len(parts) > 1:
        with_of = next((part for part in parts if part.of is not None), None)
        if with_of is not None:
            return ReportProblem(ProblemKind.MIXED, with_of.text)

    values: dict[str | None, int] = {}
    seen: dict[str | None, _Part] = {}
    for part in parts:
        code: str | None = None
        if part.label is not None:
            resolved = aliases.resolve(part.label)
            if isinstance(resolved, ReportProblem):
                return resolved
            code = resolved
        if code in values and values[code] != part.value:
            return ReportProblem(ProblemKind.CONFLICT, f"{seen[code].text}; {part.text}")
        values[code] = part.value
        seen.setdefault(code, part)
    return ParsedReport(values, of=parts[0].of)


# --- Labels --------------------------------------------------------------------------------------


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold().replace("ё", "е")


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


class _Aliases:
    """The `labels` mapping, folded once for matching (see the module docstring)."""

    __slots__ = ("_entries",)

    def __init__(self, labels: Mapping[str, str]) -> None:
        self._entries: list[tuple[tuple[str, ...], tuple[str, ...], str]] = []
        for alias, code in labels.items():
            words = tuple(_fold(word) for word in alias.split())
            if words:
                self._entries.append((words, tuple(_stem(word) for word in words), code))

    def resolve(self, phrase: str) -> str | ReportProblem:
        words = tuple(_fold(word) for word in phrase.split())
        stems = tuple(_stem(word) for word in words)
        exact = {code for alias, _, code in self._entries if alias == words}
        if len(exact) == 1:
            return exact.pop()
        similar = exact or {code for _, alias_stems, code in self._entries if alias_stems == stems}
        if len(similar) == 1:
            return similar.pop()
        if similar:
            return ReportProblem(ProblemKind.UNKNOWN_LABEL, f"{phrase} (ambiguous)")
        return ReportProblem(ProblemKind.UNKNOWN_LABEL, phrase)
