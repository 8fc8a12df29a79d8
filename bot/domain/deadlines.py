"""The deadline grammar: a roadmap's "Срок" cell, in Russian, read into dates.

`parse_deadline(text, year=..., period=...)` returns a `Deadline` with a start, a due date, an
iCalendar RRULE and a note for whatever was left over. `year` is the roadmap's year, used when the
text gives none; `period` the span the roadmap covers, for a phrase meaning the whole of it.
Matching ignores case, reads "ё" as "е", any dash as "-", Latin look-alikes ("c 10.04") as Cyrillic
and tolerates stray spaces and doubled dots in dates.

Terms (one day or one period)
    10.04.2023  10.04.23  10.04..2023  10 .04.2023  2023-04-10  01.09.2023г.   a day
    31 мая 2023 г.  «31» мая 2023 года  1-го сентября                          a day
    10.04  1 сентября  до 15.05                                                a day, roadmap's year
    май 2023 года  в мае 2023  мая 2023  Апрель  сент. 2023                    a month
    I квартал 2024  1 кв. 2024  в течение IV квартала 2023                     a quarter
    2 полугодие 2023  II полугодие  первое полугодие 2024                      a half-year
    2023 год  в 2023 году  2023 г.  текущего года                              a year
    2023/2024 учебный год  2023-2024 уч. год  2023/24                          01.09 .. 31.08
    до конца года  в течение календарного года                                 the roadmap's year
    в течение (всего) года               the roadmap's period ("на 2013-2015 годы": 01.01.2013 ..
                                         31.12.2015), else the roadmap's year
    в течение всего периода              the roadmap's period, else unread
    в течение / до конца учебного года   the roadmap's period when it is one school year

Turning a term into start and due
    TERM                             a day is due then; a period runs first day .. last day
    до / к DAY, по / не позднее DAY  due that day
    до / к PERIOD                    due the day before the period: "до мая" is before May
    по / не позднее PERIOD           due on its last day
    до конца / к концу PERIOD        the whole period ("до конца мая 2023": 01.05 .. 31.05)
    с / со / начиная с / не ранее    start only, open-ended; после TERM starts the day after
    с A по B, с A до B, A - B        a range; a side without a year takes the other's:
                                     "октябрь - ноябрь 2023", "с 1 по 15 мая 2023", "I-II квартал
                                     2024"; a first month later than the last is the year before
                                     ("сентябрь - май 2024" is 01.09.2023 .. 31.05.2024)
    "с 10.04.2023, до 17.04.2023"    a start-only clause and a due-only clause make one range

Recurrence (RRULE)
    ежедневно, еженедельно, ежемесячно, ежеквартально (MONTHLY;INTERVAL=3), ежегодно,
    каждую неделю, каждые две недели, раз в две недели, не реже 1 раза в месяц,
    по пятницам, каждую пятницу, по понедельникам и средам, по пн и ср, по рабочим дням,
    ежемесячно до 5 числа, до 10 числа каждого месяца, последнего числа месяца.
    Recurrence combines with dates: "еженедельно с 20.04.2023 по 31.05.2023".
    One month (or day) in consecutive years is yearly from the first to the last: "август 2022
    года, август 2023 года" is FREQ=YEARLY;BYMONTH=8 from 01.08.2022 to 31.08.2023; other pairs
    of dates compete (below).

Periodic reports (a rule with its months, so the days do not depend on where the rule starts)
    до 1 числа месяца, следующего за отчетным            FREQ=MONTHLY;BYMONTHDAY=1
    (ежеквартально) до 10 числа месяца, следующего за
    отчетным кварталом / периодом; ежеквартально до 10 числа
                                                          FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10
    ежеквартально, последнего числа месяца                FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1
    ... за отчетным полугодием                            FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10
    ежегодно до 1 февраля; ежегодно, до 20 января года,
    следующего за отчетным                                FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=1
    май, ежегодно с 2023                                  FREQ=YEARLY;BYMONTH=5 from 01.01.2023
    по итогам полугодия, до 10 июля и 10 января           FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=10
    Different days ("до 10 июля и 15 января") or months not one per period give no rule.

The note is the text left over once the understood parts are taken out, stripped of separators
(", ; . :" and dashes), or None when nothing meaningful is left ("г.", "включительно").

Never a guess: a phrase with no term ("по согласованию", "постоянно"), an impossible date
(31.02.2023), a year outside 1900..2100, a month with no year and no roadmap year, a range that
ends before it starts, two competing dates, two different frequencies or a year the document
leaves open ("25 августа X - 1 года", "N-го года", "года X", "20ХХ") gives no dates and no
recurrence at all (`fixed` is False) and the whole stripped text as note. The parser never raises.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

from bot.domain.model import Deadline

__all__ = ["parse_deadline"]

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100

_ONE_DAY: Final = timedelta(days=1)

# --- Vocabulary -----------------------------------------------------------------------------------

# Month number, stem, case endings, short forms. Nouns with a soft stem (январь, января, январе,
# январю, январем) and a hard one (март, марта, марте, марту, мартом) decline differently.
_SOFT: Final = "(?:ь|я|е|ю|ем)"
_HARD: Final = "(?:а|е|у|ом)?"
_MONTHS: Final[tuple[tuple[int, str, str, str], ...]] = (
    (1, "январ", _SOFT, "янв"),
    (2, "феврал", _SOFT, "фев"),
    (3, "март", _HARD, "мар"),
    (4, "апрел", _SOFT, "апр"),
    (5, "ма", "(?:й|я|е|ю|ем)", ""),
    (6, "июн", _SOFT, "июн"),
    (7, "июл", _SOFT, "июл"),
    (8, "август", _HARD, "авг"),
    (9, "сентябр", _SOFT, "сент|сен"),
    (10, "октябр", _SOFT, "окт"),
    (11, "ноябр", _SOFT, "нояб|ноя"),
    (12, "декабр", _SOFT, "дек"),
)
# Every form of every month starts with three letters unique to that month ("май", "мая", "мае",
# "маю" and "маем" being the forms of May), so three letters are enough to tell which month it is.
_MONTH_BY_PREFIX: Final[dict[str, int]] = {
    **{stem[:3]: number for number, stem, _, _ in _MONTHS if len(stem) >= 3},
    **dict.fromkeys(("май", "мая", "мае", "маю"), 5),
}

# Weekday code, stem, endings, short form. Masculine and feminine nouns again decline differently;
# plural dative ("по пятницам") is the usual form in a roadmap.
_MASCULINE: Final = "(?:ами|ам|ах|ом|а|у|е|и)?"
_FEMININE: Final = "(?:ами|ам|ах|ой|ей|а|у|ы|е)"
_WEEKDAYS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("MO", "понедельник", _MASCULINE, "пн"),
    ("TU", "вторник", _MASCULINE, "вт"),
    ("WE", "сред", _FEMININE, "ср"),
    ("TH", "четверг", _MASCULINE, "чт"),
    ("FR", "пятниц", _FEMININE, "пт"),
    ("SA", "суббот", _FEMININE, "сб"),
    ("SU", "воскресен", "(?:ьями|ьям|ьях|ьем|ье|ья|ью)", "вс"),
)
_WEEKDAY_BY_PREFIX: Final[dict[str, str]] = {
    **{stem[:2]: code for code, stem, _, _ in _WEEKDAYS},
    **{short: code for code, _, _, short in _WEEKDAYS},
}
_WEEK_ORDER: Final[dict[str, int]] = {code: i for i, (code, _, _, _) in enumerate(_WEEKDAYS)}
_WORKING_DAYS: Final = ("MO", "TU", "WE", "TH", "FR")

_ROMAN: Final[dict[str, int]] = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ORDINAL_BY_PREFIX: Final[dict[str, int]] = {"пер": 1, "вто": 2, "тре": 3, "чет": 4}
_NUMBER_WORDS: Final[dict[str, int]] = {
    "один": 1, "одна": 1, "одно": 1, "одну": 1, "одного": 1,
    "два": 2, "две": 2, "двух": 2,
    "три": 3, "трех": 3,
    "четыре": 4, "четырех": 4,
    "пять": 5, "пяти": 5,
    "шесть": 6, "шести": 6,
}  # fmt: skip

# A unit of "раз в ..." / "каждые ...", by its first letter: (FREQ, months or weeks per unit).
_UNIT_FREQUENCY: Final[dict[str, tuple[str, int]]] = {
    "д": ("DAILY", 1),
    "с": ("DAILY", 1),
    "н": ("WEEKLY", 1),
    "м": ("MONTHLY", 1),
    "к": ("MONTHLY", 3),
    "п": ("MONTHLY", 6),
    "г": ("YEARLY", 1),
    "л": ("YEARLY", 1),
}
_ADVERB_FREQUENCY: Final[dict[str, tuple[str, int]]] = {
    "дневн": ("DAILY", 1),
    "недельн": ("WEEKLY", 1),
    "месячн": ("MONTHLY", 1),
    "квартальн": ("MONTHLY", 3),
    "полугодов": ("MONTHLY", 6),
    "полугодн": ("MONTHLY", 6),
    "годн": ("YEARLY", 1),
}

# --- Normalisation --------------------------------------------------------------------------------

# Every replacement is one character for one, so a position in the normalised text is the same
# position in the original and the note can be cut from the original wording.
_NORMALISE: Final = str.maketrans(
    {
        "ё": "е",
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u200b\u2060\ufeff", " "),
        # Roman numerals typed with the Ukrainian/Belarusian "і" or a palochka.
        "і": "i",
        "ӏ": "i",
        # Latin letters typed for their Cyrillic twins ("c 10.04.2023" with a Latin c). Roman
        # numerals need i and v only, which have no twin here.
        **dict(zip("aceopxykbmht", "асеорхукьмнт", strict=True)),
    }
)


def _normalise(text: str) -> str:
    lowered = text.lower()
    if len(lowered) != len(text):
        # Lower-casing can lengthen a character ("İ") but never shortens one, so equal length
        # means one-for-one; otherwise keep the few characters that would grow.
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_NORMALISE)


# --- Regular expressions (on normalised text) -----------------------------------------------------

_NOT_LETTER_AHEAD: Final = r"(?![^\W\d_])"
_NOT_LETTER_BEHIND: Final = r"(?<![^\W\d_])"
_MONTH: Final = (
    "(?:"
    + "|".join(
        f"{stem}{endings}" + (rf"|(?:{short})\.?" if short else "")
        for _, stem, endings, short in _MONTHS
    )
    + f"){_NOT_LETTER_AHEAD}"
)
_WEEKDAY: Final = (
    "(?:"
    + "|".join(f"{stem}{endings}|{short}\\.?" for _, stem, endings, short in _WEEKDAYS)
    + f"){_NOT_LETTER_AHEAD}"
)
_YEAR_WORD: Final = rf"(?:год(?:ом|ов|а|у|ы)?|гг?\.?){_NOT_LETTER_AHEAD}"
_OPTIONAL_YEAR: Final = (
    rf"(?:\s*(?:(?P<y>\d{{4}})(?!\d)(?:\s*{_YEAR_WORD})?"
    rf"|текущ(?:его|ем|ий)\s+год(?:а|у)?{_NOT_LETTER_AHEAD}))?"
)
# Never two \s* side by side: between them a run of spaces splits n ways, and the regex tries each.
_ORDINAL_ENDING: Final = rf"(?:\s*(?:-\s*)?(?:ого|ом|ое|ый|ий|го|й|м|е){_NOT_LETTER_AHEAD})?"
_ORDINAL: Final = (
    rf"(?:\d{{1,2}}(?!\d)|(?:iv|iii|ii|i){_NOT_LETTER_AHEAD}"
    rf"|(?:перв|втор|трет|четверт)[а-я]{{0,4}})"
)
_NUMBER: Final = r"(?:\d{1,2}(?!\d)|" + "|".join(_NUMBER_WORDS) + ")"
_UNIT: Final = (
    r"(?:дн(?:я|ей)|день|сутки|суток|недел(?:я|ю|и|ь)|месяц(?:ев|а)?|квартал(?:ов|а)?"
    rf"|полугоди(?:е|я|й)|полгода|год(?:а)?|лет){_NOT_LETTER_AHEAD}"
)
_GAP: Final = r"(?:\s+|(?=\d))"  # a word ends at a space, or at a date typed without one

# A date expression must start a clause, so "за 10 дней до 01.09" is not read as "до 01.09".
_CLAUSE_BREAK: Final = re.compile(r"[,;:()\[\]|\n\r\x00]|\.\s+(?=[^\W\d_])")
_NON_SPACE: Final = re.compile(r"\S")
_LEAD_IN: Final = re.compile(
    r"(?:(?P<within>в\s+течени[ея]|на\s+протяжении)"
    r"|(?P<plain>в\s+период|в\s+срок|срок(?:\s+исполнения)?|на)"
    r"|(?P<at>во?))\s+"
)
_OPERATOR: Final = re.compile(
    r"(?:(?P<whole>(?:до|к|не\s+позднее|не\s+позже)\s+(?:конца|концу|окончания))"
    r"|(?P<since>начиная\s+со?|со?)"
    r"|(?P<not_before>не\s+ранее|не\s+раньше)"
    r"|(?P<after>после)"
    r"|(?P<by>не\s+позднее|не\s+позже|по)"
    r"|(?P<until>до|ко?))" + _GAP
)
_CONNECTOR: Final = r"(?:(?:по|до)\s+конца|по|до)"
_SINCE_TAIL: Final = re.compile(
    rf"\s*(?:-+\s*(?:(?P<w1>{_CONNECTOR}){_GAP})?|(?P<w2>{_CONNECTOR}){_GAP})"
)
_DASH_TAIL: Final = re.compile(r"\s*-+\s*")
_BLANK_REST: Final = r"(?=[\s.]*$)"

# Anything date-like left in the note means the phrase holds more than one date: give up.
_DATE_HINT: Final = re.compile(
    r"(?<!\d)\d{1,2}\s*[./]+\s*\d{1,2}\s*[./]+\s*\d{2,4}(?!\d)"
    rf"|{_NOT_LETTER_BEHIND}{_MONTH}|квартал|полугоди"
)

# A note is trimmed of whitespace (every character str.isspace() accepts), separators and dashes.
# str.strip is linear; an end-anchored regex would rescan a long run of spaces from every position.
_SPACE_CHARS: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_JUNK: Final = _SPACE_CHARS + ",;.:-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_MEANINGFUL: Final = re.compile(r"[^\W_]")
_FILLER: Final = re.compile(
    r"\(?\s*(?:г|гг|год|года|включительно|срок(?:\s+исполнения)?|в\s+срок)\s*\)?"
)


# --- Terms ----------------------------------------------------------------------------------------


class _Unreadable(Exception):
    """Gives up on a phrase from deep inside the parser; never escapes `parse_deadline`."""


_Kind = Literal[
    "day",
    "month",
    "quarter",
    "half",
    "year",
    "school",
    "numeral",
    "whole",
    "whole_period",
    "whole_school",
]


@dataclass(frozen=True, slots=True)
class _Term:
    """One day or period as written; `year` None means "the other side's or the roadmap's"."""

    kind: _Kind
    end: int
    year: int | None = None
    month: int = 1
    day: int = 1
    number: int = 0
    roman: bool = False


def _year(digits: str | None) -> int | None:
    if digits is None:
        return None
    value = int(digits) + (2000 if len(digits) == 2 else 0)
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise _Unreadable
    return value


def _ordinal(token: str) -> int:
    if token.isdecimal():
        return int(token)
    return _ROMAN.get(token) or _ORDINAL_BY_PREFIX.get(token[:3], 0)


def _numeric_date(m: re.Match[str]) -> _Term:
    return _Term("day", m.end(), _year(m["y"]), month=int(m["m"]), day=int(m["d"]))


def _school_year(m: re.Match[str]) -> _Term | None:
    if m["sep"] == "-" and m["uch"] is None:
        return None  # "2023-2024 гг." is two calendar years: a range, read elsewhere
    first = _year(m["y1"])
    assert first is not None
    second = m["y2"]
    expected = str(first + 1) if len(second) == 4 else f"{(first + 1) % 100:02d}"
    if second != expected or first + 1 > MAX_YEAR:
        raise _Unreadable
    return _Term("school", m.end(), first)


def _day_month_name(m: re.Match[str]) -> _Term:
    month = _MONTH_BY_PREFIX[m["mon"][:3]]
    return _Term("day", m.end(), _year(m["y"]), month=month, day=int(m["d"]))


def _day_month_numeric(m: re.Match[str]) -> _Term | None:
    day, month = int(m["d"]), int(m["m"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None  # "12.00", "10.30": a time of day, not a date
    return _Term("day", m.end(), None, month=month, day=day)


def _period(kind: _Kind, most: int) -> Callable[[re.Match[str]], _Term]:
    def build(m: re.Match[str]) -> _Term:
        number = _ordinal(m["n"])
        if not 1 <= number <= most:
            raise _Unreadable
        return _Term(kind, m.end(), _year(m["y"]), number=number)

    return build


def _month(m: re.Match[str]) -> _Term:
    return _Term("month", m.end(), _year(m["y"]), month=_MONTH_BY_PREFIX[m["mon"][:3]])


def _whole_year(m: re.Match[str]) -> _Term:
    return _Term("year", m.end(), _year(m.groupdict().get("y")))


def _whole(kind: _Kind) -> Callable[[re.Match[str]], _Term]:
    """ "года", "периода", "учебного года" after "в течение": the roadmap's period (`_bounds`)."""

    def build(m: re.Match[str]) -> _Term:
        return _Term(kind, m.end())

    return build


