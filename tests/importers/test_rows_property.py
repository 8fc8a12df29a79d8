"""For any roadmap table the importer accepts, every data row becomes a task or is reported.

Tables are generated from the genre's own wording: a header from its variants, then section
headings, numbered and unnumbered task rows, continuation rows (a text paste puts each line of a
multi-line cell on a row of its own), blank rows, the header again after a page break, the
column numbers under it, totals and statistics rows, rows with text beyond the header and rows
with a number but no activity. Each row knows what a person reading the table sees in it; the
property holds the importer to that:

- a task row's activity is in a task's title (a continuation may be added to it);
- a continuation row's text is in a task's title, responsible, deadline or result;
- a section heading is a section; a header, column-numbers, blank or statistics row is no task;
- a totals row, and text under no column, are named in `Built.warnings` («строка N: …»);
- when the importer refuses the table, it names a row with no activity.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.importers import DocumentError, Problem
from bot.importers.roadmap_table import Built, Item, Row, build
from bot.importers.sources import docx_items, text_items
from bot.importers.text import one_line
from tests.importers.documents import docx_file, text_file

PARAGRAPHS = ("Министерство образования Энской области", "ПРИКАЗ", "План мероприятий")

# The genre's headers (tests/importers/test_genre.py), by role.
HEADERS: tuple[dict[str, str], ...] = (
    {
        "number": "№ п/п",
        "title": "Направления деятельности",
        "responsible": "Исполнители",
        "deadline": "Сроки реализации",
        "result": "Показатель",
    },
    {
        "number": "№",
        "title": "Содержание работы",
        "responsible": "Ответственный исполнитель",
        "deadline": "Срок выполнения",
        "result": "Результат",
    },
    {
        "number": "№",
        "title": "Содержание мероприятия",
        "responsible": "Ответственные исполнители",
        "deadline": "Период исполнения",
    },
    {
        "number": "№ п/п",
        "title": "Наименование мероприятия",
        "responsible": "Ответственные",
        "deadline": "Срок\nисполнения",
    },
    {
        "number": "№",
        "title": "Мероприятие",
        "responsible": "Ответственный",
        "deadline": "Срок",
        "result": "Планируемый результат",
    },
    {"number": "№", "title": "Мероприятия", "deadline": "Сроки исполнения", "result": "Результат"},
)
EXTRA_COLUMNS = {"report": "Форма отчётности", "note": "Примечание"}

# Places make every generated activity and continuation its own text.
PLACES = (
    "Вязьма",
    "Рославль",
    "Ярцево",
    "Сафоново",
    "Гагарин",
    "Десногорск",
    "Ельня",
    "Демидов",
    "Велиж",
    "Духовщина",
    "Кардымово",
    "Монастырщина",
    "Починок",
    "Рудня",
    "Сычёвка",
    "Тёмкино",
    "Угра",
    "Хиславичи",
    "Шумячи",
    "Новодугино",
    "Глинка",
    "Ершичи",
    "Красный",
    "Смоленск",
    "Дорогобуж",
    "Холм",
    "Издешково",
    "Каспля",
    "Катынь",
    "Пржевальское",
    "Верхнеднепровский",
    "Голынки",
    "Озёрный",
    "Сапшо",
    "Касплянка",
    "Лубня",
    "Хмара",
    "Вопец",
    "Днепр",
    "Вотря",
    "Соженка",
    "Осьма",
    "Ужа",
    "Сож",
    ").split(",
)
VERBS = ("Провести", "Организовать", "Обеспечить", "Разработать", "Подготовить", "Утвердить")
OBJECTS = (
    "совещание с руководителями ОО",
    "мониторинг готовности к ГИА-11",
    "обучение организаторов ППЭ",
    "информирование родителей (законных представителей)",
    "методические рекомендации для педагогов",
    "пробный экзамен по математике",
    "курсы повышения квалификации учителей",
    "семинар «Цифровая школа»",
)
RESPONSIBLE = (
    "Департамент",
    "МОУО",
    "Руководители ОО",
    "ГАУ ДПО СОИРО",
    "РЦОИ",
    "Министерство образования",
    "Муниципальные органы управления образованием",
)
DEADLINES = (
    "до 10.04.2023",
    "10.04.2023",
    "10.04..2023",
    "апрель 2023 года",
    "май",
    "до 1 июня 2024 г.",
    "с 01.09.2023 по 31.12.2023",
    "II квартал 2023 г.",
    "ежеквартально",
    "еженедельно, по пятницам",
    "ежемесячно до 5 числа",
    "в течение года",
    "постоянно",
    "по согласованию",
    "по мере необходимости",
    "2023-2024 учебный год",
    "в течении 2 суток после получения",
    "абырвалг",
    "-",
)
RESULTS = (
    "",
    "Протокол",
    "Приказ",
    "Информационная справка",
    "Охват педагогов – 100",  # reads like a statistic
    "Доля обучающихся: 95",
    "100%",
)
SECTIONS = (
    "Нормативное обеспечение",
    "Организационное сопровождение ГИА-11",
    "Подготовка к ГИА-9",
    "Информационная работа",
    "Методическое сопровождение",
)
NUMBERS = ("1", "1.", "2.", "2", "1.1", "1.1.", "2.3", "3)", "11", "11", "")
ROMANS = ("I.", "II.", "III.", "IV.")


class Kind(enum.Enum):
    BLANK = "blank"
    HEADER = "header again"
    COLUMN_NUMBERS = "column numbers"
    SECTION = "section heading"
    TASK = "task"
    BARE = "number and activity only"  # a task, or a section when rows are numbered under it
    CONTINUATION = "continuation"  # responsible, deadline or result only
    TITLE_CONTINUATION = "activity going on in lower case"
    STRAY = "text under no column"
    TOTALS = "totals"
    STATISTICS = "statistics"
    UNTITLED = "number without an activity"


@dataclass(frozen=True, slots=True)
class Spec:
    kind: Kind
    cells: tuple[str, ...]
    key: str = ""  # the text the row must be found by
    stray: str = ""  # text beyond the header's last cell


@dataclass(frozen=True, slots=True)
class Table:
    roles: tuple[str, ...]
    specs: tuple[Spec, ...]

    def header(self) -> tuple[str, ...]:
        return self.specs[0].cells


def _cells(roles: Sequence[str], values: dict[str, str]) -> tuple[str, ...]:
    return tuple(values.get(role, "") for role in roles)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    variant = draw(st.sampled_from(HEADERS))
    names = dict(variant)
    for role, name in EXTRA_COLUMNS.items():
        if draw(st.booleans()):
            names[role] = name
    others = draw(st.permutations([role for role in names if role != "number"]))
    keep_number = "responsible" not in names or draw(st.integers(0, 4)) > 0
    roles = (("number",) if keep_number else ()) + tuple(others)
    header = Spec(Kind.HEADER, _cells(roles, names))
    specs = [header]
    if draw(st.booleans()):
        specs.append(Spec(Kind.COLUMN_NUMBERS, tuple(str(n) for n in range(1, len(roles) + 1))))
    count = draw(st.integers(1, 18))
    kinds = st.sampled_from(list(Kind))
    weighted = st.one_of(st.just(Kind.TASK), kinds)
    for place in PLACES[:count]:
        kind = draw(weighted)
        specs.append(draw(_row(kind, roles, names, place)))
    return Table(roles, tuple(specs))


@st.composite
def _row(
    draw: st.DrawFn, kind: Kind, roles: Sequence[str], names: dict[str, str], place: str
) -> Spec:
    width = len(roles)
    if kind is Kind.BLANK:
        return Spec(kind, ("",) * width)
    if kind is Kind.HEADER:
        again = {**names, **{role: draw(st.sampled_from(HEADERS)).get(role, "") for role in names}}
        again = {role: again[role] or names[role] for role in names}
        return Spec(kind, _cells(roles, draw(st.sampled_from([names, again]))))
    if kind is Kind.COLUMN_NUMBERS:
        return Spec(kind, tuple(str(n) for n in range(1, width + 1)))
    if kind is Kind.SECTION:
        heading = draw(st.sampled_from(SECTIONS))
        mark = draw(st.sampled_from([*ROMANS, "Раздел 2.", "Раздел IV", ""]))
        form = draw(st.sampled_from(["merged", "split"]))
        if form == "merged" or "number" not in roles:
            text = f"{mark} {heading}".strip()
            return Spec(kind, (text,) * width, heading)
        return Spec(kind, _cells(roles, {"number": mark, "title": heading}), heading)
    if kind is Kind.TOTALS:
        shape = draw(st.integers(0, 3))
        total = f"Итого: {draw(st.integers(2, 40))} мероприятий"
        if shape == 0:
            return Spec(kind, (total,) * width, total)
        if shape == 1 and "result" in roles:
            return Spec(kind, _cells(roles, {"title": "Итого", "result": "25"}), "Итого")
        if shape == 2 and "number" in roles:
            return Spec(kind, _cells(roles, {"number": "Всего:", "title": total}), total)
        return Spec(kind, _cells(roles, {"title": total}), total)
    if kind is Kind.STATISTICS:
        figure = f"Всего: педагогических работников – {draw(st.integers(10, 9999))}"
        if draw(st.booleans()):
            return Spec(kind, (figure,) * width, figure)
        return Spec(kind, _cells(roles, {roles[0]: "Энская область", roles[1]: figure}), figure)
    title = f"{draw(st.sampled_from(VERBS))} {draw(st.sampled_from(OBJECTS))} ({place})"
    responsible = draw(
        st.sampled_from(["", *RESPONSIBLE, "МОУО\nРуководители ОО", "Департамент,\nРЦОИ"])
    )
    deadline = draw(st.sampled_from(DEADLINES))
    values = {
        "number": draw(st.sampled_from(NUMBERS)),
        "title": title,
        "responsible": responsible,
        "deadline": deadline,
        "result": draw(st.sampled_from(RESULTS)),
        "report": draw(st.sampled_from(["", "Отчёт", "Информация"])),
        "note": draw(st.sampled_from(["", "по согласованию с МОУО"])),
    }
    if kind is Kind.TASK:
        stray = draw(st.sampled_from(["", "", "", f"см. письмо ({place})"]))
        return Spec(kind, _cells(roles, values), title, stray)
    if kind is Kind.BARE:
        number = draw(st.sampled_from(["1.", "2.", "3", "4."]))
        return Spec(kind, _cells(roles, {"number": number, "title": title}), title)
    if kind is Kind.TITLE_CONTINUATION:
        text = f"и {draw(st.sampled_from(OBJECTS))} ({place})"
        return Spec(kind, _cells(roles, {"title": text}), text)
    if kind is Kind.STRAY:
        text = f"см. письмо ({place})"
        if "note" in roles and draw(st.booleans()):  # a named column: read into the result
            return Spec(Kind.CONTINUATION, _cells(roles, {"note": text}), text)
        return Spec(kind, ("",) * width, text, text)
    if kind is Kind.UNTITLED and "number" in roles:
        number = draw(st.sampled_from(["5.", "6", "7.1"]))
        values = {"number": number, "deadline": deadline, "responsible": responsible}
        return Spec(kind, _cells(roles, values), number)
    # A continuation: one or two of the cells a multi-line paste breaks (a row without a number
    # or an activity in a table without a number column too).
    texts = {
        "responsible": f"Отдел образования ({place})",
        "deadline": f"{deadline} ({place})",
        "result": f"Справка ({place})",
    }
    present = [role for role in texts if role in roles]
    chosen = draw(st.lists(st.sampled_from(present), min_size=1, max_size=2, unique=True))
    key = texts[chosen[0]]
    return Spec(Kind.CONTINUATION, _cells(roles, {role: texts[role] for role in chosen}), key)


# --- the documents ---------------------------------------------------------------------------


def _row_cells(spec: Spec) -> tuple[str, ...]:
    return spec.cells + ((spec.stray,) if spec.stray else ())


def items_of(table: Table) -> tuple[list[Item], list[int]]:
    """Paragraphs, then the table's rows numbered from 1; and each spec's row number."""
    items: list[Item] = list(PARAGRAPHS)
    for number, spec in enumerate(table.specs, start=1):
        items.append(Row(_row_cells(spec), number, 1))
    return items, list(range(1, len(table.specs) + 1))


def text_document(table: Table, path: Path) -> tuple[Path, list[int]]:
    """A tab-separated paste; a line break inside a cell comes as Word's "\\v"."""
    lines = [*PARAGRAPHS, ""]
    numbers = []
    for spec in table.specs:
        lines.append("\t".join(cell.replace("\n", "\v") for cell in _row_cells(spec)))
        numbers.append(len(lines))
    return text_file(path, lines), numbers


