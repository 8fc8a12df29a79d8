"""Each channel's rows go out through that channel's transport, paced and failing on their own:
a MAX row reaches the fake MAX, a Telegram row the fake Telegram, and MAX's trouble (a user who
stopped the bot, a refused token) touches no Telegram row."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot

from bot.app import Reminders, max_api, open_app
from bot.channels.max import MaxApi, MaxTransport
from bot.channels.max.delivery import MaxDelivery
from bot.channels.telegram.transport import TelegramTransport
from bot.config import load_settings
from bot.delivery import transport as neutral
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Delivery, Sender
from bot.domain.channels import MAX, TELEGRAM, Address, Identity
from bot.messages import Attachment, Button, Outgoing
from bot.render.telegram import split_message
from bot.services.clock import SystemClock
from storage.db import Database
from storage.outbox import NewMessage, OutboxStore
from storage.people import PeopleStore
from tests.delivery.support import ROUND, TOKEN, all_rows, payload_as_text, plan
from tests.fake_max import FakeMax
from tests.fake_telegram import FakeTelegram

MAX_TOKEN = "max-test-token"
FAST = RateLimits(per_second=200, per_chat_per_second=10, per_group_per_minute=100)
CLOCK = SystemClock()
ANNA, BORIS = 1001, 1002  # MAX user ids
TELEGRAM_CHAT = 10_000_042


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax(token=MAX_TOKEN) as server:
        server.rate_limit(None, None)
        yield server
    assert server.internal_errors == []


@pytest.fixture
async def api(fake_max: FakeMax) -> AsyncIterator[MaxApi]:
    async with MaxApi(MAX_TOKEN, base_url=fake_max.url, request_timeout=2) as client:
        yield client


def delivery(database: Database, bot: Bot, api: MaxApi) -> Delivery:
    return Delivery(
        Sender(database, transport, CLOCK, payload_as_text, limits=FAST)
        for transport in (TelegramTransport(bot), MaxDelivery(MaxTransport(api)))
    )


async def know(database: Database, user_id: int, chat_id: int | None) -> None:
    """A MAX person: their user id, and their dialog's chat id when known."""
    async with database.transaction() as connection:
        await PeopleStore(connection).identify(
            Identity(MAX, str(user_id), chat_id),
            name=f"user {user_id}",
            username=None,
            language="ru",
            now=CLOCK.now(),
        )


def row(channel: str, chat_id: int, text: str, kind: str = "digest") -> NewMessage:
    return NewMessage(chat_id, None, kind, ROUND, text, CLOCK.now(), channel=channel)


def held(channel: str, chat_id: int, text: str) -> NewMessage:
    """A reply held back in the outbox, which the bot's own composer says as it is."""
    payload = json.dumps({"text": text, "buttons": None})
    return NewMessage(
        chat_id, None, f"reply:{chat_id}", ROUND, payload, CLOCK.now(), channel=channel
    )


async def test_each_row_goes_out_in_its_own_channel(
    db: Database, bot: Bot, fake: FakeTelegram, fake_max: FakeMax, api: MaxApi
) -> None:
    fake_max.user(ANNA, "Анна")
    fake_max.start_bot(ANNA)
    dialog = fake_max.dialog_id(ANNA)
    await know(db, ANNA, dialog)
    await plan(
        db,
        [
            row(TELEGRAM, TELEGRAM_CHAT, "<b>Привет</b> из Telegram"),
            row(MAX, dialog, "<b>Привет</b> из MAX"),
        ],
        CLOCK.now(),
    )
    stats = await delivery(db, bot, api).drain()
    assert (stats.sent, stats.failed) == (2, 0)
    [telegram_said] = fake.messages_to(TELEGRAM_CHAT)
    assert telegram_said.text == "Привет из Telegram"
    [max_said] = fake_max.messages_to(dialog)
    assert (max_said.text, max_said.source_text) == ("Привет из MAX", "<b>Привет</b> из MAX")
    assert max_said.format == "html"
    assert fake_max.calls("POST /messages")[0].query["chat_id"] == str(dialog)
    rows = {r.channel: r for r in await all_rows(db)}
    assert rows[MAX].message_id == max_said.mid
    assert rows[TELEGRAM].message_id == str(telegram_said.message_id)


