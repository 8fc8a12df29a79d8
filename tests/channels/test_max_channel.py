"""The bot in MAX: the real dispatcher (the routers Telegram's updates go through), fed by the
MAX front end from the fake MAX server over real HTTP, answering through MaxSession."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Dispatcher
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.app import App, build_dispatcher, open_app
from bot.channels.max.api import MaxApi
from bot.channels.max.channel import MaxChannel
from bot.config import Settings
from bot.domain.access import Role
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.people import CLI
from bot.services.updates import UpdateLedger
from storage.markers import MarkerStore
from storage.outbox import OutboxStore
from storage.people import PeopleStore
from storage.tables import identities, weekly_reports
from tests.bot.conftest import PARTY_LINKS, SCHOOL
from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.fake_max import FakeMax, MaxUser, SentMessage

ADMIN_ID, REP_ID, STRANGER_ID = 7_001, 7_002, 7_003
FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, the first due day
SECRET = "max-webhook-secret"


@dataclass
class MaxWorld:
    app: App
    fake: FakeMax
    dispatcher: Dispatcher
    clock: FixedClock
    channel: MaxChannel

    def channel_for(self, app: App | None = None, **options: Any) -> MaxChannel:
        """Another MaxChannel on the same fake MAX (a restart, or webhook mode)."""
        api = MaxApi(self.fake.token, base_url=self.fake.url)
        return MaxChannel(app or self.app, api=api, polling_timeout=0, **options)

    async def poll(self, channel: MaxChannel | None = None) -> int:
        """One batch, handled and confirmed; how many updates came."""
        poller = (channel or self.channel).poller
        assert poller is not None
        return await poller.poll_once()

    async def said(self, user: MaxUser, contains: str, *, since: int = 0) -> SentMessage:
        await self.poll()
        return await self.fake.wait_for_message(self.fake.dialog_id(user), contains, since=since)

    async def join(self, user: MaxUser, role: Role, organisation: str | None) -> SentMessage:
        invite = await self.app.people.create_invite(CLI, role, organisation)
        self.fake.start_bot(user, payload=invite.token)
        return await self.said(user, "Готово: вы подключены")


@pytest.fixture
async def fake() -> AsyncIterator[FakeMax]:
    async with FakeMax() as server:
        yield server


@pytest.fixture
async def world(database_url: str, tmp_path: Path, fake: FakeMax) -> AsyncIterator[MaxWorld]:
    clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        admin_ids=(f"max:{ADMIN_ID}",),
    )
    async with open_app(settings, clock=clock) as app:
        await app.roadmaps.import_document(SMOLENSK_DOCX)
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        for index, target in PARTY_LINKS.items():
            await app.parties.assign(CLI, index, target)
        await app.ledger.load()
        dispatcher = build_dispatcher(app)
        channel = MaxChannel(app, api=MaxApi(fake.token, base_url=fake.url), polling_timeout=0)
        await channel.prepare(dispatcher)
        try:
            yield MaxWorld(app, fake, dispatcher, clock, channel)
        finally:
            await channel.stop()


async def test_an_invite_deep_link_joins_the_person_in_max(world: MaxWorld) -> None:
    rep = world.fake.user(REP_ID, "Анна", last_name="Петрова")
    welcome = await world.join(rep, Role.REP, SCHOOL)
    assert SCHOOL in (welcome.text or "")
    assert welcome.format == "html"
    async with world.app.database.transaction(write=False) as connection:
        number = await PeopleStore(connection).person_of("max", str(REP_ID))
        [dialog] = await connection.scalars(
            select(identities.c.chat_id).where(identities.c.external_id == str(REP_ID))
        )
    assert number is not None
    assert dialog == world.fake.dialog_id(rep)  # MAX's dialog, not the user id


async def test_start_without_a_payload_and_a_view_command(world: MaxWorld) -> None:
    stranger = world.fake.user(STRANGER_ID, "Гость")
    world.fake.start_bot(stranger)
    help_text = await world.said(stranger, "Чтобы начать работу, попросите")
    admin = world.fake.user(ADMIN_ID, "Админ")
    world.fake.start_bot(admin)
    admin_help = await world.said(admin, "")  # ADMIN_IDS' max:7001 is an admin from the start
    assert admin_help.text != help_text.text
    sent = len(world.fake.messages_to(world.fake.dialog_id(admin)))
    world.fake.send_text(admin, "/status")
    status = await world.said(admin, "", since=sent)
    assert status.text != help_text.text
    assert "просрочен" in (status.text or "").lower()


async def test_a_button_press_is_answered_with_the_new_page(world: MaxWorld) -> None:
    admin = world.fake.user(ADMIN_ID, "Админ")
    world.fake.start_bot(admin)
    world.fake.send_text(admin, "/tasks")
    listing = await world.said(admin, "Мероприятия (22 из 22), стр. 1/3")
    world.fake.tap(admin, listing, "▶️")
    await world.poll()
    [answer] = world.fake.answers
    assert answer.message is not None
    assert "стр. 2/3" in answer.message["text"]
    page = world.fake.message(listing.mid)
    assert "стр. 2/3" in (page.text or "")  # the pressed message itself shows page 2
    assert page.keyboard  # its buttons are sent again


async def test_a_weekly_number_is_taken_from_max(world: MaxWorld) -> None:
    rep = world.fake.user(REP_ID, "Анна")
    await world.join(rep, Role.REP, SCHOOL)
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY
    world.fake.send_text(rep, "38")
    taken = await world.said(rep, "Педагоги, написавшие не менее 10 сообщений за неделю: 38")
    assert "Ещё ждём" in (taken.text or "")
    async with world.app.database.transaction(write=False) as connection:
        stored = [row.value for row in await connection.execute(select(weekly_reports))]
    assert stored == [38]


async def test_a_message_delivered_twice_is_handled_once(world: MaxWorld) -> None:
    rep = world.fake.user(REP_ID, "Анна")
    await world.join(rep, Role.REP, SCHOOL)
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY
    world.fake.send_text(rep, "38")
    raw = world.fake.pending_updates[-1]
    await world.said(rep, ": 38")
    before = len(world.fake.messages_to(world.fake.dialog_id(rep)))
    world.fake.add_raw_update(raw)  # the same mid again
    assert await world.poll() == 1
    assert await world.poll() == 0  # confirmed
    assert len(world.fake.messages_to(world.fake.dialog_id(rep))) == before
    async with world.app.database.transaction(write=False) as connection:
        assert len(list(await connection.execute(select(weekly_reports)))) == 1


async def test_a_restart_before_confirming_gets_the_batch_again_and_handles_it_once(
    world: MaxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = world.fake.user(ADMIN_ID, "Админ")
    world.fake.start_bot(admin)
    await world.said(admin, "")
    marker = await _stored_marker(world.app)
    assert marker is not None
    assert await world.poll() == 0
    assert world.fake.confirmed_marker == marker  # the next poll confirmed the batch

    world.fake.send_text(admin, "/whoami")
    world.fake.send_text(admin, "/help")
    real_put = MarkerStore.put

    async def crash(*args: Any) -> None:
        raise RuntimeError("the process died before storing the marker")

    monkeypatch.setattr(MarkerStore, "put", crash)
    with pytest.raises(RuntimeError):
        await world.poll()  # both handled, nothing confirmed
    dialog = world.fake.dialog_id(admin)
    answered = len(world.fake.messages_to(dialog))
    assert len(world.fake.pending_updates) == 2
    assert await _stored_marker(world.app) == marker

    # A new process: its ledger read back from the database, its own dispatcher and channel.
    monkeypatch.setattr(MarkerStore, "put", real_put)
    ledger = UpdateLedger(world.app.database, world.clock)
    await ledger.load()
    restarted = dataclasses.replace(world.app, ledger=ledger)
    channel = world.channel_for(restarted)
    await channel.prepare(build_dispatcher(restarted))
    try:
        assert await world.poll(channel) == 2  # the same two, again
        assert await world.poll(channel) == 0
    finally:
        await channel.stop()
    assert len(world.fake.messages_to(dialog)) == answered  # neither answered twice
    assert not world.fake.pending_updates
    assert await _stored_marker(world.app) == world.fake.confirmed_marker
    assert len(world.fake.calls("GET /updates")) >= 5


async def test_the_background_poller_serves_until_stopped(world: MaxWorld) -> None:
    channel = world.channel_for()
    await channel.start(world.dispatcher)
    try:
        admin = world.fake.user(ADMIN_ID, "Админ")
        world.fake.start_bot(admin)
        world.fake.send_text(admin, "/whoami")
        await world.fake.wait_for_message(world.fake.dialog_id(admin), "Админ, id")
    finally:
        await channel.stop()
    assert await _stored_marker(world.app) is not None


async def test_a_stopped_bot_marks_the_dialog_unreachable_until_started_again(
    world: MaxWorld,
) -> None:
    rep = world.fake.user(REP_ID, "Анна")
    await world.join(rep, Role.REP, SCHOOL)
    dialog = world.fake.dialog_id(rep)
    world.fake.stop_bot(rep)
    await world.poll()
    assert ("max", dialog) in await _unreachable(world.app)
    world.fake.start_bot(rep)
    await world.said(rep, "/help", since=len(world.fake.messages_to(dialog)))
    assert ("max", dialog) not in await _unreachable(world.app)


async def test_a_file_is_downloaded_through_its_url(world: MaxWorld) -> None:
    admin = world.fake.user(ADMIN_ID, "Админ")
    world.fake.start_bot(admin)
    await world.said(admin, "")
    before = len(world.fake.downloads)
    world.fake.send_file(admin, "report.csv", "Организация;Показатель;Значение\n".encode())
    await world.poll()
    assert len(world.fake.downloads) == before + 1  # the handler read the file from MAX


async def test_webhook_pushes_are_handled_once_and_need_the_secret(world: MaxWorld) -> None:
    web_app = web.Application()
    server = TestServer(web_app)
    channel = world.channel_for(webhook_url="http://placeholder/max/hook", webhook_secret=SECRET)
    channel.register_webhook(web_app, "/max/hook")
    await server.start_server()
    try:
        url = str(server.make_url("/max/hook"))
        channel.webhook_url = url
        await channel.start(world.dispatcher)
        admin = world.fake.user(ADMIN_ID, "Админ")
        world.fake.start_bot(admin)
        world.fake.send_text(admin, "/whoami")
        [raw] = [u for u in world.fake.pending_updates if u["update_type"] == "message_created"]
        dialog = world.fake.dialog_id(admin)
        await world.fake.wait_for_message(dialog, "Админ, id")
        await _until(lambda: not world.fake.pending_updates)
        answered = len(world.fake.messages_to(dialog))
        world.fake.add_raw_update(raw)  # MAX pushes it again
        await _until(lambda: not world.fake.pending_updates)
        assert len(world.fake.messages_to(dialog)) == answered
        assert all(d.status == 200 for d in world.fake.deliveries)
        async with aiohttp.ClientSession() as client:
            async with client.post(url, json=raw) as wrong:
                assert wrong.status == 401
            headers = {"X-Max-Bot-Api-Secret": "not-it"}
            async with client.post(url, json=raw, headers=headers) as wrong:
                assert wrong.status == 401
    finally:
        await channel.stop()
        await server.close()


async def _stored_marker(app: App) -> int | None:
    async with app.database.transaction(write=False) as connection:
        return await MarkerStore(connection).get("max")


async def _unreachable(app: App) -> set[tuple[str, int]]:
    async with app.database.transaction(write=False) as connection:
        return await OutboxStore(connection).unreachable_everywhere()


async def _until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