def _numeral(m: re.Match[str]) -> _Term:
    token = m["n"]
    roman = not token.isdecimal()
    return _Term("numeral", m.end(), number=_ordinal(token), roman=roman)


_TermRule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], _Term | None]]

# Tried in order at the start of a clause; the first that matches and builds a term wins. A builder
# returning None passes to the next rule; one raising _Unreadable rejects the whole phrase.
_TERM_RULES: Final[tuple[_TermRule, ...]] = (
    (
        "iso_date",
        re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
        _numeric_date,
    ),
    (
        "numeric_date",
        re.compile(
            r"(?P<d>\d{1,2})\s*[./]+\s*(?P<m>\d{1,2})\s*[./]+\s*(?P<y>\d{4}|\d{2})(?!\d)"
            rf"(?:\s*{_YEAR_WORD})?"
        ),
        _numeric_date,
    ),
    (
        "school_year",
        re.compile(
            r"(?P<y1>\d{4})\s*(?P<sep>[/-])\s*(?P<y2>\d{4}|\d{2})(?!\d)"
            rf"(?:\s*(?P<uch>учебн[а-я]*|уч\.|уч{_NOT_LETTER_AHEAD}))?(?:\s*{_YEAR_WORD})?"
        ),
        _school_year,
    ),
    (
        "day_month_name",
        re.compile(
            rf"[«\"']?(?P<d>\d{{1,2}})(?!\d)[»\"']?{_ORDINAL_ENDING}\s*(?P<mon>{_MONTH})"
            rf"(?:\s*(?P<y>\d{{4}})(?!\d)(?:\s*{_YEAR_WORD})?)?"
        ),
        _day_month_name,
    ),
    (
        "day_month_numeric",
        re.compile(r"(?P<d>\d{1,2})\s*\.\s*(?P<m>\d{2})(?!\d|\s*[./]\s*\d)"),
        _day_month_numeric,
    ),
    (
        "quarter",
        re.compile(
            rf"(?P<n>{_ORDINAL}){_ORDINAL_ENDING}\s*(?:квартал(?:ами|ам|ах|ом|ов|а|е|у|ы)?|кв\.?)"
            rf"{_NOT_LETTER_AHEAD}{_OPTIONAL_YEAR}"
        ),
        _period("quarter", 4),
    ),
    (
        "half_year",
        re.compile(
            rf"(?P<n>{_ORDINAL}){_ORDINAL_ENDING}\s*(?:полугоди(?:ями|ям|ях|ем|е|я|ю|и|й)|пол\.)"
            rf"{_NOT_LETTER_AHEAD}{_OPTIONAL_YEAR}"
        ),
        _period("half", 2),
    ),
    ("month", re.compile(rf"(?P<mon>{_MONTH}){_OPTIONAL_YEAR}"), _month),
    ("year", re.compile(rf"(?P<y>\d{{4}})(?!\d)(?:\s*{_YEAR_WORD})?"), _whole_year),
    (
        "current_year",
        re.compile(rf"(?:текущ|это|сего)[а-я]{{0,3}}\s+год(?:а|у)?{_NOT_LETTER_AHEAD}"),
        _whole_year,
    ),
    # "в течение года": the roadmap's period, else its year, but not "в течение года после
    # получения"; "в течение календарного / текущего года" is the year whatever the period.
    (
        "year_word",
        re.compile(rf"(?:календарного|текущего)\s+года{_NOT_LETTER_AHEAD}{_BLANK_REST}"),
        _whole_year,
    ),
    (
        "year_word",
        re.compile(rf"(?:всего\s+)?года{_NOT_LETTER_AHEAD}{_BLANK_REST}"),
        _whole("whole"),
    ),
    (
        "year_word",
        re.compile(rf"(?:всего\s+)?периода(?:\s+реализации)?{_NOT_LETTER_AHEAD}{_BLANK_REST}"),
        _whole("whole_period"),
    ),
    (
        "year_word",
        re.compile(rf"(?:всего\s+)?учебного\s+года{_NOT_LETTER_AHEAD}{_BLANK_REST}"),
        _whole("whole_school"),
    ),
    # A bare number or Roman numeral: the first side of "1-15 мая", "I-II квартал".
    (
        "numeral",
        re.compile(rf"(?P<n>\d{{1,2}}(?!\d)|(?:iv|iii|ii|i){_NOT_LETTER_AHEAD}){_ORDINAL_ENDING}"),
        _numeral,
    ),
)


