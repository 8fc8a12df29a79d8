"""The one place where a document becomes a Roadmap, whatever format it came in.

Every reader (Word, text, CSV, Excel) turns its file into the same thing: a sequence of items in
document order, each either a paragraph of free text (`str`) or a table row (`Row`). From that:

- the roadmap table starts at the first header row naming at least the activity and the
  deadline columns, and the responsible, number or result column; the genre's variants
  («Направления деятельности», «Исполнители», «Сроки реализации», «Показатель», ...) count.
  Without a responsible column every task is the issuer's, with a warning (`build`); further
  result-like columns («Форма отчётности», «Показатель») go into the result under their name;
- a row carrying a heading's number (a Roman numeral, "Раздел 2.") is a section title, even
  when it ends in a number ("II. Организационное сопровождение ГИА-11" is no statistic);
- after the header, a row whose cells are one repeated text (Word repeats merged cells) or which
  has a single non-empty cell in the number or activity column is a section title; a numbered
  row with nothing but an activity, followed by rows numbered under it ("1." then "1.1."), or
  numbered with a Roman numeral, is a section title too;
- a row holding "label – number" cells ("Всего: общеобразовательных организаций – 355") is a
  statistics row, wherever it is (in the table: with at most one other text, its scope);
- in the table, the header again (in other words too) is skipped; a totals row («Итого: …»)
  and text under no column the header names are reported in `Built.warnings` («строка N: …»);
  a column the vocabulary does not know («Примечание») goes into the result under its name;
- a row without a number or an activity, or whose activity goes on in lower case, carries on
  the task above (a text paste breaks multi-line cells into rows); anything else with content
  is a task: no row is dropped without a word;
- a Roman numeral's row with a title and no responsible or result is a section even with a
  stage's period in its deadline cell; without a number column, a number printed at the head of
  the activity («1. Акция …», «3.Акция …») is the task's;
- the free text (paragraphs, and rows that belong to no roadmap table) gives the title, issuer,
  order number and date, goal, targets and the abbreviations the document defines. The title
  may break after its genre word («План» / «мероприятий, …») and stops before «(далее - …)» and
  «(в ред. …)»; the issuer is the body heading the document, else the one whose act approves
  the roadmap («к приказу министерства …» -> «Министерство …»), else the school whose head
  signs «УТВЕРЖДАЮ»; the title's period («на 2021 - 2023 годы», «в 2012-2013 учебном году»)
  is what «в течение года» means in the table.
"""

from __future__ import annotations

import enum
import itertools
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.domain.deadlines import parse_deadline
from bot.domain.model import BaselineFigure, Deadline, Roadmap, Section, Target, Task
from bot.domain.parties import find_abbreviations, normalise_parties
from bot.importers.errors import DocumentError, Problem
from bot.importers.text import clean, header_word, one_line
from bot.importers.vocabulary import kind_of, measure_of

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Row:
    """One table row as cell texts. `number` is what an error names: the 1-based row of its
    table, or the line of a text file; `table` tells tables of one document apart."""

    cells: tuple[str, ...]
    number: int
    table: int = 0


Item = str | Row


class Column(enum.Enum):
    NUMBER = "number"
    TITLE = "title"
    RESPONSIBLE = "responsible"
    DEADLINE = "deadline"
    RESULT = "result"
    REPORT = "report"  # «Форма отчётности»: no field of its own, kept in the result


# «№», «№ п/п», «N п/п», and doubled: «N N п.п», «№№ пп».
_NUMBER_HEADERS = re.compile(r"^(?:№\s*№|n\s?n|№|n|no|#|номер)?\s*(?:п/п|пп|п\.\s?п\.?)?$")
# Checked in this order: "Ожидаемый результат мероприятия" is a result, not the activity.
# The genre's variants: «Наименование мероприятия», «Содержание работы», «Направления
# деятельности»; «Исполнители», «Ответственный исполнитель»; «Срок исполнения», «Сроки
# реализации», «Период исполнения»; «Ожидаемый результат», «Планируемый результат»,
# «Показатель»; «Форма отчётности».
_HEADER_WORDS: tuple[tuple[Column, tuple[str, ...]], ...] = (
    (Column.REPORT, ("форма отчет", "форма отчёт", "отчетност", "отчётност")),
    (Column.RESPONSIBLE, ("ответствен", "исполнител", "responsib", "owner", "assignee")),
    (Column.DEADLINE, ("срок", "дата", "deadline", "due", "date", "when", "период")),
    (Column.RESULT, ("результат", "result", "outcome", "показател", "индикатор")),
    (
        Column.TITLE,
        (
            "мероприят",
            "наименование",
            "содержание",
            "направлени",
            "вид работ",
            "задач",
            "activit",
            "task",
            "action",
        ),
    ),
)


def _column_of(cell: str) -> Column | None:
    word = header_word(cell)
    if not word:
        return None
    if _NUMBER_HEADERS.match(word):
        return Column.NUMBER
    for column, stems in _HEADER_WORDS:
        if any(stem in word for stem in stems):
            return column
    return None


@dataclass(frozen=True, slots=True)
class Header:
    position: int  # index of the header row among the items
    columns: dict[Column, int] = field(hash=False)
    width: int
    table: int
    words: tuple[str, ...]
    # Result-like columns beyond the first («Показатель» next to «Ожидаемый результат»): their
    # cells go into the task's result under the column's name.
    extra: tuple[tuple[str, int], ...] = ()


