from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.domain.model import Deadline, Task, TaskStatus
from bot.domain.revision import revise


def task(number: str, title: str, *, id: int | None = None, due: str = "до 28.04.2023") -> Task:
    return Task(
        number=number,
        title=title,
        section="Подключение",
        responsible=("Департамент",),
        deadline=Deadline(due, due=date(2023, 4, 28)),
        id=id,
    )


def test_unchanged_document_is_an_empty_revision_that_keeps_ids_and_status() -> None:
    stored = [
        task("1", "ВКС", id=10),
        replace(task("2", "Регистрация", id=11), status=TaskStatus.DONE),
    ]
    revision = revise(stored, [task("1", "ВКС"), task("2", "Регистрация")])
    assert revision.is_empty
    assert [(t.id, t.status) for t in revision.tasks] == [
        (10, TaskStatus.OPEN),
        (11, TaskStatus.DONE),
    ]


def test_repeated_numbers_are_matched_by_title() -> None:
    stored = [task("11", "Перевод коммуникаций", id=1), task("11", "Организация поддержки", id=2)]
    revision = revise(
        stored, [task("11", "Организация поддержки"), task("11", "Перевод коммуникаций")]
    )
    assert revision.is_empty
    assert [t.id for t in revision.tasks] == [2, 1]


def test_renumbered_task_is_a_change_of_number_not_a_new_task() -> None:
    revision = revise([task("5", "Совещание", id=7)], [task("6", "Совещание")])
    assert not revision.added
    assert not revision.removed
    (change,) = revision.changed
    assert change.fields == ("number",)
    assert change.after.id == 7


def test_reworded_title_under_the_same_number_is_a_change() -> None:
    revision = revise(
        [task("3", "ВКС с ответственными", id=3)], [task("3", "ВКС с ответственными лицами")]
    )
    (change,) = revision.changed
    assert change.fields == ("title",)
    assert change.after.id == 3


def test_new_deadline_is_reported_as_a_deadline_change() -> None:
    stored = [task("1", "ВКС", id=1)]
    revision = revise(
        stored,
        [replace(task("1", "ВКС"), deadline=Deadline("до 05.05.2023", due=date(2023, 5, 5)))],
    )
    assert revision.changed[0].fields == ("deadline",)


def test_rows_added_and_dropped_are_listed() -> None:
    stored = [task("1", "ВКС", id=1), task("2", "Регистрация", id=2)]
    revision = revise(stored, [task("1", "ВКС"), task("3", "Вебинар")])
    assert [t.title for t in revision.added] == ["Вебинар"]
    assert [t.id for t in revision.removed] == [2]
    assert [t.id for t in revision.tasks] == [1, None]


def test_same_number_is_not_matched_when_ambiguous() -> None:
    stored = [task("11", "А", id=1), task("11", "Б", id=2)]
    revision = revise(stored, [task("11", "В")])
    assert len(revision.added) == 1
    assert len(revision.removed) == 2
