"""audit_log.field as TEXT: a share's entry names its organisation there

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

A share mark's history entry keeps the organisation's full name in `field`
(«Департамент Смоленской области по образованию и науке», 53 characters). SQLite never
enforced VARCHAR(32); PostgreSQL refuses the row. TEXT on both: no value is cut or refused,
and autogenerate sees no drift.

On SQLite the table is rebuilt (batch mode); its rows are copied as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "field", existing_type=sa.String(length=32), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column(
            "field",
            existing_type=sa.Text(),
            type_=sa.String(length=32),
            existing_nullable=True,
            postgresql_using="substr(field, 1, 32)",
        )
