"""Weekly indicators in our YAML form: what people write by hand, and what we write back."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.indicators import Indicator, IndicatorTarget, Rollup, versions_by_code, week_of
from bot.domain.model import Measure, Roadmap
from bot.domain.model import OrganisationKind as Kind
from bot.importers.errors import DocumentError, Problem
from bot.importers.indicators import (
    dump_indicator,
    load_indicator,
    load_indicators,
    read_indicators,
)
from bot.importers.text import strip_controls
from bot.importers.yaml_form import dump_roadmap, load_roadmap
from tests.conftest import EXAMPLES

PATH = Path("indicators.yaml")
D = date
MAY_31 = D(2023, 5, 31)
APRIL_17 = D(2023, 4, 17)
NAMED = "code: chats\nname: Чаты\nquestion: Сколько чатов?\n"

indicators = st.builds(
    Indicator,
    code=st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True),
    # Imports strip control and bidi-override characters: indicators never hold them.
    name=st.text(max_size=40).map(strip_controls).filter(str.strip),
    question=st.text(max_size=40).map(strip_controls),
    aliases=st.lists(st.text(max_size=20).map(strip_controls), max_size=4).map(tuple),
    reported_by=st.frozensets(st.sampled_from(Kind), min_size=1),
    denominator=st.sampled_from([None, Measure.TEACHERS, Measure.STAFF, Measure.PUPILS]),
    target=st.none()
    | st.builds(
        IndicatorTarget,
        percent=st.floats(min_value=0, max_value=1000, exclude_min=True),
        due=st.none() | st.dates(),
    )
    | st.builds(IndicatorTarget, value=st.integers(0, 10**9), due=st.none() | st.dates()),
    weekday=st.integers(0, 6),
    due_time=st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    rollup=st.sampled_from(Rollup),
    valid_from=st.none() | st.dates().map(week_of),
    id=st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


def load(text: str) -> Indicator:
    return load_indicator(PATH, "indicators[0]", yaml.safe_load(text))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- The Smolensk example ------------------------------------------------------------------------


def test_smolensk_indicators() -> None:
    found = read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    assert [indicator.code for indicator in found] == ["teachers_active", "chats", "staff_active"]
    teachers, chats, staff = found
    assert teachers == Indicator(
        code="teachers_active",
        name="Педагоги, написавшие не менее 10 сообщений за неделю",
        question="Сколько педагогов написали не менее 10 сообщений за неделю?",
        aliases=("педагогов", "учителей", "педагоги", "учителя"),
        reported_by=frozenset({Kind.SCHOOL, Kind.COLLEGE}),
        denominator=Measure.TEACHERS,
        target=IndicatorTarget(percent=100, due=MAY_31),
        weekday=4,
        due_time=time(18, 0),
        rollup=Rollup.LATEST,
        valid_from=APRIL_17,
    )
    assert chats.name == "Чаты классов в Сферуме"
    assert chats.question == "Сколько чатов классов создано в Сферуме?"
    assert chats.aliases == ("чатов", "чаты", "чат")
    assert chats.reported_by == {Kind.SCHOOL}
    assert chats.denominator is None
    assert chats.target == IndicatorTarget(value=3500, due=MAY_31)
    assert staff.name == "Сотрудники органов управления, написавшие не менее 10 сообщений"
    assert staff.aliases == ("сотрудников", "сотрудники")
    assert staff.reported_by == {Kind.AUTHORITY}
    assert staff.denominator is Measure.STAFF
    assert staff.target == IndicatorTarget(percent=100, due=MAY_31)
    assert all(i.weekday == 4 and i.due_time == time(18, 0) for i in found)
    assert all(i.valid_from == APRIL_17 for i in found)
    assert list(versions_by_code(found)) == ["teachers_active", "chats", "staff_active"]


# --- Reading what people write -------------------------------------------------------------------


def test_only_code_name_and_question_are_needed() -> None:
    assert load(NAMED) == Indicator("chats", "Чаты", "Сколько чатов?")


def test_defaults() -> None:
    indicator = load(NAMED)
    assert indicator.aliases == ()
    assert indicator.reported_by == {Kind.SCHOOL}
    assert indicator.denominator is None
    assert indicator.target is None
    assert indicator.weekday == 4
    assert indicator.due_time == time(18, 0)
    assert indicator.rollup is Rollup.LATEST
    assert indicator.valid_from is None
    assert indicator.id is None


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("reported_by: школы и колледжи", {Kind.SCHOOL, Kind.COLLEGE}),
        ("reported_by: school", {Kind.SCHOOL}),
        ("reported_by: [органы управления, СПО]", {Kind.AUTHORITY, Kind.COLLEGE}),
        ("reported_by: [school, school]", {Kind.SCHOOL}),
    ],
)
def test_reported_by(field: str, expected: set[Kind]) -> None:
    assert load(NAMED + field).reported_by == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("denominator: педагоги", Measure.TEACHERS),
        ("denominator: staff", Measure.STAFF),
        ("denominator: обучающиеся", Measure.PUPILS),
        ("denominator: none", None),
        ("denominator: нет", None),
        ("denominator: '-'", None),
        ("denominator: null", None),
    ],
)
def test_denominator(field: str, expected: Measure | None) -> None:
    assert load(NAMED + field).denominator == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("target: 100% до 31.05.2023", IndicatorTarget(percent=100, due=MAY_31)),
        ("target: 90 % к 31 мая 2023 года", IndicatorTarget(percent=90, due=MAY_31)),
        ("target: 3500 до 31.05.2023", IndicatorTarget(value=3500, due=MAY_31)),
        ("target: 300", IndicatorTarget(value=300)),
        ("target: 100%", IndicatorTarget(percent=100)),
        ("target: {percent: 100, due: 2023-05-31}", IndicatorTarget(percent=100, due=MAY_31)),
        ("target: {percent: 99.5}", IndicatorTarget(percent=99.5)),
        ("target: {value: 3500, due: 2023-05-31}", IndicatorTarget(value=3500, due=MAY_31)),
        ("target: null", None),
    ],
)
def test_target(field: str, expected: IndicatorTarget | None) -> None:
    assert load(NAMED + field).target == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("weekday: friday", 4),
        ("weekday: пятница", 4),
        ("weekday: по пятницам", 4),
        ("weekday: пт", 4),
        ("weekday: 5", 4),  # ISO
        ("weekday: '1'", 0),
        ("weekday: понедельник", 0),
        ("weekday: sunday", 6),
    ],
)
def test_weekday(field: str, expected: int) -> None:
    assert load(NAMED + field).weekday == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("due_time: '18:00'", time(18, 0)),
        ("due_time: 18:00", time(18, 0)),  # YAML 1.1 reads this as 1080 (base 60)
        ("due_time: 9:30", time(9, 30)),
        ("due_time: 18:00:30", time(18, 0, 30)),
        ("due_time: 0:00", time(0, 0)),
        ("due_time: 18.00", time(18, 0)),  # a float, 18.0
        ("due_time: 18.30", time(18, 30)),  # a float, 18.3
        ("due_time: 18", time(18, 0)),
        ("due_time: 0", time(0, 0)),
        ("due_time: в 17:00", time(17, 0)),
    ],
)
def test_due_time(field: str, expected: time) -> None:
    assert load(NAMED + field).due_time == expected


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("rollup: week", Rollup.WEEK),
        ("rollup: неделя", Rollup.WEEK),
        ("rollup: последнее", Rollup.LATEST),
    ],
)
def test_rollup(field: str, expected: Rollup) -> None:
    assert load(NAMED + field).rollup is expected


@pytest.mark.parametrize(
    ("field", "monday"),
    [
        ("from: 2023-04-17", APRIL_17),
        ("from: 2023-04-19", APRIL_17),  # any day stands for its week
        ("from: '2023-04-23'", APRIL_17),
        ("from: null", None),
    ],
)
def test_from_is_a_week(field: str, monday: date | None) -> None:
    assert load(NAMED + field).valid_from == monday


def test_aliases_and_id() -> None:
    indicator = load(NAMED + "aliases: [чатов, чаты]\nid: 7")
    assert indicator.aliases == ("чатов", "чаты")
    assert indicator.id == 7


# --- Saying what is wrong ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("чаты", "indicators[0]: expected a mapping, got str 'чаты'"),
        (NAMED + "colour: red", "indicators[0]: unknown field 'colour'"),
        ("code: chats\nname: Чаты", "indicators[0].question: missing text"),
        ("name: Чаты\nquestion: Q?", "indicators[0].code: missing text"),
        ("code: 5\nname: Чаты\nquestion: Q?", "indicators[0].code: expected text, got int 5"),
        ("code: chats-2\nname: Ч\nquestion: Q?", "indicators[0]: an indicator code is latin"),
        ("code: chats\nname: ' '\nquestion: Q?", "indicators[0]: an indicator needs a name"),
        (NAMED + "aliases: чатов", "indicators[0].aliases: expected a list, got str"),
        (NAMED + "aliases: [1]", "indicators[0].aliases[0]: expected text, got int 1"),
        (NAMED + "reported_by: замки", "indicators[0].reported_by: not a kind of organisation"),
        (
            NAMED + "reported_by: [school, castle]",
            "indicators[0].reported_by[1]: not a kind of organisation: 'castle'",
        ),
        (NAMED + "reported_by: [1]", "indicators[0].reported_by[0]: expected text, got int 1"),
        (NAMED + "reported_by: []", "indicators[0].reported_by: expected at least one kind"),
        (NAMED + "reported_by: {a: 1}", "indicators[0].reported_by: expected text, got dict"),
        (
            NAMED + "denominator: organisations",
            "indicators[0].denominator: a denominator is a headcount",
        ),
        (NAMED + "denominator: true", "indicators[0].denominator: expected text, got bool"),
        (NAMED + "target: много", "indicators[0].target: not a target"),
        (NAMED + "target: 0%", "indicators[0].target: a target is above zero: '0%'"),
        (NAMED + "target: 100% до 31 мая", "indicators[0].target: not the day a target is due"),
        (NAMED + "target: [100]", "indicators[0].target: expected a mapping, got list"),
        (NAMED + "target: {per: 1}", "indicators[0].target: unknown field 'per'"),
        (NAMED + "target: {due: 2023-05-31}", "indicators[0].target: a target is a percentage"),
        (
            NAMED + "target: {percent: 100, value: 3}",
            "indicators[0].target: a target is a percentage or a number, exactly one of them",
        ),
        (NAMED + "target: {percent: много}", "indicators[0].target.percent: expected a number"),
        (NAMED + "target: {value: 1.5}", "indicators[0].target.value: expected a whole number"),
        (NAMED + "target: {value: 3, due: 31.05}", "indicators[0].target.due: expected a date"),
        (NAMED + "weekday: пятн", "indicators[0].weekday: not a weekday: 'пятн'"),
        (NAMED + "weekday: 8", "indicators[0].weekday: a weekday number is 1 (Monday)"),
        (NAMED + "weekday: [5]", "indicators[0].weekday: expected text, got list"),
        (NAMED + "due_time: '25:00'", "indicators[0].due_time: no such time of day: '25:00'"),
        (NAMED + "due_time: 25", "indicators[0].due_time: no such time of day: '25'"),
        (NAMED + "due_time: 24:00", "indicators[0].due_time: no such time of day: '24:00'"),
        (NAMED + "due_time: вечером", "indicators[0].due_time: not a time of day"),
        (NAMED + "due_time: -1", "indicators[0].due_time: not a time of day (like 18:00): '-1'"),
        (NAMED + "due_time: .nan", "indicators[0].due_time: not a time of day (like 18:00): 'nan'"),
        (NAMED + "rollup: сумма", "indicators[0].rollup: not a roll-up"),
        (NAMED + "from: вчера", "indicators[0].from: expected a date"),
        (NAMED + "from: 2023-04-17 10:00:00", "indicators[0].from: expected a date"),
        (NAMED + "id: x", "indicators[0].id: expected a whole number"),
    ],
)
def test_wrong_shape_says_where(text: str, detail: str) -> None:
    with pytest.raises(DocumentError) as caught:
        load(text)
    assert caught.value.problem is Problem.BAD_YAML
    assert caught.value.path == PATH
    assert caught.value.detail is not None
    assert caught.value.detail.startswith(detail)


# --- Versions ------------------------------------------------------------------------------------


def entries(*texts: str) -> list[tuple[str, object]]:
    return [(f"indicators[{i}]", yaml.safe_load(text)) for i, text in enumerate(texts)]


def test_versions_of_one_code_from_different_weeks() -> None:
    found = load_indicators(
        PATH,
        entries(
            NAMED + "target: 300", NAMED + "from: 2023-05-03\ntarget: 500", "code: x\n" + NAMED[12:]
        ),
    )
    assert [i.valid_from for i in found] == [None, D(2023, 5, 1), None]
    history = versions_by_code(found)["chats"]
    assert history.at(APRIL_17) == found[0]
    assert history.at(D(2023, 5, 1)) == found[1]


@pytest.mark.parametrize(
    ("first", "second", "detail"),
    [
        (
            "from: 2023-04-17",
            "from: 2023-04-21",  # the same week
            "indicators[1]: versions are ordered by the week they apply from, one per week "
            "('chats' from the week of 2023-04-17)",
        ),
        ("target: 300", "target: 500", "indicators[1]: versions are ordered by the week they"),
    ],
)
def test_two_versions_in_one_week(first: str, second: str, detail: str) -> None:
    with pytest.raises(DocumentError) as caught:
        load_indicators(PATH, entries(NAMED + first, NAMED + second))
    assert caught.value.problem is Problem.BAD_YAML
    assert caught.value.detail is not None
    assert caught.value.detail.startswith(detail)
    if second == "target: 500":
        assert caught.value.detail.endswith("('chats' from the beginning)")


# --- Files of their own --------------------------------------------------------------------------


def test_a_file_with_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "- code: chats\n  name: Чаты\n  question: Сколько?\n")
    assert read_indicators(path) == [Indicator("chats", "Чаты", "Сколько?")]


def test_a_file_with_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "indicators:\n  - code: chats\n    name: Чаты\n    question: Сколько?\n")
    assert read_indicators(path) == [Indicator("chats", "Чаты", "Сколько?")]
    assert read_indicators(write(tmp_path, "indicators: []")) == []
    assert read_indicators(write(tmp_path, "[]")) == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("indicators: [", None),  # not YAML at all
        ("", "document: expected a mapping, got nothing"),
        ("чаты", "document: expected a mapping, got str"),
        ("title: Дорожная карта", "document: unknown field 'title' (known: indicators)"),
        ("indicators: {code: chats}", "indicators: expected a list, got dict"),
        ("indicators: [чаты]", "indicators[0]: expected a mapping"),
        ("- " + NAMED.replace("\n", "\n  ") + "weekday: пятн", "indicators[0].weekday"),
        ("- code: a\n  name: A\n  question: A?\n- code: b\n  name: B\n", "indicators[1].question"),
    ],
)
def test_a_file_says_what_is_wrong(tmp_path: Path, text: str, detail: str | None) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DocumentError) as caught:
        read_indicators(path)
    assert caught.value.problem is Problem.BAD_YAML
    assert caught.value.path == path
    if detail is not None:
        assert caught.value.detail is not None
        assert caught.value.detail.startswith(detail)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        read_indicators(tmp_path / "nowhere.yaml")
    assert caught.value.problem is Problem.UNREADABLE


# --- Writing back --------------------------------------------------------------------------------


def test_dump_is_the_hand_written_form() -> None:
    teachers = read_indicators(EXAMPLES / "smolensk-indicators.yaml")[0]
    assert dump_indicator(teachers) == {
        "id": None,
        "code": "teachers_active",
        "name": "Педагоги, написавшие не менее 10 сообщений за неделю",
        "question": "Сколько педагогов написали не менее 10 сообщений за неделю?",
        "aliases": ["педагогов", "учителей", "педагоги", "учителя"],
        "reported_by": ["school", "college"],
        "denominator": "teachers",
        "target": {"percent": 100.0, "due": MAY_31},
        "weekday": "friday",
        "due_time": "18:00",
        "rollup": "latest",
        "from": APRIL_17,
    }
    chats = Indicator(
        "chats", "Чаты", "?", target=IndicatorTarget(value=3500), due_time=time(9, 5, 7)
    )
    assert dump_indicator(chats)["target"] == {"value": 3500, "due": None}
    assert dump_indicator(chats)["due_time"] == "09:05:07"
    assert dump_indicator(chats)["denominator"] is None


@settings(max_examples=200)
@given(indicators)
def test_load_of_dump_is_the_same_indicator(indicator: Indicator) -> None:
    assert load_indicator(PATH, "indicators[0]", dump_indicator(indicator)) == indicator


# --- In a roadmap --------------------------------------------------------------------------------


def test_a_roadmap_with_the_smolensk_indicators_round_trips() -> None:
    found = tuple(read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    roadmap = Roadmap("Дорожная карта", indicators=found)
    text = dump_roadmap(roadmap)
    assert "indicators:" in text
    assert "due_time: '18:00'" in text
    assert load_roadmap(text, PATH) == roadmap


def test_a_roadmap_without_indicators_does_not_mention_them() -> None:
    assert "indicators" not in dump_roadmap(Roadmap("Дорожная карта"))


def test_indicators_in_a_roadmap_are_checked() -> None:
    text = "title: T\nindicators:\n  - code: chats\n    name: Чаты\n    weekday: пятн\n"
    with pytest.raises(DocumentError) as caught:
        load_roadmap(text, PATH)
    assert caught.value.detail == "indicators[0].question: missing text"
    twice = "{code: chats, name: Чаты, question: Сколько, from: 2023-04-17}"
    with pytest.raises(DocumentError) as caught:
        load_roadmap(f"title: T\nindicators: [{twice}, {twice}]", PATH)
    assert caught.value.detail is not None
    assert caught.value.detail.startswith("indicators[1]: versions are ordered")
