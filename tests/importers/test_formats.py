"""Roadmaps in the shapes other departments send them: five columns, CSV, Excel, English."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from openpyxl import Workbook

from bot.domain.model import BaselineFigure, Measure, OrganisationKind, Party, Roadmap, Section
from bot.importers import read_roadmap
from tests.importers.documents import csv_file, docx_file, flat, text_file, xlsx_file

HEADER5 = [
    "№ п/п",
    "Наименование мероприятия",
    "Ответственный исполнитель",
    "Сроки исполнения",
    "Ожидаемый результат",
]
FIVE_COLUMNS = [
    HEADER5,
    ["1", "2", "3", "4", "5"],
    "Всего: общеобразовательных организаций – 412",
    ["Энская область", "педагогических работников общеобразовательных организаций – 12 345"]
    + [""] * 3,
    "I. Организационные мероприятия",
    ["1.", "Назначить муниципальных координаторов", "МОУО", "до 15.05.2024", "Приказы МОУО"],
    [
        "2.",
        "Зарегистрировать педагогов на платформе",
        "Руководители ОО\nМОУО",
        "до 31.05.2024",
        "не менее 90% педагогов",
    ],
    "II. Сопровождение",
    ["3.", "Мониторинг подключений", "Министерство", "еженедельно, по пятницам", ""],
]
BEFORE = [
    "МИНИСТЕРСТВО ОБРАЗОВАНИЯ И НАУКИ ЭНСКОЙ ОБЛАСТИ",
    "",
    "План мероприятий («дорожная карта») по внедрению цифровой образовательной среды",
    "в Энской области",
    "Цель – подключить все школы Энской области к платформе.",
]


def test_five_columns_with_results_and_statistics_inside_the_table(tmp_path: Path) -> None:
    roadmap = read_roadmap(docx_file(tmp_path / "enskaya.docx", BEFORE, FIVE_COLUMNS))

    assert roadmap.title == (
        "План мероприятий («дорожная карта») по внедрению цифровой образовательной среды "
        "в Энской области"
    )
    assert roadmap.issuer == "Министерство образования и науки Энской области"
    assert roadmap.goal == "подключить все школы Энской области к платформе."
    assert roadmap.document_number is None
    assert roadmap.document_date is None
    assert roadmap.sections == (
        Section("I. Организационные мероприятия"),
        Section("II. Сопровождение"),
    )
    assert [(t.number, t.section, t.result) for t in roadmap.tasks] == [
        ("1", "I. Организационные мероприятия", "Приказы МОУО"),
        ("2", "I. Организационные мероприятия", "не менее 90% педагогов"),
        ("3", "II. Сопровождение", None),
    ]
    assert [t.deadline.due for t in roadmap.tasks[:2]] == [date(2024, 5, 15), date(2024, 5, 31)]
    assert roadmap.tasks[2].deadline.recurrence == "FREQ=WEEKLY;BYDAY=FR"
    assert roadmap.tasks[1].responsible == ("Руководители ОО", "МОУО")
    assert roadmap.parties == (
        Party("МОУО", ("Муниципальные органы управления образованием",)),
        Party("Руководители ОО"),
        Party("Министерство"),
    )
    assert roadmap.baseline == (
        BaselineFigure(
            "",
            "общеобразовательных организаций",
            412,
            OrganisationKind.SCHOOL,
            Measure.ORGANISATIONS,
        ),
        BaselineFigure(
            "Энская область",
            "педагогических работников общеобразовательных организаций",
            12345,
            OrganisationKind.SCHOOL,
            Measure.TEACHERS,
        ),
    )
    assert roadmap.targets == ()  # "не менее 90%" in a result cell stays the task's result


def test_table_continued_after_a_page_break_with_its_header_repeated(tmp_path: Path) -> None:
    second = [HEADER5, ["4.", "Итоговое совещание", "Министерство", "до 30.06.2024", "Протокол"]]
    path = docx_file(tmp_path / "two-tables.docx", BEFORE, FIVE_COLUMNS, second)
    roadmap = read_roadmap(path)
    assert [t.number for t in roadmap.tasks] == ["1", "2", "3", "4"]
    assert roadmap.tasks[3].section == "II. Сопровождение"


def test_an_unrelated_table_after_the_roadmap_is_not_read_as_tasks(tmp_path: Path) -> None:
    signatures = [["Согласовано:", "Иванов И.И."], ["Исполнитель:", "Петров П.П."]]
    roadmap = read_roadmap(docx_file(tmp_path / "signed.docx", BEFORE, FIVE_COLUMNS, signatures))
    assert len(roadmap.tasks) == 3
    assert len(roadmap.sections) == 2


def test_sections_numbered_like_their_tasks(tmp_path: Path) -> None:
    rows = [
        ["№", "Мероприятие", "Ответственные", "Срок"],
        ["1.", "Организационные мероприятия", "", ""],
        ["1.1.", "Создать рабочую группу", "Департамент", "до 10.04.2023"],
        ["1.2.", "Утвердить план", "Департамент", "до 12.04.2023"],
        ["2.", "Обучение", "", ""],
        ["2.1.", "Вебинары", "ЦО/VK", "до 20.04.2023"],
        ["3.", "Отчёт", "", ""],
    ]
    roadmap = read_roadmap(docx_file(tmp_path / "nested.docx", ["Дорожная карта"], rows))
    assert [s.title for s in roadmap.sections] == ["Организационные мероприятия", "Обучение"]
    assert [(t.number, t.section) for t in roadmap.tasks] == [
        ("1.1", "Организационные мероприятия"),
        ("1.2", "Организационные мероприятия"),
        ("2.1", "Обучение"),
        ("3", "Обучение"),  # nothing numbered under it: a task whose cells are still to be filled
    ]


def test_vertically_merged_cell_belongs_to_every_row_it_spans(tmp_path: Path) -> None:
    path = tmp_path / "vmerge.docx"
    document = Document()
    document.add_paragraph("Дорожная карта")
    table = document.add_table(rows=3, cols=4)
    for column, text in enumerate(["№", "Мероприятие", "Ответственные", "Срок"]):
        table.cell(0, column).text = text
    for row, title in ((1, "Первое"), (2, "Второе")):
        table.cell(row, 0).text = f"{row}."
        table.cell(row, 1).text = title
        table.cell(row, 3).text = "до 01.06.2023"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "Департамент"
    document.save(str(path))

    roadmap = read_roadmap(path)
    assert [t.responsible for t in roadmap.tasks] == [("Департамент",), ("Департамент",)]


def test_automatic_numbering_in_the_number_column(tmp_path: Path) -> None:
    path = tmp_path / "autonumber.docx"
    document = Document()
    table = document.add_table(rows=3, cols=4)
    for column, text in enumerate(["№", "Мероприятие", "Ответственные", "Срок"]):
        table.cell(0, column).text = text
    for row in (1, 2):
        paragraph = table.cell(row, 0).paragraphs[0]
        paragraph._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr>')
        )
        table.cell(row, 1).text = f"Мероприятие {row}"
        table.cell(row, 2).text = "Департамент"
        table.cell(row, 3).text = "до 01.06.2023"
    document.save(str(path))

    assert [t.number for t in read_roadmap(path).tasks] == ["1", "2"]


# --- the same roadmap in every format ---------------------------------------------------------

ROWS = [
    ["Дорожная карта по подключению школ к платформе"],
    ["Приказ № 12-р от 03.03.2023"],
    ["№", "Мероприятие", "Ответственные", "Срок"],
    ["Подготовка", "", "", ""],
    ["1.", "Совещание с МОУО, директорами школ", "Управление образования, МОУО", "до 10.03.2023"],
    ["2.", "Регистрация школ «Сферум»", "Руководители ОО; МОУО", "до 20.03.2023"],
    ["Сопровождение", "", "", ""],
    ["3.", "Еженедельный отчёт", "Управление образования", "еженедельно, по пятницам"],
]


def expect_rows_roadmap(roadmap: Roadmap) -> None:
    assert roadmap.title == "Дорожная карта по подключению школ к платформе"
    assert roadmap.document_number == "12-р"
    assert roadmap.document_date == date(2023, 3, 3)
    assert [s.title for s in roadmap.sections] == ["Подготовка", "Сопровождение"]
    assert [(t.number, t.title, t.section, t.responsible) for t in roadmap.tasks] == [
        (
            "1",
            "Совещание с МОУО, директорами школ",
            "Подготовка",
            ("Управление образования", "МОУО"),
        ),
        ("2", "Регистрация школ «Сферум»", "Подготовка", ("Руководители ОО", "МОУО")),
        ("3", "Еженедельный отчёт", "Сопровождение", ("Управление образования",)),
    ]
    assert [t.deadline.due for t in roadmap.tasks[:2]] == [date(2023, 3, 10), date(2023, 3, 20)]


def test_csv_as_russian_excel_saves_it(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "excel.csv", ROWS, encoding="cp1251", delimiter=";")
    assert b";" in path.read_bytes()
    expect_rows_roadmap(read_roadmap(path))


def test_csv_in_utf8_with_commas(tmp_path: Path) -> None:
    expect_rows_roadmap(read_roadmap(csv_file(tmp_path / "utf8.csv", ROWS)))


def test_csv_in_utf8_with_bom_and_tabs(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "bom.csv", ROWS, encoding="utf-8-sig", delimiter="\t")
    expect_rows_roadmap(read_roadmap(path))


def test_text_file_in_windows_1251(tmp_path: Path) -> None:
    lines = ["\t".join(row) if len(row) > 1 else row[0] for row in ROWS]
    expect_rows_roadmap(read_roadmap(text_file(tmp_path / "paste.txt", lines, encoding="cp1251")))


def test_text_with_a_markdown_table(tmp_path: Path) -> None:
    lines = [ROWS[0][0], ROWS[1][0], "| " + " | ".join(ROWS[2]) + " |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in ROWS[3:]]
    expect_rows_roadmap(read_roadmap(text_file(tmp_path / "chat.txt", lines)))


def test_xlsx_first_sheet_with_a_roadmap_header(tmp_path: Path) -> None:
    rows: list[list[object]] = [list(row) for row in ROWS]
    rows[4][0], rows[5][0], rows[7][0] = 1, 2.0, 3  # numbers typed as numbers
    rows[4][3] = datetime(2023, 3, 10)  # a date typed as a date
    rows[5][3] = date(2023, 3, 20)
    path = xlsx_file(
        tmp_path / "roadmap.xlsx",
        {"Пояснения": [["Заполнить до пятницы"]], "Дорожная карта": rows},
    )
    roadmap = read_roadmap(path)
    expect_rows_roadmap(roadmap)
    assert roadmap.tasks[0].deadline.text == "10.03.2023"


def test_xlsx_with_merged_section_cells(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    for row in ROWS:
        sheet.append(row)
    sheet.merge_cells("A4:D4")
    sheet.merge_cells("A7:D7")
    workbook.save(str(path))
    expect_rows_roadmap(read_roadmap(path))


def test_all_formats_give_equal_roadmaps(tmp_path: Path) -> None:
    lines = ["\t".join(row) if len(row) > 1 else row[0] for row in ROWS]
    roadmaps = [
        read_roadmap(csv_file(tmp_path / "a.csv", ROWS, encoding="cp1251", delimiter=";")),
        read_roadmap(csv_file(tmp_path / "b.csv", ROWS)),
        read_roadmap(text_file(tmp_path / "c.txt", lines)),
        read_roadmap(xlsx_file(tmp_path / "d.xlsx", {"Лист1": ROWS})),
        read_roadmap(docx_file(tmp_path / "e.docx", [ROWS[0][0], ROWS[1][0]], ROWS[2:])),
    ]
    assert all(roadmap == roadmaps[0] for roadmap in roadmaps[1:])


def test_english_headers(tmp_path: Path) -> None:
    rows = [
        ["Roadmap: Sferum rollout"],
        ["No", "Activity", "Responsible", "Deadline", "Result"],
        ["1", "Kick-off call", "Department", "до 10.04.2023", "Minutes"],
        ["2", "Register schools", "ЦО/VK, Department", "до 20.04.2023", ""],
    ]
    roadmap = read_roadmap(csv_file(tmp_path / "english.csv", rows))
    assert roadmap.title == "Roadmap: Sferum rollout"
    assert [(t.number, t.title, t.result) for t in roadmap.tasks] == [
        ("1", "Kick-off call", "Minutes"),
        ("2", "Register schools", None),
    ]
    assert [p.name for p in roadmap.parties] == ["Department", "ЦО/VK"]


def test_emphasis_from_pastes_is_stripped(tmp_path: Path) -> None:
    lines = [
        "**Дорожная карта**",
        "№\tМероприятие\tОтветственные\tСрок",
        "<b>Первый раздел</b>\t\t\t",
        "1.\t**Совещание** &laquo;старт&raquo;\t<i>Департамент</i>\tдо 10.04.2023",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "paste.txt", lines))
    assert roadmap.title == "Дорожная карта"
    assert roadmap.sections == (Section("Первый раздел"),)
    assert roadmap.tasks[0].title == "Совещание «старт»"
    assert roadmap.tasks[0].responsible == ("Департамент",)


def test_lines_continuing_a_cell_in_a_text_paste(tmp_path: Path) -> None:
    lines = [
        "№\tМероприятие\tОтветственные\tСрок",
        "1.\tСовещание\tДепартамент,\tдо 10.04.2023",
        "\t\tМОУО\t",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "paste.txt", lines))
    assert roadmap.tasks[0].responsible == ("Департамент", "МОУО")


def test_year_comes_from_the_deadlines_when_the_document_has_no_date(tmp_path: Path) -> None:
    rows = [
        ["№", "Мероприятие", "Ответственные", "Срок"],
        ["1", "Первое", "Департамент", "до 10.04.2024"],
        ["2", "Второе", "Департамент", "до 20.04.2024"],
        ["3", "Третье", "Департамент", "май"],
    ]
    roadmap = read_roadmap(csv_file(tmp_path / "years.csv", rows))
    assert roadmap.tasks[2].deadline.start == date(2024, 5, 1)
    assert roadmap.tasks[2].deadline.due == date(2024, 5, 31)


def test_no_number_column_numbers_tasks_in_order(tmp_path: Path) -> None:
    rows = [
        ["Мероприятие", "Ответственные", "Срок"],
        ["Первое", "Департамент", "до 10.04.2023"],
        ["Второе", "Департамент", "до 20.04.2023"],
    ]
    roadmap = read_roadmap(csv_file(tmp_path / "plain.csv", rows))
    assert [t.number for t in roadmap.tasks] == ["1", "2"]
    assert roadmap.title == "plain"  # no heading: the file's name


@pytest.mark.parametrize("suffix", [".docx", ".txt", ".csv", ".xlsx"])
def test_every_format_reads_the_same_header_words(tmp_path: Path, suffix: str) -> None:
    rows = [["N", "Task", "Ответственные", "Due"], ["1.", "Первое", "Департамент", "до 10.04.2023"]]
    path = tmp_path / f"doc{suffix}"
    if suffix == ".docx":
        docx_file(path, [], rows)
    elif suffix == ".txt":
        text_file(path, ["\t".join(row) for row in rows])
    elif suffix == ".csv":
        csv_file(path, rows)
    else:
        xlsx_file(path, {"Sheet": flat(rows, 4)})
    assert [t.title for t in read_roadmap(path).tasks] == ["Первое"]


def test_word_line_break_inside_a_pasted_cell_separates_parties(tmp_path: Path) -> None:
    lines = [
        "№\tМероприятие\tОтветственные\tСрок",
        "1.\tСовещание\tДепартамент\vМОУО\tдо 10.04.2023",
    ]
    roadmap = read_roadmap(text_file(tmp_path / "paste.txt", lines))
    assert roadmap.tasks[0].responsible == ("Департамент", "МОУО")


def test_targets_after_the_table_and_in_words(tmp_path: Path) -> None:
    after = [
        "Целевые показатели:",
        "1) обеспечить подключение не менее 95% общеобразовательных организаций до 01.09.2024;",
        "2) доля педагогов, прошедших обучение, – 80%.",
        "Работа ведётся на 100% за счёт средств бюджета.",  # prose, not a target
    ]
    path = docx_file(tmp_path / "targets.docx", ["Дорожная карта"], FIVE_COLUMNS, after=after)
    targets = read_roadmap(path).targets
    assert [(t.percent, t.due) for t in targets] == [(95.0, date(2024, 9, 1))]
    assert targets[0].text == "95% общеобразовательных организаций до 01.09.2024"