def _rules(*, numeral: bool, year_word: bool, clock: bool) -> tuple[_TermRule, ...]:
    skipped = {
        name
        for name, wanted in (
            ("numeral", numeral),
            ("year_word", year_word),
            # after a bare "в", "9.30" is a time ("в 9.30"), not 9 March
            ("day_month_numeric", clock),
        )
        if not wanted
    }
    return tuple(rule for rule in _TERM_RULES if rule[0] not in skipped)


_RULE_SETS: Final[dict[tuple[bool, bool, bool], tuple[_TermRule, ...]]] = {
    (numeral, year_word, clock): _rules(numeral=numeral, year_word=year_word, clock=clock)
    for numeral in (False, True)
    for year_word in (False, True)
    for clock in (False, True)
}


def _term(s: str, pos: int, end: int, rules: Iterable[_TermRule]) -> _Term | None:
    for _, pattern, build in rules:
        m = pattern.match(s, pos, end)
        if m is not None and (term := build(m)) is not None:
            return term
    return None


def _date(year: int, month: int, day: int) -> date:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        raise _Unreadable
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _Unreadable
    return date(year, month, day)


def _months(year: int, first: int, last: int) -> tuple[date, date]:
    return _date(year, first, 1), _date(year, last, calendar.monthrange(year, last)[1])


