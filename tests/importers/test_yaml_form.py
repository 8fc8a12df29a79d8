"""Our own YAML form: lossless both ways, strict about what it accepts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import (
    BaselineFigure,
    Deadline,
    Measure,
    OrganisationKind,
    Party,
    ReminderPolicy,
    Roadmap,
    Section,
    Target,
    Task,
    TaskStatus,
)
from bot.importers import read_roadmap
from bot.importers.errors import DocumentError, Problem
from bot.importers.text import strip_controls
from bot.importers.yaml_form import dump_roadmap, load_roadmap
from tests.conftest import SMOLENSK_DOCX
from tests.importers.test_indicators_yaml import indicators

PATH = Path("roadmap.yaml")

# Imports strip control and bidi-override characters (bot.importers.text.strip_controls): a
# roadmap never holds them, so the round trip is over text without them.
texts = st.text(max_size=40).map(strip_controls)
maybe_texts = st.none() | texts
maybe_dates = st.none() | st.dates()

deadlines = st.builds(
    Deadline,
    text=texts,
    start=maybe_dates,
    due=maybe_dates,
    recurrence=maybe_texts,
    note=maybe_texts,
)
tasks = st.builds(
    Task,
    number=texts,
    title=texts,
    section=maybe_texts,
    responsible=st.lists(texts, max_size=3).map(tuple),
    deadline=deadlines,
    result=maybe_texts,
    status=st.sampled_from(TaskStatus),
    id=st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
roadmaps = st.builds(
    Roadmap,
    title=texts,
    issuer=maybe_texts,
    document_number=maybe_texts,
    document_date=maybe_dates,
    goal=maybe_texts,
    timezone=maybe_texts,
    sections=st.lists(st.builds(Section, texts), max_size=3).map(tuple),
    tasks=st.lists(tasks, max_size=4).map(tuple),
    parties=st.lists(
        st.builds(Party, texts, st.lists(texts, max_size=3).map(tuple)), max_size=3
    ).map(tuple),
    baseline=st.lists(
        st.builds(
            BaselineFigure,
            scope=texts,
            label=texts,
            value=st.integers(-(2**63), 2**63 - 1),
            kind=st.none() | st.sampled_from(OrganisationKind),
            measure=st.none() | st.sampled_from(Measure),
        ),
        max_size=3,
    ).map(tuple),
    targets=st.lists(
        st.builds(
            Target,
            text=texts,
            percent=st.none() | st.floats(allow_nan=False),
            value=st.none() | st.integers(-(2**63), 2**63 - 1),
            due=maybe_dates,
        ),
        max_size=3,
    ).map(tuple),
    slug=maybe_texts,
    reminders=st.none()
    | st.builds(
        ReminderPolicy,
        before=st.lists(st.integers(0, 60), max_size=5).map(tuple),
        overdue_every=st.integers(1, 10),
        overdue_limit=st.integers(0, 20),
        escalate_after=st.integers(0, 30),
        kickoff=st.booleans(),
        recurring=st.booleans(),
        undated_weekday=st.integers(0, 6),
    ),
    # Versions of one code apply from different weeks.
    indicators=st.lists(
        indicators, max_size=3, unique_by=lambda indicator: (indicator.code, indicator.valid_from)
    ).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(roadmaps)
def test_load_of_dump_is_the_same_roadmap(roadmap: Roadmap) -> None:
    assert load_roadmap(dump_roadmap(roadmap), PATH) == roadmap


def test_smolensk_round_trip_through_a_file(tmp_path: Path) -> None:
    original = read_roadmap(SMOLENSK_DOCX)
    for suffix in (".yaml", ".yml"):
        path = tmp_path / f"smolensk{suffix}"
        path.write_text(dump_roadmap(original), encoding="utf-8")
        assert read_roadmap(path) == original


def test_dump_is_readable() -> None:
    task = Task(
        "11",
        "Организация поддержки",
        "Мероприятия",
        ("ГАУ ДПО СОИРО",),
        Deadline("с 05.04.2023", start=date(2023, 4, 5)),
        id=7,
    )
    text = dump_roadmap(Roadmap("Дорожная карта", tasks=(task,), slug="319-od-2023"))
    assert "title: Дорожная карта" in text  # Cyrillic as is, not \u escapes
    assert "number: '11'" in text  # a number stays text
    assert "start: 2023-04-05" in text
    assert "status: open" in text
    assert text.index("title:") < text.index("tasks:")  # fields in the dataclass's order


def test_hand_written_minimal_form() -> None:
    text = """
