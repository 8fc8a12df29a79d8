"""Migration 0010 (channels) on a database stored at 0009, through the project's own
`Database` — foreign keys on, as every start runs migrations — so that a table recreated on
the way would show by what it cascaded away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from bot.domain.channels import EventKey
from storage.db import Database, alembic_config
from storage.outbox import OutboxStore
from storage.people import PeopleStore
from tests.backends import sqlite_only

NOW = datetime(2023, 4, 20, 7, 0)  # naive: stored as SQLite keeps UTC instants
ROUND = "2023-04-20"
ADMIN, REP, FORGOTTEN = 5001, 5002, 5003  # Telegram user ids, the people's numbers until 0010
GROUP = -100123


def _to(revision: str) -> Any:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        if revision == "0009" and _current(connection) not in (None, "0009"):
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    return run


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


FILL_0009 = [
    "INSERT INTO organisations (id, name, kind, updated_at)"
    " VALUES (1, 'Департамент', 'department', :now)",
    "INSERT INTO organisations (id, name, kind, parent_id, updated_at)"
    " VALUES (2, 'Школа № 1', 'school', 1, :now)",
    "INSERT INTO people (id, name, username, language, created_at, seen_at) VALUES"
    f" ({ADMIN}, 'Админ', 'admin', 'ru', :now, :now),"
    f" ({REP}, 'Иванова И. И.', NULL, 'en', :now, :now),"
    f" ({FORGOTTEN}, 'удалённый пользователь', NULL, NULL, :now, :now)",
    "INSERT INTO bindings (person_id, role, organisation_id, created_at) VALUES"
    f" ({ADMIN}, 'admin', NULL, :now), ({REP}, 'rep', 2, :now)",
    "INSERT INTO chat_bindings (chat_id, title, organisation_id, created_by, created_at)"
    f" VALUES ({GROUP}, 'Школы', 2, {ADMIN}, :now)",
    f"INSERT INTO unreachable_chats (chat_id, since, reason) VALUES ({REP}, :now, '403: blocked')",
    "INSERT INTO processed_updates (update_id, processed_at) VALUES (1001, :now), (1002, :now)",
    # A digest due, a question already sent (its message id is how a reply finds it), a group
    # reminder, and a reply Telegram told us to hold back (no person: `reply:` rows have none).
    "INSERT INTO outbox (chat_id, person_id, kind, round, payload, status, attempts, not_before,"
    " message_id, created_at) VALUES"
    f" ({ADMIN}, {ADMIN}, 'digest', '{ROUND}', '{{\"lines\": []}}', 'pending', 0, :now,"
    " NULL, :now),"
    f" ({REP}, {REP}, 'question:1', '{ROUND}', '{{}}', 'sent', 1, :now, 4242, :now),"
    f" ({GROUP}, NULL, 'digest', '{ROUND}', '{{\"lines\": []}}', 'pending', 0, :now,"
    " NULL, :now),"
    f" ({ADMIN}, NULL, 'reply:abc', '{ROUND}', '{{\"text\": \"hi\"}}', 'pending', 1, :later,"
    " NULL, :now)",
]


async def _fill(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_to("0009"))
        for statement in FILL_0009:
            await connection.execute(
                text(statement), {"now": NOW, "later": NOW + timedelta(seconds=60)}
            )


async def _rows(database: Database, query: str) -> list[tuple[Any, ...]]:
    async with database.transaction(write=False) as connection:
        return [tuple(row) for row in await connection.execute(text(query))]


@sqlite_only("rebuilds SQLite's tables in batch mode and checks them with PRAGMA foreign_key_check")
async def test_every_row_stays_on_the_telegram_channel_and_people_get_identities(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        await _fill(database)
        await database.upgrade()  # what every start does: to the head, foreign keys on

        assert await _rows(database, "PRAGMA foreign_keys") == [(1,)]
        assert await _rows(database, "PRAGMA foreign_key_check") == []
        assert await _rows(database, "SELECT id, name, username FROM people ORDER BY id") == [
            (ADMIN, "Админ", "admin"),
            (REP, "Иванова И. И.", None),
            (FORGOTTEN, "удалённый пользователь", None),
        ]
        assert await _rows(
            database, "SELECT person_id, role, organisation_id FROM bindings ORDER BY id"
        ) == [(ADMIN, "admin", None), (REP, "rep", 2)]
        # Known in Telegram by their old number; a forgotten person is known nowhere.
        assert await _rows(
            database,
            "SELECT person_id, channel, external_id, chat_id, username, language"
            " FROM identities ORDER BY person_id",
        ) == [
            (ADMIN, "telegram", str(ADMIN), None, "admin", "ru"),
            (REP, "telegram", str(REP), None, None, "en"),
        ]
        assert await _rows(
            database, "SELECT channel, chat_id, title, organisation_id FROM chat_bindings"
        ) == [("telegram", GROUP, "Школы", 2)]
        assert await _rows(database, "SELECT channel, chat_id, reason FROM unreachable_chats") == [
            ("telegram", REP, "403: blocked")
        ]
        assert await _rows(
            database, "SELECT channel, event_key FROM processed_events ORDER BY event_key"
        ) == [("telegram", "1001"), ("telegram", "1002")]
        assert await _rows(
            database,
            "SELECT channel, chat_id, person_id, kind, status, message_id FROM outbox ORDER BY id",
        ) == [
            ("telegram", ADMIN, ADMIN, "digest", "pending", None),
            ("telegram", REP, REP, "question:1", "sent", "4242"),
            ("telegram", GROUP, None, "digest", "pending", None),
            ("telegram", ADMIN, None, "reply:abc", "pending", None),
        ]

        # The stores read what was carried over, on the telegram channel.
        async with database.transaction() as connection:
            outbox = OutboxStore(connection)
            assert await outbox.unreachable() == {REP}
            asked = await outbox.sent_as(REP, 4242)
            assert asked is not None
            assert asked.kind == "question:1"
            assert [row.kind for row in await outbox.pending_for(ADMIN)] == [
                "digest",
                "reply:abc",
            ]
            assert [
                (chat.channel, chat.chat_id) for chat in await PeopleStore(connection).chats()
            ] == [("telegram", GROUP)]
            # A redelivered update is still known as handled.
            assert not await PeopleStore(connection).claim_event(
                EventKey.telegram(1001), NOW.replace(tzinfo=UTC)
            )

        # And back: 0009 keeps every row as it was.
        async with database.engine.begin() as connection:
            await connection.run_sync(_to("0009"))
        assert await _rows(database, "SELECT count(*) FROM bindings") == [(2,)]
        assert await _rows(database, "SELECT count(*) FROM people") == [(3,)]
        assert await _rows(database, "SELECT update_id FROM processed_updates ORDER BY 1") == [
            (1001,),
            (1002,),
        ]
        assert await _rows(database, "SELECT chat_id FROM unreachable_chats") == [(REP,)]
        assert await _rows(database, "SELECT message_id FROM outbox ORDER BY id") == [
            (None,),
            (4242,),
            (None,),
            (None,),
        ]
    finally:
        await database.dispose()
