"""weekly indicators, their versions, weekly reports, drafts, question rounds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_rounds",
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("timezone", name=op.f("pk_question_rounds")),
    )
    op.create_table(
        "report_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_drafts")),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roadmap_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["roadmap_id"],
            ["roadmaps.id"],
            name=op.f("fk_indicators_roadmap_id_roadmaps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("roadmap_id", "code", name="uq_indicators_roadmap_code"),
    )
    op.create_table(
        "indicator_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=100), nullable=False),
        sa.Column("denominator", sa.String(length=16), nullable=True),
        sa.Column("target_percent", sa.Float(), nullable=True),
        sa.Column("target_value", sa.Integer(), nullable=True),
        sa.Column("target_due", sa.Date(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("due_time", sa.String(length=5), nullable=False),
        sa.Column("rollup", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_versions_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_versions")),
    )
    with op.batch_alter_table("indicator_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_versions_indicator", ["indicator_id", "valid_from"], unique=False
        )

    op.create_table(
        "weekly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("until_week", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_weekly_reports_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_weekly_reports_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_reports")),
        sa.UniqueConstraint(
            "indicator_id", "organisation_id", "week", name="uq_weekly_reports_indicator_org_week"
        ),
    )
    with op.batch_alter_table("weekly_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_weekly_reports_until", ["indicator_id", "until_week", "week", "value"], unique=False
        )
        batch_op.create_index(
            "ix_weekly_reports_week", ["indicator_id", "week", "late"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_message", ["chat_id", "message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_message")

    with op.batch_alter_table("weekly_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_weekly_reports_week")
        batch_op.drop_index("ix_weekly_reports_until")

    op.drop_table("weekly_reports")
    with op.batch_alter_table("indicator_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_versions_indicator")

    op.drop_table("indicator_versions")
    op.drop_table("indicators")
    op.drop_table("report_drafts")
    op.drop_table("question_rounds")
