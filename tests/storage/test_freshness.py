"""What the bot keeps in memory follows the database: its own writes at once, another
process's (the CLI importing while the bot runs) within the snapshot's max age."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.channels import EventKey
from bot.importers import read_roadmap
from bot.services.clock import FixedClock
from bot.services.people import CLI
from bot.services.roadmaps import RoadmapService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from bot.services.updates import UpdateLedger
from storage.db import Database
from tests.conftest import SMOLENSK_DOCX

NOW = datetime(2023, 4, 20, 7, 0, tzinfo=UTC)


async def test_a_change_by_another_process_is_seen_without_a_restart(database_url: str) -> None:
    url = database_url
    bot_side, cli_side = Database(url), Database(url)
    await bot_side.upgrade()
    try:
        clock = FixedClock(NOW)
        await RoadmapService(cli_side, clock, "Europe/Moscow").import_document(SMOLENSK_DOCX)
        tasks = TaskService(bot_side, clock, Snapshots(bot_side, max_age=0), "Europe/Moscow")
        assert len((await tasks.scope(CLI)).tasks) == 22

        document = read_roadmap(SMOLENSK_DOCX)
        revised = replace(document, tasks=document.tasks[:20])
        await RoadmapService(cli_side, clock, "Europe/Moscow").import_roadmap(revised)
        assert len((await tasks.scope(CLI)).tasks) == 20
    finally:
        await bot_side.dispose()
        await cli_side.dispose()


async def test_own_writes_are_seen_at_once(roadmaps: RoadmapService, tasks: TaskService) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    first = (await tasks.scope(CLI)).tasks[0]
    assert first.id is not None
    await tasks.mark_done(CLI, first.id)
    assert (await tasks.scope(CLI)).tasks[0].status.value == "done"
    card = await tasks.card(CLI, first.id)
    assert [entry.action for entry in card.history] == ["added", "status"]


async def test_a_redelivered_comment_is_added_once(
    roadmaps: RoadmapService, tasks: TaskService
) -> None:
    await roadmaps.import_document(SMOLENSK_DOCX)
    task_id = (await tasks.scope(CLI)).tasks[3].id
    assert task_id is not None
    assert await tasks.comment(CLI, task_id, "Проведено", event=EventKey.telegram(501)) is True
    assert await tasks.comment(CLI, task_id, "Проведено", event=EventKey.telegram(501)) is False
    card = await tasks.card(CLI, task_id)
    assert [entry.new for entry in card.history if entry.action == "comment"] == ["Проведено"]


async def test_the_ledger_survives_a_restart_once_written(database: Database) -> None:
    clock = FixedClock(NOW)
    ledger = UpdateLedger(database, clock)
    await ledger.load()
    for update_id in (1, 2, 3):
        async with ledger.handling(EventKey.telegram(update_id)) as first_time:
            assert first_time
    async with ledger.handling(EventKey.telegram(2)) as again:
        assert not again
    async with ledger.handling(EventKey("max", "mid.2")) as first_time:
        assert first_time  # another channel's key: not Telegram's update 2
    await ledger.close()  # a clean stop writes it down

    restarted = UpdateLedger(database, clock)
    await restarted.load()
    async with restarted.handling(EventKey.telegram(2)) as again:
        assert not again
    async with restarted.handling(EventKey("max", "mid.2")) as again:
        assert not again
    async with restarted.handling(EventKey.telegram(4)) as first_time:
        assert first_time


async def test_an_update_that_failed_is_handled_again(database: Database) -> None:
    ledger = UpdateLedger(database, FixedClock(NOW))
    try:
        async with ledger.handling(EventKey.telegram(7)) as first_time:
            assert first_time
            raise RuntimeError("handler broke")
    except RuntimeError:
        pass
    async with ledger.handling(EventKey.telegram(7)) as retried:
        assert retried


async def test_the_bot_s_own_change_moves_its_version_once(database_url: str) -> None:
    """Its own commit is seen at once; re-reading the shared counter later must not move the
    version a second time (each move rebuilds every snapshot: ~1 s at the region's scale)."""
    database = Database(database_url)
    await database.upgrade()
    try:
        before = await database.version(max_age=0)
        await RoadmapService(database, FixedClock(NOW), "Europe/Moscow").import_document(
            SMOLENSK_DOCX
        )
        after = await database.version()

        assert after != before
        assert await database.version(max_age=0) == after
    finally:
        await database.dispose()