_Period = tuple[date, date]


def _is_school_year(period: _Period) -> bool:
    first, last = period
    return (first.month, first.day, last.month, last.day) == (9, 1, 8, 31) and (
        last.year == first.year + 1
    )


def _bounds(term: _Term, year: int | None, period: _Period | None = None) -> tuple[date, date]:
    """First and last day of a term in `year` (used when the term has no year of its own).
    `period` is the roadmap's, for "в течение года": None when the phrase does not mean it."""
    if term.kind == "whole" and period is not None:
        return period
    if term.kind == "whole_period" and period is not None:
        return period
    if term.kind == "whole_school" and period is not None and _is_school_year(period):
        return period
    if term.kind in ("whole_period", "whole_school"):
        raise _Unreadable  # "в течение периода" of a roadmap whose period is unknown
    y = term.year if term.year is not None else year
    if y is None:
        raise _Unreadable  # no year written and none to assume: not a guess we make
    match term.kind:
        case "day":
            day = _date(y, term.month, term.day)
            return day, day
        case "month":
            return _months(y, term.month, term.month)
        case "quarter":
            return _months(y, 3 * term.number - 2, 3 * term.number)
        case "half":
            return _months(y, 6 * term.number - 5, 6 * term.number)
        case "year" | "whole":
            return _months(y, 1, 12)
        case "school":
            return _date(y, 9, 1), _date(y + 1, 8, 31)
        case _:
            raise _Unreadable  # a bare numeral is never a date on its own


