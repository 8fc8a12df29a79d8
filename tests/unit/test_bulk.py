"""Weekly numbers for many organisations in one message, one line each."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.access import OrgTree
from bot.domain.bulk import BulkProblem, BulkReading, BulkRow, LineProblem, parse_bulk
from bot.domain.indicators import Indicator, label_map
from bot.domain.model import Organisation, OrganisationKind
from bot.domain.reports import MAX_DIGITS, ProblemKind

ROSLAVL_1 = "МБОУ «СШ № 1» г. Рославля"
ROSLAVL_10 = "МБОУ «СШ № 10» г. Рославля"
KINDERGARTEN = "МБОУ «Средняя школа - детский сад»"
BRANCH = "Филиал МБОУ «Кардымовская СШ»: Шокинская ОШ"
YELNYA = "МБОУ «Ельнинская СШ № 1 им. М.И. Глинки»"
VYAZMA = "СОГБОУ «Вяземская школа-интернат № 1»"
NAMES = (ROSLAVL_1, ROSLAVL_10, KINDERGARTEN, BRANCH, YELNYA, VYAZMA)
TREE = OrgTree(Organisation(name, OrganisationKind.SCHOOL) for name in NAMES)

TEACHERS = Indicator(
    "teachers_active",
    "Педагоги, написавшие не менее 10 сообщений за неделю",
    "Сколько педагогов написали не менее 10 сообщений за неделю?",
    aliases=("педагогов", "учителей"),
)
CHATS = Indicator("chats", "Чаты", "Сколько чатов?", aliases=("чатов", "чаты"))
LABELS = label_map([TEACHERS, CHATS])
T, C = TEACHERS.code, CHATS.code
P, K = BulkProblem, ProblemKind


def read(text: str, single: str | None = T) -> BulkReading:
    return parse_bulk(text, LABELS, single, TREE.search)


# --- One line, read ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "organisation", "values"),
    [
        (f"{ROSLAVL_1} — 30", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1} – 30", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1} - 30", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1}: 30", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1}:30", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1}\t30", ROSLAVL_1, {T: 30}),
        (f"  {ROSLAVL_1}  :  0  ", ROSLAVL_1, {T: 0}),
        (f"{ROSLAVL_1} — 1 234", ROSLAVL_1, {T: 1234}),
        (f"{ROSLAVL_1} — 30 из 45", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_1} — 30/45", ROSLAVL_1, {T: 30}),
        (f"{ROSLAVL_10} - 7", ROSLAVL_10, {T: 7}),
        ("сш № 10 г. рославля — 7", ROSLAVL_10, {T: 7}),  # any case, the words of one name
        (f"{ROSLAVL_1} — учителей 28, чатов 4", ROSLAVL_1, {T: 28, C: 4}),
        (f"{ROSLAVL_1} — чаты — 3", ROSLAVL_1, {C: 3}),
        (f"{ROSLAVL_1}: чаты: 3", ROSLAVL_1, {C: 3}),
        (f"{ROSLAVL_1} - 12 чатов", ROSLAVL_1, {C: 12}),
        # Dashes, colons and quotes inside names.
        (f"{KINDERGARTEN} - 30", KINDERGARTEN, {T: 30}),
        (f"{KINDERGARTEN} — учителей 28, чатов 4", KINDERGARTEN, {T: 28, C: 4}),
        ("Средняя школа - детский сад: 12 чатов", KINDERGARTEN, {C: 12}),
        (f"{BRANCH}: 5", BRANCH, {T: 5}),
        (f"{BRANCH}: педагогов: 7", BRANCH, {T: 7}),
        ("Шокинская ОШ - 5", BRANCH, {T: 5}),
        (f"{VYAZMA} — 11", VYAZMA, {T: 11}),
        ("Вяземская школа-интернат — 11", VYAZMA, {T: 11}),
        ("Ельнинская СШ: педагогов 40", YELNYA, {T: 40}),
        (f"{YELNYA}\tучителей 40", YELNYA, {T: 40}),
    ],
)
def test_line_read(line: str, organisation: str, values: dict[str, int]) -> None:
    assert read(line) == BulkReading((BulkRow(1, organisation, values),), ())


def test_labelled_values_need_no_single_indicator() -> None:
    reading = read(f"{ROSLAVL_1} — учителей 28, чатов 4", single=None)
    assert reading.rows == (BulkRow(1, ROSLAVL_1, {T: 28, C: 4}),)


# --- One line, refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason", "detail", "kind"),
    [
        ("Школа № 99 — 5", P.UNKNOWN_ORGANISATION, "Школа № 99", None),
        ("Средняя школа - детский сад № 9 — 5", P.UNKNOWN_ORGANISATION, None, None),
        (f"{ROSLAVL_1} — 30 - 40", P.UNKNOWN_ORGANISATION, f"{ROSLAVL_1} — 30", None),
        ("СШ № 1 — 5", P.AMBIGUOUS_ORGANISATION, f"{ROSLAVL_1}; {ROSLAVL_10}; {YELNYA}", None),
        ("Рославля: 5", P.AMBIGUOUS_ORGANISATION, f"{ROSLAVL_1}; {ROSLAVL_10}", None),
        (f"{ROSLAVL_1} — 3.5", P.BAD_VALUE, "3.5", K.BAD_NUMBER),
        (f"{ROSLAVL_1} — -5", P.BAD_VALUE, "-5", K.BAD_NUMBER),
        (f"{ROSLAVL_1} — много", P.BAD_VALUE, "много", K.NOT_A_NUMBER),
        (f"{ROSLAVL_1} — учеников 30", P.BAD_VALUE, "учеников", K.UNKNOWN_LABEL),
        (f"{ROSLAVL_1} — 30, 40", P.BAD_VALUE, "30; 40", K.CONFLICT),
        (f"{ROSLAVL_1} — 30, чатов 2", P.BAD_VALUE, "30; чатов 2", K.MIXED),
        (f"{KINDERGARTEN} - 3,5", P.BAD_VALUE, "3,5", K.BAD_NUMBER),
        (ROSLAVL_1, P.NO_VALUE, ROSLAVL_1, None),
        (f"{ROSLAVL_1}:", P.NO_VALUE, ROSLAVL_1, None),
        (f"{ROSLAVL_1} —", P.NO_VALUE, f"{ROSLAVL_1} —", None),
        (f"{ROSLAVL_1} 30", P.NO_VALUE, f"{ROSLAVL_1} 30", None),  # no separator
        (BRANCH, P.NO_VALUE, BRANCH, None),  # a colon of the name is no separator
    ],
)
def test_line_refused(
    line: str, reason: BulkProblem, detail: str | None, kind: ProblemKind | None
) -> None:
    reading = read(line)
    assert reading.rows == ()
    (problem,) = reading.problems
    assert (problem.line, problem.text, problem.reason, problem.kind) == (1, line, reason, kind)
    if detail is not None:
        assert problem.detail == detail


def test_an_unknown_name_with_dashes_is_named_whole() -> None:
    # "Средняя школа" alone names one organisation, but what follows it is no value.
    (problem,) = read("Средняя школа - детский сад № 9 — 5").problems
    assert problem.detail == "Средняя школа - детский сад № 9"


def test_ambiguous_names_show_three() -> None:
    (problem,) = read("МБОУ — 5").problems
    assert problem.reason is P.AMBIGUOUS_ORGANISATION
    assert problem.detail == f"{ROSLAVL_1}; {ROSLAVL_10}; {KINDERGARTEN}; …"


def test_bare_number_without_a_single_indicator() -> None:
    reading = read(f"{ROSLAVL_1} — 30", single=None)
    assert reading.problems == (LineProblem(1, f"{ROSLAVL_1} — 30", P.BAD_VALUE, "30", kind=None),)


# --- Many lines ----------------------------------------------------------------------------------


def test_good_lines_kept_bad_ones_listed() -> None:
    text = "\r\n".join(
        [
            f"{ROSLAVL_1} — 30",
            "",
            "Школа № 99 — 5",
            "   ",
            f"{KINDERGARTEN} - учителей 12, чатов 2",
            f"{VYAZMA} — 3.5",
            "Ельнинская СШ: 40",
        ]
    )
    reading = read(text)
    assert reading.rows == (
        BulkRow(1, ROSLAVL_1, {T: 30}),
        BulkRow(5, KINDERGARTEN, {T: 12, C: 2}),
        BulkRow(7, YELNYA, {T: 40}),
    )
    assert [(p.line, p.reason) for p in reading.problems] == [
        (3, P.UNKNOWN_ORGANISATION),
        (6, P.BAD_VALUE),
    ]


def test_nothing_to_read() -> None:
    assert read("") == BulkReading((), ())
    assert read("\n  \n\t\n") == BulkReading((), ())


def test_same_organisation_twice_with_the_same_value_is_one_row() -> None:
    reading = read(f"{ROSLAVL_1} — 30\nСШ № 10 — 1\nмбоу «сш № 1» г. рославля: педагогов 30")
    assert reading.problems == ()
    assert reading.rows == (BulkRow(1, ROSLAVL_1, {T: 30}), BulkRow(2, ROSLAVL_10, {T: 1}))


def test_same_organisation_twice_with_other_indicators_is_put_together() -> None:
    reading = read(f"{ROSLAVL_1} — 30\n{VYAZMA} — 4\n{ROSLAVL_1}: чатов 5")
    assert reading.problems == ()
    assert reading.rows == (BulkRow(1, ROSLAVL_1, {T: 30, C: 5}), BulkRow(2, VYAZMA, {T: 4}))


def test_same_organisation_twice_with_different_values_keeps_neither() -> None:
    text = f"{ROSLAVL_1} — 30\n{VYAZMA} — 4\nмбоу «сш № 1» г. рославля: 31"
    reading = read(text)
    assert reading.rows == (BulkRow(2, VYAZMA, {T: 4}),)
    assert reading.problems == (
        LineProblem(1, f"{ROSLAVL_1} — 30", P.DUPLICATE, ROSLAVL_1),
        LineProblem(3, "мбоу «сш № 1» г. рославля: 31", P.DUPLICATE, ROSLAVL_1),
    )


def test_reach_is_the_resolvers_business() -> None:
    reach = frozenset({ROSLAVL_10})
    reading = parse_bulk(
        f"{VYAZMA} — 3\nСШ № 1 — 4", LABELS, T, lambda name: TREE.search(name, reach)
    )
    assert reading.rows == (BulkRow(2, ROSLAVL_10, {T: 4}),)
    assert [p.reason for p in reading.problems] == [P.UNKNOWN_ORGANISATION]


def test_a_row_cannot_be_changed() -> None:
    (row,) = read(f"{ROSLAVL_1} — 30").rows
    with pytest.raises(TypeError):
        row.values[C] = 1  # type: ignore[index]


# --- Properties ----------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        *NAMES,
        *(" — ", " – ", " - ", ":", "\t", "\n", " ", "-", ","),
        *("№", "«", "»", "МБОУ", "СШ", "из", "учителей", "чатов"),
        *("30", "1 234", "3.5"),
    ]
)


@settings(max_examples=400)
@given(st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join)))
def test_never_raises(text: str) -> None:
    reading = read(text)
    lines = len(text.splitlines())
    assert all(row.organisation in NAMES for row in reading.rows)
    assert all(1 <= row.line <= lines for row in reading.rows)
    assert all(1 <= problem.line <= lines for problem in reading.problems)
    rows = [row.line for row in reading.rows]
    problems = [problem.line for problem in reading.problems]
    assert rows == sorted(set(rows))
    assert problems == sorted(set(problems))
    assert not set(rows) & set(problems)


@settings(max_examples=300)
@given(
    st.sampled_from(NAMES),
    st.sampled_from([" — ", " – ", " - ", ": ", ":", "\t"]),
    st.integers(min_value=0, max_value=10**MAX_DIGITS - 1),
)
def test_exact_name_and_a_number_always_read(name: str, separator: str, value: int) -> None:
    assert read(f"{name}{separator}{value}").rows == (BulkRow(1, name, {T: value}),)
