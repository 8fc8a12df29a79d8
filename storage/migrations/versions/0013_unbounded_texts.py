"""audit_log.field and outbox.kind as TEXT, audit_log.subject_id as BIGINT: values SQLite kept
whole, PostgreSQL refused

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

SQLite never enforced a VARCHAR's length; PostgreSQL refuses a longer value, and these two
hold longer ones: a share mark's history entry names its organisation in `audit_log.field`
(«Департамент Смоленской области по образованию и науке», 53 characters), and an outbox row's
`kind` carries the organisation and the indicator it asks about («ask:51:teachers_active»,
«nudge:ORG:CODE»; codes are up to 64 characters). TEXT on both backends: nothing is cut or
refused, and autogenerate sees no drift. And `audit_log.subject_id` names a chat when a chat
is bound or unbound: a Telegram supergroup's id (-100…) or a MAX chat's does not fit in 32 bits,
which SQLite's INTEGER never minded; BIGINT, as the chat ids are everywhere else.

On SQLite the two tables are rebuilt (batch mode); their rows are copied as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WIDENED = (("audit_log", "field", 32), ("outbox", "kind", 16))


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "subject_id", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True
        )
    for table, column, length in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length=length),
                type_=sa.Text(),
                existing_nullable=table == "audit_log",
            )


def downgrade() -> None:
    for table, column, length in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=length),
                existing_nullable=table == "audit_log",
                postgresql_using=f"substr({column}, 1, {length})",
            )
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "subject_id", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True
        )