async def test_a_person_max_knows_only_by_user_id_is_written_to_by_it(
    db: Database, bot: Bot, fake_max: FakeMax, api: MaxApi
) -> None:
    """No dialog id stored (an admin from ADMIN_IDS who has not written yet): `user_id=`;
    once the dialog is known, rows planned for the user id still go by user id."""
    for user in (ANNA, BORIS):
        fake_max.user(user)
        fake_max.start_bot(user)
    await know(db, ANNA, None)
    await know(db, BORIS, None)
    await plan(db, [row(MAX, ANNA, "Анне"), row(MAX, BORIS, "Борису")], CLOCK.now())
    await know(db, BORIS, fake_max.dialog_id(BORIS))  # learnt after the row was planned
    assert (await delivery(db, bot, api).drain()).sent == 2
    queries = [call.query for call in fake_max.calls("POST /messages")]
    assert sorted(q["user_id"] for q in queries) == [str(ANNA), str(BORIS)]
    assert [m.text for m in fake_max.messages_to(fake_max.dialog_id(ANNA))] == ["Анне"]
    assert [m.text for m in fake_max.messages_to(fake_max.dialog_id(BORIS))] == ["Борису"]


async def test_a_max_403_marks_that_chat_unreachable_and_telegram_goes_on(
    db: Database, bot: Bot, fake: FakeTelegram, fake_max: FakeMax, api: MaxApi
) -> None:
    fake_max.user(ANNA)
    fake_max.start_bot(ANNA)
    dialog = fake_max.dialog_id(ANNA)
    await know(db, ANNA, dialog)
    fake_max.stop_bot(ANNA)  # MAX answers 403 chat.denied from now on
    await plan(
        db,
        [
            row(MAX, dialog, "первое"),
            row(MAX, dialog, "второе", kind="ask"),
            row(TELEGRAM, dialog, "в Telegram тот же номер"),  # another channel's chat
            row(TELEGRAM, TELEGRAM_CHAT, "в Telegram"),
        ],
        CLOCK.now(),
    )
    stats = await delivery(db, bot, api).drain()
    assert stats.sent == 2
    assert len(fake_max.calls("POST /messages")) == 1  # the second was not tried
    assert fake_max.sent == []
    assert [m.text for m in fake.messages_to(dialog)] == ["в Telegram тот же номер"]
    assert [m.text for m in fake.messages_to(TELEGRAM_CHAT)] == ["в Telegram"]
    async with db.transaction() as connection:
        store = OutboxStore(connection)
        assert await store.unreachable(channel=MAX) == {dialog}
        assert await store.unreachable(channel=TELEGRAM) == set()
    by_text = {r.payload: r for r in await all_rows(db)}
    assert by_text["первое"].status == "failed"
    assert (by_text["первое"].reason or "").startswith("forbidden: ")
    assert "chat.denied" in (by_text["первое"].reason or "")
    assert by_text["второе"].status in {"failed", "cancelled"}
    assert "forbidden" in (by_text["второе"].reason or "")


async def test_a_refused_max_token_stops_max_alone(
    db: Database, bot: Bot, fake: FakeTelegram, fake_max: FakeMax
) -> None:
    fake_max.user(ANNA)
    fake_max.start_bot(ANNA)
    dialog = fake_max.dialog_id(ANNA)
    await plan(
        db, [row(MAX, dialog, "в MAX"), row(TELEGRAM, TELEGRAM_CHAT, "в Telegram")], CLOCK.now()
    )
    async with MaxApi("a-revoked-token", base_url=fake_max.url, request_timeout=2) as wrong:
        senders = delivery(db, bot, wrong)
        stop = asyncio.Event()
        running = asyncio.create_task(senders.run(stop, idle=0.05))
        await fake.wait_for_message(TELEGRAM_CHAT, timeout=5)
        await asyncio.sleep(0.2)  # MAX's sender tries, is refused, tries again
        stop.set()
        await asyncio.wait_for(running, 5)
    assert [m.text for m in fake.messages_to(TELEGRAM_CHAT)] == ["в Telegram"]
    assert fake_max.sent == []
    by_channel = {r.channel: r for r in await all_rows(db)}
    assert by_channel[TELEGRAM].status == "sent"
    assert (by_channel[MAX].status, by_channel[MAX].attempts) == ("pending", 0)  # untried


