"""The organisations list: who takes part, under whom, how many people, which time zone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.model import Organisation, OrganisationKind
from bot.importers import read_organisations
from bot.importers.errors import DocumentError, Problem
from tests.importers.documents import csv_file, xlsx_file

RUSSIAN = [
    ["Список участников"],
    [
        "Наименование",
        "Тип",
        "Вышестоящая организация",
        "Педагогов",
        "Сотрудников",
        "Обучающихся",
        "Часовой пояс",
    ],
    ["Департамент по образованию", "департамент", "", "", "120", "", "Europe/Moscow"],
    ["Отдел образования г. Энска", "МОУО", "Департамент по образованию", "", "12", "", ""],
    ["МБОУ «СОШ № 1»", "школа", "Отдел образования г. Энска", "1 234", "1 500", "12 000", ""],
    ["Энский колледж", "СПО", "Департамент по образованию", "80", "", "900", "МСК+4"],
    ["Детский сад № 5", "ДОУ", "Отдел образования г. Энска", "20", "", "150", "UTC+7"],
    ["Дом творчества", "доп", "отдел образования г. энска", "", "", "", ""],
    ["МБДОУ «Ромашка»", "", "", "", "", "", ""],
]
EXPECTED = [
    Organisation(
        "Департамент по образованию",
        OrganisationKind.AUTHORITY,
        staff=120,
        timezone="Europe/Moscow",
    ),
    Organisation(
        "Отдел образования г. Энска",
        OrganisationKind.AUTHORITY,
        parent="Департамент по образованию",
        staff=12,
    ),
    Organisation(
        "МБОУ «СОШ № 1»",
        OrganisationKind.SCHOOL,
        parent="Отдел образования г. Энска",
        teachers=1234,
        staff=1500,
        pupils=12000,
    ),
    Organisation(
        "Энский колледж",
        OrganisationKind.COLLEGE,
        parent="Департамент по образованию",
        teachers=80,
        pupils=900,
        timezone="Etc/GMT-7",
    ),
    Organisation(
        "Детский сад № 5",
        OrganisationKind.PRESCHOOL,
        parent="Отдел образования г. Энска",
        teachers=20,
        pupils=150,
        timezone="Etc/GMT-7",
    ),
    Organisation(
        "Дом творчества", OrganisationKind.ADDITIONAL, parent="Отдел образования г. Энска"
    ),
    Organisation("МБДОУ «Ромашка»", OrganisationKind.PRESCHOOL),  # kind from the name
]


def test_russian_csv_as_excel_saves_it(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "orgs.csv", RUSSIAN, encoding="cp1251", delimiter=";")
    assert read_organisations(path) == EXPECTED


def test_xlsx_with_numbers_as_numbers(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(row) for row in RUSSIAN]
    rows[4][3:6] = [1234, 1500.0, 12000]
    path = xlsx_file(tmp_path / "orgs.xlsx", {"Организации": rows})
    assert read_organisations(path) == EXPECTED


def test_english_headers_and_kinds(tmp_path: Path) -> None:
    rows = [
        ["Name", "Kind", "Parent", "Teachers", "Staff", "Pupils", "Timezone"],
        ["Regional department", "authority", "", "", "", "", "Asia/Novosibirsk"],
        ["School 5", "school", "Regional department", "40", "", "600", ""],
    ]
    assert read_organisations(csv_file(tmp_path / "orgs.csv", rows)) == [
        Organisation(
            "Regional department", OrganisationKind.AUTHORITY, timezone="Asia/Novosibirsk"
        ),
        Organisation(
            "School 5",
            OrganisationKind.SCHOOL,
            parent="Regional department",
            teachers=40,
            pupils=600,
        ),
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ОО", OrganisationKind.SCHOOL),
        ("общеобразовательная", OrganisationKind.SCHOOL),
        ("колледж", OrganisationKind.COLLEGE),
        ("техникум", OrganisationKind.COLLEGE),
        ("детский сад", OrganisationKind.PRESCHOOL),
        ("дополнительное образование", OrganisationKind.ADDITIONAL),
        ("орган", OrganisationKind.AUTHORITY),
        ("управление", OrganisationKind.AUTHORITY),
        ("College", OrganisationKind.COLLEGE),
    ],
)
def test_kind_words(tmp_path: Path, kind: str, expected: OrganisationKind) -> None:
    rows = [["Наименование", "Тип"], ["Организация", kind]]
    assert read_organisations(csv_file(tmp_path / "o.csv", rows))[0].kind is expected


def test_other_header_words(tmp_path: Path) -> None:
    rows = [
        ["Название", "Вид", "Муниципалитет", "Учителей", "Учеников"],
        ["Энский район", "орган", "", "", ""],
        ["Школа № 2", "школа", "Энский район", "10", "100"],
    ]
    organisations = read_organisations(csv_file(tmp_path / "o.csv", rows))
    assert organisations[1] == Organisation(
        "Школа № 2", OrganisationKind.SCHOOL, parent="Энский район", teachers=10, pupils=100
    )


def bad_value(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read_organisations(path)
    assert caught.value.problem is Problem.BAD_VALUE
    return caught.value


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        (["Школа", "школа", "", "сорок", "", "", ""], "сорок"),
        (["Школа", "школа", "", "", "", "-5", ""], "-5"),
        (["Школа", "замок", "", "", "", "", ""], "замок"),
        (["Школа", "школа", "", "", "", "", "Europe/Atlantis"], "Europe/Atlantis"),
        (["Школа", "школа", "", "", "", "", "МСК+99"], "МСК+99"),
        (["Школа", "школа", "Министерство", "", "", "", ""], "Министерство"),
        (["Школа", "школа", "Школа", "", "", "", ""], "Школа"),
        (["", "школа", "", "", "", "", ""], ""),
        (["Непонятно что", "", "", "", "", "", ""], ""),
    ],
)
def test_bad_values_name_row_and_value(tmp_path: Path, row: list[str], detail: str) -> None:
    rows = [RUSSIAN[1], ["Департамент", "орган", "", "", "", "", ""], row]
    error = bad_value(csv_file(tmp_path / "o.csv", rows))
    assert error.row == 3
    assert error.detail == detail


def test_repeated_name_is_a_bad_value(tmp_path: Path) -> None:
    rows = [["Наименование", "Тип"], ["Школа № 1", "школа"], ["школа № 1", "школа"]]
    error = bad_value(csv_file(tmp_path / "o.csv", rows))
    assert (error.row, error.detail) == (3, "школа № 1")


def test_parents_going_round_in_a_circle(tmp_path: Path) -> None:
    rows = [["Наименование", "Тип", "Вышестоящая"], ["А", "орган", "Б"], ["Б", "орган", "А"]]
    assert bad_value(csv_file(tmp_path / "o.csv", rows)).row == 2


def test_no_name_column(tmp_path: Path) -> None:
    rows = [["Тип", "Педагогов"], ["школа", "10"]]
    with pytest.raises(DocumentError) as caught:
        read_organisations(csv_file(tmp_path / "o.csv", rows))
    assert caught.value.problem is Problem.MISSING_COLUMN


def test_only_csv_and_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "orgs.docx"
    path.write_bytes(b"")
    with pytest.raises(DocumentError) as caught:
        read_organisations(path)
    assert caught.value.problem is Problem.UNSUPPORTED_FORMAT


def test_broken_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "orgs.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(DocumentError) as caught:
        read_organisations(path)
    assert caught.value.problem is Problem.UNREADABLE
