from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.reports import MAX_DIGITS, ParsedReport, ProblemKind, ReportProblem, parse_report

LABELS = {
    "учителей": "teachers",
    "педагог": "teachers",
    "чатов": "chats",
    "активных чатов": "active_chats",
}
NBSP, THIN, NARROW = "\u00a0", "\u2009", "\u202f"
K = ProblemKind


def report(values: dict[str | None, int], of: int | None = None) -> ParsedReport:
    return ParsedReport(values, of=of)


# --- Accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("38", report({None: 38})),
        ("  38  ", report({None: 38})),
        ("38.", report({None: 38})),
        ("0", report({None: 0})),
        ("007", report({None: 7})),
        ("38 из 45", report({None: 38}, of=45)),
        ("38 ИЗ 45.", report({None: 38}, of=45)),
        ("38/45", report({None: 38}, of=45)),
        ("38 / 45", report({None: 38}, of=45)),
        ("50 из 45", report({None: 50}, of=45)),  # the caller judges the numbers, not the grammar
        ("1 234", report({None: 1234})),
        ("12 345", report({None: 12345})),
        ("123 456 789", report({None: 123456789})),
        (f"1{NBSP}234", report({None: 1234})),
        (f"1{THIN}234{NARROW}567", report({None: 1234567})),
        ("1234", report({None: 1234})),
        ("999999999", report({None: 999999999})),
        ("1 234 из 2 000", report({None: 1234}, of=2000)),
        ("38\n38", report({None: 38})),  # said twice, the same
        ("38,", report({None: 38})),
        ("учителей 38, чатов 12", report({"teachers": 38, "chats": 12})),
        ("38 учителей; 12 чатов", report({"teachers": 38, "chats": 12})),
        ("учителей 38\nчатов 12", report({"teachers": 38, "chats": 12})),
        ("учителей 38 и чатов 12", report({"teachers": 38, "chats": 12})),
        ("чатов 12, учителей 38.", report({"chats": 12, "teachers": 38})),
        ("учителя — 38", report({"teachers": 38})),
        ("учителя – 38", report({"teachers": 38})),
        ("учителя - 38", report({"teachers": 38})),
        ("учителя-38", report({"teachers": 38})),
        ("учителя=38", report({"teachers": 38})),
        ("чаты: 12", report({"chats": 12})),
        ("Чаты:12", report({"chats": 12})),
        ("ЧАТОВ 0", report({"chats": 0})),
        ("12 чатов", report({"chats": 12})),
        ("1 чат", report({"chats": 1})),
        ("учитель 1", report({"teachers": 1})),
        ("педагогов 38", report({"teachers": 38})),
        ("педагоги 38", report({"teachers": 38})),
        ("38 педагогам", report({"teachers": 38})),
        ("учителёй 38", report({"teachers": 38})),  # ё is е
        ("активных чатов 5, чатов 12", report({"active_chats": 5, "chats": 12})),
        ("активные чаты: 5", report({"active_chats": 5})),
        ("педагогов 38 из 45", report({"teachers": 38}, of=45)),
        ("38/45 педагогов", report({"teachers": 38}, of=45)),
        ("учителей 38; педагогов 38", report({"teachers": 38})),  # two aliases, one value
        ("учителей 1 234; чатов 56", report({"teachers": 1234, "chats": 56})),
    ],
)
def test_accepted(text: str, expected: ParsedReport) -> None:
    assert parse_report(text, LABELS) == expected


