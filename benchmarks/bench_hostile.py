"""How long and how much memory it takes to refuse each hostile file (targets: under 5 s and
under 300 MB each). Prints figures, asserts nothing.

    python benchmarks/bench_hostile.py

Each file is refused by the importer the CLI and the bot call; a chain of 10,000 parents (which
is legitimate) is imported and checked instead. Memory: tracemalloc's peak of Python
allocations, and the process's ru_maxrss growth (each case runs in a fresh process, so one
case's peak does not hide the next).
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.model import Organisation
from bot.importers import DocumentError, read_organisations, read_roadmap
from bot.importers.report_sheets import read_report_sheet
from bot.services.organisations import check_hierarchy
from tests.importers import hostile


def _yaml(text: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_text(text, encoding="utf-8")
        return path

    return make


def _headcount(count: str) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_text(f"name,kind,teachers\nШкола,school,{count}\n", encoding="utf-8")
        return path

    return make


def _controls(path: Path) -> Path:
    path.write_text(
        hostile.ROADMAP_CSV + "1;Совещание\x00\u202egnp.exe;до 28.04.2023;Отдел\n", "utf-8"
    )
    return path


def _roadmap(path: Path) -> str:
    return f"{len(read_roadmap(path).tasks)} tasks"


def _organisations(path: Path) -> str:
    organisations: list[Organisation] = read_organisations(path)
    check_hierarchy(organisations, [])
    return f"{len(organisations)} organisations"


def _report(path: Path) -> str:
    return f"{len(read_report_sheet(path, [], lambda name: [name]).rows)} rows"


# name, file name, maker, reader
CASES: list[tuple[str, str, Callable[[Path], Path], Callable[[Path], str]]] = [
    ("1 docx zip bomb, forged size", "a.docx", hostile.docx_bomb_forged, _roadmap),
    (
        "1 docx zip bomb, 1000:1, 2 GB",
        "a.docx",
        lambda p: hostile.docx_bomb_ratio(p, 2048),
        _roadmap,
    ),
    ("2 YAML alias bomb (409 bytes)", "a.yaml", _yaml(hostile.YAML_ALIAS_BOMB), _roadmap),
    ("2 YAML 100,000 brackets", "a.yaml", _yaml(hostile.YAML_DEEP), _roadmap),
    (
        "2 xlsx billion laughs",
        "a.xlsx",
        lambda p: hostile.xlsx_with_doctype(p, hostile.LAUGHS),
        _roadmap,
    ),
    ("2 xlsx XXE", "a.xlsx", lambda p: hostile.xlsx_with_doctype(p, hostile.XXE), _roadmap),
    ("2 docx billion laughs", "a.docx", hostile.docx_with_doctype, _roadmap),
    ("3 xlsx 300,000 tasks", "a.xlsx", lambda p: hostile.xlsx_rows(p, 300_000), _roadmap),
    (
        "3 CSV roadmap 1,000,000 rows",
        "a.csv",
        lambda p: hostile.roadmap_csv(p, 1_000_000),
        _roadmap,
    ),
    (
        "3 CSV organisations 1,000,000",
        "a.csv",
        lambda p: hostile.orgs_csv(p, 1_000_000),
        _organisations,
    ),
    ("3 CSV report sheet 1,000,000", "a.csv", lambda p: hostile.orgs_csv(p, 1_000_000), _report),
    (
        "4 parent chain 10,000 (accepted)",
        "a.csv",
        lambda p: hostile.orgs_chain(p, 10_000),
        _organisations,
    ),
    ("5 headcount of 40 digits", "a.csv", _headcount("9" * 40), _organisations),
    ("5 headcount '²'", "a.csv", _headcount("²"), _organisations),
    ("5 headcount '١٢٣'", "a.csv", _headcount("١٢٣"), _organisations),
    ("6 Windows-1251 + a UTF-8 row", "a.csv", hostile.mixed_encoding_csv, _roadmap),
    ("6 KOI8-R", "a.csv", lambda p: hostile.roadmap_csv(p, 100, "koi8_r"), _roadmap),
    ("6 CP866", "a.csv", lambda p: hostile.roadmap_csv(p, 100, "cp866"), _roadmap),
    ("6 UTF-16 without BOM", "a.csv", lambda p: hostile.roadmap_csv(p, 100, "utf-16-le"), _roadmap),
    ("7 NUL and RLO in a title (stripped)", "a.csv", _controls, _roadmap),
]


def _case(index: int, queue: multiprocessing.Queue[str]) -> None:
    name, file_name, make, read = CASES[index]
    with tempfile.TemporaryDirectory() as scratch:
        path = make(Path(scratch) / file_name)
        size = path.stat().st_size
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        try:
            outcome = "accepted: " + read(path)
        except DocumentError as error:
            outcome = f"refused: {str(error).split(': ', 1)[1][:70]}"
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    queue.put(
        f"{name:<37} {size / 2**10:>9,.0f} KB {elapsed:>7.2f} s {peak / 2**20:>7.1f} MB"
        f" {grown / 2**10:>7.1f} MB  {outcome}"
    )


def main() -> None:
    print(f"{'case':<37} {'file':>12} {'time':>9} {'traced':>10} {'rss+':>10}  outcome")
    context = multiprocessing.get_context("fork")
    for index in range(len(CASES)):
        queue: multiprocessing.Queue[str] = context.Queue()
        process = context.Process(target=_case, args=(index, queue))
        process.start()
        print(queue.get(), flush=True)
        process.join()


if __name__ == "__main__":
    main()
