"""Cells the project writes cannot be taken for formulas by a spreadsheet."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.render.cells import is_formula_like, safe_cell
from bot.render.workbooks import SheetTable, progress_workbook


def test_safe_cell_prefixes_formula_like_text_only() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("+7 900") == "'+7 900"
    assert safe_cell("-x") == "'-x"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("Школа = 1") == "Школа = 1"
    assert safe_cell(-5) == -5
    assert safe_cell(None) is None
    assert not is_formula_like(-5)


def test_workbook_marks_formula_like_text_as_text_and_keeps_it() -> None:
    content = progress_workbook(
        "t", [SheetTable("s", ["Организация", "n"], [['=HYPERLINK("x")', 1], ["Школа", -2]])]
    )
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row}
    hostile = cells['=HYPERLINK("x")']
    assert hostile.data_type == "s"
    assert hostile.quotePrefix
    assert not cells["Школа"].quotePrefix
    assert cells[-2].data_type == "n"