title: Дорожная карта
tasks:
  - number: 1
    title: Совещание
    deadline: {text: до 10.04.2023, due: 2023-04-10}
  - number: "1.1"
    title: Подготовка
    responsible: [Департамент]
    deadline: {text: по согласованию}
    status: done
"""
    roadmap = load_roadmap(text, PATH)
    assert [t.number for t in roadmap.tasks] == ["1", "1.1"]
    assert roadmap.tasks[0].deadline.due == date(2023, 4, 10)
    assert roadmap.tasks[1].status is TaskStatus.DONE
    assert roadmap.tasks[1].section is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("title: [", None),  # not YAML at all
        ("- just a list", "document: expected a mapping"),
        ("issuer: Департамент", "title: missing text"),
        ("title: 5", "title: expected text, got int 5"),
        ("title: T\ncolour: red", "unknown field 'colour'"),
        ("title: T\nformat: other/2", "format: expected 'roadmap-bot/1'"),
        ("title: T\ndocument_date: вчера", "document_date: expected a date"),
        ("title: T\ndocument_date: 2023-04-07 10:00:00", "document_date: expected a date"),
        ("title: T\ntasks: {a: 1}", "tasks: expected a list"),
        ("title: T\ntasks: [{title: X, deadline: {text: ''}}]", "tasks[0].number: expected text"),
        (
            "title: T\ntasks: [{number: '1', title: X, deadline: {due: 31.05}}]",
            "tasks[0].deadline.due",
        ),
        (
            "title: T\ntasks: [{number: '1', title: X, status: late}]",
            "tasks[0].status: expected one of",
        ),
        (
            "title: T\ntasks: [{number: '1', title: X, id: true}]",
            "tasks[0].id: expected a whole number",
        ),
        ("title: T\ntasks: [{number: '1', title: X, responsible: [1]}]", "tasks[0].responsible[0]"),
        ("title: T\nbaseline: [{label: L}]", "baseline[0].value: missing"),
        ("title: T\nbaseline: [{label: L, value: 1, kind: castle}]", "baseline[0].kind"),
        ("title: T\ntargets: [{text: X, percent: много}]", "targets[0].percent: expected a number"),
        ("title: T\nparties: [{aliases: [A]}]", "parties[0].name: missing"),
        ("title: T\nsections: [Раздел]", "sections[0]: expected a mapping"),
        ("title: T\nindicators: {code: x}", "indicators: expected a list"),
        ("title: T\nindicators: [{code: x, name: X}]", "indicators[0].question: missing text"),
        (
            "title: T\nindicators: [{code: x, name: X, question: Q, weekday: 9}]",
            "indicators[0].weekday: a weekday number is 1 (Monday) to 7 (Sunday)",
        ),
    ],
)
def test_wrong_shape_says_what_is_wrong(text: str, where: str | None) -> None:
    with pytest.raises(DocumentError) as caught:
        load_roadmap(text, PATH)
    assert caught.value.problem is Problem.BAD_YAML
    assert caught.value.path == PATH
    if where is not None:
        assert caught.value.detail is not None
        assert where in caught.value.detail


def test_only_safe_yaml_is_loaded() -> None:
    text = "title: !!python/object/apply:os.system ['echo hacked']"
    with pytest.raises(DocumentError) as caught:
        load_roadmap(text, PATH)
    assert caught.value.problem is Problem.BAD_YAML


def test_dump_is_plain_yaml() -> None:
    loaded = yaml.safe_load(dump_roadmap(Roadmap("T", targets=(Target("x", percent=100.0),))))
    assert loaded["targets"] == [{"text": "x", "percent": 100.0, "value": None, "due": None}]


def test_reminder_policy_in_yaml_is_checked() -> None:
    text = "title: T\nreminders: {before: [7, 1], overdue_every: 0}"
    with pytest.raises(DocumentError) as caught:
        load_roadmap(text, PATH)
    assert caught.value.detail == "reminders: overdue cadence must be >= 1, limits and delays >= 0"
    partial = load_roadmap("title: T\nreminders: {before: [5]}", PATH)
    assert partial.reminders == ReminderPolicy(before=(5,))
