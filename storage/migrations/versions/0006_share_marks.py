"""each organisation's share of a task: share_marks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Until now a task had one status for everyone: a school that pressed ✅ on a task owed by every
school closed it for all 355. From here on each owing organisation stands on its own, and what
people did is stored as marks (see bot/domain/shares.py).

What a task marked done before this change means. That press recorded one person's word about
the task; the audit log says who it was. We keep exactly what it said and no more:

* the organisation(s) the person acted for have done their share — the person's own
  organisation for a representative or a coordinator, the top of the registry (the department)
  for department staff. The task is open again for everyone else: the press said nothing about
  them, and treating it as their work is the very error this change corrects. An organisation
  so marked that does not owe the task keeps its mark harmlessly (marks are never lost).
* when nobody can be traced (the CLI, an import, a person no longer bound), the task stays done
  as a whole, as it was: the department closed it and we cannot say for whom, so we do not
  reopen work that may be finished.

A recurring task keeps its stored status: a mark belongs to an occurrence, and an old press
named none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ONCE = date(1, 1, 1)


def upgrade() -> None:
    op.create_table(
        "share_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_share_marks_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_share_marks_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_marks")),
        sa.UniqueConstraint(
            "task_id", "organisation_id", "occurrence", name="uq_share_marks_task_org_occurrence"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_share_marks_organisation_at", "share_marks", ["organisation_id", "at"], unique=False
    )
    _carry_over_done_tasks()


def _carry_over_done_tasks() -> None:
    connection = op.get_bind()
    done = connection.execute(
        sa.text(
            "SELECT id FROM tasks WHERE status = 'done' AND removed_at IS NULL"
            " AND deadline_recurrence IS NULL"
        )
    ).scalars()
    roots = [
        row[0]
        for row in connection.execute(
            sa.text("SELECT id FROM organisations WHERE parent_id IS NULL")
        )
    ]
    marks = []
    reopened = []
    for task_id in list(done):
        last = connection.execute(
            sa.text(
                "SELECT actor, at FROM audit_log WHERE subject = 'task' AND subject_id = :task"
                " AND action = 'status' AND new = 'done' ORDER BY id DESC LIMIT 1"
            ),
            {"task": task_id},
        ).first()
        if last is None or not str(last[0]).startswith("person:"):
            continue
        person = int(str(last[0]).split(":", 1)[1])
        organisations: set[int] = set()
        for (organisation_id,) in connection.execute(
            sa.text(
                "SELECT organisation_id FROM bindings WHERE person_id = :person"
                " AND role IN ('admin', 'coordinator', 'rep')"
            ),
            {"person": person},
        ):
            organisations.update([organisation_id] if organisation_id is not None else roots)
        if not organisations:
            continue
        at = last[1] if last[1] is not None else datetime.now(UTC).replace(tzinfo=None)
        for organisation_id in sorted(organisations):
            marks.append(
                {
                    "task": task_id,
                    "organisation": organisation_id,
                    "once": ONCE,
                    "actor": last[0],
                    "at": at,
                }
            )
        reopened.append({"task": task_id})
    if marks:
        connection.execute(
            sa.text(
                "INSERT INTO share_marks (task_id, organisation_id, occurrence, state, actor, at)"
                " VALUES (:task, :organisation, :once, 'done', :actor, :at)"
            ),
            marks,
        )
    if reopened:
        connection.execute(sa.text("UPDATE tasks SET status = 'open' WHERE id = :task"), reopened)


def downgrade() -> None:
    op.drop_index("ix_share_marks_organisation_at", table_name="share_marks")
    op.drop_table("share_marks")
