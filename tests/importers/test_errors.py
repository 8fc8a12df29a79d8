"""What the user is told when a document cannot be imported."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from docx import Document

from bot.importers import read_roadmap
from bot.importers.errors import DocumentError, Problem
from tests.importers.documents import csv_file, docx_file, text_file, xlsx_file

HEADER = ["№", "Мероприятие", "Ответственные", "Срок"]


def problem_of(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read_roadmap(path)
    assert caught.value.path == path
    return caught.value


@pytest.mark.parametrize("suffix", [".rtf", ".pages", ".xls", ""])
def test_unsupported_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"roadmap{suffix}"
    path.write_bytes(b"whatever")
    error = problem_of(path)
    assert error.problem is Problem.UNSUPPORTED_FORMAT
    assert error.detail is not None
    assert ".docx" in error.detail


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
def test_file_that_is_not_a_zip_archive_is_unreadable(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0 this is an old binary Office file, not OOXML")
    assert problem_of(path).problem is Problem.UNREADABLE


def test_zip_without_a_word_document_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert problem_of(path).problem is Problem.UNREADABLE


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert problem_of(tmp_path / "nowhere.docx").problem is Problem.UNREADABLE


def test_binary_junk_named_txt_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(range(256)) * 4)
    assert problem_of(path).problem is Problem.UNREADABLE


def test_word_document_without_a_table(tmp_path: Path) -> None:
    path = docx_file(tmp_path / "letter.docx", ["Дорожная карта", "Таблица будет позже."])
    assert problem_of(path).problem is Problem.NO_ROADMAP_TABLE


def test_word_document_whose_table_is_not_a_roadmap(tmp_path: Path) -> None:
    path = docx_file(tmp_path / "other.docx", ["Список"], [["ФИО", "Телефон"], ["Иванов", "1"]])
    assert problem_of(path).problem is Problem.NO_ROADMAP_TABLE


def test_text_without_a_table(tmp_path: Path) -> None:
    path = text_file(tmp_path / "note.txt", ["Дорожная карта", "1. Совещание — до 10.04.2023"])
    assert problem_of(path).problem is Problem.NO_ROADMAP_TABLE


def test_spreadsheet_without_a_roadmap_sheet(tmp_path: Path) -> None:
    path = xlsx_file(tmp_path / "book.xlsx", {"A": [["x", "y"]], "B": [["Мероприятие"]]})
    assert problem_of(path).problem is Problem.NO_ROADMAP_TABLE


def test_empty_csv(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert problem_of(path).problem is Problem.NO_ROADMAP_TABLE


def test_numbered_row_without_a_title_names_the_table_row(tmp_path: Path) -> None:
    rows = [
        ["Сведения", "", "", ""],
        HEADER,
        ["1.", "Совещание", "Департамент", "до 10.04.2023"],
        ["2.", "", "Департамент", "до 12.04.2023"],
    ]
    error = problem_of(docx_file(tmp_path / "gap.docx", ["Дорожная карта"], rows))
    assert error.problem is Problem.ROW_WITHOUT_TITLE
    assert error.row == 4
    assert error.detail == "№ 2."
    assert "row 4" in str(error)


def test_row_with_only_a_number_has_no_title(tmp_path: Path) -> None:
    rows = [HEADER, ["1.", "Совещание", "Департамент", "до 10.04.2023"], ["2.", "", "", ""]]
    error = problem_of(csv_file(tmp_path / "gap.csv", rows))
    assert error.problem is Problem.ROW_WITHOUT_TITLE
    assert error.row == 3


def test_row_without_a_title_in_a_text_file_names_the_line(tmp_path: Path) -> None:
    lines = [
        "Дорожная карта",
        "",
        "\t".join(HEADER),
        "1.\tСовещание\tДепартамент\tдо 10.04.2023",
        "",
        "2.\t\tДепартамент\tдо 12.04.2023",
    ]
    error = problem_of(text_file(tmp_path / "gap.txt", lines))
    assert error.problem is Problem.ROW_WITHOUT_TITLE
    assert error.row == 6


def test_broken_word_xml_is_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    Document().save(str(good))
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    assert problem_of(broken).problem is Problem.UNREADABLE
