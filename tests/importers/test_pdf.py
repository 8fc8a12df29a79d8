"""PDF orders with a text layer read as their Word originals; scans and oversized files refused;
.doc and .odt through LibreOffice, or a message saying what to do without it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bot.domain.model import Roadmap
from bot.importers import DocumentError, Problem, read_roadmap
from bot.importers import pdf as pdf_module
from bot.importers.pdf import SCAN
from bot.importers.sources import (
    NO_LIBREOFFICE,
    conversion_command,
    converted_to_docx,
)
from tests.importers.documents import (
    COLUMNS,
    HEIGHT,
    PADDING,
    WIDTH,
    TableRow,
    docx_file,
    pdf_file,
    text_file,
    wrapped,
)

BEFORE = [
    "ДЕПАРТАМЕНТ ЭНСКОЙ ОБЛАСТИ ПО ОБРАЗОВАНИЮ",
    "П Р И К А З",
    "№ 42-ОД",
    "Дорожная карта по внедрению цифровой образовательной среды",
]
TABLE: list[TableRow] = [
    ["№", "Мероприятие", "Ответственные", "Срок"],
    "I. Организационные мероприятия",
    ["1.", "Назначить муниципальных координаторов", "МОУО", "до 15.05.2024"],
    ["2.", "Зарегистрировать педагогов на платформе", "Руководители ОО\nМОУО", "до 31.05.2024"],
    "II. Сопровождение",
    ["3.", "Мониторинг подключений", "Департамент", "еженедельно, по пятницам"],
    ["4.", "Провести обучающие вебинары", "ГАУ ДПО СОИРО", "II квартал 2024"],
]


# Cells long enough to be wrapped by their column's width (`pdf_file(wrap=True)`), as Word lays
# them out: before a capitalised word, a quote, a bracket. "\n" is a paragraph of the cell.
WRAPPED: list[TableRow] = [
    TABLE[0],
    [
        "1.",
        "Провести обучающие вебинары для педагогов муниципальных общеобразовательных "
        "организаций (МОО) по работе на платформе «Сферум»",
        "Проектный офис национального проекта «Образование»\nМОУО",
        "до 15.05.2024",
    ],
    [
        "2.",
        "Обеспечить своевременное проведение конкурсных процедур",
        "Комитет по экономике и муниципальным закупам администрации Мильковского района "
        "(КЭМЗ)\nУправление образования администрации Мильковского муниципального района "
        "(далее - Управление образования)",
        "до 31.05.2024",
    ],
    ["3.", "Зарегистрировать педагогов на платформе", "Руководители ОО\nМОУО", "до 31.05.2024"],
]


def _tasks(roadmap: Roadmap) -> list[tuple[object, ...]]:
    return [
        (t.number, t.title, t.section, t.responsible, t.deadline.due, t.deadline.recurrence)
        for t in roadmap.tasks
    ]


def _as_text(rows: Sequence[TableRow]) -> list[str]:
    """The table as Word copies it to text: tab-separated, a merged row in its first cell."""
    lines = list(BEFORE)
    for row in rows:
        if isinstance(row, str):
            lines.append(row + "\t" * 3)
        else:
            lines.append("\t".join(cell.replace("\n", "\v") for cell in row))
    return lines


def test_a_ruled_pdf_reads_as_its_text_and_word_versions(tmp_path: Path) -> None:
    from_pdf = read_roadmap(pdf_file(tmp_path / "order.pdf", BEFORE, TABLE))
    from_text = read_roadmap(text_file(tmp_path / "order.txt", _as_text(TABLE)))
    from_docx = read_roadmap(docx_file(tmp_path / "order.docx", BEFORE, TABLE))

    assert _tasks(from_pdf) == _tasks(from_text) == _tasks(from_docx)
    assert [t.number for t in from_pdf.tasks] == ["1", "2", "3", "4"]
    assert from_pdf.tasks[1].responsible == ("Руководители ОО", "МОУО")
    assert from_pdf.tasks[2].deadline.recurrence == "FREQ=WEEKLY;BYDAY=FR"
    assert (from_pdf.title, from_pdf.document_number, from_pdf.issuer) == (
        from_docx.title,
        from_docx.document_number,
        from_docx.issuer,
    )
    assert from_pdf.document_number == "42-ОД"


def test_a_line_the_layout_wrapped_is_joined_back_and_a_paragraph_stays_a_line(
    tmp_path: Path,
) -> None:
    """A cell's line is a wrap of the line before when that one had no room left in the cell for
    its first word, whatever its case: «…национального проекта» / «Образование»» is one party;
    a line that had room starts a paragraph of its own, as in Word («Руководители ОО» / «МОУО»)."""
    responsible = COLUMNS[3] - COLUMNS[2] - 2 * PADDING
    laid_out = wrapped(str(WRAPPED[1][2]), responsible)
    assert "национального проекта\n«Образование»\nМОУО" in laid_out
    laid_out = wrapped(str(WRAPPED[2][2]), responsible)
    assert "администрации\nМильковского района\n(КЭМЗ)\nУправление" in laid_out
    assert "района\n(далее" in laid_out

    path = pdf_file(tmp_path / "order.pdf", BEFORE, WRAPPED, wrap=True)
    rows = [item.cells for item in pdf_module.pdf_items(path) if not isinstance(item, str)]
    assert rows == [tuple(row) for row in WRAPPED]

    from_pdf = read_roadmap(path)
    from_docx = read_roadmap(docx_file(tmp_path / "order.docx", BEFORE, WRAPPED))
    assert _tasks(from_pdf) == _tasks(from_docx)
    assert [t.responsible for t in from_pdf.tasks] == [
        ("Проектный офис национального проекта «Образование»", "МОУО"),
        (
            "Комитет по экономике и муниципальным закупам администрации Мильковского района (КЭМЗ)",
            "Управление образования администрации Мильковского муниципального района",
        ),
        ("Руководители ОО", "МОУО"),
    ]


def test_a_wrap_after_a_hyphen_goes_on_without_a_space() -> None:
    assert pdf_module._wrapped("подготовка к ГИА-", "11") == "подготовка к ГИА-11"
    assert pdf_module._wrapped("информационно-", "коммуникационной") == (
        "информационно-коммуникационной"
    )
    assert pdf_module._wrapped("органи\u00ad", "зации") == "организации"  # a soft hyphen
    assert pdf_module._wrapped("МОУО -", "Управление") == "МОУО - Управление"  # a dash


def test_a_table_over_several_pages_is_one_table(tmp_path: Path) -> None:
    rows: list[TableRow] = [TABLE[0]]
    for number in range(1, 41):
        rows.append(
            [f"{number}.", f"Мероприятие {number}", "МОУО", f"до {number % 28 + 1:02d}.05.2024"]
        )
    roadmap = read_roadmap(pdf_file(tmp_path / "long.pdf", BEFORE, rows, per_page=15))

    assert [t.number for t in roadmap.tasks] == [str(n) for n in range(1, 41)]
    assert roadmap.tasks[39].title == "Мероприятие 40"


def test_pdfium_gives_what_pdfminer_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are read through PDFium for speed; pdfminer (pdfplumber's own parser, still used
    for a turned page) reads the same paragraphs, spaces, hyphens and rows from them."""
    paragraphs = [*BEFORE, "Перенос строки с дефисом информационно-", "коммуникационной"]
    path = pdf_file(tmp_path / "order.pdf", paragraphs, TABLE, per_page=3)
    fast = pdf_module.pdf_items(path)
    monkeypatch.setattr(pdf_module._Pdfium, "load", lambda self, page, index: None)

    assert pdf_module.pdf_items(path) == fast
    assert "Перенос строки с дефисом информационно-" in fast
    monkeypatch.undo()
    wrapped_path = pdf_file(tmp_path / "wrapped.pdf", BEFORE, WRAPPED, wrap=True)
    fast = pdf_module.pdf_items(wrapped_path)
    monkeypatch.setattr(pdf_module._Pdfium, "load", lambda self, page, index: None)
    assert pdf_module.pdf_items(wrapped_path) == fast


