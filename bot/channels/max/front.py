"""MAX's front end: one update translated (``inbound``) and fed to the bot's dispatcher.

The dispatcher is the one Telegram's updates go through: the same routers, filters,
FSM and middlewares. ``feed_update`` gets the event's key (``event_key=EventKey("max", …)``),
so the ledger drops a redelivered event and the person is identified in MAX, and the
session learns which button press is in hand.

``bot_stopped`` reaches no handler (Telegram's handlers have none for being blocked; its
sender learns it from a 403): the dialog is marked unreachable at once, as the sender does
on a 403, and ``/start`` (``bot_started``) makes it reachable again (the start handler's
``reachable_again``).

A failure the error handler calls transient comes out of ``deliver`` as
``TransientFailure`` (unless ``last_attempt``), for the poller or the webhook to try again
later; any other failure was answered by the error handler and is done.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING

from aiogram.types import Update

from bot.channels.max.inbound import BotIdentity, Inbound, translate
from bot.channels.max.session import MaxSession
from bot.channels.max.updates import MaxUpdate
from bot.domain.channels import MAX
from bot.runtime import LAST_ATTEMPT
from bot.services.clock import Clock
from storage.db import Database
from storage.outbox import OutboxStore

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)

STOPPED = "MAX: the user stopped the bot (bot_stopped)"


class MaxFrontEnd:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        database: Database,
        clock: Clock,
        identity: BotIdentity,
    ) -> None:
        if not isinstance(bot.session, MaxSession):
            raise TypeError("the MAX front end needs a Bot on a MaxSession")
        self.bot = bot
        self.session: MaxSession = bot.session
        self.dispatcher = dispatcher
        self.database = database
        self.clock = clock
        self.identity = identity
        self._update_ids = itertools.count(1)  # aiogram wants one; nothing relies on it

    def translate(self, update: MaxUpdate) -> Inbound | None:
        return translate(update, self.identity, next(self._update_ids))

    async def deliver(self, inbound: Inbound, *, last_attempt: bool = True) -> None:
        """Handle one translated update (see the module)."""
        if inbound.stopped is not None:
            async with self.database.transaction() as connection:
                await OutboxStore(connection).mark_unreachable(
                    inbound.stopped, STOPPED, self.clock.now(), channel=MAX
                )
            log.info("MAX dialog %s stopped the bot", inbound.stopped)
            return
        if inbound.update is None:
            return
        update = Update.model_validate(inbound.update, context={"bot": self.bot})
        with self.session.pressing(inbound.press):
            await self.dispatcher.feed_update(
                self.bot, update, event_key=inbound.key, **{LAST_ATTEMPT: last_attempt}
            )

    async def handle(self, update: MaxUpdate, *, last_attempt: bool = True) -> None:
        inbound = self.translate(update)
        if inbound is not None:
            await self.deliver(inbound, last_attempt=last_attempt)
