"""Conversation state (aiogram's FSM) in the database: one row per conversation.

A row holds the state's name and its data (JSON text) under the conversation's key — the
channel, the bot, the chat, the user, the thread, the business connection and aiogram's
destiny, spelled out as one string by the caller (handlers/conversations.py). Everything is
plain SQL over SQLAlchemy Core: SQLite and PostgreSQL run it alike.

State not written for `KEPT_FOR` is stale: a read treats it as absent, and writes sweep it
away now and then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.tables import conversations

KEPT_FOR = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Conversation:
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.state is None and not self.data


def _upsert(dialect: str, key: str, state: str | None, data: str, now: datetime) -> Any:
    values = {"key": key, "state": state, "data": data, "updated_at": now}
    changed = {"state": state, "data": data, "updated_at": now}
    if dialect == "postgresql":
        return (
            postgresql.insert(conversations)
            .values(**values)
            .on_conflict_do_update(index_elements=[conversations.c.key], set_=changed)
        )
    return (
        sqlite.insert(conversations)
        .values(**values)
        .on_conflict_do_update(index_elements=[conversations.c.key], set_=changed)
    )


_READ = select(conversations.c.state, conversations.c.data, conversations.c.updated_at).where(
    conversations.c.key == bindparam("key")
)


class ConversationStore:
    """Plain (sync) SQLAlchemy: a change is one unit of `Database.run`; a read is run in a
    read-only transaction (`run_sync`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def read(self, key: str, now: datetime, *, lock: bool = False) -> Conversation:
        """The conversation's state and data (none once stale). `lock`: held until the
        transaction ends (PostgreSQL's FOR UPDATE; SQLite's write lock is held from BEGIN)."""
        query = select(
            conversations.c.state, conversations.c.data, conversations.c.updated_at
        ).where(conversations.c.key == key)
        if lock and self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None or row.updated_at < now - KEPT_FOR:
            return Conversation()
        return Conversation(row.state, json.loads(row.data))

    def write(self, key: str, conversation: Conversation, now: datetime) -> None:
        """Store it as it is; an empty conversation is no row at all."""
        if conversation.empty:
            self.connection.execute(delete(conversations).where(conversations.c.key == key))
            return
        data = json.dumps(conversation.data, ensure_ascii=False, sort_keys=True)
        self.connection.execute(
            _upsert(self.connection.dialect.name, key, conversation.state, data, now)
        )

    def expire(self, now: datetime) -> int:
        """Forget conversations not written for `KEPT_FOR`; how many."""
        result = self.connection.execute(
            delete(conversations).where(conversations.c.updated_at < now - KEPT_FOR)
        )
        return int(result.rowcount or 0)