def _adopt(numeral: _Term, other: _Term) -> _Term:
    """The first side of "1-15 мая" or "I-II квартал" read in the unit of the second side."""
    if other.kind in ("quarter", "half"):
        return _Term(other.kind, numeral.end, number=numeral.number)
    if other.kind == "day" and not numeral.roman:
        return _Term("day", numeral.end, month=other.month, day=numeral.number)
    raise _Unreadable


def _range(first: _Term, second: _Term, context: int | None) -> tuple[date, date, date, date]:
    """Bounds of both sides of a range, lending a year from the side that has one."""
    wraps = True
    if first.kind == "numeral":
        first = _adopt(first, second)
        wraps = False  # "с 25 по 5 мая" is a mistake, not April to May
    if first.year is None and second.year is not None:
        b_lo, b_hi = _bounds(second, None)
        a_lo, a_hi = _bounds(first, b_hi.year)
        if a_lo > b_hi and wraps:  # "сентябрь - май 2024": September of 2023
            a_lo, a_hi = _bounds(first, b_hi.year - 1)
    elif second.year is None and first.year is not None:
        a_lo, a_hi = _bounds(first, None)
        b_lo, b_hi = _bounds(second, a_lo.year)
        if b_hi < a_lo:  # "сентябрь 2023 - май": May of 2024
            b_lo, b_hi = _bounds(second, a_lo.year + 1)
    else:
        # Both written, or both from the roadmap's year; a wrap in the latter could be either
        # school year, so a reversed range is left unread below rather than guessed.
        a_lo, a_hi = _bounds(first, context)
        b_lo, b_hi = _bounds(second, context)
    return a_lo, a_hi, b_lo, b_hi


# --- Clauses --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    start: date | None
    due: date | None
    span: tuple[int, int]
    term: _Term | None = None  # a plain day or period with no operator: "август 2022 года"


def _single(
    operator: str | None, term: _Term, context: int | None, period: _Period | None
) -> tuple[date | None, date | None]:
    lo, hi = _bounds(term, context, period)
    day = term.kind == "day"
    match operator:
        case "since" | "not_before":
            return lo, None
        case "after":
            return hi + _ONE_DAY, None
        case "until":
            return None, (hi if day else lo - _ONE_DAY)
        case "by":
            return None, hi
        case _:  # no operator, or "до конца"
            return (None, hi) if day else (lo, hi)


def _clause(
    s: str, begin: int, end: int, context: int | None, period: _Period | None
) -> _Found | None:
    """A date expression at the start of the clause s[begin:end], or None."""
    first_char = _NON_SPACE.search(s, begin, end)
    if first_char is None:
        return None
    pos = origin = first_char.start()
    lead = _LEAD_IN.match(s, pos, end)
    if lead is not None:
        pos = lead.end()
    op = _OPERATOR.match(s, pos, end)
    operator = op.lastgroup if op is not None else None
    if op is not None:
        pos = op.end()
    rules = _RULE_SETS[
        (
            operator in (None, "since"),
            (lead is not None and lead.lastgroup == "within") or operator == "whole",
            lead is None or lead.lastgroup != "at",
        )
    ]
    first = _term(s, pos, end, rules)
    if first is None:
        return None

    tail = None
    if operator == "since":
        tail = _SINCE_TAIL.match(s, first.end, end)
    elif operator is None:
        tail = _DASH_TAIL.match(s, first.end, end)
    second = _term(s, tail.end(), end, _RULE_SETS[False, False, True]) if tail else None

    if second is None:
        if first.kind == "numeral":
            return None
        # "в течение года" is the roadmap's whole period; "до конца года" its year, but "до конца
        # учебного года" / "периода" the period too.
        within = lead is not None and lead.lastgroup == "within" and operator is None
        whole = operator == "whole" and first.kind != "whole"
        start, due = _single(operator, first, context, period if within or whole else None)
        plain = operator is None and first.kind in ("day", "month")
        return _Found(start, due, (origin, first.end), first if plain else None)

    a_lo, _, b_lo, b_hi = _range(first, second, context)
    assert tail is not None
    word = tail.groupdict().get("w1") or tail.groupdict().get("w2")
    # "с сентября до декабря" stops before December, as "до мая" does; "по" and dashes include it.
    due = b_lo - _ONE_DAY if word == "до" and second.kind != "day" else b_hi
    return _Found(a_lo, due, (origin, second.end))


def _clauses(s: str) -> Iterable[tuple[int, int]]:
    begin = 0
    for m in _CLAUSE_BREAK.finditer(s):
        if m.start() > begin:
            yield begin, m.start()
        begin = m.end()
    if begin < len(s):
        yield begin, len(s)


