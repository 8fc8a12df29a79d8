"""The name index a sheet's rows are looked up in, and the row count taken before reading.

The index must answer exactly as OrgTree.exact / OrgTree.search do (it only folds once), and
it is kept per registry snapshot: a new tree gets a new index.
"""

from __future__ import annotations

import io
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.domain.access import Binding, OrgTree, Person, Role
from bot.domain.model import Organisation, OrganisationKind
from bot.services.reports import (
    MAX_SHEET_ROWS,
    OrganisationNames,
    ReportService,
    count_sheet_rows,
)

CITY = "Комитет по образованию г. Рославля"
ROSLAVL_1 = "МБОУ «СШ № 1» г. Рославля"
ROSLAVL_10 = "МБОУ «СШ № 10» г. Рославля"
YELNYA = "МБОУ «Ельнинская СШ № 1 им. М.И. Глинки»"
SHKOLA_YO = "Школа «Ёлочка»"
TREE = OrgTree(
    [
        Organisation(CITY, OrganisationKind.AUTHORITY),
        Organisation(ROSLAVL_1, OrganisationKind.SCHOOL, parent=CITY),
        Organisation(ROSLAVL_10, OrganisationKind.SCHOOL, parent=CITY),
        Organisation(YELNYA, OrganisationKind.SCHOOL),
        Organisation(SHKOLA_YO, OrganisationKind.SCHOOL, parent=CITY),
    ]
)
COORDINATOR = Person(1, "Координатор", (Binding(Role.COORDINATOR, CITY),))
ADMIN = Person(2, "Админ", (Binding(Role.ADMIN),))


def service() -> ReportService:
    none = cast(Any, None)
    return ReportService(none, none, none, "Europe/Moscow")


QUERIES = [
    ROSLAVL_1,
    "мбоу сш № 1 г. рославля",
    "МБОУ «СШ № 1» г. Рославля ",
    "СШ № 1",
    "рославля",
    "школа «елочка»",
    "Ельнинская",
    "x",
    "",
    "  ",
    "«»",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("within", [None, TREE.subtree(CITY), frozenset()])
def test_the_index_answers_as_the_tree_does(query: str, within: frozenset[str] | None) -> None:
    index = OrganisationNames(TREE)
    assert index.exact(query) == TREE.exact(query)
    assert index.search(query, within) == TREE.search(query, within)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="мбоушсш№1 «»ёелочкарславгx.", max_size=20))
def test_any_query_is_answered_as_the_tree_does(query: str) -> None:
    index = OrganisationNames(TREE)
    assert index.exact(query) == TREE.exact(query)
    assert index.search(query, TREE.subtree(CITY)) == TREE.search(query, TREE.subtree(CITY))


def test_resolve_keeps_its_meaning() -> None:
    reports = service()
    # A full name outside the reach is that organisation (to be refused as such) ...
    assert reports.resolve(COORDINATOR, YELNYA, TREE) == [YELNYA]
    # ... and words match only within it.
    assert reports.resolve(COORDINATOR, "Ельнинская", TREE) == []
    assert reports.resolve(ADMIN, "Ельнинская", TREE) == [YELNYA]
    assert reports.resolve(COORDINATOR, "СШ г. рославля", TREE) == [ROSLAVL_1, ROSLAVL_10]


def test_a_resolver_looks_each_name_up_once() -> None:
    resolve = service().resolver(COORDINATOR, TREE)
    first = resolve("СШ № 1")
    first.append("changed by the caller")
    assert resolve("СШ № 1") == [ROSLAVL_1, ROSLAVL_10]


def test_the_index_is_kept_per_registry_snapshot() -> None:
    reports = service()
    assert reports.names(TREE) is reports.names(TREE)
    # A changed registry is a new tree (Snapshots builds one per version): a new index.
    renamed = OrgTree([Organisation("Гимназия № 1", OrganisationKind.SCHOOL)])
    assert reports.names(renamed) is not reports.names(TREE)
    assert reports.resolve(ADMIN, "Гимназия № 1", renamed) == ["Гимназия № 1"]
    assert reports.resolve(ADMIN, "Гимназия № 1", TREE) == []


# --- Rows counted on the bytes -------------------------------------------------------------------


def xlsx(rows: int, *, empty_formatted: int = 0) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Организация", "Педагоги"])
    for number in range(rows):
        sheet.append([f"Школа {number}", number])
    for number in range(empty_formatted):  # styled but empty rows, as sheets formatted down are
        sheet.row_dimensions[rows + 2 + number].height = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_rows_are_its_lines() -> None:
    assert count_sheet_rows(b"a;b\nx;1\nx;2\n", ".csv") == 4  # an upper bound is enough
    assert count_sheet_rows(b"a;b\rx;1\rx;2", ".csv") == 3
    assert count_sheet_rows(b"a;b", ".csv") == 1


def test_xlsx_rows_are_those_with_cells() -> None:
    assert count_sheet_rows(xlsx(30, empty_formatted=50), ".xlsx") == 31
    assert count_sheet_rows(b"not a zip", ".xlsx") == 0  # the reader says it is unreadable


def test_counting_stops_past_the_limit() -> None:
    many = b"a;b\n" + b"x;1\n" * (MAX_SHEET_ROWS * 3)
    assert count_sheet_rows(many, ".csv") > MAX_SHEET_ROWS
    assert 40 < count_sheet_rows(xlsx(100), ".xlsx", stop=40) <= 101
