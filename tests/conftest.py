from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from bot.services.clock import FixedClock
from bot.services.organisations import OrganisationService
from bot.services.roadmaps import RoadmapService
from bot.services.snapshots import Snapshots
from bot.services.tasks import TaskService
from storage.db import Database
from tests.backends import ON_POSTGRESQL, PostgresDatabases, sqlite_url

# Shared 2-core CI machines are noisy: a property is judged by what it finds, not by how
# fast one example ran (speed is measured in benchmarks/).
settings.register_profile("roadmap", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("roadmap")

DATA = Path(__file__).parent / "data"
SMOLENSK_DOCX = DATA / "smolensk-order-319-OD.docx"
SMOLENSK_TXT = DATA / "smolensk-order-319-OD.txt"
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """With TEST_DATABASE_URL, the session's PostgreSQL databases (tests/backends.py)."""
    if not ON_POSTGRESQL:
        yield None
        return
    databases = PostgresDatabases()
    yield databases
    databases.close()


@pytest.fixture
def database_url(tmp_path: Path, postgres_databases: PostgresDatabases | None) -> Iterator[str]:
    """This test's own database: an SQLite file in tmp_path (not there yet), or with
    TEST_DATABASE_URL a PostgreSQL database at the newest migration, with no rows."""
    if postgres_databases is None:
        yield sqlite_url(tmp_path)
        return
    with postgres_databases.fresh() as url:
        yield url


@pytest.fixture
def other_database_url(
    tmp_path: Path, postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """A second database of the test's own, as `database_url`."""
    if postgres_databases is None:
        yield sqlite_url(tmp_path, "other.db")
        return
    with postgres_databases.fresh() as url:
        yield url


@pytest.fixture
def blank_database_url(
    tmp_path: Path, postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """A database with no schema at all, for tests of migrations from an older revision."""
    if postgres_databases is None:
        yield sqlite_url(tmp_path, "blank.db")
        return
    with postgres_databases.blank() as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await db.upgrade()
    yield db
    await db.dispose()


@pytest.fixture
def roadmaps(database: Database, clock: FixedClock) -> RoadmapService:
    return RoadmapService(database, clock, "Europe/Moscow")


@pytest.fixture
def snapshots(database: Database) -> Snapshots:
    return Snapshots(database)


@pytest.fixture
def tasks(database: Database, clock: FixedClock, snapshots: Snapshots) -> TaskService:
    return TaskService(database, clock, snapshots, "Europe/Moscow")


@pytest.fixture
def organisations(database: Database, clock: FixedClock) -> OrganisationService:
    return OrganisationService(database, clock, Snapshots(database))


SLOW = ("tests/e2e/", "test_campaign.py", "test_crash.py", "test_shares_season.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """End-to-end runs and whole simulated seasons are `e2e`: the inner loop is
    `pytest -m "not e2e"`; CI runs everything."""
    for item in items:
        path = item.path.as_posix()
        if any(part in path for part in SLOW):
            item.add_marker(pytest.mark.e2e)