def docx_document(table: Table, path: Path) -> tuple[Path, list[int]]:
    width = max(len(_row_cells(spec)) for spec in table.specs)
    rows: list[Sequence[str] | str] = []
    for spec in table.specs:
        cells = _row_cells(spec)
        if len(set(cells)) == 1 and cells[0] and len(cells) == len(table.roles):
            rows.append(cells[0])  # merged across the table
        else:
            rows.append(list(cells) + [""] * (width - len(cells)))
    return docx_file(path, PARAGRAPHS, rows), list(range(1, len(table.specs) + 1))


# --- the property ----------------------------------------------------------------------------


def _fold(text: str) -> str:
    return one_line(text).casefold()


def _names_row(warnings: Sequence[str], number: int, text: str = "", unless: str = "") -> bool:
    """A warning names the row (and the text); `unless`: one about that text does not count."""
    pattern = re.compile(rf"\bстрока {number}(?!\d)")
    return any(
        pattern.search(w) and _fold(text) in _fold(w) and not (unless and _fold(unless) in _fold(w))
        for w in warnings
    )


def check(table: Table, built: Built, numbers: Sequence[int]) -> None:
    roadmap, warnings = built.roadmap, built.warnings
    titles = [_fold(task.title) for task in roadmap.tasks]
    fields = [
        _fold(" ".join([task.title, *task.responsible, task.deadline.text, task.result or ""]))
        for task in roadmap.tasks
    ]
    sections = [_fold(section.title) for section in roadmap.sections]
    for spec, number in zip(table.specs, numbers, strict=True):
        key = _fold(spec.key)
        where = f"row {number} ({spec.kind.value}) {spec.cells!r}"
        if spec.kind is Kind.TASK or spec.kind is Kind.TITLE_CONTINUATION:
            found = any(key in title for title in titles)
            if spec.kind is Kind.TITLE_CONTINUATION:  # after a heading it is a heading itself
                found = found or key in sections
            reported = _names_row(warnings, number, unless=spec.stray)
            assert found or reported, f"{where}: dropped; {warnings}"
        elif spec.kind is Kind.BARE:
            assert any(key in title for title in titles) or key in sections, where
        elif spec.kind is Kind.CONTINUATION:
            assert any(key in text for text in fields) or _names_row(warnings, number), where
        elif spec.kind is Kind.SECTION:
            assert any(key in section for section in sections), f"{where}: {sections}"
        elif spec.kind in {Kind.STRAY, Kind.TOTALS}:
            assert _names_row(warnings, number, spec.key), f"{where}: not reported; {warnings}"
            assert not any(key in title for title in titles), where
        elif spec.kind is Kind.UNTITLED:
            assert _names_row(warnings, number), f"{where}: accepted silently"
        if spec.stray and spec.kind is Kind.TASK:
            assert _names_row(warnings, number, spec.stray), f"{where}: stray text dropped"
    # No phantom tasks: each task's activity is a generated one, never a header or a total.
    activities = [
        _fold(spec.key)
        for spec in table.specs
        if spec.kind in {Kind.TASK, Kind.BARE, Kind.TITLE_CONTINUATION}
    ]
    for title in titles:
        assert any(activity in title for activity in activities), f"phantom task {title!r}"


