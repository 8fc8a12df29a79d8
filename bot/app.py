"""The one composition root: settings in, a ready application out.

Storage, services (and, as they arrive, the Bot, the Dispatcher and the scheduler) are built
here and nowhere else, then handed down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.render.texts import Texts
from bot.services.clock import Clock, SystemClock
from bot.services.organisations import OrganisationService
from bot.services.roadmaps import RoadmapService
from storage.db import Database


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    database: Database
    clock: Clock
    texts: Texts
    roadmaps: RoadmapService
    organisations: OrganisationService


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Build everything, bring the schema up to date, and close the database on the way out."""
    clock = clock or SystemClock()
    database = Database(settings.database_url)
    try:
        await database.upgrade()
        yield App(
            settings=settings,
            database=database,
            clock=clock,
            texts=Texts(settings.language),
            roadmaps=RoadmapService(database, clock, settings.timezone),
            organisations=OrganisationService(database, clock),
        )
    finally:
        await database.dispose()
