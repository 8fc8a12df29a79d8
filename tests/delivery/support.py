"""What the delivery tests share with the crash test's sender process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.channels.max import MaxApi, MaxTransport
from bot.channels.max.delivery import MaxDelivery
from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.transport import Transport
from bot.domain.channels import MAX, TELEGRAM
from bot.messages import Outgoing
from bot.services.clock import FixedClock
from storage.db import Database
from storage.outbox import NewMessage, OutboxRow, OutboxStore

TOKEN = "123456789:AAE2e-TestTokenForTheFakeServer_0123"
ROUND = date(2023, 4, 20)


def make_bot(api_url: str) -> Bot:
    """A plain Bot against the fake: no retry middleware (the sender owns its retries)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@asynccontextmanager
async def transport(channel: str, fake_url: str, token: str) -> AsyncIterator[Transport]:
    """The channel's transport against its fake, closed afterwards."""
    if channel == MAX:
        async with MaxApi(token, base_url=fake_url) as api:
            yield MaxDelivery(MaxTransport(api))
        return
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_url))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield TelegramTransport(bot)
    finally:
        await session.close()


async def payload_as_text(row: OutboxRow) -> Outgoing | None:
    """The trivial composer: the payload is the text; an empty payload has nothing to say."""
    return Outgoing(row.payload) if row.payload else None


def messages(
    chats: Iterable[int],
    not_before: datetime,
    *,
    kind: str = "digest",
    round_: date = ROUND,
    channel: str = TELEGRAM,
) -> list[NewMessage]:
    """A message to each chat (in Telegram a private chat's id is its person's too)."""
    person = (lambda chat: chat if chat > 0 else None) if channel == TELEGRAM else None
    return [
        NewMessage(
            chat,
            person(chat) if person else None,
            kind,
            round_,
            f"hello {chat}",
            not_before,
            channel=channel,
        )
        for chat in chats
    ]


async def plan(database: Database, planned: Iterable[NewMessage], now: datetime) -> int:
    async with database.transaction() as connection:
        return await OutboxStore(connection).add(planned, now)


async def all_rows(database: Database) -> list[OutboxRow]:
    async with database.transaction() as connection:
        return await OutboxStore(connection).rows()


async def counts(database: Database) -> dict[str, int]:
    async with database.transaction() as connection:
        return await OutboxStore(connection).counts()


class VirtualTime:
    """A clock that the sender's own sleeps move on: hours of backoff pass in milliseconds.

    Hand `clock`, `sleep` and `monotonic` to the Sender. A sleep moves the clock to when it
    would have ended (concurrent sleeps do not add up); `at` runs something once the clock
    has reached a moment (the messenger recovers, say).
    """

    def __init__(self, start: datetime) -> None:
        self.clock = FixedClock(start)
        self._events: list[tuple[datetime, Callable[[], None]]] = []

    def now(self) -> datetime:
        return self.clock.now()

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        self._events.append((moment, action))

    def advance_to(self, moment: datetime) -> None:
        if moment > self.clock.moment:
            self.clock.moment = moment
        due = [event for event in self._events if event[0] <= self.clock.moment]
        self._events = [event for event in self._events if event[0] > self.clock.moment]
        for _, action in due:
            action()

    async def sleep(self, seconds: float) -> None:
        until = self.clock.now() + timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)
        self.advance_to(until)
