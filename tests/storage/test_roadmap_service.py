from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.domain.model import Deadline, ReminderPolicy, Task, TaskStatus
from bot.domain.status import Milestone
from bot.importers import read_roadmap
from bot.importers.errors import DocumentError
from bot.importers.yaml_form import dump_roadmap
from bot.services.people import CLI
from bot.services.roadmaps import NoRoadmapYet, RoadmapNotFound, RoadmapService
from bot.services.tasks import TaskService
from storage.audit import AuditLog
from storage.db import Database
from storage.roadmaps import RoadmapStore
from storage.tables import audit_log, metadata, tasks
from tests.conftest import SMOLENSK_DOCX


async def snapshot(database: Database) -> dict[str, list[Any]]:
    async with database.transaction() as connection:
        return {
            table.name: [tuple(row) for row in await connection.execute(select(table))]
            for table in metadata.sorted_tables
        }


async def test_importing_the_smolensk_order_stores_the_whole_roadmap(
    roadmaps: RoadmapService,
) -> None:
    outcome = await roadmaps.import_document(SMOLENSK_DOCX)
    assert outcome.created
    assert outcome.slug == "319-od-2023"
    stored = await roadmaps.roadmap()
    assert len(stored.tasks) == 22
    assert len(stored.sections) == 3
    assert [t.number for t in stored.tasks].count("11") == 2
    assert all(t.id is not None for t in stored.tasks)
    assert [f.value for f in stored.baseline] == [355, 7654, 95868, 20, 989, 17329]
    assert stored.targets[0].percent == 100
    assert stored.targets[0].due == date(2023, 5, 31)
    assert stored.timezone == "Europe/Moscow"
    assert stored.document_number == "319-ОД"
    assert stored == replace(outcome.roadmap, parties=stored.parties, reminders=ReminderPolicy())


async def test_stored_roadmap_reads_back_as_imported(roadmaps: RoadmapService) -> None:
    document = read_roadmap(SMOLENSK_DOCX)
    await roadmaps.import_document(SMOLENSK_DOCX)
    stored = await roadmaps.roadmap("319-od-2023")
    assert [replace(t, id=None) for t in stored.tasks] == list(document.tasks)
    assert {p.name: set(p.aliases) for p in stored.parties} == {
        p.name: set(p.aliases) for p in document.parties
    }


async def test_reimporting_the_same_document_changes_nothing(roadmaps: RoadmapService) -> None:
    first = await roadmaps.import_document(SMOLENSK_DOCX)
    again = await roadmaps.import_document(SMOLENSK_DOCX)
    assert not again.created
    assert again.revision.is_empty
    assert [t.id for t in again.roadmap.tasks] == [t.id for t in first.roadmap.tasks]


async def test_revised_document_updates_tasks_in_place_keeping_status_and_history(
    roadmaps: RoadmapService, database: Database
) -> None:
    first = await roadmaps.import_document(SMOLENSK_DOCX)
    registration = next(t for t in first.roadmap.tasks if t.number == "7")
    async with database.transaction() as connection:
        await connection.execute(
            update(tasks).where(tasks.c.id == registration.id).values(status="done")
        )

    document = read_roadmap(SMOLENSK_DOCX)
    revised_tasks: list[Task] = []
    for task in document.tasks:
        if task.number == "20":
            continue  # dropped from the revised order
        if task.number == "7":
            task = replace(task, deadline=Deadline("до 05.05.2023", due=date(2023, 5, 5)))
        revised_tasks.append(task)
    newcomer = replace(document.tasks[-1], number="22", title="Итоговое совещание")
    revised = replace(document, tasks=(*revised_tasks, newcomer))

    outcome = await roadmaps.import_roadmap(revised, source="revised.docx")

    assert [t.title for t in outcome.revision.added] == ["Итоговое совещание"]
    assert [t.number for t in outcome.revision.removed] == ["20"]
    ((change),) = outcome.revision.changed
    assert change.after.id == registration.id
    assert change.fields == ("deadline",)

    stored = await roadmaps.roadmap()
    assert len(stored.tasks) == 22
    kept = next(t for t in stored.tasks if t.id == registration.id)
    assert kept.status is TaskStatus.DONE
    assert kept.deadline.due == date(2023, 5, 5)
    assert "20" not in [t.number for t in stored.tasks]

    async with database.transaction() as connection:
        events = await AuditLog(connection).history("task", registration.id or 0)
        removed_rows = await connection.execute(
            select(tasks.c.number, tasks.c.removed_at).where(tasks.c.removed_at.is_not(None))
        )
        removed = [number for number, _ in removed_rows]
        removal_events = await connection.scalar(
            select(audit_log.c.action).where(audit_log.c.action == "removed")
        )
    assert [(e.action, e.field, e.old, e.new, e.actor) for e in events] == [
        ("added", None, None, None, "import:smolensk-order-319-OD.docx"),
        ("changed", "deadline", "до 28.04.2023", "до 05.05.2023", "import:revised.docx"),
    ]
    assert removed == ["20"]
    assert removal_events == "removed"


