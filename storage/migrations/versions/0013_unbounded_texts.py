"""audit_log.field and outbox.kind as TEXT: values SQLite kept whole, PostgreSQL refused

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

SQLite never enforced a VARCHAR's length; PostgreSQL refuses a longer value, and these two
hold longer ones: a share mark's history entry names its organisation in `audit_log.field`
(«Департамент Смоленской области по образованию и науке», 53 characters), and an outbox row's
`kind` carries the organisation and the indicator it asks about («ask:51:teachers_active»,
«nudge:ORG:CODE»; codes are up to 64 characters). TEXT on both backends: nothing is cut or
refused, and autogenerate sees no drift.

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
