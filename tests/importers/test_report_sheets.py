"""Weekly numbers from a spreadsheet: a filled-in template, a CSV, a platform export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.domain.access import OrgTree
from bot.domain.bulk import BulkProblem, BulkRow, LineProblem
from bot.domain.indicators import Indicator
from bot.domain.model import Organisation, OrganisationKind
from bot.domain.reports import ProblemKind
from bot.importers.errors import DocumentError, Problem
from bot.importers.report_sheets import SheetReading, read_report_sheet
from tests.importers.documents import csv_file, xlsx_file

ROSLAVL_1 = "МБОУ «СШ № 1» г. Рославля"
ROSLAVL_10 = "МБОУ «СШ № 10» г. Рославля"
KINDERGARTEN = "МБОУ «Средняя школа - детский сад»"
VYAZMA = "СОГБОУ «Вяземская школа-интернат № 1»"
TREE = OrgTree(
    Organisation(name, OrganisationKind.SCHOOL)
    for name in (ROSLAVL_1, ROSLAVL_10, KINDERGARTEN, VYAZMA)
)

TEACHERS = Indicator(
    "teachers_active",
    "Педагоги, написавшие не менее 10 сообщений за неделю",
    "Сколько педагогов написали не менее 10 сообщений за неделю?",
    aliases=("педагогов", "учителей"),
)
CHATS = Indicator("chats", "Чаты", "Сколько чатов?", aliases=("чатов", "чаты"))
ACTIVE_CHATS = Indicator(
    "active_chats", "Активные чаты", "Сколько активных чатов?", aliases=("активных чатов",)
)
INDICATORS = (TEACHERS, CHATS)
T, C, A = TEACHERS.code, CHATS.code, ACTIVE_CHATS.code
P = BulkProblem

HEADER = ["Организация", TEACHERS.name, CHATS.name]
FILLED = [
    HEADER,
    [ROSLAVL_1, "30", "12"],
    [ROSLAVL_10, "1 234", ""],
    [KINDERGARTEN, "", ""],  # nothing reported yet: passed over
    [VYAZMA, "7", "0"],
]
EXPECTED = (
    BulkRow(2, ROSLAVL_1, {T: 30, C: 12}),
    BulkRow(3, ROSLAVL_10, {T: 1234}),
    BulkRow(5, VYAZMA, {T: 7, C: 0}),
)


def read(path: Path, indicators: Sequence[Indicator] = INDICATORS) -> SheetReading:
    return read_report_sheet(path, indicators, TREE.search)


def refused(path: Path, indicators: Sequence[Indicator] = INDICATORS) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read(path, indicators)
    return caught.value


# --- Formats -------------------------------------------------------------------------------------


def test_xlsx_with_numbers_as_excel_keeps_them(tmp_path: Path) -> None:
    rows: list[list[object]] = [[*row] for row in FILLED]
    rows[1][1:] = [30, 12.0]  # a number Excel keeps as a float is still whole
    rows[2][1:] = [1234, None]
    rows[4][1:] = [7.0, 0]
    reading = read(xlsx_file(tmp_path / "week.xlsx", {"Отчёт": rows}))
    assert reading == SheetReading(EXPECTED, (), {T: TEACHERS.name, C: CHATS.name})


def test_csv_as_excel_saves_it_in_russia(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "week.csv", FILLED, encoding="cp1251", delimiter=";")
    reading = read(path)
    assert reading.rows == EXPECTED
    assert reading.problems == ()


def test_utf8_csv_with_commas(tmp_path: Path) -> None:
    reading = read(csv_file(tmp_path / "week.csv", FILLED))
    assert reading.rows == EXPECTED
    assert reading.columns == {T: TEACHERS.name, C: CHATS.name}


def test_first_sheet_with_a_header(tmp_path: Path) -> None:
    notes = [["Как заполнять"], ["Впишите числа в столбцы показателей."]]
    path = xlsx_file(tmp_path / "week.xlsx", {"Инструкция": notes, "Данные": FILLED})
    assert read(path).rows == EXPECTED


# --- A platform export ---------------------------------------------------------------------------

EXPORT: list[list[object]] = [
    ["Статистика использования платформы за неделю 12.05.2025–18.05.2025"],
    [],
    [
        "№",
        "Наименование ОО",
        "ИНН",
        "Муниципалитет",
        "Кол-во педагогов",
        "Кол-во педагогов, написавших ≥10 сообщений",
        "Кол-во чатов",
        "Активных чатов",
        "Дата выгрузки",
    ],
    [1, ROSLAVL_1, "6725001234", "Рославльский район", 45, 30, 12, 5, "19.05.2025"],
    [2, ROSLAVL_10, "6725005678", "Рославльский район", 40, 21, 8, 0, "19.05.2025"],
    [3, VYAZMA, "6722001111", "Вяземский район", 60, 0, 3, 1, "19.05.2025"],
    ["", "Итого", "", "", 145, 51, 23, 6, ""],
]


def test_platform_export_with_many_columns(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path / "export.xlsx", {"Выгрузка": EXPORT})
    reading = read(path, (TEACHERS, CHATS, ACTIVE_CHATS))
    assert reading.columns == {
        T: "Кол-во педагогов, написавших ≥10 сообщений",
        C: "Кол-во чатов",
        A: "Активных чатов",
    }
    assert reading.rows == (
        BulkRow(4, ROSLAVL_1, {T: 30, C: 12, A: 5}),
        BulkRow(5, ROSLAVL_10, {T: 21, C: 8, A: 0}),
        BulkRow(6, VYAZMA, {T: 0, C: 3, A: 1}),
    )
    assert reading.problems == ()
    assert reading.ignored == {}


def test_headcount_is_not_a_weekly_value(tmp_path: Path) -> None:
    rows = [
        ["Организация", "Всего педагогов", "Численность педагогов", "Чатов"],
        [ROSLAVL_1, "45", "45", "3"],
    ]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.columns == {C: "Чатов"}
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {C: 3}),)


def test_a_header_fitting_two_indicators_is_left_out(tmp_path: Path) -> None:
    rows = [["Школа", "Педагоги и чаты", "Учителей"], [ROSLAVL_1, "30", "28"]]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.columns == {T: "Учителей"}
    assert reading.ignored == {"Педагоги и чаты": (T, C)}
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {T: 28}),)


def test_columns_fitting_one_indicator_equally_are_left_out(tmp_path: Path) -> None:
    rows = [
        ["ОО", "Педагогов (основное здание)", "Педагогов (филиал)", "Чаты"],
        [ROSLAVL_1, "3", "4", "5"],
    ]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.columns == {C: "Чаты"}
    assert reading.ignored == {"Педагогов (основное здание)": (T,), "Педагогов (филиал)": (T,)}


def test_a_header_naming_an_indicator_beats_one_holding_its_alias(tmp_path: Path) -> None:
    rows = [["Организация", "Чаты на прошлой неделе", "Чаты"], [ROSLAVL_1, "3", "4"]]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.columns == {C: "Чаты"}
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {C: 4}),)


def test_headers_by_code_and_in_english(tmp_path: Path) -> None:
    rows = [["Organisation", "Municipality", "TEACHERS_ACTIVE", "chats"], [ROSLAVL_1, "", "9", "2"]]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {T: 9, C: 2}),)


def test_a_municipality_column_is_not_the_organisation(tmp_path: Path) -> None:
    rows = [
        ["Наименование муниципалитета", "Наименование организации", "Чатов"],
        ["Рославльский район", ROSLAVL_1, "2"],
    ]
    assert read(csv_file(tmp_path / "w.csv", rows)).rows == (BulkRow(2, ROSLAVL_1, {C: 2}),)


# --- Rows ----------------------------------------------------------------------------------------


def test_bad_rows_listed_good_rows_kept(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [*HEADER],
        [ROSLAVL_1, 30, 12],
        ["Школа № 99", 5, ""],
        ["СШ № 1", 5, ""],  # both Roslavl schools
        [VYAZMA, 30.5, 2],  # a bad cell spoils the row
        [KINDERGARTEN, "много", "-1"],
        ["", 4, ""],
        [ROSLAVL_10, "", 8],
    ]
    reading = read(xlsx_file(tmp_path / "week.xlsx", {"Отчёт": rows}))
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {T: 30, C: 12}), BulkRow(8, ROSLAVL_10, {C: 8}))
    bad_number, not_a_number = ProblemKind.BAD_NUMBER, ProblemKind.NOT_A_NUMBER
    assert reading.problems == (
        LineProblem(3, "Школа № 99", P.UNKNOWN_ORGANISATION, "Школа № 99"),
        LineProblem(4, "СШ № 1", P.AMBIGUOUS_ORGANISATION, f"{ROSLAVL_1}; {ROSLAVL_10}"),
        LineProblem(5, VYAZMA, P.BAD_VALUE, "30.5", bad_number, TEACHERS.name),
        LineProblem(6, KINDERGARTEN, P.BAD_VALUE, "много", not_a_number, TEACHERS.name),
        LineProblem(6, KINDERGARTEN, P.BAD_VALUE, "-1", bad_number, CHATS.name),
        LineProblem(7, "", P.UNKNOWN_ORGANISATION, ""),
    )


def test_same_organisation_on_two_rows(tmp_path: Path) -> None:
    rows = [
        HEADER,
        [ROSLAVL_1, "30", ""],
        [VYAZMA, "7", ""],
        [ROSLAVL_1, "", "12"],  # put together with row 2
        [VYAZMA, "8", ""],  # against row 3: neither is kept
    ]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {T: 30, C: 12}),)
    assert [(p.line, p.reason) for p in reading.problems] == [(3, P.DUPLICATE), (5, P.DUPLICATE)]


def test_blank_rows_notes_and_totals_are_passed_over(tmp_path: Path) -> None:
    rows = [
        HEADER,
        [ROSLAVL_1, "30", "12"],
        ["", "", ""],
        ["", "", "", "примечание: данные на пятницу"],
        ["Итого:", "30", "12"],
        ["Всего по району", "30", "12"],
    ]
    reading = read(csv_file(tmp_path / "w.csv", rows))
    assert reading.rows == (BulkRow(2, ROSLAVL_1, {T: 30, C: 12}),)
    assert reading.problems == ()


# --- Refused -------------------------------------------------------------------------------------


def test_no_organisation_column(tmp_path: Path) -> None:
    rows = [["Муниципалитет", "Педагогов"], ["Рославльский район", "30"]]
    error = refused(csv_file(tmp_path / "w.csv", rows))
    assert error.problem is Problem.MISSING_COLUMN
    assert error.detail is not None
    assert "organisation" in error.detail


def test_no_indicator_column(tmp_path: Path) -> None:
    rows = [["Организация", "Всего педагогов", "Педагоги и чаты"], [ROSLAVL_1, "45", "3"]]
    error = refused(csv_file(tmp_path / "w.csv", rows))
    assert error.problem is Problem.MISSING_COLUMN
    assert error.detail is not None
    assert TEACHERS.name in error.detail
    assert "Педагоги и чаты" in error.detail


def test_header_below_the_tenth_row_is_not_looked_for(tmp_path: Path) -> None:
    rows = [["примечание"]] * 10 + FILLED
    assert refused(csv_file(tmp_path / "w.csv", rows)).problem is Problem.MISSING_COLUMN


def test_header_on_the_tenth_row_is_found(tmp_path: Path) -> None:
    rows = [["примечание"]] * 9 + FILLED
    assert len(read(csv_file(tmp_path / "w.csv", rows)).rows) == 3


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("week.xlsx", b"not a workbook", Problem.UNREADABLE),
        ("week.xlsx", b"PK\x03\x04 broken zip", Problem.UNREADABLE),
        ("week.csv", b"\xff\xfe\x00\xd8", Problem.UNREADABLE),  # UTF-16 that is not
        ("week.xls", b"", Problem.UNSUPPORTED_FORMAT),
        ("week.docx", b"", Problem.UNSUPPORTED_FORMAT),
    ],
)
def test_unreadable(tmp_path: Path, name: str, content: bytes, problem: Problem) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert refused(path).problem is problem


def test_missing_file(tmp_path: Path) -> None:
    assert refused(tmp_path / "gone.xlsx").problem is Problem.UNREADABLE
