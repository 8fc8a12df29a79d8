"""A department with the Smolensk roadmap and registry loaded, and a bot to talk to."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import App, bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.domain.access import Role
from bot.services.clock import FixedClock
from bot.services.people import CLI
from storage.people import PeopleStore
from tests.bot.recording import RecordingSession, Sent, text_update
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

# Telegram user ids: far from the people's numbers (1, 2, 3 … as they join), so that a test
# mistaking one for the other cannot pass by accident.
TELEGRAM_IDS = 10_000_000
ADMIN, COORDINATOR, REP, OBSERVER, STRANGER, OTHER_REP = (
    TELEGRAM_IDS + n for n in (1001, 2001, 3001, 4001, 5001, 3002)
)
DEPARTMENT = "Департамент Смоленской области по образованию и науке"
CITY = "Комитет по образованию Администрации города Смоленска"
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
OTHER_SCHOOL = "МБОУ «Велижская СШ № 1»"

PARTY_LINKS = {
    1: "Департамент Смоленской области",
    2: "все органы",
    3: "все школы",
    4: "все школы",
    5: "все колледжи",
    6: "Смоленский областной институт развития образования",
}


@dataclass
class World:
    app: App
    bot: Bot
    dispatcher: Dispatcher
    session: RecordingSession
    clock: FixedClock
    update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _user(self, user_id: int, language: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"Person {user_id}",
            "language_code": language,
        }

    async def feed(self, update: dict[str, Any]) -> list[Sent]:
        before = len(self.session.sent)
        await self.dispatcher.feed_update(self.bot, Update.model_validate(update))
        return self.session.sent[before:]

    def message_update(
        self, user_id: int, text: str, *, chat_id: int | None = None, language: str = "ru"
    ) -> dict[str, Any]:
        return text_update(
            next(self.update_ids),
            user_id,
            text,
            date=int(self.clock.now().timestamp()),
            message_id=next(self.message_ids),
            chat_id=chat_id,
            language=language,
        )

    async def send(
        self, user_id: int, text: str, *, chat_id: int | None = None, language: str = "ru"
    ) -> list[Sent]:
        return await self.feed(
            self.message_update(user_id, text, chat_id=chat_id, language=language)
        )

    async def press(
        self, user_id: int, message: Sent, label: str, language: str = "ru"
    ) -> list[Sent]:
        return await self.feed(
            {
                "update_id": next(self.update_ids),
                "callback_query": {
                    "id": f"cb{next(self.message_ids)}",
                    "from": self._user(user_id, language),
                    "chat_instance": "1",
                    "data": message.callback(label),
                    "message": {
                        "message_id": message.message_id,
                        "date": int(self.clock.now().timestamp()),
                        "chat": {
                            "id": message.chat_id,
                            "type": "private" if message.chat_id > 0 else "group",
                            "title": "Группа",
                        },
                        "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                        "text": message.text,
                    },
                },
            }
        )

    async def number(self, user_id: int) -> int | None:
        """The number of the person known in Telegram as `user_id` (None: nobody)."""
        async with self.app.database.transaction(write=False) as connection:
            return await PeopleStore(connection).person_of("telegram", str(user_id))

    async def join(self, user_id: int, role: Role, organisation: str | None) -> list[Sent]:
        invite = await self.app.people.create_invite(CLI, role, organisation)
        return await self.send(user_id, f"/start {invite.token}")


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))  # 10:00 in Smolensk
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        admin_ids=(ADMIN,),
    )
    async with open_app(settings, clock=clock) as app:
        await app.roadmaps.import_document(SMOLENSK_DOCX)
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        for index, target in PARTY_LINKS.items():
            await app.parties.assign(CLI, index, target)
        session = RecordingSession()
        bot = Bot(token="42:TEST", session=session, default=bot_defaults())
        await app.ledger.load()
        yield World(app, bot, build_dispatcher(app), session, clock)


@pytest.fixture
async def staffed(world: World) -> World:
    """Everyone onboarded: admin (by ADMIN_IDS), coordinator, two reps, an observer."""
    await world.send(ADMIN, "/start")
    await world.join(COORDINATOR, Role.COORDINATOR, CITY)
    await world.join(REP, Role.REP, SCHOOL)
    await world.join(OTHER_REP, Role.REP, OTHER_SCHOOL)
    await world.join(OBSERVER, Role.OBSERVER, None)
    world.session.sent.clear()
    return world