def _yearly(found: list[_Found]) -> tuple[date, date, str] | None:
    """ "Август 2022 года, август 2023 года": one month (or day of a month) in consecutive years
    is a yearly rule, FREQ=YEARLY;BYMONTH=8, from the first one's first day to the last one's last
    day, not two dates competing."""
    terms = [f.term for f in found if f.term is not None and f.term.year is not None]
    if len(terms) < 2 or len(terms) != len(found):
        return None
    first, last = terms[0], terms[-1]
    for offset, term in enumerate(terms):
        if (term.kind, term.month, term.day, term.year) != (
            first.kind,
            first.month,
            first.day,
            (first.year or 0) + offset,
        ):
            return None
    rule = f"FREQ=YEARLY;BYMONTH={first.month}"
    if first.kind == "day":
        rule += f";BYMONTHDAY={first.day}"
    return _bounds(first, None)[0], _bounds(last, None)[1], rule


def _read_dates(
    masked: str, context: int | None, period: _Period | None
) -> tuple[date | None, date | None, list[tuple[int, int]], str | None]:
    found = [
        f
        for begin, end in _clauses(masked)
        if (f := _clause(masked, begin, end, context, period)) is not None
    ]
    if not found:
        return None, None, [], None
    yearly = _yearly(found)
    if yearly is not None:
        return yearly[0], yearly[1], [f.span for f in found], yearly[2]
    start: date | None
    due: date | None
    if len(found) == 1:
        start, due = found[0].start, found[0].due
    elif (
        len(found) == 2
        and found[0].due is None
        and found[1].start is None
        and found[0].start is not None
        and found[1].due is not None
    ):
        start, due = found[0].start, found[1].due  # "с 10.04.2023, до 17.04.2023"
    else:
        raise _Unreadable  # two dates compete: which one is meant is not ours to say
    if start is not None and due is not None and start > due:
        raise _Unreadable
    return start, due, [f.span for f in found], None


# --- Recurrence -----------------------------------------------------------------------------------

_EVERY_ADVERB: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}еже(?P<stem>дневн|недельн|месячн|квартальн|полугодов|полугодн|годн)"
    r"[а-я]{0,4}"
)
_EVERY_UNIT: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}кажд(?:ый|ую|ое|ые|ого|ой|ом)\s+(?:(?P<n>{_NUMBER})\s+)?"
    rf"(?P<unit>{_UNIT})"
)
_ONCE_PER: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}(?:не\s+(?:реже|менее)\s+)?(?:(?P<count>{_NUMBER})\s+)?"
    rf"раза?\s+в\s+(?:(?P<n>{_NUMBER})\s+)?(?P<unit>{_UNIT})"
)
_WORKDAYS: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}(?:по\s+рабочим\s+дням|в\s+рабочие\s+дни|по\s+будням|в\s+будни)"
    rf"{_NOT_LETTER_AHEAD}"
)
_WEEKDAY_LIST: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}(?:(?P<lead>по|кажд[а-я]{{0,3}}|во?|до|к|не\s+позднее)\s+)?"
    rf"(?P<days>{_WEEKDAY}(?:(?:\s*[,/]\s*|\s+и\s+|\s+)(?:(?:по|во?)\s+)?{_WEEKDAY})*)"
)
_WEEKDAY_WORD: Final = re.compile(rf"{_NOT_LETTER_BEHIND}{_WEEKDAY}")
# "(месяца,) следующего за отчетным кварталом": the report is due after each period ends, so the
# months are fixed (January, April, July, October for a quarter) and the day is the number given.
_AFTER_REPORTING: Final = (
    r"следующ(?:его|ем|ий)\s+за\s+отчетн(?:ым|ом|ый)"
    rf"(?:\s+(?P<period>квартал|период|месяц|полугоди|год)[а-я]{{0,3}})?{_NOT_LETTER_AHEAD}"
)
_MONTH_DAY: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}(?:(?:до|к|по|не\s+позднее|не\s+позже|в)\s+)?"
    rf"(?:(?P<d>\d{{1,2}})(?!\d){_ORDINAL_ENDING}\s*числ(?:а|о|у)"
    r"|(?P<last>последн(?:ее|его|ему|ий)\s+(?:числ(?:а|о|у)|дн(?:я|ю)|день)))"
    rf"{_NOT_LETTER_AHEAD}"
    rf"(?:\s+(?P<each>каждого\s+)?(?:текущего\s+|следующего\s+|отчетного\s+)?месяца"
    rf"{_NOT_LETTER_AHEAD}(?:\s*,?\s*{_AFTER_REPORTING})?)?"
)

# Days of the year a yearly, half-yearly or quarterly report falls on: "до 1 февраля", "до 10 июля
# и 10 января", "май"; a day or month with a year of its own is a date, read elsewhere.
_DAY_OF_YEAR: Final = (
    rf"(?:(?P<d>\d{{1,2}})(?!\d){_ORDINAL_ENDING}\s*)?(?P<mon>{_MONTH})(?!\s*[\d.]*\d)"
)
_DAY_OF_YEAR_ITEM: Final = re.compile(_DAY_OF_YEAR)
_ANY_DAY_OF_YEAR: Final = _DAY_OF_YEAR.replace("?P<d>", "?:").replace("?P<mon>", "?:")
_DAYS_OF_YEAR: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}(?:(?:до|к|по|не\s+позднее|не\s+позже|в|во)\s+)?{_ANY_DAY_OF_YEAR}"
    rf"(?:(?:\s*,\s*|\s+и\s+)(?:(?:до|к|по|в|во)\s+)?{_ANY_DAY_OF_YEAR})*"
    rf"(?:\s+года\s*,?\s*{_AFTER_REPORTING})?"
)
_RESULTS_OF: Final = re.compile(
    rf"{_NOT_LETTER_BEHIND}по\s+(?:итогам|результатам)\s+(?:каждого\s+)?"
    rf"(?P<unit>полугоди[яй]|квартал(?:а|ов)?){_NOT_LETTER_AHEAD}"
)
_FIRST_MONTHS: Final[dict[int, tuple[int, ...]]] = {3: (1, 4, 7, 10), 6: (1, 7)}

