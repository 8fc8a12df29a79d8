"""The migration to shares: what a task marked done before them means afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from bot.services.clock import FixedClock
from bot.services.organisations import OrganisationService
from bot.services.parties import PartyService
from bot.services.people import CLI
from bot.services.roadmaps import RoadmapService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from storage.db import Database, alembic_config, sync_url
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

NOW = datetime(2023, 4, 20, 7, 0, tzinfo=UTC)
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"


def migrate(url: str, revision: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def downgrade(url: str, revision: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    engine.dispose()


async def test_a_done_task_keeps_the_pressers_share_and_reopens_for_the_others(
    blank_database_url: str,
) -> None:
    url = blank_database_url
    # Today's services fill the database (they know today's schema), then it goes back to
    # the schema before shares.
    migrate(url, "head")
    database = Database(url)
    clock = FixedClock(NOW)
    snapshots = Snapshots(database, max_age=0)
    await RoadmapService(database, clock, "Europe/Moscow").import_document(SMOLENSK_DOCX)
    await OrganisationService(database, clock, snapshots).import_file(
        EXAMPLES / "smolensk-orgs.csv"
    )
    for party in (3, 4):
        await PartyService(database, clock, snapshots).assign(CLI, party, "все школы")
    await database.dispose()
    downgrade(url, "0005")

    # As the bot before shares left it: task 5 pressed done by a school's representative,
    # task 7 closed from the command line (nobody to trace).
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        ids: dict[str, int] = {
            row.number: row.id for row in connection.execute(text("SELECT number, id FROM tasks"))
        }
        school = connection.execute(
            text("SELECT id FROM organisations WHERE name = :name"), {"name": SCHOOL}
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO people (id, name, created_at, seen_at)"
                " VALUES (3001, 'Иванова И. И.', :at, :at)"
            ),
            {"at": NOW.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO bindings (person_id, role, organisation_id, created_at)"
                " VALUES (3001, 'rep', :school, :at)"
            ),
            {"school": school, "at": NOW.replace(tzinfo=None)},
        )
        for number, actor in (("5", "person:3001"), ("7", "cli")):
            connection.execute(
                text("UPDATE tasks SET status = 'done' WHERE id = :id"), {"id": ids[number]}
            )
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, subject, subject_id, field,"
                    " old, new) VALUES (:at, :actor, 'status', 'task', :id, 'status',"
                    " 'open', 'done')"
                ),
                {"at": NOW.replace(tzinfo=None), "actor": actor, "id": ids[number]},
            )
    engine.dispose()

    migrate(url, "head")

    database = Database(url)
    try:
        tasks = TaskService(database, clock, Snapshots(database, max_age=0), "Europe/Moscow")
        scope = await tasks.scope(CLI, as_of=NOW.date())
        five = next(t for t in scope.tasks if t.number == "5")
        seven = next(t for t in scope.tasks if t.number == "7")
        assert scope.shares[five.id or 0].done == 1  # the school that pressed it
        assert scope.shares[five.id or 0].owed == 355
        assert five.status.value == "open"  # ... and open again for the 354 others
        assert seven.status.value == "done"  # closed from the CLI: stays done as a whole
        assert scope.shares[seven.id or 0].done == 355
        # Reopened as a whole by the department, its shares count again from what was marked.
        reopened = await tasks.reopen(CLI, seven.id or 0)
        assert reopened.changed == ("",)
        scope = await tasks.scope(CLI, as_of=NOW.date())
        assert scope.shares[seven.id or 0].done == 0
    finally:
        await database.dispose()
