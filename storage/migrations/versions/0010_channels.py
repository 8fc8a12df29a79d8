"""channels: identities, and a channel on every chat the bot addresses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

The bot is to speak in more than one messenger (Telegram, MAX). Until now a person's number
was their Telegram user id, and their private chat was the same number. From here on:

* `people.id` is an opaque person number. Its values are kept (they are named in the audit
  log, share marks and reports as "person:N"); a person new from now on gets a fresh number.
* `identities` says how a person is known in a channel: (channel, external id) -> person,
  with the private chat when the channel's differs from the user id (a MAX dialog). Every
  person known so far is known in Telegram by their old number; a forgotten person (the row
  keeps only the number) is known nowhere.
* the outbox, bound chats and unreachable chats carry their channel ('telegram' for every
  row so far); a message id is a string (MAX's are); the ledger of handled updates becomes a
  ledger of handled events keyed by (channel, a key the channel makes).

`people` is not recreated: foreign keys are on while migrations run (storage/db.py), and in
SQLite dropping a parent table deletes its rows first — which would cascade to every binding.
Only child tables nobody references are recreated (batch mode), and data is carried by
portable INSERT ... SELECT, so this runs on PostgreSQL as written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TELEGRAM = "telegram"
FORGOTTEN_NAME = "удалённый пользователь"  # bot/services/people.py, as of this revision

_people = sa.table(
    "people",
    sa.column("id", sa.BigInteger()),
    sa.column("name", sa.Text()),
    sa.column("username", sa.String(64)),
    sa.column("language", sa.String(16)),
    sa.column("seen_at", sa.DateTime(timezone=True)),
)
_identities = sa.table(
    "identities",
    sa.column("person_id", sa.BigInteger()),
    sa.column("channel", sa.String(16)),
    sa.column("external_id", sa.String(64)),
    sa.column("username", sa.String(64)),
    sa.column("language", sa.String(16)),
    sa.column("seen_at", sa.DateTime(timezone=True)),
)
_processed_updates = sa.table(
    "processed_updates",
    sa.column("update_id", sa.BigInteger()),
    sa.column("processed_at", sa.DateTime(timezone=True)),
)
_processed_events = sa.table(
    "processed_events",
    sa.column("channel", sa.String(16)),
    sa.column("event_key", sa.String(64)),
    sa.column("processed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_identities_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("channel", "external_id", name="uq_identities_channel_external"),
    )
    op.create_index("ix_identities_person", "identities", ["person_id"], unique=False)
    op.execute(
        _identities.insert().from_select(
            ["person_id", "channel", "external_id", "username", "language", "seen_at"],
            sa.select(
                _people.c.id,
                sa.literal(TELEGRAM, sa.String(16)),
                sa.cast(_people.c.id, sa.String(64)),
                _people.c.username,
                _people.c.language,
                _people.c.seen_at,
            ).where(_people.c.name != FORGOTTEN_NAME),
        )
    )

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column(
                "channel", sa.String(length=16), server_default=TELEGRAM, nullable=False
            )
        )
        batch.alter_column(
            "message_id",
            existing_type=sa.BigInteger(),
            type_=sa.String(length=64),
            existing_nullable=True,
            postgresql_using="CAST(message_id AS VARCHAR(64))",
        )
        batch.drop_constraint("uq_outbox_chat_kind_round", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_channel_chat_kind_round", ["channel", "chat_id", "kind", "round"]
        )
        batch.drop_index("ix_outbox_chat_message")
        batch.create_index("ix_outbox_chat_message", ["channel", "chat_id", "message_id"])

    with op.batch_alter_table("chat_bindings") as batch:
        batch.add_column(
            sa.Column(
                "channel", sa.String(length=16), server_default=TELEGRAM, nullable=False
            )
        )
        batch.drop_index("ix_chat_bindings_chat")
        batch.create_index("ix_chat_bindings_chat", ["channel", "chat_id"])

    with op.batch_alter_table("unreachable_chats", recreate="always") as batch:
        batch.add_column(
            sa.Column(
                "channel", sa.String(length=16), server_default=TELEGRAM, nullable=False
            )
        )
        batch.drop_constraint("pk_unreachable_chats", type_="primary")
        batch.create_primary_key("pk_unreachable_chats", ["channel", "chat_id"])

    op.create_table(
        "processed_events",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "event_key", name=op.f("pk_processed_events")),
    )
    op.execute(
        _processed_events.insert().from_select(
            ["channel", "event_key", "processed_at"],
            sa.select(
                sa.literal(TELEGRAM, sa.String(16)),
                sa.cast(_processed_updates.c.update_id, sa.String(64)),
                _processed_updates.c.processed_at,
            ),
        )
    )
    op.drop_table("processed_updates")


def downgrade() -> None:
    connection = op.get_bind()
    for table in ("identities", "outbox", "chat_bindings", "unreachable_chats", "processed_events"):
        others = connection.scalar(
            sa.text(f"SELECT count(*) FROM {table} WHERE channel <> :telegram"),
            {"telegram": TELEGRAM},
        )
        if others:
            raise RuntimeError(
                f"{table} holds rows of channels other than Telegram: the schema before "
                "0010 cannot keep them"
            )
    # People who joined after 0010 have numbers that are not Telegram ids: before 0010 the
    # number was the Telegram id, so there is no going back for them.
    renumbered = connection.scalar(
        sa.text(
            "SELECT count(*) FROM identities i WHERE i.external_id <> CAST(i.person_id AS"
            " VARCHAR(64))"
        )
    )
    if renumbered:
        raise RuntimeError(
            "people have numbers other than their Telegram ids: the schema before 0010 "
            "cannot tell who they are"
        )

    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.execute(
        _processed_updates.insert().from_select(
            ["update_id", "processed_at"],
            sa.select(
                sa.cast(_processed_events.c.event_key, sa.BigInteger()),
                _processed_events.c.processed_at,
            ),
        )
    )
    op.drop_table("processed_events")

    with op.batch_alter_table("unreachable_chats", recreate="always") as batch:
        batch.drop_constraint("pk_unreachable_chats", type_="primary")
        batch.create_primary_key("pk_unreachable_chats", ["chat_id"])
        batch.drop_column("channel")

    with op.batch_alter_table("chat_bindings") as batch:
        batch.drop_index("ix_chat_bindings_chat")
        batch.create_index("ix_chat_bindings_chat", ["chat_id"])
        batch.drop_column("channel")

    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_chat_message")
        batch.create_index("ix_outbox_chat_message", ["chat_id", "message_id"])
        batch.drop_constraint("uq_outbox_channel_chat_kind_round", type_="unique")
        batch.create_unique_constraint("uq_outbox_chat_kind_round", ["chat_id", "kind", "round"])
        batch.alter_column(
            "message_id",
            existing_type=sa.String(length=64),
            type_=sa.BigInteger(),
            existing_nullable=True,
            postgresql_using="CAST(message_id AS BIGINT)",
        )
        batch.drop_column("channel")

    op.drop_index("ix_identities_person", table_name="identities")
    op.drop_table("identities")
