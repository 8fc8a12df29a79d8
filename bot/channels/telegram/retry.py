"""Telegram says "slow down" (429) or stumbles (5xx, network): try the same request again.

A bot request middleware, so every reply, edit and menu update gets it. Bounded: after a few
tries the error goes to the caller (the error handler), never an endless loop. A short 429
waits exactly `retry_after`; other failures back off 0.5 s, 1 s, 2 s. getUpdates is left to
the poller, which has its own backoff.

Replies to one chat are paced (`_pace`): a burst of three, then one a second, as Telegram
allows one chat; only that chat's handler waits.

A text reply told to wait longer than `HOLD_AFTER` is not waited for: it goes to the outbox
(`hold`), due when Telegram allows, and the handler carries on as if it were sent. So does a
text reply still refused with a 429 after the last try. So do the chat's next text replies
until then, so that they arrive in order. Other calls (files, edits, callback answers) are
per chat and rare; they wait, up to `MAX_RETRY_AFTER`, holding only their own chat.

The same middleware serves MAX's Bot (bot/channels/max/channel.py), whose session says these
calls on MAX: one rule for both. MAX's 429 carries no Retry-After; its session gives
`retry_after` from MaxApi's backoff (1 s, 2, 4, 8 … while 429s keep coming), so a reply is
tried again after 1, 2 and 4 s and then held. `limits` gives the chat's pace (Telegram's one
a second; MAX's two), and `hold` writes to the outbox in the bot's own channel.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, InlineKeyboardMarkup, Message

from bot.channels.telegram.markup import from_markup
from bot.messages import TELEGRAM_LIMITS, ChannelLimits, Outgoing

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0  # a longer demand fails the call rather than freezing a handler
HOLD_AFTER = 5.0  # a text reply told to wait longer than this goes to the outbox
PACE_BURST = 3  # replies to one chat sent at once (a reply of three messages) ...
PACE_INTERVAL = 1.0 / TELEGRAM_LIMITS.per_chat_per_second  # ... then Telegram's pace for a chat

Hold = Callable[[int, Outgoing, float], Awaitable[None]]


class RetryRequests(BaseRequestMiddleware):
    def __init__(
        self,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        hold: Hold | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        limits: ChannelLimits = TELEGRAM_LIMITS,
    ) -> None:
        self.sleep = sleep
        self.hold = hold
        self.monotonic = monotonic
        self.interval = 1.0 / limits.per_chat_per_second  # the pace for one chat
        self._held_until: dict[int, float] = {}  # chat id -> until when its replies are held
        self._full_at: dict[int, float] = {}  # chat id -> when its pace allows a burst again

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)
        await self._pace(method)
        holdable = self._holdable(method)
        if holdable is not None:
            chat_id, reply = holdable
            left = self._held_until.get(chat_id, 0.0) - self.monotonic()
            if left > 0:  # whole seconds: never due before the replies held earlier
                return await self._held(chat_id, reply, float(math.ceil(left)))
            self._held_until.pop(chat_id, None)
        backoff = 0.5
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                if holdable is not None and (wait > HOLD_AFTER or attempt == MAX_ATTEMPTS):
                    chat_id, reply = holdable
                    self._held_until[chat_id] = self.monotonic() + wait
                    log.warning("sendMessage: 429 for %s s, the reply goes to the outbox", wait)
                    return await self._held(chat_id, reply, wait)
                if attempt == MAX_ATTEMPTS or wait > MAX_RETRY_AFTER:
                    raise
                log.warning("%s: 429, waiting %s s", type(method).__name__, wait)
                await self.sleep(wait)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == MAX_ATTEMPTS:
                    raise
                log.warning(
                    "%s failed (%s), retrying in %s s", type(method).__name__, error, backoff
                )
                await self.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")

    async def _pace(self, method: TelegramMethod[Any]) -> None:
        """Replies to one chat keep to the messenger's pace for a chat: a burst of PACE_BURST,
        then one per `interval` seconds. Only that chat's handler waits."""
        if not method.__api_method__.startswith("send"):
            return
        chat_id = getattr(method, "chat_id", None)
        if not isinstance(chat_id, int):
            return
        now = self.monotonic()
        # A token bucket per chat, kept as the instant it is full again.
        full_at = max(self._full_at.get(chat_id, now), now)
        wait = full_at - now - (PACE_BURST - 1) * self.interval
        self._full_at[chat_id] = full_at + self.interval
        if len(self._full_at) > 4096:  # forget the chats that are full again
            self._full_at = {chat: at for chat, at in self._full_at.items() if at > now}
        if wait > 0:
            await self.sleep(wait)

    def _holdable(self, method: TelegramMethod[Any]) -> tuple[int, Outgoing] | None:
        """The chat and reply of a plain text message the outbox can send for us, if so."""
        if self.hold is None or not isinstance(method, SendMessage):
            return None
        if not isinstance(method.chat_id, int):
            return None  # a @channel name: not a chat the bot talks to
        explicit = not isinstance(method.parse_mode, Default)
        if (explicit and method.parse_mode != "HTML") or method.entities:
            return None  # the outbox sends HTML (the bot's default), nothing else
        markup = method.reply_markup
        if markup is not None and not isinstance(markup, InlineKeyboardMarkup):
            return None
        if not method.text:
            return None
        try:
            buttons = from_markup(markup)
        except ValueError:
            return None  # a button the outbox does not keep (a web app, an inline query)
        return method.chat_id, Outgoing(method.text, buttons)

    async def _held(self, chat_id: int, reply: Outgoing, seconds: float) -> Response[Any]:
        assert self.hold is not None
        await self.hold(chat_id, reply, seconds)
        # What the handler gets back: the message as it will be, not yet with its real id (0).
        # (A request middleware hands on the method's result; aiogram's session returns it.)
        chat = Chat(id=chat_id, type="private" if chat_id > 0 else "group")
        sent = Message(message_id=0, date=datetime.now(UTC), chat=chat, text=reply.text)
        return cast(Response[Any], sent)