def _header(row: Row, position: int) -> Header | None:
    columns: dict[Column, int] = {}
    extra: list[tuple[str, int]] = []
    seen: set[str] = set()
    for index, cell in enumerate(row.cells):
        column = _column_of(cell)
        word = header_word(cell)
        if column is None or word in seen:  # merged header cells repeat
            continue
        seen.add(word)
        if column not in columns and column is not Column.REPORT:
            columns[column] = index
        elif column in (Column.RESULT, Column.REPORT):
            extra.append((one_line(cell).strip(" .:*"), index))
    if not {Column.TITLE, Column.DEADLINE} <= columns.keys():
        return None
    # Without a responsible column the row must still look like a roadmap's header (№ |
    # Мероприятия | Сроки исполнения | Результат), not any table with a date in it.
    if Column.RESPONSIBLE not in columns and not (
        {Column.NUMBER, Column.RESULT} & columns.keys() or extra
    ):
        return None
    # Columns the vocabulary does not know («Примечание», «Отметка о выполнении») are kept in
    # the result too, under their name; they do not make a table a roadmap, so only now.
    for index, cell in enumerate(row.cells):
        word = header_word(cell)
        if word and word not in seen and _column_of(cell) is None:
            seen.add(word)
            extra.append((one_line(cell).strip(" .:*"), index))
    words = tuple(header_word(cell) for cell in row.cells)
    return Header(position, columns, len(row.cells), row.table, words, tuple(extra))


def find_header(items: Sequence[Item]) -> Header | None:
    """The roadmap table's header row, if the items have one."""
    for position, item in enumerate(items):
        if isinstance(item, Row) and len(item.cells) >= 3:
            header = _header(item, position)
            if header is not None:
                return header
    return None


# --- statistics --------------------------------------------------------------------------

_FIGURE = re.compile(
    r"^(?P<total>всего\s*:?\s*)?(?P<label>[^\W\d][^:]*?)(?:\s*[:=]\s*|\s+[-–—]\s*|[-–—]\s+)"
    r"(?P<value>\d{1,3}(?:[  ]\d{3})+|\d+)\s*(?:чел\.?|человек|ед\.?|шт\.?)?\.?$",
    re.IGNORECASE,
)


def _figure(scope: str, cell: str) -> BaselineFigure | None:
    match = _FIGURE.match(one_line(cell))
    if match is None:
        return None
    label = match["label"].strip()
    kind, measure = kind_of(label), measure_of(label)
    if not (match["total"] or kind or measure):
        return None  # "Этап – 2" is no statistic
    value = int(re.sub(r"\D", "", match["value"]))
    return BaselineFigure(scope, label, value, kind, measure)


@dataclass(slots=True)
class _Figures:
    """Statistics as they turn up; a row without a scope cell inherits the previous one (the
    Smolensk table leaves the second row's "Смоленская область" cell empty)."""

    scope: str = ""
    found: list[BaselineFigure] = field(default_factory=list)

    def take(self, cells: Sequence[str], *, scopes_at_most: int | None = None) -> bool:
        """Takes the row's figures, if it has any: True when it is a statistics row. In the
        roadmap table a row with more than one other text («Обучить педагогов | МОУО | до
        01.09.2023 | обучено педагогов – 150») is a task whose result has a figure."""
        texts = list(dict.fromkeys(one_line(cell) for cell in cells if cell.strip()))
        scopes = [text for text in texts if _figure("", text) is None]
        figures = [text for text in texts if text not in scopes]
        if not figures or (scopes_at_most is not None and len(scopes) > scopes_at_most):
            return False
        if scopes:
            self.scope = scopes[0]
        for text in figures:
            figure = _figure(self.scope, text)
            if figure is not None and figure not in self.found:
                self.found.append(figure)
        return True


# --- the table ---------------------------------------------------------------------------