async def test_failed_import_leaves_the_database_exactly_as_it_was(
    roadmaps: RoadmapService, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    before = await snapshot(database)
    document = read_roadmap(SMOLENSK_DOCX)
    revised = replace(document, tasks=document.tasks[:5], title="Другое название")

    async def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(RoadmapStore, "replace_figures", fail)
    with pytest.raises(RuntimeError):
        await roadmaps.import_roadmap(revised)
    assert await snapshot(database) == before


async def test_unreadable_document_writes_nothing(
    roadmaps: RoadmapService, database: Database, tmp_path: Path
) -> None:
    broken = tmp_path / "order.docx"
    broken.write_bytes(b"not a zip at all")
    before = await snapshot(database)
    with pytest.raises(DocumentError):
        await roadmaps.import_document(broken)
    assert await snapshot(database) == before


async def test_yaml_export_restores_the_roadmap_in_another_database(
    roadmaps: RoadmapService, tmp_path: Path, clock: Any, other_database_url: str
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    original = await roadmaps.roadmap()
    exported = tmp_path / "roadmap.yaml"
    exported.write_text(dump_roadmap(original), encoding="utf-8")

    other = Database(other_database_url)
    await other.upgrade()
    try:
        restored_service = RoadmapService(other, clock, "Europe/Moscow")
        await restored_service.import_document(exported)
        restored = await restored_service.roadmap()
    finally:
        await other.dispose()
    assert [replace(t, id=None) for t in restored.tasks] == [
        replace(t, id=None) for t in original.tasks
    ]
    assert replace(restored, tasks=(), parties=()) == replace(original, tasks=(), parties=())


async def test_several_roadmaps_live_side_by_side_and_the_current_is_the_default(
    roadmaps: RoadmapService,
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    await roadmaps.import_document(SMOLENSK_DOCX, slug="copy")
    assert (await roadmaps.roadmap()).slug == "319-od-2023"  # the first stays current
    await roadmaps.import_document(SMOLENSK_DOCX, slug="copy", make_current=True)
    assert (await roadmaps.roadmap()).slug == "copy"
    assert (await roadmaps.roadmap("319-od-2023")).slug == "319-od-2023"
    with pytest.raises(RoadmapNotFound) as missing:
        await roadmaps.roadmap("nope")
    assert missing.value.known == ["319-od-2023", "copy"]


async def test_status_before_any_import_says_there_is_nothing(tasks: TaskService) -> None:
    with pytest.raises(NoRoadmapYet):
        await tasks.status_for(CLI)


async def test_status_of_the_smolensk_roadmap_on_20_april_2023(
    roadmaps: RoadmapService, tasks: TaskService
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    report = await tasks.status_for(CLI, as_of=date(2023, 4, 20))
    summary = report.summary
    assert [t.number for t in summary.overdue] == ["1", "6", "2", "3", "8", "4", "9", "10", "5"]
    assert [(u.day.isoformat(), u.milestone, u.task.number) for u in summary.upcoming] == [
        ("2023-04-20", Milestone.DUE, "11"),
        ("2023-04-20", Milestone.START, "16"),
        ("2023-04-21", Milestone.OCCURRENCE, "18"),
        ("2023-04-28", Milestone.DUE, "7"),
        ("2023-04-30", Milestone.DUE, "12"),
        ("2023-04-30", Milestone.DUE, "13"),
        ("2023-05-01", Milestone.START, "19"),
    ]
    assert [t.number for t in summary.needs_date] == ["20"]


async def test_status_without_a_day_uses_today_in_the_roadmaps_time_zone(
    roadmaps: RoadmapService, tasks: TaskService, clock: Any
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    from datetime import UTC, datetime

    clock.moment = datetime(2023, 4, 10, 22, 30, tzinfo=UTC)  # 01:30 on the 11th in Moscow
    report = await tasks.status_for(CLI)
    assert report.summary.as_of == date(2023, 4, 11)


async def test_a_row_added_at_the_top_keeps_the_document_order(roadmaps: RoadmapService) -> None:
    first = await roadmaps.import_document(SMOLENSK_DOCX)
    document = read_roadmap(SMOLENSK_DOCX)
    opening = replace(document.tasks[0], number="0", title="Установочное совещание")
    await roadmaps.import_roadmap(replace(document, tasks=(opening, *document.tasks)))
    stored = await roadmaps.roadmap()
    assert [t.number for t in stored.tasks][:3] == ["0", "1", "2"]
    assert [t.id for t in stored.tasks][1:] == [t.id for t in first.roadmap.tasks]


async def test_status_asked_again_is_the_same_until_something_it_reads_changes(
    roadmaps: RoadmapService, tasks: TaskService
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    day = date(2023, 4, 20)
    first = await tasks.status_for(CLI, as_of=day)
    assert await tasks.status_for(CLI, as_of=day) is first  # kept, not worked out again
    assert (await tasks.status_for(CLI, as_of=date(2023, 4, 21))).summary.as_of.day == 21
    assert (await tasks.status_for(CLI, as_of=day, horizon_days=1)) is not first
    overdue = first.summary.overdue[0]
    assert overdue.id is not None
    await tasks.mark_done(CLI, overdue.id, everyone=True)
    after = await tasks.status_for(CLI, as_of=day)
    assert overdue.number not in [task.number for task in after.summary.overdue]
    assert [t.number for t in after.summary.overdue] == [
        t.number for t in first.summary.overdue[1:]
    ]
