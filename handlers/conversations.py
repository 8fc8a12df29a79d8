"""Conversation state (aiogram's FSM) in the database, shared by every bot process and kept
across restarts.

Why the database and not Redis (aiogram's RedisStorage): the deployment then needs nothing
beside the database it already has, and a step's state is in the same database as everything
else the step changes — a restart or a second process behind the proxy sees both or neither
(backed up, copied and restored with it too). The cost is one small read by primary key per
update that has a chat and a user (measured: benchmarks/bench_dispatcher.py; see the README),
and a write only when a flow moves on.

The key names the channel as well as aiogram's (bot, chat, user, thread, business
connection, destiny): Telegram's and MAX's numbers are separate spaces, so the same numbers
in both messengers are two conversations.

One read per update: `ConversationContext` (the FSMContext handlers get) reads the row once,
when the middleware asks for the state, and answers `get_data` from that read; each change
is a write transaction of its own that returns the row as written.

Event isolation: aiogram's default is none, and none is added. Two updates of one
conversation never run side by side:
- Telegram delivers a chat's updates one at a time: the Bot API server queues updates per
  chat and sends the next one of a queue only once the previous was answered (telegram-bot-
  api, WebhookActor::send_update takes the queue out until on_update_ok/drop_event puts its
  next update back). Our webhook answers after handling (handle_in_background=False), so
  whichever process the proxy picks, the next update of the chat waits for this one; with
  polling, one process serves each chat in order (bot/runtime.py).
- MAX's poller serves each chat in order too. Its webhook pushes are answered after
  handling, but MAX does not say it holds a chat's next push until then: with several
  processes on MAX's webhook, two pushes of one dialog could be handled side by side.
A flow's steps therefore follow one another even when each lands on another process (a
step is the person's answer to what the previous step sent, so it cannot come earlier), and
every step reads what the one before wrote (committed before its answer confirmed it).
What could still meet is a double press or MAX's pushes above: as a guard, every change is
read-modify-write inside one write transaction (SQLite's write lock from BEGIN; PostgreSQL's
row lock, FOR UPDATE), so two `update_data` never lose each other's keys, and a flow's last
step reads and clears its data in handlers that tolerate a step pressed twice (/invite's
second press finds the state gone and its filter no longer matches).

Stale state — a flow abandoned for more than a week (storage/conversations.KEPT_FOR) — reads
as none and is swept away by the next write (at most once an hour per process).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import DEFAULT_DESTINY, BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.types import TelegramObject, Update
from sqlalchemy import Connection

from bot.domain.channels import TELEGRAM
from bot.services.clock import Clock
from handlers.middlewares import channel_of
from storage.conversations import Conversation, ConversationStore
from storage.db import Database

SWEEP_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class ChannelKey(StorageKey):
    """aiogram's key and the channel the conversation is in."""

    channel: str = TELEGRAM


def key_text(key: StorageKey) -> str:
    """The row's key: every part of the conversation's key, the channel first."""
    channel = key.channel if isinstance(key, ChannelKey) else TELEGRAM
    parts = (
        channel,
        key.bot_id,
        key.chat_id,
        key.user_id,
        "" if key.thread_id is None else key.thread_id,
        key.business_connection_id or "",
        key.destiny,
    )
    return ":".join(str(part) for part in parts)


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class DatabaseStorage(BaseStorage):
    """aiogram's storage over the `conversations` table (storage/conversations.py)."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock
        self._swept_at: datetime | None = None

    async def read(self, key: StorageKey) -> Conversation:
        """The conversation as stored, read in a transaction that only reads: it never waits
        for a writer (another process importing holds SQLite's write lock for seconds, and
        every update reads its conversation). `Database.run` would be quicker on SQLite but
        takes the write lock, so updates would queue behind the import."""
        text, now = key_text(key), self.clock.now()
        async with self.database.transaction(write=False) as connection:
            return await connection.run_sync(lambda c: ConversationStore(c).read(text, now))

    async def change(
        self, key: StorageKey, how: Callable[[Conversation], Conversation]
    ) -> Conversation:
        """Read, change and write the conversation in one write transaction; the result."""
        now = self.clock.now()
        sweep = self._swept_at is None or now - self._swept_at >= SWEEP_EVERY
        text = key_text(key)

        def work(connection: Connection) -> Conversation:
            store = ConversationStore(connection)
            if sweep:
                store.expire(now)
            changed = how(store.read(text, now, lock=True))
            store.write(text, changed, now)
            return changed

        changed = await self.database.run(work)
        if sweep:
            self._swept_at = now
        return changed

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.change(key, lambda c: Conversation(_state_name(state), c.data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self.read(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.change(key, lambda c: Conversation(c.state, dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self.read(key)).data)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        changed = await self.change(key, lambda c: Conversation(c.state, {**c.data, **data}))
        return dict(changed.data)

    async def clear(self, key: StorageKey) -> None:
        await self.change(key, lambda _: Conversation())

    async def close(self) -> None:
        """The database is the application's to close."""