# A year the document leaves open: "X - 1 года", "N-го года", "года X", "20ХХ года". A date in it
# is not the roadmap's year and is never guessed.
_PLACEHOLDER_YEAR: Final = re.compile(
    rf"(?<![\w-])(?:[хnн](?:\s*[-+]\s*\d{{1,2}}(?!\d))?(?:\s*-?\s*(?:ого|го|й|м))?"
    rf"\s*год[а-я]{{0,2}}{_NOT_LETTER_AHEAD}"
    rf"|год[а-я]{{0,2}}\s+[хnн](?:\s*[-+]\s*\d{{1,2}}(?!\d))?{_NOT_LETTER_AHEAD}"
    rf"|[хnн]\s*[-+]\s*\d{{1,2}}(?!\d))"
    r"|(?<!\d)\d{2}(?:хх|__+)(?![^\W\d_])"
)

# Every recurrence rule above needs one of these words.
_RHYTHM_HINT: Final = re.compile(
    rf"еже|кажд|раза?\s|числ|будн|рабоч|последн|итогам|результатам|{_WEEKDAY_WORD.pattern}"
)


def _count(token: str) -> int:
    return int(token) if token.isdecimal() else _NUMBER_WORDS[token]


@dataclass(slots=True)
class _Rhythm:
    """What the recurrence rules found so far; conflicting frequencies make the phrase unread."""

    frequency: str | None = None
    interval: int = 1
    weekdays: set[str] = field(default_factory=set)
    monthdays: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def settle(self, frequency: str, interval: int, span: tuple[int, int]) -> None:
        if self.frequency is None:
            self.frequency, self.interval = frequency, interval
        elif (self.frequency, self.interval) != (frequency, interval):
            raise _Unreadable  # "еженедельно ... ежемесячно": no single rule says both
        self.spans.append(span)

    def fix_months(self, months: Iterable[int]) -> None:
        """The months a yearly, half-yearly or quarterly rule falls in; the rule becomes yearly."""
        months = set(months)
        if self.frequency == "MONTHLY" and self.interval in _FIRST_MONTHS:
            # "до 10 июля и 10 января" after "по итогам полугодия": one month in each period
            steps = sorted((month - 1) % self.interval for month in months)
            if len(months) != 12 // self.interval or len(set(steps)) != 1:
                raise _Unreadable
        elif self.frequency != "YEARLY" or self.interval != 1:
            raise _Unreadable
        if self.months and self.months != months:
            raise _Unreadable
        if any(
            day > calendar.monthrange(2024, month)[1] for day in self.monthdays for month in months
        ):
            raise _Unreadable  # "ежеквартально до 31 числа": April has no 31st
        self.months = months

    def rrule(self) -> str | None:
        if self.frequency is None:
            return None
        if self.months:
            parts = ["FREQ=YEARLY", "BYMONTH=" + ",".join(map(str, sorted(self.months)))]
            if self.monthdays:
                parts.append("BYMONTHDAY=" + ",".join(map(str, sorted(self.monthdays))))
            return ";".join(parts)
        parts = [f"FREQ={self.frequency}"]
        if self.interval > 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(sorted(self.weekdays, key=_WEEK_ORDER.__getitem__)))
        if self.monthdays:
            parts.append("BYMONTHDAY=" + ",".join(map(str, sorted(self.monthdays))))
        return ";".join(parts)


def _read_recurrence(s: str) -> _Rhythm:
    rhythm = _Rhythm()
    if _RHYTHM_HINT.search(s) is None:
        return rhythm  # most phrases are plain dates: one scan instead of seven
    for m in _EVERY_ADVERB.finditer(s):
        rhythm.settle(*_ADVERB_FREQUENCY[m["stem"]], m.span())
    for pattern in (_EVERY_UNIT, _ONCE_PER):
        for m in pattern.finditer(s):
            if m.groupdict().get("count") and _count(m["count"]) != 1:
                continue  # "2 раза в месяц" has no RRULE without days: left in the note
            frequency, per_unit = _UNIT_FREQUENCY[m["unit"][0]]
            n = _count(m["n"]) if m["n"] else 1
            if n >= 1:
                rhythm.settle(frequency, per_unit * n, m.span())
    for m in _WORKDAYS.finditer(s):
        if rhythm.frequency in (None, "DAILY"):
            rhythm.settle("DAILY", rhythm.interval, m.span())
            rhythm.weekdays.update(_WORKING_DAYS)
    for m in _WEEKDAY_LIST.finditer(s):
        lead = m["lead"] or ""
        # "по пятницам", "каждую пятницу" recur by themselves; "в пятницу" only after "еженедельно".
        standalone = lead == "по" or lead.startswith("кажд")
        if rhythm.frequency == "WEEKLY" or (standalone and rhythm.frequency is None):
            rhythm.settle("WEEKLY", rhythm.interval, m.span())
            rhythm.weekdays.update(
                _WEEKDAY_BY_PREFIX[w.group()[:2]] for w in _WEEKDAY_WORD.finditer(m["days"])
            )
    for m in _MONTH_DAY.finditer(s):
        period = m["period"] or ""
        after = m["period"] is not None or "отчетн" in m.group()
        if after and period.startswith(("квартал", "полугоди")):
            # "до 10 числа месяца, следующего за отчетным кварталом"
            interval = 3 if period.startswith("квартал") else 6
            rhythm.settle("MONTHLY", interval, m.span())
        elif (m["each"] or after) and rhythm.frequency is None:
            rhythm.settle("MONTHLY", 1, m.span())
        elif rhythm.frequency == "MONTHLY":
            rhythm.spans.append(m.span())
        elif m["each"] or after:
            raise _Unreadable
        else:
            continue  # "до 5 числа" with no month-based rhythm: left in the note
        day = -1 if m["last"] else int(m["d"])
        if not (day == -1 or 1 <= day <= 31):
            raise _Unreadable
        rhythm.monthdays.add(day)
        if after and rhythm.interval in _FIRST_MONTHS:
            # the month after each quarter (half-year) ends: January, April, July, October
            rhythm.fix_months(_FIRST_MONTHS[rhythm.interval])
    _read_days_of_year(s, rhythm)
    if rhythm.frequency == "MONTHLY" and rhythm.interval in _FIRST_MONTHS and rhythm.monthdays:
        # "ежеквартально до 15 числа": a quarterly report is due in the month after each quarter
        # (as "месяца, следующего за отчетным кварталом" says in full), "последнего числа" on the
        # quarter's last day; months, not a start date, fix the days.
        if rhythm.monthdays == {-1}:
            rhythm.fix_months(
                month + rhythm.interval - 1 for month in _FIRST_MONTHS[rhythm.interval]
            )
        else:
            rhythm.fix_months(_FIRST_MONTHS[rhythm.interval])
    return rhythm