def check_refusal(table: Table, error: DocumentError, numbers: Sequence[int]) -> None:
    """A refused table names a row a person sees without an activity."""
    assert error.problem is Problem.ROW_WITHOUT_TITLE, error
    spec = table.specs[list(numbers).index(error.row or 0)]
    before = table.specs[1 : list(numbers).index(error.row or 0)]
    assert spec.kind is Kind.UNTITLED or (
        spec.kind is Kind.CONTINUATION and not any(s.kind is Kind.TASK for s in before)
    ), f"refused row {error.row} ({spec.kind.value}) {spec.cells!r}"


def run(table: Table, items: Sequence[Item], path: Path, numbers: Sequence[int]) -> None:
    try:
        built = build(items, path)
    except DocumentError as error:
        check_refusal(table, error, numbers)
    else:
        check(table, built, numbers)


@settings(max_examples=250, deadline=None)
@given(tables())
def test_every_data_row_is_a_task_or_reported(table: Table) -> None:
    items, numbers = items_of(table)
    run(table, items, Path("generated.docx"), numbers)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables())
def test_text_and_word_documents_keep_every_row(tmp_path: Path, table: Table) -> None:
    text, numbers = text_document(table, tmp_path / "generated.txt")
    run(table, text_items(text), text, numbers)
    word, numbers = docx_document(table, tmp_path / "generated.docx")
    run(table, docx_items(word), word, numbers)


