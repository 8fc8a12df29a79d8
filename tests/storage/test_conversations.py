"""Conversation state in the database (handlers/conversations.py over
storage/conversations.py): what aiogram's FSM stores, kept apart by every part of the key."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.filters import StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import TelegramObject, Update
from sqlalchemy import func, select

from bot.services.clock import FixedClock
from handlers import get_routers
from handlers.conversations import (
    ChannelKey,
    ConversationContext,
    ConversationState,
    DatabaseStorage,
)
from handlers.filters import PRIVATE_TEXT, TEXT
from storage.conversations import KEPT_FOR, Conversation
from storage.db import Database
from storage.tables import conversations
from tests.backends import sqlite_only
from tests.bot.recording import text_update

KEY = ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_001)


class Flow(StatesGroup):
    first = State()
    second = State()


async def rows(database: Database) -> int:
    async with database.transaction(write=False) as connection:
        return int(await connection.scalar(select(func.count()).select_from(conversations)) or 0)


async def test_state_and_data_are_stored_and_read_back(
    database: Database, clock: FixedClock
) -> None:
    storage = DatabaseStorage(database, clock)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    await storage.set_state(KEY, Flow.first)
    await storage.set_data(KEY, {"role": "rep", "choices": ["Гимназия № 4"]})
    assert await storage.get_state(KEY) == "Flow:first"
    assert await storage.update_data(KEY, {"organisation": "Гимназия № 4"}) == {
        "role": "rep",
        "choices": ["Гимназия № 4"],
        "organisation": "Гимназия № 4",
    }
    # Another process's storage over the same database sees the same.
    other = DatabaseStorage(database, clock)
    assert await other.get_state(KEY) == "Flow:first"
    assert (await other.get_data(KEY))["organisation"] == "Гимназия № 4"
    await other.set_state(KEY, "Flow:second")
    assert await storage.get_state(KEY) == "Flow:second"
    assert (await storage.get_data(KEY))["role"] == "rep"  # the state alone changed


async def test_clearing_leaves_no_row(database: Database, clock: FixedClock) -> None:
    storage = DatabaseStorage(database, clock)
    await storage.set_state(KEY, Flow.first)
    await storage.update_data(KEY, {"role": "rep"})
    await storage.clear(KEY)
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    assert await rows(database) == 0
    await storage.set_state(KEY, Flow.first)
    await storage.set_state(KEY, None)  # no state and no data: nothing kept
    assert await rows(database) == 0


async def test_every_part_of_the_key_is_a_conversation_of_its_own(
    database: Database, clock: FixedClock
) -> None:
    storage = DatabaseStorage(database, clock)
    await storage.set_state(KEY, Flow.first)
    await storage.set_data(KEY, {"mine": True})
    others = [
        ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_001, channel="max"),
        ChannelKey(bot_id=43, chat_id=10_000_001, user_id=10_000_001),
        ChannelKey(bot_id=42, chat_id=-100_777, user_id=10_000_001),
        ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_002),
        ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_001, thread_id=5),
        ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_001, destiny="other"),
    ]
    for other in others:
        assert await storage.get_state(other) is None, other
        assert await storage.get_data(other) == {}, other
    await storage.set_state(others[0], Flow.second)  # the same numbers in MAX
    assert await storage.get_state(KEY) == "Flow:first"
    assert await storage.get_state(others[0]) == "Flow:second"
    assert await storage.get_data(others[0]) == {}


async def test_state_left_for_a_week_is_gone(database: Database, clock: FixedClock) -> None:
    storage = DatabaseStorage(database, clock)
    await storage.set_state(KEY, Flow.first)
    clock.moment += KEPT_FOR + timedelta(minutes=1)
    assert await storage.get_state(KEY) is None  # stale: read as none
    other = ChannelKey(bot_id=42, chat_id=10_000_002, user_id=10_000_002)
    await storage.set_state(other, Flow.first)  # a write sweeps the stale row away
    assert await rows(database) == 1
    assert await storage.get_state(other) == "Flow:first"


async def test_one_update_reads_the_conversation_once(
    database: Database, clock: FixedClock
) -> None:
    storage = DatabaseStorage(database, clock)
    await storage.set_state(KEY, Flow.first)
    await storage.set_data(KEY, {"role": "rep"})
    reads = 0
    read = storage.read

    async def counted(key: StorageKey) -> Conversation:
        nonlocal reads
        reads += 1
        return await read(key)

    storage.read = counted  # type: ignore[method-assign]
    context = ConversationContext(storage, KEY)
    assert await context.get_state() == "Flow:first"
    data = await context.get_data()
    data["role"] = "changed here only"
    assert await context.get_value("role") == "rep"
    assert reads == 1
    assert await context.update_data(organisation="Гимназия № 4") == {
        "role": "rep",
        "organisation": "Гимназия № 4",
    }
    await context.clear()
    assert await context.get_state() is None
    assert reads == 1
    assert await rows(database) == 0


@sqlite_only("holds SQLite's write lock through sqlite3, as another process would")
async def test_reading_never_waits_for_another_processes_writer(
    tmp_path: Path, clock: FixedClock
) -> None:
    """Every update reads its conversation: a CLI import holding the write lock must not
    stall them (nor make them fail busy)."""
    path = tmp_path / "shared.db"
    database = Database(f"sqlite:///{path}", lock_wait=0)
    await database.upgrade()
    try:
        storage = DatabaseStorage(database, clock)
        await storage.set_state(KEY, Flow.first)
        importing = sqlite3.connect(path, isolation_level=None)
        importing.execute("BEGIN IMMEDIATE")  # another process writing
        try:
            assert await storage.get_state(KEY) == "Flow:first"
            assert await ConversationContext(storage, KEY).get_state() == "Flow:first"
        finally:
            importing.execute("ROLLBACK")
            importing.close()
    finally:
        await database.dispose()


def test_no_command_can_reach_a_state_filter() -> None:
    """A command's update is given no `raw_state` (ConversationState reads none for it), which
    is sound while every message handler that filters on the state also refuses commands."""
    for router in get_routers():
        for handler in router.message.handlers:
            filters = [f.callback for f in handler.filters or ()]
            if any(isinstance(f, StateFilter) for f in filters):
                assert TEXT in filters or PRIVATE_TEXT in filters, (
                    router.name,
                    handler.callback.__name__,
                )


async def test_a_command_reads_no_conversation_unless_its_handler_asks(
    database: Database, clock: FixedClock
) -> None:
    storage = DatabaseStorage(database, clock)
    reads: list[StorageKey] = []
    read = storage.read

    async def counted(key: StorageKey) -> Conversation:
        reads.append(key)
        return await read(key)

    storage.read = counted  # type: ignore[method-assign]
    middleware = ConversationState(storage)
    seen: dict[str, Any] = {}

    async def handler(_event: TelegramObject, data: dict[str, Any]) -> None:
        seen.update(data)

    bot = Bot("42:TEST")
    for text, expected in (("/status", 0), ("38", 1)):
        update = Update.model_validate(text_update(1, 10_000_001, text, date=0))
        data: dict[str, Any] = {
            "bot": bot,
            EVENT_CONTEXT_KEY: EventContext(
                chat=update.message.chat if update.message else None,
                user=update.message.from_user if update.message else None,
            ),
        }
        reads.clear()
        await middleware(handler, update, data)
        assert len(reads) == expected, text
        assert isinstance(seen["state"], ConversationContext)
    assert reads[0] == ChannelKey(bot_id=42, chat_id=10_000_001, user_id=10_000_001)
    await bot.session.close()