def test_a_scan_without_a_text_layer_is_refused_with_what_to_send(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    figure = Figure(figsize=(WIDTH / 72, HEIGHT / 72))
    figure.figimage([[0.0, 1.0], [1.0, 0.0]] * 50, resize=False)
    figure.savefig(path, format="pdf")

    with pytest.raises(DocumentError) as caught:
        read_roadmap(path)
    assert caught.value.problem is Problem.UNREADABLE
    assert caught.value.detail == SCAN


def test_too_many_pages_and_too_many_bytes_are_refused_with_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pdf_file(tmp_path / "long.pdf", BEFORE, TABLE * 3, per_page=5)  # 4 pages
    monkeypatch.setattr(pdf_module, "PDF_PAGES", 3)
    with pytest.raises(DocumentError, match="over 3 pages, the limit for a PDF") as caught:
        read_roadmap(path)
    assert "больше 3 страниц" in str(caught.value.detail)

    monkeypatch.setattr(pdf_module, "PDF_PAGES", 200)
    monkeypatch.setattr(pdf_module, "PDF_BYTES", 2**20)
    (tmp_path / "big.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * (2**20 + 1))
    with pytest.raises(DocumentError, match="the limit is 1 MB"):
        read_roadmap(tmp_path / "big.pdf")


def test_a_broken_pdf_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really\n")
    with pytest.raises(DocumentError) as caught:
        read_roadmap(path)
    assert caught.value.problem is Problem.UNREADABLE


# --- .doc and .odt ---------------------------------------------------------------------------


def test_without_libreoffice_a_doc_says_to_save_it_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DocumentError) as caught:
        converted_to_docx(path, tmp_path, which=lambda _: None)
    assert caught.value.detail == NO_LIBREOFFICE
    assert "\n" not in str(caught.value)
    assert ".docx" in NO_LIBREOFFICE
    assert "LibreOffice" in NO_LIBREOFFICE


def test_read_roadmap_of_an_odt_without_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.importers.sources.shutil.which", lambda _: None)
    path = tmp_path / "order.odt"
    path.write_bytes(b"PK")
    with pytest.raises(DocumentError) as caught:
        read_roadmap(path)
    assert caught.value.path == path
    assert caught.value.detail == NO_LIBREOFFICE


def test_the_conversion_command_and_its_result(tmp_path: Path) -> None:
    source = tmp_path / "in" / "Приказ 42.doc"
    source.parent.mkdir()
    source.write_bytes(b"\xd0\xcf\x11\xe0")
    out = tmp_path / "out"
    out.mkdir()
    ran: list[list[str]] = []

    def runner(command: Sequence[str]) -> int:
        ran.append(list(command))
        docx_file(out / "Приказ 42.docx", BEFORE, TABLE)
        return 0

    converted = converted_to_docx(source, out, which=lambda name: f"/usr/bin/{name}", runner=runner)

    assert converted == out / "Приказ 42.docx"
    assert ran == [conversion_command("/usr/bin/soffice", source, out)]
    command = ran[0]
    assert command[0] == "/usr/bin/soffice"
    assert command[2:7] == ["--headless", "--convert-to", "docx", "--outdir", str(out)]
    assert command[-1] == str(source)
    assert command[1].startswith("-env:UserInstallation=file://")


def test_a_failed_conversion_is_unreadable(tmp_path: Path) -> None:
    source = tmp_path / "order.odt"
    source.write_bytes(b"PK")
    with pytest.raises(DocumentError, match="exit code 1") as caught:
        converted_to_docx(source, tmp_path, which=lambda _: "soffice", runner=lambda _: 1)
    assert caught.value.problem is Problem.UNREADABLE


def test_a_converted_doc_reads_as_the_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = docx_file(tmp_path / "original.docx", BEFORE, TABLE)
    source = tmp_path / "order.doc"
    source.write_bytes(b"\xd0\xcf\x11\xe0")

    def runner(command: Sequence[str]) -> int:
        outdir = Path(command[command.index("--outdir") + 1])
        (outdir / "order.docx").write_bytes(original.read_bytes())
        return 0

    monkeypatch.setattr(
        "bot.importers.converted_to_docx",
        lambda path, directory: converted_to_docx(
            path, directory, which=lambda _: "soffice", runner=runner
        ),
    )
    assert _tasks(read_roadmap(source)) == _tasks(read_roadmap(original))
