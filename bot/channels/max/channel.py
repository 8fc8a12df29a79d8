"""The MAX channel for the composition root: the same dispatcher, served in MAX.

::

    channel = MaxChannel(app, token=…, api_url=…)                        # long polling
    channel = MaxChannel(app, token=…, webhook_url=…, webhook_secret=…,
                         webhook_listen="0.0.0.0:8081")                   # or a webhook
    await channel.start(dispatcher)    # the dispatcher Telegram's updates go through
    ...
    await channel.stop()               # before app.ledger.close(): the ledger is shared

``start`` asks MAX who the bot is (``GET /me``), builds ``channel.bot`` (an aiogram ``Bot`` on
``MaxSession``: what handlers say goes to MAX, through the reply retries Telegram's Bot has:
a text reply MAX keeps refusing with 429 is held in the outbox for MAX's sender), publishes
the command menu (``PATCH /me/commands``: MAX has one for everyone) and either polls
(``MaxPoller``; a webhook subscription left over is removed first, as MAX does not poll while
one exists) or subscribes ``webhook_url`` with the secret and serves pushes (``MaxWebhook``) on
``webhook_listen``. Without ``webhook_listen`` the root mounts the pushes on its own aiohttp
application with ``channel.register_webhook(web_app, path)`` (before that application
starts); pushes that arrive before ``start`` finished are answered 503 (MAX retries).

The ledger of handled events (``app.ledger``) is shared with Telegram: the root loads it
before starting either channel and closes it after stopping both. ``stop`` finishes the
updates in hand and writes the ledger; the webhook subscription is kept (MAX holds the
updates for the next start).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from bot.app import App, bot_defaults, hold_replies
from bot.channels.max.api import DEFAULT_BASE_URL, MaxApi
from bot.channels.max.front import MaxFrontEnd
from bot.channels.max.inbound import BotIdentity
from bot.channels.max.poller import MaxPoller
from bot.channels.max.session import MaxSession
from bot.channels.max.transport import MaxTransport
from bot.channels.max.webhook import MaxWebhook
from bot.channels.telegram.retry import RetryRequests
from bot.domain.channels import MAX
from bot.messages import MAX_LIMITS

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher

log = logging.getLogger(__name__)

# The updates the bot acts on (inbound.py); MAX is asked for these only.
UPDATE_TYPES = ("message_created", "message_callback", "bot_started", "bot_stopped")


class MaxChannel:
    def __init__(
        self,
        app: App,
        *,
        token: str | None = None,
        api_url: str = DEFAULT_BASE_URL,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_listen: str | None = None,
        polling_timeout: int = 30,
        api: MaxApi | None = None,
    ) -> None:
        if api is None:
            if not token:
                raise ValueError("MAX needs a bot token (MAX_TOKEN)")
            api = MaxApi(token, base_url=api_url)
        if webhook_url is not None and not webhook_secret:
            raise ValueError("a MAX webhook needs a secret (MAX_WEBHOOK_SECRET)")
        self.app = app
        self.api = api
        self.transport = MaxTransport(api)
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_listen = webhook_listen
        self.polling_timeout = polling_timeout
        self.bot: Bot | None = None
        self.front: MaxFrontEnd | None = None
        self.poller: MaxPoller | None = None
        self.webhook: MaxWebhook | None = None
        self._stop = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, dispatcher: Dispatcher) -> None:
        """Serve MAX: poll in the background, or subscribe and serve the webhook."""
        await self.prepare(dispatcher)
        await self.publish_menu()
        if self.webhook_url is None:
            for url in await self.api.subscriptions():
                log.info("MAX: removing the webhook %s to poll", url)
                await self.api.unsubscribe(url)
            assert self.poller is not None
            self._polling = asyncio.create_task(self.poller.run(self._stop))
            return
        if self.webhook_listen is not None:
            web_app = web.Application()
            self.register_webhook(web_app)
            host, _, port = self.webhook_listen.rpartition(":")
            self._runner = web.AppRunner(web_app)
            await self._runner.setup()
            await web.TCPSite(self._runner, host or None, int(port)).start()
            log.info("MAX webhook serving on %s", self.webhook_listen)
        assert self.webhook_secret is not None
        await self.api.subscribe(
            self.webhook_url, secret=self.webhook_secret, update_types=UPDATE_TYPES
        )

    async def prepare(self, dispatcher: Dispatcher) -> None:
        """Build the Bot, the front end and the poller or webhook handler, serving nothing
        yet (``start`` does both; tests drive ``poller.poll_once`` themselves)."""
        from aiogram import Bot

        me = await self.api.me()
        identity = BotIdentity(me.user_id, me.first_name)
        app = self.app
        session = MaxSession(self.transport)
        session.middleware(RetryRequests(hold=hold_replies(app, MAX), limits=MAX_LIMITS))
        self.bot = Bot(
            token=f"{me.user_id}:max",  # aiogram wants Telegram's shape; MAX never sees it
            session=session,
            default=bot_defaults(),
        )
        self.front = MaxFrontEnd(self.bot, dispatcher, app.database, app.clock, identity)
        log.info("MAX bot @%s (%s) starting", me.username, me.user_id)
        if self.webhook_url is None:
            self.poller = MaxPoller(
                self.api,
                self.front,
                app.database,
                app.ledger,
                app.clock,
                polling_timeout=self.polling_timeout,
                types=UPDATE_TYPES,
            )
        else:
            assert self.webhook_secret is not None
            self.webhook = MaxWebhook(self.front, app.ledger, self.webhook_secret)

    async def publish_menu(self) -> None:
        """MAX's one command menu (handlers/menus.py says which commands)."""
        from handlers.menus import MenuPublisher

        assert self.bot is not None
        await MenuPublisher(self.app.settings.language).publish_shared(self.bot)

    def register_webhook(self, web_app: web.Application, path: str | None = None) -> None:
        """Serve MAX's pushes on ``web_app`` at ``path`` (by default the webhook URL's)."""
        if path is None:
            path = urlsplit(self.webhook_url or "").path or "/"
        web_app.router.add_post(path, self._push)

    async def _push(self, request: web.Request) -> web.Response:
        if self.webhook is None:
            return web.Response(status=503, text="starting")
        return await self.webhook.handle(request)

    async def wait(self) -> None:
        """Until the poller ends (``stop``, or a revoked token: then its error)."""
        if self._polling is not None:
            await self._polling

    async def stop(self) -> None:
        """Finish the updates in hand, write the ledger, stop serving, close the client."""
        self._stop.set()
        try:
            if self._polling is not None:
                try:
                    await self._polling
                except Exception:
                    log.exception("MAX: the poller ended with an error")
            if self._runner is not None:
                await self._runner.cleanup()
            await self.app.ledger.flush()
        finally:
            await self.api.close()
