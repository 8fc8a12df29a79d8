"""How long a large roadmap takes to import, from Word and from PDF, and how much memory it needs.

    python benchmarks/bench_import.py [rows]

Writes a roadmap of `rows` task rows (1,000 by default) into a temporary directory, then
measures (1) reading it with `read_roadmap`, with the peak memory traced while reading
(tracemalloc: Python's own allocations; lxml's C memory for the parsed XML is not in it), and
(2) the whole `roadmap-bot import`: reading plus storing it in a fresh SQLite database in one
transaction, with the process's peak resident memory. The same roadmap as a PDF (a ruled table
with a text layer, as Word exports it, the header repeated on every page) is read the same way,
time and traced memory. No assertions: the target (< 2 s for 1,000 rows) is printed for whoever
reads the numbers.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import tempfile
import textwrap
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from docx import Document

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.importers import read_roadmap
from bot.services.clock import SystemClock
from bot.services.roadmaps import RoadmapService
from storage.db import Database
from tests.importers.documents import TableRow, pdf_file

TARGET_SECONDS = 2.0

ACTIVITIES = (
    "Проведение ВКС с муниципальными органами управления образованием",
    "Регистрация общеобразовательных организаций в ИКОП «Сферум»",
    "Перевод внутренних коммуникаций (ВКС, чаты) на платформу",
    "Разработка инструкций для родителей по использованию платформы",
    "Проведение обучающих вебинаров для педагогических работников",
    "Мониторинг подключения образовательных организаций",
    "Подготовка методических рекомендаций",
    "Совещание с руководителями подведомственных организаций",
)
RESPONSIBLE = (
    "Департамент",
    "МОУО",
    "Муниципальные органы управления образованием, Департамент",
    "ГАУ ДПО СОИРО",
    "ЦО/VK, Департамент, ГАУ ДПО СОИРО",
    "ЦО/ВК",
    "Руководители образовательных организаций",
    "Департамент; руководители подведомственных организаций",
)
DEADLINES = (
    "до {d:02d}.{m:02d}.2023",
    "{d:02d}.{m:02d}.2023",
    "с {d:02d}.{m:02d}.2023",
    "еженедельно, по пятницам",
    "{month} 2023 года",
    "по согласованию",
    "с {d:02d}.{m:02d}.2023, в течение 2 суток после получения",
    "не позднее {d} {month_genitive} 2023 г.",
    "ежемесячно до 5 числа",
    "II квартал 2023",
)
MONTHS = ("апрель", "май", "июнь", "июль", "август", "сентябрь")
MONTHS_GENITIVE = ("апреля", "мая", "июня", "июля", "августа", "сентября")
SECTION_EVERY = 25
# Characters a line of each PDF column holds (DejaVu Sans 7.5 pt in tests.importers.documents'
# columns), wrapped there as Word's layout would wrap them; and the rows a page holds at three
# lines a row at most.
PDF_WRAP = (6, 48, 22, 20)
PDF_ROWS_A_PAGE = 18
HEADER = ("№", "Мероприятие", "Ответственные", "Срок")


def _deadline(generator: random.Random) -> str:
    month = generator.randrange(len(MONTHS))
    return generator.choice(DEADLINES).format(
        d=generator.randint(1, 28),
        m=month + 4,
        month=MONTHS[month],
        month_genitive=MONTHS_GENITIVE[month],
    )


def _roadmap_rows(rows: int, seed: int) -> Iterator[tuple[str, ...] | str]:
    """The table's rows after its header: a section's title (one string, a row merged across
    the table) every 25 tasks, and the tasks' cells."""
    generator = random.Random(seed)
    for number in range(1, rows + 1):
        if number % SECTION_EVERY == 1:
            yield f"Раздел {number // SECTION_EVERY + 1}. Мероприятия"
        yield (
            f"{number}.",
            f"{generator.choice(ACTIVITIES)} (этап {number})",
            generator.choice(RESPONSIBLE),
            _deadline(generator),
        )