# --- what the user sees for each odd row -------------------------------------------------------

HEADER = ("№", "Наименование мероприятия", "Ответственные", "Срок исполнения")
TASK = ("1.", "Провести совещание", "Департамент", "до 10.04.2023")


def _built(*rows: Sequence[str]) -> Built:
    items: list[Item] = [Row(tuple(cells), number, 1) for number, cells in enumerate(rows, 1)]
    return build(items, Path("plan.docx"))


def test_a_totals_row_is_reported_not_a_task_or_a_section() -> None:
    built = _built(HEADER, TASK, ("Итого: 1 мероприятие",) * 4)
    assert [task.title for task in built.roadmap.tasks] == ["Провести совещание"]
    assert built.roadmap.sections == ()
    assert built.warnings == (
        "строка 3: «Итого: 1 мероприятие» — строка итогов, не мероприятие; не импортирована.",
    )


def test_a_totals_row_with_a_figure_does_not_refuse_the_document() -> None:
    built = _built((*HEADER, "Результат"), (*TASK, "Протокол"), ("", "Итого", "", "", "25"))
    assert len(built.roadmap.tasks) == 1
    assert built.warnings == (
        "строка 3: «Итого», «25» — строка итогов, не мероприятие; не импортирована.",
    )


def test_text_beyond_the_header_is_reported() -> None:
    built = _built(HEADER, (*TASK, "см. письмо от 01.04"), ("", "", "", "", "уточнить"))
    assert [task.title for task in built.roadmap.tasks] == ["Провести совещание"]
    assert built.warnings == (
        "строка 2: текст вне колонок таблицы не импортирован: «см. письмо от 01.04».",
        "строка 3: текст вне колонок таблицы не импортирован: «уточнить».",
    )


