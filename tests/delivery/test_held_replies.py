"""A reply Telegram tells to wait long (a 429 with a long retry_after) goes to the outbox
instead of holding the handler, and the sender delivers it when Telegram allows: in order,
once, with its buttons, and even in the recipient's quiet hours (they are waiting for it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import App, Reminders, build_bot, hold_replies, open_app
from bot.config import load_settings
from bot.delivery.sender import Sender
from bot.services.clock import FixedClock
from storage.outbox import NewMessage, OutboxStore
from tests.delivery.support import TOKEN
from tests.fake_telegram import FakeTelegram

LATE = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 23:00 in Moscow: quiet hours (21-8)
PERSON, OTHER = 42, 43


@pytest.fixture
async def app(database_url: str, tmp_path: Path, fake: FakeTelegram) -> AsyncIterator[App]:
    settings = load_settings(
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=fake.url,
        quiet_hours="21-8",
        _env_file=None,
    )
    async with open_app(settings, clock=FixedClock(LATE)) as opened:
        yield opened


async def test_a_reply_told_to_wait_long_is_sent_from_the_outbox(
    app: App, fake: FakeTelegram
) -> None:
    fake.user(PERSON, "Ирина")
    fake.user(OTHER, "Ольга")
    bot = build_bot(app.settings, hold=hold_replies(app))
    reminders = Reminders(app)
    try:
        fake.fail("sendMessage", status=429, retry_after=30, chat_id=PERSON)
        buttons = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Подробнее", callback_data="t:7")]]
        )
        first = await bot.send_message(PERSON, "<b>Статус</b>: 3 из 22", reply_markup=buttons)
        second = await bot.send_message(PERSON, "и ещё одно")
        other = await bot.send_message(OTHER, "Вам ответ сразу")

        # Nobody waited: one refused call for the person, the other person answered at once.
        assert [call.status for call in fake.calls("sendMessage")] == [429, 200]
        assert (first.message_id, second.message_id) == (0, 0)
        assert other.message_id != 0
        async with app.database.transaction(write=False) as connection:
            rows = await OutboxStore(connection).pending_for(PERSON)
        assert [row.kind.split(":")[0] for row in rows] == ["reply", "reply"]
        rows.sort(key=lambda row: row.id)
        # Due when Telegram allows; the second never before the first.
        assert rows[0].not_before == LATE + timedelta(seconds=30)
        assert rows[0].not_before <= rows[1].not_before <= LATE + timedelta(seconds=31)

        assert (await telegram_sender(reminders).drain()).sent == 0  # not before Telegram allows
        assert isinstance(app.clock, FixedClock)
        app.clock.advance(timedelta(seconds=31))
        stats = await telegram_sender(reminders).drain()
        assert (stats.sent, stats.failed) == (2, 0)
        said = fake.messages_to(PERSON)
        assert [message.text for message in said] == ["Статус: 3 из 22", "и ещё одно"]
        assert said[0].button("Подробнее")["callback_data"] == "t:7"
        assert (await telegram_sender(reminders).drain()).sent == 0  # once
    finally:
        await bot.session.close()
        assert reminders.bot is not None  # BOT_TOKEN is set
        await reminders.bot.session.close()


async def test_a_short_429_is_waited_for_in_place(app: App, fake: FakeTelegram) -> None:
    fake.user(PERSON, "Ирина")
    bot = build_bot(app.settings, hold=hold_replies(app))
    try:
        fake.fail("sendMessage", status=429, retry_after=1, chat_id=PERSON)
        sent = await bot.send_message(PERSON, "Статус")
        assert sent.message_id != 0
        assert [call.status for call in fake.calls("sendMessage")] == [429, 200]
        async with app.database.transaction(write=False) as connection:
            assert await OutboxStore(connection).pending_for(PERSON) == []
    finally:
        await bot.session.close()


async def test_a_reply_held_before_the_bot_was_channel_neutral_is_still_delivered(
    app: App, fake: FakeTelegram
) -> None:
    """Rows written by the last release hold Telegram's markup JSON as their buttons."""
    fake.user(PERSON, "Ирина")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Открыть", callback_data="t:open:7"),
                InlineKeyboardButton(text="План", url="https://example.org/plan"),
            ]
        ]
    )
    old = {"text": "<b>Статус</b>", "buttons": markup.model_dump_json(exclude_none=True)}
    async with app.database.transaction() as connection:
        await OutboxStore(connection).add(
            [
                NewMessage(
                    PERSON, None, "reply:0123456789abcdef", LATE.date(), json.dumps(old), LATE
                )
            ],
            LATE,
        )
    reminders = Reminders(app)
    try:
        assert (await telegram_sender(reminders).drain()).sent == 1
        [said] = fake.messages_to(PERSON)
        assert said.text == "Статус"
        assert said.button("Открыть")["callback_data"] == "t:open:7"
        assert said.button("План")["url"] == "https://example.org/plan"
    finally:
        assert reminders.bot is not None  # BOT_TOKEN is set
        await reminders.bot.session.close()


def telegram_sender(reminders: Reminders) -> Sender:
    assert reminders.sender is not None  # BOT_TOKEN is set
    return reminders.sender