_TASK_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)[.)]?$")
# A task's number at the head of its activity: «1. Акция», «3.Акция», «2.1) Семинар»; not
# «1.5 млн рублей» nor «2023 год»: the number ends in a dot or bracket and a capital follows.
_NUMBER_IN_TITLE = re.compile(r"^(?P<number>\d{1,3}(?:\.\d{1,3})*)[.)]\s*(?=[«\"A-ZА-ЯЁ])")
_ROMAN = re.compile(r"^[IVXLC]+[.)]?$")
# A heading's own number: "II. Организационное сопровождение ГИА-11", "Раздел 2. ...".
_HEADING_MARK = re.compile(
    r"^(?:[IVXLC]+[.)]|(?:раздел|глава|блок|этап)\s+(?:\d+|[IVXLC]+)\.?)(?:\s|$)", re.IGNORECASE
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


@dataclass(frozen=True, slots=True)
class _Line:
    """A table row read through the header: which cell is which."""

    row: Row
    number: str
    title: str
    responsible: str
    deadline: str
    result: str

    @property
    def numbered(self) -> bool:
        return bool(_TASK_NUMBER.match(self.number))


def _cell(row: Row, header: Header, column: Column) -> str:
    index = header.columns.get(column)
    if index is None or index >= len(row.cells):
        return ""
    return row.cells[index]


def _line(row: Row, header: Header) -> _Line:
    result = _cell(row, header, Column.RESULT)
    for label, index in header.extra:
        text = row.cells[index].strip() if index < len(row.cells) else ""
        if text and text != result.strip():  # a merged cell repeats across columns
            result = f"{result.strip()}; {label}: {text}" if result.strip() else f"{label}: {text}"
    return _Line(
        row,
        number=one_line(_cell(row, header, Column.NUMBER)),
        title=one_line(_cell(row, header, Column.TITLE)),
        responsible=_cell(row, header, Column.RESPONSIBLE),
        deadline=one_line(_cell(row, header, Column.DEADLINE)),
        result=result,
    )


def _printed_number(text: str) -> str:
    """The number as printed, without its trailing dot: "1." -> "1", "1.1." -> "1.1"."""
    match = _TASK_NUMBER.match(text)
    if match:
        return match[1]
    return text.rstrip(".)")


def _is_column_numbering(texts: Sequence[str]) -> bool:
    """The "1 | 2 | 3 | 4" row Russian tables put under the header."""
    return len(texts) >= 3 and texts == [str(index) for index in range(1, len(texts) + 1)]


@dataclass(slots=True)
class _Draft:
    number: str
    title: str
    section: str | None
    responsible: str
    deadline: str
    result: str
    row: Row


def _heading_row(line: _Line, texts: Sequence[str]) -> str | None:
    """The section a row heads when it carries a heading's number: a row spanning the table
    ("II. Организационное сопровождение ГИА-11") or a Roman numeral or "Раздел 2." in the
    number column with a title and no responsible or result (a stage's period beside it is
    no task's deadline). Checked before statistics: "ГИА-11" is no figure."""
    distinct = list(dict.fromkeys(one_line(text) for text in texts))
    if len(distinct) == 1 and _HEADING_MARK.match(distinct[0]):
        return distinct[0]
    # A stage's period may stand beside it («I. | Этап подготовки | ноябрь 2012 – май 2013г.»):
    # with nobody responsible and no result, it is still a heading.
    if (
        line.title
        and _HEADING_MARK.match(line.number + " ")
        and not (line.responsible.strip() or line.result.strip())
    ):
        return line.title
    return None


def _is_section(line: _Line, following: Iterable[_Line]) -> bool:
    """A numbered row with nothing but an activity heads a section when the rows after it are
    numbered under it ("1. Организационные мероприятия", then "1.1.", "1.2.")."""
    if line.responsible.strip() or line.deadline or line.result.strip() or not line.title:
        return False
    if _ROMAN.match(line.number):
        return True
    if not line.numbered:
        return False
    prefix = _printed_number(line.number) + "."
    next_numbered = next((other for other in following if other.numbered), None)
    return next_numbered is not None and next_numbered.number.startswith(prefix)


_TOTALS = re.compile(r"^(?:итого|всего)(?![^\W\d_])", re.IGNORECASE)


def _repeats_header(row: Row, header: Header) -> bool:
    """The header again on a new page, perhaps worded or broken differently ("№" for "№ п/п",
    "Срок\nисполнения"): every cell a header's word, naming the same columns."""
    if row.cells and all(not cell.strip() or len(cell) <= 80 for cell in row.cells):
        again = _header(row, header.position)
        known = {label.casefold() for label, _ in header.extra}
        return (
            again is not None
            and again.columns == header.columns
            and all(
                _column_of(cell) is not None or header_word(cell) in known
                for cell in row.cells
                if header_word(cell)
            )
        )
    return False


def _unread(line: _Line, header: Header) -> list[str]:
    """Texts of cells under no column the header names (beyond its last cell, under an empty
    header cell), other than a merged cell's repeats of the cells that are read."""
    read = set(header.columns.values()) | {index for _, index in header.extra}
    known = {one_line(line.row.cells[index]) for index in read if index < len(line.row.cells)}
    texts = (one_line(cell) for index, cell in enumerate(line.row.cells) if index not in read)
    return [text for text in dict.fromkeys(texts) if text and text not in known]


def _quoted(texts: Sequence[str], limit: int = 80) -> str:
    return ", ".join(
        f"«{text if len(text) <= limit else text[: limit - 1] + '…'}»" for text in texts
    )


def _table(
    items: Sequence[Item], header: Header, path: Path, figures: _Figures
) -> tuple[list[str], list[_Draft], set[int], list[str]]:
    """Sections and task drafts of the roadmap table, the positions of the items used, and
    warnings naming the rows the importer did not take as they are."""
    used: set[int] = {header.position}
    lines: list[_Line] = []
    for position in range(header.position + 1, len(items)):
        item = items[position]
        if not isinstance(item, Row):
            continue
        if item.table != header.table and len(item.cells) != header.width:
            continue  # another table of the document: free text, not roadmap rows
        used.add(position)
        lines.append(_line(item, header))

    sections: list[str] = []
    drafts: list[_Draft] = []
    warnings: list[str] = []
    section: str | None = None
    for index, line in enumerate(lines):
        row = line.row
        texts = [cell.strip() for cell in row.cells if cell.strip()]
        if not texts:
            continue
        words = tuple(header_word(cell) for cell in row.cells)
        if words == header.words or _is_column_numbering(texts) or _repeats_header(row, header):
            continue  # the header repeated on a new page, or the column numbers under it
        heading = _heading_row(line, texts)
        if heading is not None:
            section = heading
            if section not in sections:
                sections.append(section)
            continue
        if not line.numbered and figures.take(row.cells, scopes_at_most=1):
            continue
        if not line.numbered and (_TOTALS.match(line.number) or _TOTALS.match(line.title)):
            warnings.append(
                f"строка {row.number}: {_quoted(list(dict.fromkeys(map(one_line, texts))))} — "
                "строка итогов, не мероприятие; не импортирована."
            )
            continue
        unread = _unread(line, header)
        if not (line.number or line.title or line.responsible.strip() or line.deadline) and not (
            line.result.strip()
        ):
            warnings.append(_unread_warning(row, unread))
            continue
        distinct = list(dict.fromkeys(texts))
        only = one_line(distinct[0])
        # A line of the activity above broken onto a row of its own goes on in lower case.
        carries_on = (
            len(texts) == 1
            and only == line.title
            and only[:1].islower()
            and bool(drafts)
            and drafts[-1].section == section
        )
        if (
            len(distinct) == 1
            and not carries_on
            and not (_TASK_NUMBER.match(only) and only in (line.number, line.title))
            and (only in (line.number, line.title) or len(texts) > 1)
        ):
            section = only
            if section not in sections:
                sections.append(section)
            continue
        if drafts and not line.number and (carries_on or not line.title):
            if unread:
                warnings.append(_unread_warning(row, unread))
            _continue(drafts[-1], line)
            continue
        if _is_section(line, itertools.islice(lines, index + 1, None)):
            section = line.title
            if section not in sections:
                sections.append(section)
            continue
        if not line.title:
            raise DocumentError(
                path,
                Problem.ROW_WITHOUT_TITLE,
                row=row.number,
                detail=f"№ {line.number}" if line.number else None,
            )
        if unread:
            warnings.append(_unread_warning(row, unread))
        number, title = _printed_number(line.number), line.title
        if Column.NUMBER not in header.columns:
            # Without a number column the number is printed in the activity cell, if anywhere:
            # «1. Благотворительная акция …», «3.Акция …».
            printed = _NUMBER_IN_TITLE.match(title)
            last = drafts[-1].number if drafts else "0"
            if printed:
                number, title = printed["number"], title[printed.end() :]
            else:  # the one after the task above, or its place in the table
                number = str(int(last) + 1 if last.isdecimal() else len(drafts) + 1)
        drafts.append(
            _Draft(number, title, section, line.responsible, line.deadline, line.result, row)
        )
    return sections, drafts, used, warnings


def _unread_warning(row: Row, unread: Sequence[str]) -> str:
    return f"строка {row.number}: текст вне колонок таблицы не импортирован: {_quoted(unread)}."


def _continue(draft: _Draft, line: _Line) -> None:
    """A row without a number or an activity (or whose activity goes on in lower case) carries
    on the task above: a text paste puts each line of a multi-line cell on a line of its own."""
    if line.title:
        draft.title = f"{draft.title} {line.title}".strip()
    if line.responsible:
        draft.responsible = f"{draft.responsible}\n{line.responsible}".strip()
    if line.deadline:
        draft.deadline = f"{draft.deadline} {line.deadline}".strip()
    if line.result:
        draft.result = f"{draft.result}\n{line.result}".strip()


# --- free text ---------------------------------------------------------------------------

_SENTENCE_END = ".;:!?"
_AUTHORITY = re.compile(
    r"департамент|министерств|управлени|комитет|отдел|администраци|правительств|агентств",
    re.IGNORECASE,
)
_DOCUMENT_KIND = frozenset(
    {"приказ", "распоряжение", "постановление", "решение", "письмо", "приказываю", "постановляю"}
)
# The genre's titles: «Дорожная карта …», «План мероприятий (дорожная карта) …», «Комплекс
# мер (дорожная карта) …», «Перечень мероприятий …», «Межведомственный план …».
_TITLE = re.compile(
    r"^(?:(?:план\s+мероприятий|перечень\s+мероприятий|комплекс\s+мер|"
    r"межведомственн\w*\s+(?:[а-яё]+\s+)?план)(?![\w-])"
    r"|\(?[«\"“]?(?:дорожн\w*\s+карт|план-график|roadmap))",
    re.IGNORECASE,
)
# «План» followed by what is planned other than «мероприятий»: «План подготовки и проведения
# мероприятий …», «План работы …», «План основных мероприятий …». A line that ends as a sentence
# does («План работы утверждается приказом.») is no title.
_PLAN_OF = re.compile(
    r"^план\s+(?:[а-яё]+(?:ых|их)\s+)?(?:подготовки|проведения|работы|действий|реализации|"
    r"организации|мероприятий)(?![\w-])(?!.*[.:;]$)",
    re.IGNORECASE,
)
# What follows a title without being part of it: a short name it defines «(далее - Центры)»,
# an amendment note «(в ред. Распоряжения … от 01.04.2020 N 39-рп)», «(с изменениями …)».
_TITLE_TAIL = re.compile(r"\s*\((?:далее|в\s+ред|ред\.|с\s+изм)", re.IGNORECASE)
_LABEL = re.compile(r"^[^\W\d][^:]{0,40}:")
_TITLE_STOP = re.compile(
    r"^(?:\d+(?:\.\d+)*[.)](?:\s|$)|\d{1,2}(?:\.\d{1,2}\.|\s+[а-яё]+\s+)\d{2,4}|«|№|цель|задач"
    r"|статистическ|утвержд"
    r"|приложени|приказ|распоряжени|постановлени|от\s|\((?:в\s+ред|ред\.|с\s+изм))",
    re.IGNORECASE,
)
_GOAL = re.compile(
    r"^цел[ьи](?:\s[^:–—]{0,40}?)?\s*[:–—-]\s*(?P<goal>.+)$", re.IGNORECASE | re.DOTALL
)
# «№ 319-ОД», «№241-р», and the Latin N of typed orders: «N 241-рп», «N 1234».
_DOC_NUMBER = re.compile(r"(?:№\s*|(?<![\w№])N\s?(?=\d))(?P<number>[0-9A-Za-zА-Яа-яЁё][\w\-/.]*)")
_ORDER = re.compile(r"приказ|распоряжени|постановлени|№|(?<!\w)(?-i:N)\s?\d", re.IGNORECASE)
_NOT_ORDER_NUMBER = re.compile(r"(?:приложени[еяю]|пункт[ау]?|раздел[ау]?)\s*$", re.IGNORECASE)
_DOC_DATE_WORDS = re.compile(
    r"(?<!\d)«?\s*(?P<day>\d{1,2})\s*»?\s*(?P<month>[а-яё]{3,})\s+(?P<year>(?:\d\s*){4})",
    re.IGNORECASE,
)
_DOC_DATE_DIGITS = re.compile(r"(?<!\d)\d{1,2}\.\d{1,2}\.\d{4}(?!\d)")
_PERCENT = re.compile(r"(?<![\d.,])(?P<number>\d{1,3}(?:[.,]\d+)?)\s*%")
_AT_LEAST = re.compile(
    r"не\s+менее\s+(?P<number>\d{1,3}(?:[  ]\d{3})+|\d+)(?![\d  ]*%)", re.IGNORECASE
)
_BY_DATE = re.compile(
    r"\b(?:до|к|не\s+позднее)\s+"
    r"(?:\d{1,2}\s+[а-яё]+\s+\d{4}(?:\s*(?:года|г\.?))?|\d{1,2}\.\d{1,2}\.\d{4})",
    re.IGNORECASE,
)
_TARGET_WORDS = re.compile(r"показател|не\s+менее|обеспечить|достиж", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _is_upper(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all(char.isupper() for char in letters)


def _is_document_kind(text: str) -> bool:
    return "".join(text.split()).casefold().rstrip(":") in _DOCUMENT_KIND


# A body named in the genitive after the act that approves the roadmap: «Приложение N 2 к приказу
# министерства образования и науки Краснодарского края от …», «УТВЕРЖДЕН распоряжением
# Правительства Нижегородской области от …», «Постановление Правительства Мурманской области от
# 31.05.2007 № 263-ПП/9». Not «в соответствии с постановлением Правительства РФ»: that act is
# another's. The name ends at the act's date or number, a bracket, the order's subject on a line
# of its own («Об утверждении …») or the end of the lines, and spans at most three lines.
_APPROVED_BY = re.compile(
    r"(?:(?<![^\W\d_])к\s+(?:приказу|распоряжению|постановлению|решению)"
    r"|(?<![^\W\d_])утвержд[а-яё]*\s+(?:приказом|распоряжением|постановлением|решением)"
    r"|^(?:приказ|распоряжение|постановление|решение))"
    r"\s+(?P<body>(?:министерств|правительств|администраци|департамент|управлени|комитет|"
    r"агентств|отдел|служб)[^\W\d_]*(?:[ \t]*\n?[ \t]*[^\s(]+){0,15}?)"
    r"(?=\s+(?:от|№)(?![^\W\d_])|\s+N\s?\d|\s*[(,;]|\s*\Z|\s*\n[ \t]*(?:о|об)\s)",
    re.IGNORECASE,
)
# The body's first word in the nominative: министерства -> Министерство, Администрации ->
# Администрация; the genitive tail («… образования и науки Краснодарского края») stays.
_NOMINATIVE: tuple[tuple[str, str], ...] = (
    ("министерств", "министерство"),
    ("правительств", "правительство"),
    ("агентств", "агентство"),
    ("администраци", "администрация"),
    ("управлени", "управление"),
    ("департамент", "департамент"),
    ("комитет", "комитет"),
    ("отдел", "отдел"),
    ("служб", "служба"),
)
# A school's approval block: «УТВЕРЖДАЮ» over «Директор МБОУ «Кищинская СОШ»»; the head's post
# names the organisation after it, by its abbreviation («МБОУ …») or as a body in the genitive
# («Начальник управления образования …»).
_I_APPROVE = re.compile(r"^[«\"]?\s*утверждаю\s*[»\"]?\s*:?$", re.IGNORECASE)
_HEAD_OF = re.compile(
    r"^(?:и\.\s?о\.\s*)?(?:директор[а-яё]*|заведующ[а-яё]*|руководител[а-яё]*|начальник[а-яё]*|"
    r"ректор[а-яё]*|председател[а-яё]*)\s+(?P<body>.+)$",
    re.IGNORECASE,
)
_ABBREVIATION_START = re.compile(r"^[A-ZА-ЯЁ]{2,}(?![^\W\d_])")


def _nominative(body: str) -> str | None:
    """ "министерства образования и науки Краснодарского края" -> "Министерство образования и
    науки Краснодарского края"; None when the first word names no body."""
    first, _, rest = body.partition(" ")
    lowered = first.casefold()
    for stem, nominative in _NOMINATIVE:
        if lowered.startswith(stem):
            word = nominative.upper() if _is_upper(first) and len(first) > 1 else nominative
            return f"{word[:1].upper()}{word[1:]} {rest}".strip()
    return None


def _approving_body(lines: Sequence[str]) -> str | None:
    """The body whose act approves the roadmap, from the lines above its title (see
    `_APPROVED_BY`, `_I_APPROVE`), in the nominative; None when they name none."""
    found = _APPROVED_BY.search("\n".join(lines))
    if found:
        body = one_line(found["body"]).rstrip(" .,")
        if len(body) <= 150 and found["body"].count("\n") <= 2:
            return _nominative(body)
    for index, line in enumerate(lines):
        if not _I_APPROVE.match(line):
            continue
        for following in lines[index + 1 : index + 3]:
            head = _HEAD_OF.match(following)
            if head is None:
                continue
            body = head["body"].rstrip(" _")
            if _ABBREVIATION_START.match(body):
                return body
            return _nominative(body)
    return None


# Words that are never a proper name: a heading's prepositions and conjunctions.
_FUNCTION_WORDS = frozenset(
    {"и", "в", "во", "на", "по", "при", "для", "о", "об", "от", "до", "за", "из", "к", "ко"}
    | {"с", "со", "у", "над", "под", "без", "через"}
)


class _Casing:
    """How the document itself writes a word in running text: to put a heading set in capitals
    ("ДЕПАРТАМЕНТ СМОЛЕНСКОЙ ОБЛАСТИ") back into ordinary case ("Департамент Смоленской
    области"). A word takes the document's own spelling ("Осетия-Алания" stays so); one the
    document never writes outside capitals is a proper name when it names a region
    ("ТАМБОВСКОЙ ОБЛАСТИ", "РЕСПУБЛИКИ СЕВЕРНАЯ ОСЕТИЯ-АЛАНИЯ"), else in lower case."""

    def __init__(self, paragraphs: Sequence[str]) -> None:
        self.words: dict[str, Counter[str]] = {}
        self.stems: dict[str, Counter[str]] = {}
        for paragraph in paragraphs:
            if _is_upper(paragraph):
                continue
            for index, match in enumerate(_WORDS.finditer(paragraph)):
                word = match.group()
                before = paragraph[: match.start()].rstrip()
                if index == 0 or before.endswith((".", "!", "?", "«", '"')):
                    continue  # a capital there says nothing about the word
                if _is_upper(word) and len(word) > 1 and not word.isupper():
                    continue
                self.words.setdefault(word.casefold(), Counter())[word] += 1
                for part in word.split("-"):
                    self.stems.setdefault(part.casefold()[:5], Counter())[_style(part)] += 1

    def word(self, word: str) -> str | None:
        """The word as the document writes it, or None when it never does outside capitals."""
        lowered = word.casefold()
        spellings = self.words.get(lowered)
        if spellings:
            return spellings.most_common(1)[0][0]
        if lowered in _FUNCTION_WORDS:
            return lowered
        parts = []
        for part in word.split("-"):
            votes = self.stems.get(part.casefold()[:5])
            if not votes:
                return None
            parts.append(_styled(part, votes.most_common(1)[0][0]))
        return "-".join(parts)

    def recase(self, text: str) -> str:
        if not _is_upper(text):
            return text
        out: list[str] = []
        last = 0
        matches = list(_WORDS.finditer(text))
        in_name = False  # within "Республики Северная Осетия-Алания"
        for index, match in enumerate(matches):
            written = match.group()
            following = [other.group() for other in matches[index + 1 : index + 3]]
            between = text[last : match.start()]
            in_name = in_name and not set(between) & set('(,;:«"')
            found = self.word(written)
            word = found or (
                _styled(written, "title")
                if in_name or _is_region(written, following)
                else written.casefold()
            )
            if index == 0:  # a heading's first word has its capital whatever it is
                word = word if _is_upper(word) else word[:1].upper() + word[1:]
            if _REGION_KIND.match(written.casefold()):
                in_name = True
            elif written.casefold() in _FUNCTION_WORDS:
                in_name = False
            out.append(between)
            out.append(word)
            last = match.end()
        out.append(text[last:])
        return "".join(out)


# A region's name in capitals: "ТАМБОВСКОЙ ОБЛАСТИ", "КРАСНОДАРСКОГО КРАЯ", "ЧЕЧЕНСКОЙ
# РЕСПУБЛИКИ"; "Республика" and "Федерация" themselves, and what follows "Республики".
_REGION_KIND = re.compile(r"^(?:республик|федераци)")
_REGION_NOUN = re.compile(r"^(?:област|кра[яюйе]|округ|район|республик|федераци)")
_REGION_ADJECTIVE = re.compile(r"(?:[сц]к|ов)(?:ой|ого|ая|ий|ом|ому|ую|ое)$")
_COMMON_ADJECTIVE = re.compile(r"^(?:городск|муниципальн|сельск|автономн|федеральн|районн)")


def _is_region(word: str, following: Sequence[str]) -> bool:
    """ "Тамбовской области", "Кушвинского городского округа": the region's own adjective."""
    lowered = word.casefold()
    if _REGION_KIND.match(lowered):
        return True
    nouns = [other.casefold() for other in following[:2]]
    if nouns and _COMMON_ADJECTIVE.match(nouns[0]):
        nouns = nouns[1:]
    return (
        bool(_REGION_ADJECTIVE.search(lowered))
        and not _COMMON_ADJECTIVE.match(lowered)
        and bool(nouns)
        and bool(_REGION_NOUN.match(nouns[0]))
    )


def _style(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "upper"
    return "title" if word[:1].isupper() else "lower"


def _styled(word: str, style: str) -> str:
    lowered = word.casefold()
    if style == "upper":
        return word.upper()
    if style == "title":  # each part of "Осетия-Алания"
        return "-".join(part[:1].upper() + part[1:] for part in lowered.split("-"))
    return lowered


def _runs(text: Sequence[str | None]) -> Iterator[list[str]]:
    """Runs of consecutive paragraphs; a table breaks a run."""
    run: list[str] = []
    for paragraph in text:
        if paragraph is None:
            if run:
                yield run
            run = []
        else:
            run.append(paragraph)
    if run:
        yield run


def _joined(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs with a sentence broken across two of them put back together (the Smolensk
    order breaks item 4.3 after "образовательной")."""
    out: list[str] = []
    for paragraph in paragraphs:
        if out and out[-1][-1:] not in _SENTENCE_END and paragraph[:1].islower():
            out[-1] = f"{out[-1]} {paragraph}"
        else:
            out.append(paragraph)
    return out


def _date_of(text: str, year: int | None) -> date | None:
    """A single date written in words or digits, read by the deadline grammar."""
    deadline: Deadline = parse_deadline(text, year=year)
    return deadline.due or deadline.start


@dataclass(slots=True)
class _Heading:
    title: str | None = None
    issuer: str | None = None
    number: str | None = None
    document_date: date | None = None
    goal: str | None = None


def _heading(text: Sequence[str | None]) -> _Heading:
    paragraphs = [paragraph for paragraph in text if paragraph is not None]
    casing = _Casing(paragraphs)
    heading = _Heading()

    runs = list(_runs(text))
    title_line: str | None = None
    for run in runs:
        for index, paragraph in enumerate(run):
            parts = _title_head(run, index) if heading.title is None else []
            if parts:
                title_line = paragraph
                for following in run[index + len(parts) : index + 5]:
                    if (
                        parts[-1].endswith(".")
                        or _LABEL.match(following)
                        or _TITLE_STOP.match(following)
                        # a long line goes on with the title only when it goes on in lower case
                        or (len(following) > 200 and not following[:1].islower())
                    ):
                        break
                    parts.append(following)
                heading.title = _title(one_line(" ".join(parts)), casing)
            if heading.goal is None:
                goal = _GOAL.match(paragraph)
                if goal:
                    heading.goal = one_line(goal["goal"])

    first_run = runs[0] if runs else []
    # An issuer's name starts with what it is: "Департамент ...", "Главное управление ...".
    if (
        first_run
        and len(first_run[0]) < 150
        and any(_AUTHORITY.match(word) for word in first_run[0].split()[:2])
        and not _APPROVED_BY.match(first_run[0])  # «Постановление Правительства … от …»
    ):
        lines = [first_run[0]]
        for following in first_run[1:4]:
            if _is_document_kind(following) or not (
                _is_upper(following) or following[:1].islower()
            ):
                break
            lines.append(following)
        heading.issuer = casing.recase(one_line(" ".join(lines)))
    if heading.issuer is None:
        above = paragraphs[: paragraphs.index(title_line)] if title_line else paragraphs
        body = _approving_body(above[:12])
        heading.issuer = casing.recase(body) if body else None

    # The order's number and date sit on short lines above the roadmap's title, or on a line
    # that says which order it is ("утверждена приказом от 07.04.2023 № 319-ОД").
    above_title = True
    for paragraph in paragraphs[:15]:
        if heading.title and _TITLE.match(paragraph):
            above_title = False
        if len(paragraph) > 80 or not (above_title or _ORDER.search(paragraph)):
            continue
        if heading.number is None:
            heading.number = _document_number(paragraph)
        if heading.document_date is None:
            heading.document_date = _document_date(paragraph)
    return heading


def _title_head(run: Sequence[str], index: int) -> list[str]:
    """The lines a title starts with at run[index]: one («План мероприятий …»), two when the
    genre's word stands alone («План» / «мероприятий, посвященных …»), or none."""
    paragraph = run[index]
    if _TITLE.match(paragraph) or _PLAN_OF.match(paragraph):
        return [paragraph]
    following = run[index + 1] if index + 1 < len(run) else ""
    if len(paragraph.split()) <= 2 and following[:1].islower():
        joined = f"{paragraph} {following}"
        if _TITLE.match(joined) or _PLAN_OF.match(joined):
            return [paragraph, following]
    return []


def _title(text: str, casing: _Casing) -> str:
    """The title as the reader wants it: without what only follows it («(далее - Центры)», «(в
    ред. …)»), a heading in capitals in the document's own spelling, and the genre's words set in
    capitals in a mixed-case line as a sentence starts («КОМПЛЕКС МЕР (дорожная карта) по …» ->
    «Комплекс мер (дорожная карта) по …»): common nouns, whatever the document does with them."""
    tail = _TITLE_TAIL.search(text)
    if tail and tail.start() > 0:
        text = text[: tail.start()].rstrip(" ,")
    if _is_upper(text):
        return casing.recase(text)
    genre = _TITLE.match(text) or _PLAN_OF.match(text)
    if genre:
        end = re.match(r"[\w-]*", text[genre.end() :])
        cut = genre.end() + (end.end() if end else 0)
        words = text[:cut]
        if _is_upper(words):
            lowered = words.casefold()
            start = next(index for index, char in enumerate(lowered) if char.isalpha())
            return lowered[:start] + lowered[start].upper() + lowered[start + 1 :] + text[cut:]
    return text


def _document_number(paragraph: str) -> str | None:
    for match in _DOC_NUMBER.finditer(paragraph):
        if not _NOT_ORDER_NUMBER.search(paragraph[: match.start()]):
            return match["number"].rstrip(".")
    return None


def _document_date(paragraph: str) -> date | None:
    """The order's date: "« 07 » апреля 20 23 г." or "от 07.04.2023 № 319-ОД" -> 2023-04-07."""
    words = _DOC_DATE_WORDS.search(paragraph)
    if words:
        year = int("".join(words["year"].split()))
        found = _date_of(f"{int(words['day'])} {words['month']} {year}", year)
        if found:
            return found
    digits = _DOC_DATE_DIGITS.search(paragraph)
    if digits:
        return _date_of(digits.group(), None)
    return None


def _sentence_end(text: str, start: int) -> int:
    for match in re.finditer(r"[;!?]|\.(?=\s+[^\W\d_a-zа-яё]|\s*$)", text[start:]):
        return start + match.start()
    return len(text)


def _targets(paragraphs: Sequence[str], year: int | None) -> list[Target]:
    """Targets the text sets: "... показателя «100% педагогических работников ... до 31 мая
    2023 года»" -> Target(percent=100, due=2023-05-31). A figure with neither a date nor a
    word such as "показатель" or "не менее" around it is prose, not a target."""
    targets: dict[str, Target] = {}
    for paragraph in paragraphs:
        spans = [(match, True) for match in _PERCENT.finditer(paragraph)]
        spans += [(match, False) for match in _AT_LEAST.finditer(paragraph)]
        for match, is_percent in sorted(spans, key=lambda span: span[0].start()):
            end = _sentence_end(paragraph, match.end())
            sentence = paragraph[match.start() : end]
            dates = list(_BY_DATE.finditer(sentence))
            due = _date_of(dates[-1].group(), year) if dates else None
            context = paragraph[max(0, match.start() - 60) : match.start()]
            if due is None and not _TARGET_WORDS.search(context):
                continue
            if dates:
                sentence = sentence[: dates[-1].end()]
            sentence = one_line(sentence).rstrip(' »"”,')
            number = match["number"].replace(",", ".").replace(" ", "").replace(" ", "")
            target = Target(
                sentence,
                percent=float(number) if is_percent else None,
                value=None if is_percent else int(number),
                due=due,
            )
            targets.setdefault(sentence.casefold(), target)
    return list(targets.values())


# --- putting it together -----------------------------------------------------------------


def _cleaned(items: Sequence[Item]) -> list[Item]:
    out: list[Item] = []
    for item in items:
        if isinstance(item, Row):
            out.append(Row(tuple(clean(cell) for cell in item.cells), item.number, item.table))
        else:
            text = clean(item)
            if text:
                out.extend(text.split("\n"))
    return out


# The span a roadmap covers, as its title says: «в 2012-2013 учебном году», «на 2021 - 2023
# годы», «в 2013-2015 году», «на 2024 год». Not «к 2011/2012 учебному году» (the plan prepares
# for it) nor «ГИА в 2016 году» (the year of the exam, not of the plan).
_SCHOOL_PERIOD = re.compile(
    r"(?<![^\W\d_])(?:в|на)\s+(?P<first>\d{4})\s*[-–—/]\s*(?P<second>\d{4}|\d{2})\s*"
    r"(?:учебн[а-яё]*|уч\.)\s*(?:год|г\.)",
    re.IGNORECASE,
)
_YEARS_PERIOD = re.compile(
    r"(?<![^\W\d_])(?:в|на)\s+(?:период\s+)?(?:с\s+)?(?P<first>\d{4})\s*(?:гг?\.?\s*)?"
    r"(?:[-–—]|по|до)\s*(?P<second>\d{4})\s*(?:год|гг?\.)",
    re.IGNORECASE,
)
_ONE_YEAR_PERIOD = re.compile(r"(?<![^\W\d_])на\s+(?P<first>\d{4})\s*(?:год|г\.)", re.IGNORECASE)


def _period(title: str | None) -> tuple[date, date] | None:
    """The roadmap's period from its title (see `_SCHOOL_PERIOD`): what «в течение года» means."""
    if not title:
        return None
    school = _SCHOOL_PERIOD.search(title)
    if school:
        first, second = int(school["first"]), school["second"]
        if second in (str(first + 1), f"{(first + 1) % 100:02d}"):
            return date(first, 9, 1), date(first + 1, 8, 31)
    years = _YEARS_PERIOD.search(title)
    if years and 1900 <= int(years["first"]) < int(years["second"]) <= 2100:
        return date(int(years["first"]), 1, 1), date(int(years["second"]), 12, 31)
    one = _ONE_YEAR_PERIOD.search(title)
    if one and 1900 <= int(one["first"]) <= 2100:
        return date(int(one["first"]), 1, 1), date(int(one["first"]), 12, 31)
    return None


def _year(document_date: date | None, deadlines: Sequence[str]) -> int | None:
    """The year a bare "15.05" or "май" falls in: the order's, else the commonest in the table."""
    if document_date:
        return document_date.year
    years = Counter(int(year) for text in deadlines for year in _YEAR.findall(text))
    return years.most_common(1)[0][0] if years else None


def has_roadmap_table(items: Sequence[Item]) -> bool:
    return find_header(_cleaned(items)) is not None


# The responsible party of a table without a responsible column when the issuer is unknown.
UNKNOWN_ISSUER = "Издатель документа (ответственный не указан)"


@dataclass(frozen=True, slots=True)
class Built:
    """A roadmap and what the importer had to assume to read it, for the import's reply."""

    roadmap: Roadmap
    warnings: tuple[str, ...] = ()


def build_roadmap(items: Sequence[Item], path: Path) -> Roadmap:
    """A Roadmap from a document's paragraphs and table rows in document order (see `build`)."""
    return logged(build(items, path), path)


def logged(built: Built, path: Path) -> Roadmap:
    """The roadmap, its warnings logged: for callers that have no reply to put them in."""
    for warning in built.warnings:
        _log.warning("%s: %s", path.name, warning)
    return built.roadmap


def build(items: Sequence[Item], path: Path) -> Built:
    """A Roadmap from a document's paragraphs and table rows in document order, with warnings.

    Raises DocumentError NO_ROADMAP_TABLE when no header row is found and ROW_WITHOUT_TITLE
    for a task row whose activity cell is empty.
    """
    items = _cleaned(items)
    header = find_header(items)
    if header is None:
        raise DocumentError(path, Problem.NO_ROADMAP_TABLE)

    figures = _Figures()
    text: list[str | None] = []
    for item in items[: header.position]:
        if isinstance(item, Row):
            if not figures.take(item.cells):
                text.extend(dict.fromkeys(one_line(cell) for cell in item.cells if cell.strip()))
        elif not figures.take([item]):
            text.append(one_line(item))
    text.append(None)
    sections, drafts, used, row_warnings = _table(items, header, path, figures)
    for position in range(header.position + 1, len(items)):
        item = items[position]
        if position in used:
            continue
        if isinstance(item, Row):
            text.extend(dict.fromkeys(one_line(cell) for cell in item.cells if cell.strip()))
        else:
            text.append(one_line(item))

    heading = _heading(text)
    year = _year(heading.document_date, [draft.deadline for draft in drafts])
    period = _period(heading.title)
    paragraphs = [sentence for run in _runs(text) for sentence in _joined(run)]
    warnings: list[str] = []
    if Column.RESPONSIBLE not in header.columns:
        issuer = heading.issuer or UNKNOWN_ISSUER
        for draft in drafts:
            draft.responsible = issuer
        warnings.append(
            "В таблице нет колонки ответственных: ответственным за все мероприятия указан "
            f"«{issuer}»."
        )
    warnings.extend(row_warnings)
    cells = [text for d in drafts for text in (d.title, d.responsible, d.result)]
    abbreviations = find_abbreviations("\n".join([*paragraphs, *cells]))
    parties = normalise_parties((draft.responsible for draft in drafts), abbreviations)
    tasks = tuple(
        Task(
            number=draft.number,
            title=draft.title,
            section=draft.section,
            responsible=parties.responsible(draft.responsible),
            deadline=(
                parse_deadline(draft.deadline, year=year, period=period)
                if draft.deadline
                else Deadline("")
            ),
            result=one_line(draft.result) or None,
        )
        for draft in drafts
    )
    roadmap = Roadmap(
        title=heading.title or path.stem,
        issuer=heading.issuer,
        document_number=heading.number,
        document_date=heading.document_date,
        goal=heading.goal,
        sections=tuple(Section(title) for title in sections),
        tasks=tasks,
        parties=parties.parties,
        baseline=tuple(figures.found),
        targets=tuple(_targets(paragraphs, year)),
    )
    return Built(roadmap, tuple(warnings))
