"""One person in Telegram and MAX, seen from MAX: the real dispatcher fed by the MAX front end
(the fake MAX server over real HTTP). Joining in MAX offers a personal Telegram link; a
personal MAX link made for someone who joined in Telegram adds MAX to that same person; a
used one is answered in MAX and changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App, build_dispatcher, open_app
from bot.channels.max.api import MaxApi
from bot.channels.max.channel import MaxChannel
from bot.config import Settings
from bot.domain.access import Role
from bot.domain.channels import MAX, TELEGRAM, Address
from bot.services.clock import FixedClock
from bot.services.people import CLI, Linked
from storage.tables import identities
from tests.bot.conftest import SCHOOL
from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.fake_max import FakeMax, MaxUser, SentMessage

TELEGRAM_BOT = "roadmap_test_bot"
ANNA_TELEGRAM = 10_007_001
LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]{32})")


@dataclass
class Both:
    app: App
    fake: FakeMax
    channel: MaxChannel

    async def said(self, user: MaxUser, contains: str) -> SentMessage:
        poller = self.channel.poller
        assert poller is not None
        await poller.poll_once()
        return await self.fake.wait_for_message(self.fake.dialog_id(user), contains)


@pytest.fixture
async def both(database_url: str, tmp_path: Path) -> AsyncIterator[Both]:
    async with FakeMax() as fake:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            bot_token="42:TEST",
            max_token=fake.token,
            max_api_url=fake.url,
        )
        clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
        async with open_app(settings, clock=clock) as app:
            await app.roadmaps.import_document(SMOLENSK_DOCX)
            await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
            app.bot_names.know(TELEGRAM, TELEGRAM_BOT)  # what the Telegram side's getMe says
            await app.ledger.load()
            channel = MaxChannel(app, api=MaxApi(fake.token, base_url=fake.url), polling_timeout=0)
            await channel.prepare(build_dispatcher(app))
            try:
                yield Both(app, fake, channel)
            finally:
                await channel.stop()


async def max_ids(app: App) -> list[tuple[int, str]]:
    async with app.database.transaction(write=False) as connection:
        rows = await connection.execute(
            select(identities.c.person_id, identities.c.external_id).where(
                identities.c.channel == MAX
            )
        )
        return [(int(person), str(external)) for person, external in rows]


async def test_joining_in_max_offers_telegram(both: Both) -> None:
    anna = both.fake.user(7_101, "Анна")
    invite = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    both.fake.start_bot(anna, payload=invite.token)
    welcome = await both.said(anna, "Готово: вы подключены")
    text = welcome.text or ""
    assert f"Получать напоминания также в Telegram: https://t.me/{TELEGRAM_BOT}?start=" in text
    (token,) = LINK.findall(text)
    person = await both.app.people.identify(TELEGRAM, ANNA_TELEGRAM, "Анна", None, "ru")
    linked = await both.app.people.redeem(person, token)
    assert isinstance(linked, Linked)
    assert linked.person.addresses == (
        Address(MAX, both.fake.dialog_id(anna)),
        Address(TELEGRAM, ANNA_TELEGRAM),
    )


async def test_a_personal_max_link_adds_max_to_someone_from_telegram(both: Both) -> None:
    invite = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    joined = await both.app.people.redeem(
        await both.app.people.identify(TELEGRAM, ANNA_TELEGRAM, "Анна", None, "ru"), invite.token
    )
    personal = await both.app.people.channel_invite(joined.person, MAX)
    anna = both.fake.user(7_102, "Анна")
    both.fake.start_bot(anna, payload=personal.token)
    done = await both.said(anna, "Готово: вы подключены и в MAX")
    assert "/mytasks" in (done.text or "")
    assert await max_ids(both.app) == [(joined.person.id, "7102")]

    boris = both.fake.user(7_103, "Борис")
    both.fake.start_bot(boris, payload=personal.token)
    used = await both.said(boris, "Эта ссылка уже использована.")
    assert "Новую пришлёт команда /start" in (used.text or "")
    assert await max_ids(both.app) == [(joined.person.id, "7102")]
