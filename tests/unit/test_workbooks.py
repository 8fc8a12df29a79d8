"""Workbooks the bot sends: the weekly template (read back as sent) and drill-down exports."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.domain.access import OrgTree
from bot.domain.bulk import BulkRow
from bot.domain.indicators import Indicator
from bot.domain.model import Organisation, OrganisationKind
from bot.importers.report_sheets import read_report_sheet
from bot.render.workbooks import SheetTable, TemplateRow, progress_workbook, template_workbook

ROSLAVL_1 = "МБОУ «СШ № 1» г. Рославля"
ROSLAVL_10 = "МБОУ «СШ № 10» г. Рославля"
KINDERGARTEN = "МБОУ «Средняя школа - детский сад»"
ODD = "=ЕСЛИ(1;2) «Школа»"  # text that Excel would take for a formula
NAMES = (ROSLAVL_1, ROSLAVL_10, KINDERGARTEN, ODD)
TREE = OrgTree(Organisation(name, OrganisationKind.SCHOOL) for name in NAMES)

TEACHERS = Indicator(
    "teachers_active",
    "Педагоги, написавшие не менее 10 сообщений за неделю",
    "Сколько педагогов написали не менее 10 сообщений за неделю?",
    aliases=("педагогов", "учителей"),
)
CHATS = Indicator("chats", "Чаты", "Сколько чатов?", aliases=("чатов", "чаты"))
INDICATORS = (TEACHERS, CHATS)
T, C = TEACHERS.code, CHATS.code

ROWS = (
    TemplateRow(ROSLAVL_1, "Рославльский район", 45, {T: 30, C: 12}),
    TemplateRow(ROSLAVL_10, "Рославльский район", None, {T: 21}),
    TemplateRow(KINDERGARTEN, None, 12, {T: None, C: None}),
    TemplateRow(ODD, "Вяземский район", 3, {C: 0}),
)


def opened(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def values(sheet: Any) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- The template --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ru", "en"])
def test_template_reads_back_as_sent(tmp_path: Path, language: str) -> None:
    data = template_workbook("Еженедельный отчёт", "12–18 мая 2025", INDICATORS, ROWS, language)
    path = tmp_path / "template.xlsx"
    path.write_bytes(data)
    reading = read_report_sheet(path, INDICATORS, TREE.search)
    assert reading.columns == {T: TEACHERS.name, C: CHATS.name}
    assert reading.problems == ()
    assert reading.ignored == {}
    assert reading.rows == (
        BulkRow(4, ROSLAVL_1, {T: 30, C: 12}),
        BulkRow(5, ROSLAVL_10, {T: 21}),
        BulkRow(7, ODD, {C: 0}),
    )


def test_template_filled_in_reads_the_new_numbers(tmp_path: Path) -> None:
    workbook = opened(template_workbook("Отчёт", "неделя 20", INDICATORS, ROWS, "ru"))
    sheet = workbook.active
    sheet["D6"] = 7  # the kindergarten, teachers
    sheet["E4"] = 13.0  # as Excel may keep it
    path = tmp_path / "filled.xlsx"
    workbook.save(path)
    reading = read_report_sheet(path, INDICATORS, TREE.search)
    assert reading.rows[0] == BulkRow(4, ROSLAVL_1, {T: 30, C: 13})
    assert BulkRow(6, KINDERGARTEN, {T: 7}) in reading.rows


def test_template_layout_in_russian() -> None:
    data = template_workbook("Еженедельный отчёт", "12–18 мая 2025", INDICATORS, ROWS, "ru")
    sheet = opened(data).active
    rows = values(sheet)
    assert rows[0][0] == "Еженедельный отчёт — 12–18 мая 2025"
    assert rows[2] == ["Организация", "Муниципалитет", "Всего педагогов", TEACHERS.name, "Чаты"]
    assert rows[3] == [ROSLAVL_1, "Рославльский район", 45, 30, 12]
    assert rows[4] == [ROSLAVL_10, "Рославльский район", None, 21, None]
    assert rows[5] == [KINDERGARTEN, None, 12, None, None]
    assert rows[6] == [ODD, "Вяземский район", 3, None, 0]
    assert sheet["A7"].data_type == "s"  # text, not a formula
    assert sheet.freeze_panes == "B4"
    assert sheet["A3"].font.bold
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width
    (validation,) = sheet.data_validations.dataValidation
    assert str(validation.sqref) == "D4:E7"
    assert validation.showErrorMessage


def test_template_in_english() -> None:
    sheet = opened(template_workbook("Weekly report", "week 20", INDICATORS, ROWS, "en")).active
    header = values(sheet)[2]
    assert header == ["Organisation", "Municipality", "Teachers in total", TEACHERS.name, "Чаты"]


def test_empty_template_still_opens() -> None:
    sheet = opened(template_workbook("Отчёт", "неделя 20", INDICATORS, [], "ru")).active
    assert len(values(sheet)) == 3


# --- Progress exports ----------------------------------------------------------------------------


def test_progress_workbook_holds_the_tables() -> None:
    tables = [
        SheetTable(
            "Смоленская область",
            ["Муниципалитет", "Педагогов", "Доля, %", "Примечание"],
            [["Рославльский район", 51, 56.7, None], ["Вяземский район", 0, 0.0, "=нет данных"]],
        ),
        SheetTable("Рославльский район", ["Организация", "Педагогов"], [[ROSLAVL_1, 30]]),
    ]
    workbook = opened(progress_workbook("Прогресс на 18.05.2025", tables))
    assert workbook.sheetnames == ["Смоленская область", "Рославльский район"]
    first = workbook["Смоленская область"]
    assert values(first) == [
        ["Прогресс на 18.05.2025", None, None, None],
        ["Муниципалитет", "Педагогов", "Доля, %", "Примечание"],
        ["Рославльский район", 51, 56.7, None],
        ["Вяземский район", 0, 0.0, "=нет данных"],
    ]
    assert first.freeze_panes == "A3"
    assert values(workbook["Рославльский район"])[2] == [ROSLAVL_1, 30]
    assert workbook.properties.title == "Прогресс на 18.05.2025"


def test_sheet_names_excel_accepts() -> None:
    long = "Рославльский муниципальный район Смоленской области"
    tables = [
        SheetTable(long, ["a"], []),
        SheetTable(long, ["a"], []),
        SheetTable(long.upper(), ["a"], []),
        SheetTable("Школы: 1/2 [все]?", ["a"], []),
        SheetTable("  ", ["a"], []),
    ]
    names = opened(progress_workbook("Экспорт", tables)).sheetnames
    assert names == [
        long[:31].rstrip(),
        "Рославльский муниципальный (2)",
        "РОСЛАВЛЬСКИЙ МУНИЦИПАЛЬНЫЙ (3)",
        "Школы_ 1_2 _все__",
        "5",
    ]
    assert all(len(name) <= 31 for name in names)


def test_no_tables_still_make_a_workbook() -> None:
    assert opened(progress_workbook("Экспорт", [])).sheetnames == ["Экспорт"]