# --- Refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "detail"),
    [
        ("", K.EMPTY, None),
        ("   \n\t ", K.EMPTY, None),
        ("много", K.NOT_A_NUMBER, "много"),
        ("тридцать восемь", K.NOT_A_NUMBER, None),
        ("38, спасибо", K.NOT_A_NUMBER, "спасибо"),
        ("38 из", K.NOT_A_NUMBER, "38 из"),
        ("38/", K.NOT_A_NUMBER, None),
        ("38%", K.NOT_A_NUMBER, "38%"),
        ("учителей 38 человек", K.NOT_A_NUMBER, None),
        ("1_000", K.BAD_NUMBER, "1_000"),
        ("1,000", K.BAD_NUMBER, "1,000"),
        ("1.000", K.BAD_NUMBER, "1.000"),
        ("1'000", K.BAD_NUMBER, "1'000"),
        ("3.5", K.BAD_NUMBER, "3.5"),
        ("3,5", K.BAD_NUMBER, "3,5"),
        ("учителей 3,5", K.BAD_NUMBER, "3,5"),
        ("5-6", K.BAD_NUMBER, "5-6"),
        ("½", K.BAD_NUMBER, "½"),
        ("3½", K.BAD_NUMBER, "3½"),
        ("+5", K.BAD_NUMBER, "+5"),
        ("-5", K.BAD_NUMBER, "-5"),
        ("−5", K.BAD_NUMBER, "−5"),
        ("чатов -5", K.BAD_NUMBER, "-5"),
        ("nan", K.BAD_NUMBER, "nan"),
        ("NaN", K.BAD_NUMBER, "NaN"),
        ("inf", K.BAD_NUMBER, "inf"),
        ("-Infinity", K.BAD_NUMBER, None),
        ("٣٨", K.BAD_NUMBER, "٣٨"),
        ("３８", K.BAD_NUMBER, "３８"),
        ("3８", K.BAD_NUMBER, "3８"),
        ("38²", K.BAD_NUMBER, "38²"),
        ("⁵", K.BAD_NUMBER, "⁵"),
        ("३८", K.BAD_NUMBER, "३८"),  # Devanagari
        ("1234567890", K.BAD_NUMBER, "1234567890"),
        ("1 234 567 890", K.BAD_NUMBER, "1 234 567 890"),
        ("1 23", K.BAD_NUMBER, "1 23"),
        ("1234 567", K.BAD_NUMBER, "1234 567"),
        ("38 12", K.BAD_NUMBER, "38 12"),
        ("38 из 0", K.BAD_NUMBER, None),
        ("38/0", K.BAD_NUMBER, None),
        ("учеников 38", K.UNKNOWN_LABEL, "учеников"),
        ("38 человек", K.UNKNOWN_LABEL, "человек"),
        ("всего педагогов 38", K.UNKNOWN_LABEL, "всего педагогов"),
        ("38 и", K.UNKNOWN_LABEL, "и"),
        ("38, 40", K.CONFLICT, None),
        ("38 и 40", K.CONFLICT, None),
        ("учителей 38, педагогов 40", K.CONFLICT, None),
        ("чатов 1; 2 чата", K.CONFLICT, None),
        ("38, чатов 12", K.MIXED, None),
        ("учителей 38\n12", K.MIXED, None),
        ("38 учителей 12 чатов", K.MIXED, "38 учителей 12 чатов"),
        ("учителей 38 из 45, чатов 12", K.MIXED, "учителей 38 из 45"),
    ],
)
def test_refused(text: str, kind: ProblemKind, detail: str | None) -> None:
    result = parse_report(text, LABELS)
    assert isinstance(result, ReportProblem), result
    assert result.kind is kind
    if detail is not None:
        assert result.detail == detail


def test_without_labels_only_bare_numbers_are_understood() -> None:
    assert parse_report("38") == report({None: 38})
    assert parse_report("учителей 38") == ReportProblem(K.UNKNOWN_LABEL, "учителей")


def test_a_phrase_matching_two_indicators_by_stem_is_refused() -> None:
    labels = {"учителя": "teachers", "учителей": "staff"}
    assert parse_report("учителей 3", labels) == report({"staff": 3})  # exact wins
    result = parse_report("учитель 3", labels)
    assert isinstance(result, ReportProblem)
    assert result.kind is K.UNKNOWN_LABEL


def test_parsed_report_is_frozen_and_hashable() -> None:
    values: dict[str | None, int] = {"teachers": 38}
    parsed = report(values)
    values["teachers"] = 0
    assert parsed.values["teachers"] == 38
    assert hash(parsed) == hash(report({"teachers": 38}))
    assert report({None: 38}).value == 38
    assert report({"chats": 1}).value is None


# --- Properties ----------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s")


@settings(max_examples=500)
@given(st.text())
def test_never_raises(text: str) -> None:
    assert isinstance(parse_report(text), ParsedReport | ReportProblem)
    assert isinstance(parse_report(text, LABELS), ParsedReport | ReportProblem)


_NUMBERISH = st.lists(
    st.sampled_from(
        [*"0123456789 .,_-+−/:½²٣３", NBSP, THIN, "\n", " из ", " и ", "учителей", "чатов", "nan"]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=500)
@given(st.one_of(st.text(), _NUMBERISH))
def test_accepts_only_non_negative_ascii_integers(text: str) -> None:
    result = parse_report(text, LABELS)
    if isinstance(result, ParsedReport):
        squeezed = _WHITESPACE.sub("", text)
        stated = [*result.values.values(), *([result.of] if result.of is not None else [])]
        for number in stated:
            assert type(number) is int
            assert number >= 0
            assert len(str(number)) <= MAX_DIGITS
            assert str(number) in squeezed
        assert result.of is None or result.of > 0


def _grouped(number: int, separator: str) -> str:
    return f"{number:,}".replace(",", separator)


@given(
    st.integers(min_value=0, max_value=10**MAX_DIGITS - 1),
    st.sampled_from([None, " ", NBSP, THIN, NARROW]),
)
def test_any_count_round_trips(number: int, separator: str | None) -> None:
    text = str(number) if separator is None else _grouped(number, separator)
    assert parse_report(text) == report({None: number})
    assert parse_report(f"учителей {text}", LABELS) == report({"teachers": number})
    if number > 0:
        assert parse_report(f"{text} из {text}") == report({None: number}, of=number)


@given(st.integers(min_value=10**MAX_DIGITS, max_value=10**30))
def test_too_long_counts_are_refused(number: int) -> None:
    result = parse_report(str(number))
    assert isinstance(result, ReportProblem)
    assert result.kind is K.BAD_NUMBER