PREAMBLE = (
    "ДЕПАРТАМЕНТ СМОЛЕНСКОЙ ОБЛАСТИ",
    "ПО ОБРАЗОВАНИЮ И НАУКЕ",
    "П Р И К А З",
    "« 07 » апреля 20 23 г.",
    "№ 319-ОД",
    "Назначить государственное автономное учреждение дополнительного профессионального "
    "образования «Смоленский областной институт развития образования» (далее – ГАУ ДПО "
    "СОИРО) региональным координатором.",
    "Дорожная карта",
    "по внедрению информационно-коммуникационной образовательной платформы",
    "ЦЕЛЬ: внедрение платформы к 01.09.2023.",
)


def make_docx(path: Path, rows: int, *, seed: int = 319) -> Path:
    """A Smolensk-like order with a roadmap of `rows` task rows, a merged section row every
    25 tasks, varied Russian deadlines and party spellings."""
    document = Document()
    for text in PREAMBLE:
        document.add_paragraph(text)
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    # Rows are added one by one and filled through the row's own cells: going through
    # table.cell(r, c) recomputes the whole grid each time, quadratic in the table's size.
    for row in _roadmap_rows(rows, seed):
        cells = table.add_row().cells
        if isinstance(row, str):
            cells[0].merge(cells[-1]).text = row
            continue
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    document.save(str(path))
    return path


def make_pdf(path: Path, rows: int, *, seed: int = 319) -> Path:
    """The roadmap of `make_docx` as Word exports it to PDF: the preamble's paragraphs (the long
    one wrapped as lines), a ruled table continued over pages with its header repeated, each
    cell's text wrapped to its column."""
    table: list[TableRow] = [list(HEADER)]
    for row in _roadmap_rows(rows, seed):
        if isinstance(row, str):
            table.append(row)
        else:
            table.append(
                [
                    "\n".join(textwrap.wrap(cell, width))
                    for cell, width in zip(row, PDF_WRAP, strict=True)
                ]
            )
    paragraphs = [line for text in PREAMBLE for line in textwrap.wrap(text, 110)]
    return pdf_file(path, paragraphs, table, per_page=PDF_ROWS_A_PAGE)


def _read(path: Path) -> tuple[int, float, int]:
    """Tasks read, seconds, and the peak traced memory of a second read (tracemalloc slows
    Python down several times over, so it must not run during the timed read)."""
    started = time.perf_counter()
    roadmap = read_roadmap(path)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    read_roadmap(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(roadmap.tasks), elapsed, peak


async def _import_into_fresh_database(path: Path, directory: Path) -> tuple[float, int]:
    database = Database(f"sqlite:///{directory / 'bench.db'}")
    await database.upgrade()
    try:
        service = RoadmapService(database, SystemClock(), "Europe/Moscow")
        started = time.perf_counter()
        outcome = await service.import_document(path)
        return time.perf_counter() - started, len(outcome.roadmap.tasks)
    finally:
        await database.dispose()


def main(rows: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = make_docx(Path(directory) / "roadmap.docx", rows)
        stored_in, stored = asyncio.run(_import_into_fresh_database(path, Path(directory)))
        read, elapsed, peak = _read(path)
        pdf_read, pdf_elapsed, pdf_peak = _read(make_pdf(Path(directory) / "roadmap.pdf", rows))
    if read != rows or stored != rows or pdf_read != rows:
        raise SystemExit(
            f"read {read} (PDF {pdf_read}), stored {stored} of {rows}: broken benchmark"
        )
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"read of a {rows:,}-row .docx: {elapsed:.2f} s, peak traced memory {peak / 2**20:.1f} MiB"
    )
    print(
        f"read of a {rows:,}-row PDF: {pdf_elapsed:.2f} s (target < {TARGET_SECONDS:g} s), "
        f"peak traced memory {pdf_peak / 2**20:.1f} MiB"
    )
    print(
        f"import of a {rows:,}-row .docx into SQLite (read + store, one transaction): "
        f"{stored_in:.2f} s (target < {TARGET_SECONDS:g} s), peak RSS of the process "
        f"{peak_rss:.0f} MiB"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
