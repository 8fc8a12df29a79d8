"""/export through the dispatcher: one workbook of everything, read back with openpyxl."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.render.workbooks import ExportSheet, export_workbook
from tests.bot.conftest import ADMIN, COORDINATOR, DEPARTMENT, REP, World
from tests.bot.test_reports import define
from tests.bot.test_upload_sheets import Files


def opened(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


async def test_an_admin_gets_one_workbook_of_everything(
    staffed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await define(staffed)
    await staffed.send(REP, "учителей 38, чатов 12")
    files = Files(staffed)
    files.install(monkeypatch)
    sent = await staffed.send(ADMIN, "/export")
    assert [s.method for s in sent] == ["SendDocument"]
    [(chat, data, caption)] = files.documents
    assert chat == ADMIN
    assert "21.04.2023" in caption
    book = opened(data)
    tasks, indicators, coverage, audit = book.worksheets[:4]
    assert [s.title for s in book.worksheets[:4]] == [
        "Задачи",
        "Показатели",
        "Кто отчитался",
        "Журнал изменений",
    ]
    for sheet in (tasks, indicators, coverage, audit):
        assert "21.04.2023" in str(sheet["A1"].value)
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref
        assert sheet.auto_filter.ref.startswith("A2:")
    header = [c.value for c in tasks[2]]
    assert header[:6] == ["№", "Мероприятие", "Срок", "Статус", "Должны", "Выполнили"]
    rows = list(tasks.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 22 + 1  # the tasks and the totals
    totals = tasks[tasks.max_row]
    assert totals[0].value == "Итого"
    assert totals[4].value == sum(r[4] or 0 for r in rows[:-1])
    assert totals[9].number_format == "0%"
    assert tasks.cell(3, 10).number_format in ("0%", "General")
    assert any(
        r[9] is not None and tasks.cell(3 + i, 10).number_format == "0%"
        for i, r in enumerate(rows[:-1])
    )

    # Indicators: an organisation a row, a week a column; the share as 0.0 %.
    ind_rows = list(indicators.iter_rows(min_row=3, values_only=True))
    assert len(ind_rows) > 300
    share_column = indicators.max_column
    assert indicators.cell(2, share_column).value == "Доля от численности"
    school = [r for r in ind_rows if r[2] == "Гимназия № 4 Смоленск"]  # by its short name
    assert 38 in school[0]
    assert 12 in school[1]
    assert indicators.cell(3 + ind_rows.index(school[0]), share_column).number_format == "0.0%"
    assert indicators[indicators.max_row][0].value == "Итого"
    # Coverage: who answered, a % answered per week in the totals row.
    last = coverage[coverage.max_row]
    assert last[0].value == "Ответили, %"
    assert last[coverage.max_column - 1].number_format == "0%"
    # The change log has the report's change.
    assert audit.max_row > 3


async def test_a_coordinator_gets_their_reach_and_a_school_is_refused(
    staffed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await define(staffed)
    files = Files(staffed)
    files.install(monkeypatch)
    await staffed.send(COORDINATOR, "/export")
    [(_, data, _)] = files.documents
    indicators = opened(data).worksheets[1]
    municipalities = {r[1] for r in indicators.iter_rows(min_row=3, values_only=True)}
    # The committee itself (under the department), and its schools: by short names.
    assert municipalities - {None, DEPARTMENT, "Департамент"} == {"город Смоленск"}
    [refused] = await staffed.send(REP, "/export")
    assert "координаторов" in refused.text
    assert len(files.documents) == 1


def test_formula_like_text_stays_text() -> None:
    data = export_workbook(
        "T", [ExportSheet("S", ["a", "b"], [["=1+2", 0.5], ["@x", None]], formats={1: "0%"})]
    )
    sheet = opened(data).active
    assert sheet["A3"].value == "=1+2"
    assert sheet["A3"].data_type == "s"
    assert sheet["A3"].quotePrefix
    assert sheet["B3"].number_format == "0%"