def test_a_column_the_vocabulary_does_not_know_is_kept_in_the_result() -> None:
    built = _built((*HEADER, "Примечание"), (*TASK, "по согласованию"), ("", "", "", "", "с МОУО"))
    [task] = built.roadmap.tasks
    assert task.result == "Примечание: по согласованию Примечание: с МОУО"
    assert built.warnings == ()


def test_an_unnumbered_task_with_a_figure_in_its_result_is_a_task_not_statistics() -> None:
    header = (*HEADER, "Результат")
    built = _built(
        header, ("", "Обучить педагогов", "МОУО", "до 01.09.2023", "Охват педагогов – 100")
    )
    [task] = built.roadmap.tasks
    assert (task.title, task.result) == ("Обучить педагогов", "Охват педагогов – 100")
    assert built.roadmap.baseline == ()


def test_a_bare_date_under_a_task_carries_on_its_deadline() -> None:
    built = _built(HEADER, TASK, ("", "", "", "10.05.2023"))
    [task] = built.roadmap.tasks
    assert task.deadline.text == "до 10.04.2023 10.05.2023"


def test_a_row_with_responsible_and_deadline_only_carries_on_the_task_above() -> None:
    built = _built(HEADER, TASK, ("", "", "МОУО", "до 20.04.2023"))
    [task] = built.roadmap.tasks
    assert task.responsible == ("Департамент", "МОУО")
    assert task.deadline.text == "до 10.04.2023 до 20.04.2023"


def test_an_activity_going_on_in_lower_case_is_the_task_above_not_a_section() -> None:
    built = _built(
        HEADER, TASK, ("", "с руководителями ОО", "", ""), ("2.", "Отчёт", "МОУО", "май")
    )
    assert [task.title for task in built.roadmap.tasks] == [
        "Провести совещание с руководителями ОО",
        "Отчёт",
    ]
    assert built.roadmap.sections == ()


def test_the_header_again_in_other_words_is_no_task() -> None:
    again = ("№ п/п", "Мероприятие", "Ответственный\nисполнитель", "Срок")
    built = _built(HEADER, TASK, again, ("2.", "Отчёт", "МОУО", "май"))
    assert [task.title for task in built.roadmap.tasks] == ["Провести совещание", "Отчёт"]
    assert built.warnings == ()


@pytest.mark.parametrize(
    "row", [("2.", "", "МОУО", "до 10.05.2023"), ("2.", "", "", "")], ids=["cells", "number"]
)
def test_a_numbered_row_without_an_activity_is_still_refused(row: tuple[str, ...]) -> None:
    with pytest.raises(DocumentError) as raised:
        _built(HEADER, TASK, row)
    assert (raised.value.problem, raised.value.row) == (Problem.ROW_WITHOUT_TITLE, 3)