class ConversationContext(FSMContext):
    """One update's FSMContext: the row is read once (state and data together) and every
    change writes through and keeps what it wrote."""

    storage: DatabaseStorage

    def __init__(self, storage: DatabaseStorage, key: StorageKey) -> None:
        super().__init__(storage, key)
        self._known: Conversation | None = None

    async def _conversation(self) -> Conversation:
        if self._known is None:
            self._known = await self.storage.read(self.key)
        return self._known

    async def get_state(self) -> str | None:
        return (await self._conversation()).state

    async def get_data(self) -> dict[str, Any]:
        return copy.deepcopy((await self._conversation()).data)

    async def get_value(self, key: str, default: Any | None = None) -> Any | None:
        return copy.deepcopy((await self._conversation()).data.get(key, default))

    async def set_state(self, state: StateType = None) -> None:
        name = _state_name(state)
        self._known = await self.storage.change(self.key, lambda c: Conversation(name, c.data))

    async def set_data(self, data: Mapping[str, Any]) -> None:
        new = dict(data)
        self._known = await self.storage.change(self.key, lambda c: Conversation(c.state, new))

    async def update_data(
        self, data: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if data:
            kwargs.update(data)
        self._known = await self.storage.change(
            self.key, lambda c: Conversation(c.state, {**c.data, **kwargs})
        )
        return copy.deepcopy(self._known.data)

    async def clear(self) -> None:
        """One write, and none when this update found nothing to clear (no other update of
        the conversation runs meanwhile: see the module's docstring)."""
        if self._known is not None and self._known.empty:
            return
        self._known = await self.storage.change(self.key, lambda _: Conversation())


def _is_command(event: TelegramObject) -> bool:
    message = event.message if isinstance(event, Update) else None
    return message is not None and (message.text or "").startswith("/")


class ConversationState(FSMContextMiddleware):
    """aiogram's FSM middleware, giving handlers a `ConversationContext` keyed by channel.

    Registered after the ledger and KnowThePerson (build_dispatcher): an update handled
    before, or with nobody behind it, costs no read. A command costs none either unless its
    handler asks for the state: `raw_state` (what StateFilter reads) is only read for other
    updates, as every StateFilter here sits behind a filter that refuses commands (TEXT,
    PRIVATE_TEXT) or behind a button's — tests/storage/test_conversations.py holds that."""

    storage: DatabaseStorage

    def __init__(self, storage: DatabaseStorage) -> None:
        super().__init__(storage=storage, events_isolation=DisabledEventIsolation())

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["fsm_storage"] = self.storage
        context = self.resolve_event_context(data["bot"], data)
        if context is not None:
            data["state"] = context
            if not _is_command(event):
                data["raw_state"] = await context.get_state()
        return await handler(event, data)

    def resolve_event_context(
        self, bot: Bot, data: dict[str, Any], destiny: str = DEFAULT_DESTINY
    ) -> FSMContext | None:
        context = super().resolve_event_context(bot, data, destiny)
        if context is None:
            return None
        key = ChannelKey(**asdict(context.key), channel=channel_of(data))
        return ConversationContext(self.storage, key)