async def test_max_answers_in_the_senders_words(fake_max: FakeMax, api: MaxApi) -> None:
    transport = MaxDelivery(MaxTransport(api))
    fake_max.user(ANNA)
    fake_max.start_bot(ANNA)
    dialog = Address(MAX, fake_max.dialog_id(ANNA))
    hello = Outgoing("Привет", ((Button("Готово", data="t:qd:7"),),))
    assert transport.channel == MAX
    assert not transport.is_group(dialog)
    assert transport.is_group(Address(MAX, -70_000_000_001))
    assert not transport.is_group(Address(MAX, ANNA, "user"))
    mid = await transport.send(dialog, hello)
    assert fake_max.message(mid).text == "Привет"
    cases: list[tuple[int, str | None, type[neutral.DeliveryError]]] = [
        (429, None, neutral.RetryAfter),
        (503, None, neutral.Transient),
        (400, "proto.payload", neutral.Refused),
        (404, "chat.not.found", neutral.Unreachable),
        (401, "verify.token", neutral.AuthLost),
    ]
    for status, code, expected in cases:
        fake_max.fail("POST /messages", status=status, code=code)
        with pytest.raises(expected):
            await transport.send(dialog, hello)
    with pytest.raises(neutral.Refused, match="not for MAX"):
        await transport.send(dialog, Outgoing("x", ((Button("y", url="ftp://example.org"),),)))
    photo = Attachment("photo", "chart.png", tiny_png())
    mid = await transport.send(dialog, Outgoing("подпись", attachment=photo))
    assert fake_max.message(mid).text == "подпись"


async def test_telegram_answers_in_the_senders_words(bot: Bot, fake: FakeTelegram) -> None:
    transport = TelegramTransport(bot)
    chat = Address(TELEGRAM, TELEGRAM_CHAT, "chat")
    assert transport.is_group(Address(TELEGRAM, -100_123))
    assert not transport.is_group(chat)
    cases: list[tuple[int, type[neutral.DeliveryError]]] = [
        (429, neutral.RetryAfter),
        (502, neutral.Transient),
        (400, neutral.Refused),
        (403, neutral.Unreachable),
        (401, neutral.AuthLost),
    ]
    for status, expected in cases:
        fake.fail("sendMessage", status=status, times=1)
        with pytest.raises(expected):
            await transport.send(chat, Outgoing("Привет"))
    fake.clear_faults()
    long = "\n".join(f"строка {n} " + " ".join(["слово"] * 20) for n in range(80))
    ref = await transport.send(chat, Outgoing(long, ((Button("Ок", data="t:open:1"),),)))
    said = fake.messages_to(TELEGRAM_CHAT)
    assert [m.text for m in said] == split_message(long)  # no markup to lose here
    assert ref == str(said[-1].message_id)
    assert said[-1].button("Ок")["callback_data"] == "t:open:1"


async def test_the_running_bot_sends_in_every_configured_messenger(
    database_url: str, tmp_path: Path, fake: FakeTelegram, fake_max: FakeMax
) -> None:
    """The composition root: MAX_TOKEN set, a MAX sender runs beside Telegram's."""
    settings = load_settings(
        bot_token=TOKEN,
        max_token=MAX_TOKEN,
        database_url=database_url,
        telegram_api_url=fake.url,
        max_api_url=fake_max.url,
        _env_file=None,
    )
    fake_max.user(ANNA)
    fake_max.start_bot(ANNA)
    dialog = fake_max.dialog_id(ANNA)
    async with open_app(settings) as app:
        await know(app.database, ANNA, dialog)
        await plan(
            app.database,
            [held(MAX, dialog, "в MAX"), held(TELEGRAM, TELEGRAM_CHAT, "в Telegram")],
            CLOCK.now(),
        )
        reminders = Reminders(app)
        try:
            assert set(reminders.delivery.senders) == {TELEGRAM, MAX}
            stop = asyncio.Event()
            running = asyncio.create_task(reminders.delivery.run(stop, idle=0.05))
            await fake.wait_for_message(TELEGRAM_CHAT, timeout=5)
            await fake_max.wait_for_message(dialog, timeout=5)
            stop.set()
            await asyncio.wait_for(running, 5)
        finally:
            assert reminders.bot is not None  # BOT_TOKEN is set
            await reminders.bot.session.close()
            assert reminders.max_api is not None
            await reminders.max_api.close()
        assert [m.text for m in fake_max.messages_to(dialog)] == ["в MAX"]
        assert [m.text for m in fake.messages_to(TELEGRAM_CHAT)] == ["в Telegram"]
    without_max = load_settings(bot_token=TOKEN, _env_file=None)
    assert max_api(without_max) is None


def tiny_png() -> bytes:
    from tests.fake_max.test_fake_server import tiny_png as png

    return png()


async def test_a_row_for_a_later_round_waits_in_every_channel(
    db: Database, bot: Bot, fake_max: FakeMax, api: MaxApi
) -> None:
    later = CLOCK.now() + timedelta(hours=1)
    await plan(
        db,
        [NewMessage(5, None, "digest", ROUND, "позже", later, channel=MAX)],
        CLOCK.now(),
    )
    assert (await delivery(db, bot, api).drain()).ended == 0
    assert fake_max.calls("POST /messages") == []
