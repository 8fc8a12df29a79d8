"""Migration 0008 (organisations.short_name) on a registry stored at 0007, and no drift
between the tables and the migrations (on SQLite, and on PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from bot.domain.access import OrgTree
from bot.services.clock import FixedClock
from bot.services.organisations import OrganisationService
from bot.services.snapshots import Snapshots
from storage.db import Database, sync_url
from storage.tables import metadata
from tests.storage.test_share_migration import downgrade, migrate

NOW = datetime(2023, 4, 20, 7, 0, tzinfo=UTC)
BODY = (
    "Отдел образования Администрации муниципального образования «Сычёвский район» "
    "Смоленской области"
)
SCHOOL = "МБОУ «Средняя школа № 1» г. Вязьмы Смоленской области"


async def test_a_registry_stored_before_short_names_gets_them_made(
    blank_database_url: str,
) -> None:
    url = blank_database_url
    migrate(url, "0007")
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        for name, kind, parent in ((BODY, "authority", None), (SCHOOL, "school", 1)):
            connection.execute(
                text(
                    "INSERT INTO organisations (name, kind, parent_id, updated_at)"
                    " VALUES (:name, :kind, :parent, :at)"
                ),
                {"name": name, "kind": kind, "parent": parent, "at": NOW.replace(tzinfo=None)},
            )
    engine.dispose()

    migrate(url, "head")

    database = Database(url)
    try:
        service = OrganisationService(database, FixedClock(NOW), Snapshots(database, max_age=0))
        stored = await service.all()
        assert [org.short_name for org in stored] == [None, None]  # nothing given ...
        tree = OrgTree(stored)
        assert tree.short_name(BODY) == "Сычёвский район"  # ... so made from the name
        assert tree.short_name(SCHOOL) == "СШ № 1 Вязьма"
        assert tree.search("сычевский район") == [BODY]
    finally:
        await database.dispose()

    downgrade(url, "0007")  # and back: the registry stays
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM organisations")).scalar_one()
    engine.dispose()
    assert count == 2


def test_the_migrations_make_the_tables_exactly(blank_database_url: str) -> None:
    """Alembic's autogenerate, from empty to head, finds nothing to change: types, server
    defaults, indexes and constraints as storage/tables.py says."""
    url = blank_database_url
    migrate(url, "head")
    engine = create_engine(sync_url(url))
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        drift = compare_metadata(context, metadata)
    engine.dispose()
    assert drift == []
