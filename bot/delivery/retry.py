"""Telegram says "slow down" (429) or stumbles (5xx, network): try the same request again.

A bot request middleware, so every reply, edit and menu update gets it. Bounded: after a few
tries the error goes to the caller (the error handler), never an endless loop. A 429 waits
exactly `retry_after`; other failures back off 0.5 s, 1 s, 2 s. getUpdates is left to
aiogram's polling loop, which has its own backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
MAX_RETRY_AFTER = 60.0  # a longer demand fails the reply rather than freezing a handler


class RetryRequests(BaseRequestMiddleware):
    def __init__(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__:
            return await make_request(bot, method)
        backoff = 0.5
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == MAX_ATTEMPTS or error.retry_after > MAX_RETRY_AFTER:
                    raise
                log.warning("%s: 429, waiting %s s", type(method).__name__, error.retry_after)
                await self.sleep(float(error.retry_after))
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == MAX_ATTEMPTS:
                    raise
                log.warning(
                    "%s failed (%s), retrying in %s s", type(method).__name__, error, backoff
                )
                await self.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")