def _read_days_of_year(s: str, rhythm: _Rhythm) -> None:
    """ "ежегодно до 1 февраля", "май, ежегодно", "по итогам полугодия, до 10 июля и 10 января"."""
    for m in _DAYS_OF_YEAR.finditer(s):
        items = list(_DAY_OF_YEAR_ITEM.finditer(s, m.start(), m.end()))
        if rhythm.frequency is None and len(items) > 1:
            results = _RESULTS_OF.search(s)
            if results is not None:
                unit = 3 if results["unit"].startswith("квартал") else 6
                rhythm.settle("MONTHLY", unit, results.span())
        if rhythm.frequency not in ("YEARLY", "MONTHLY") or (
            rhythm.frequency == "MONTHLY" and rhythm.interval not in _FIRST_MONTHS
        ):
            continue  # a day of a month with no yearly rhythm is a date, read elsewhere
        days = {int(item["d"]) if item["d"] else None for item in items}
        if len(days) != 1 or (None in days and rhythm.frequency != "YEARLY"):
            raise _Unreadable  # "до 10 июля и 15 января" is no single rule; "в мае" needs a day
        months = [_MONTH_BY_PREFIX[item["mon"][:3]] for item in items]
        day = days.pop()
        if day is not None:
            if any(not 1 <= day <= calendar.monthrange(2024, month)[1] for month in months):
                raise _Unreadable
            if rhythm.monthdays and rhythm.monthdays != {day}:
                raise _Unreadable
            rhythm.monthdays.add(day)
        rhythm.fix_months(months)
        rhythm.spans.append(m.span())


# --- Notes ----------------------------------------------------------------------------------------


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _mask(s: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return s
    parts: list[str] = []
    pos = 0
    for a, b in spans:
        parts += (s[pos:a], "\x00" * (b - a))
        pos = b
    parts.append(s[pos:])
    return "".join(parts)


def _strip(text: str) -> str | None:
    text = text.strip(_JUNK)
    return text if _MEANINGFUL.search(text) else None


def _piece(text: str) -> str | None:
    """A leftover fragment, without brackets whose partner was taken out or that wrap all of it."""
    # A trailing "(" or a leading ")" lost its partner to the part that was understood.
    text = text.lstrip(_JUNK + ")").rstrip(_JUNK + "(")
    if ")" not in text:
        text = text.lstrip(_JUNK + "(")
    if "(" not in text:
        text = text.rstrip(_JUNK + ")")
    if text[:1] == "(" and text[-1:] == ")" and text.count("(") == text.count(")") == 1:
        text = text[1:-1].strip(_JUNK)  # "до 01.09.2023 (по итогам года)": brackets set it off
    if not _MEANINGFUL.search(text) or _FILLER.fullmatch(_normalise(text)):
        return None
    return text


def _note(text: str, spans: list[tuple[int, int]]) -> str | None:
    pieces: list[str] = []
    pos = 0
    for a, b in spans:
        pieces.append(text[pos:a])
        pos = b
    pieces.append(text[pos:])
    kept = [p for p in map(_piece, pieces) if p is not None]
    return " ".join(kept) or None


# --- Entry point ----------------------------------------------------------------------------------


def parse_deadline(
    text: str, *, year: int | None = None, period: tuple[date, date] | None = None
) -> Deadline:
    """Read a deadline as written in a roadmap; see the module docstring for the grammar.

    `year` is the roadmap's year, assumed for a month, quarter or day written without one.
    `period` is the span the roadmap covers (its first and last day: "на 2021 - 2023 годы" is
    01.01.2021 .. 31.12.2023, "2012-2013 учебный год" 01.09.2012 .. 31.08.2013), taken only by
    a phrase meaning the whole of it: "в течение года" (else the year), "в течение всего
    периода", "в течение учебного года" (when the period is one school year); dates without a
    year still take `year`. Never raises: a phrase not understood comes back with no dates
    (`fixed` False) and its text as note.
    """
    context = year if year is not None and MIN_YEAR <= year <= MAX_YEAR else None
    if period is not None and not (
        period[0].year >= MIN_YEAR and period[1].year <= MAX_YEAR and period[0] <= period[1]
    ):
        period = None
    normal = _normalise(text)
    if _PLACEHOLDER_YEAR.search(normal):
        return Deadline(text=text, note=_strip(text))  # "25 августа X - 1 года": whose year?
    try:
        rhythm = _read_recurrence(normal)
        recurring = _merged(rhythm.spans)
        start, due, dated, yearly = _read_dates(_mask(normal, recurring), context, period)
        understood = _merged(recurring + dated)
        if _DATE_HINT.search(_mask(normal, understood)):
            raise _Unreadable  # a date we could not place is still in the text
        recurrence = rhythm.rrule()
        if yearly is not None:
            if recurrence not in (None, "FREQ=YEARLY", yearly):
                raise _Unreadable  # "ежемесячно, август 2022, август 2023": which is it?
            recurrence = yearly
    except _Unreadable:
        return Deadline(text=text, note=_strip(text))
    if start is None and due is None and recurrence is None:
        return Deadline(text=text, note=_strip(text))
    return Deadline(text, start, due, recurrence, _note(text, understood))
