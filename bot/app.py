"""The one composition root: settings in, a ready application out.

Storage, services, the Bot, the Dispatcher (and the scheduler, as it arrives) are built here
and nowhere else, then handed down: services through aiogram's workflow data.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.channels.names import bot_names
from bot.config import Settings
from bot.domain.channels import TELEGRAM
from bot.leadership import Leadership
from bot.render.texts import Texts
from bot.services.clock import Clock, SystemClock
from bot.services.collection import QuestionPlanner
from bot.services.invites import BotNames
from bot.services.organisations import OrganisationService
from bot.services.parties import PartyService
from bot.services.people import PeopleService
from bot.services.reminders import ReminderPlanner, ReminderSettings
from bot.services.replies import HeldReplies
from bot.services.reports import ReportService
from bot.services.roadmaps import RoadmapService
from bot.services.shares import ShareLedger, ShareService
from bot.services.snapshots import Snapshots
from bot.services.summary import SummaryPlanner, SummaryReader
from bot.services.tasks import TaskService
from bot.services.updates import UpdateLedger
from bot.workdays import work_calendar
from storage.db import Database, DatabaseBusy

if TYPE_CHECKING:
    from aiogram import Bot, Dispatcher
    from aiogram.client.default import DefaultBotProperties

    from bot.channels.max.api import MaxApi
    from bot.channels.max.channel import MaxChannel
    from bot.channels.telegram.retry import Hold
    from bot.messages import Outgoing
    from handlers.menus import MenuPublisher

log = logging.getLogger(__name__)

API_TIMEOUT = 20  # seconds for one Bot API call (long polling asks for its own, longer)
# How long the sender's claim of an outbox row holds (renewed while it is in hand). When the
# leader dies, the rows its sender had claimed wait this long for the next leader's sender:
# seconds, not the sender's default minute. A send in flight longer than this (a hung call,
# up to API_TIMEOUT) may be taken over after a failover and sent twice: it was in flight.
SEND_LEASE = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    database: Database
    clock: Clock
    texts: Texts
    roadmaps: RoadmapService
    organisations: OrganisationService
    people: PeopleService
    tasks: TaskService
    shares: ShareService
    parties: PartyService
    ledger: UpdateLedger
    snapshots: Snapshots
    planner: ReminderPlanner
    reports: ReportService
    questions: QuestionPlanner
    held_replies: HeldReplies
    summary: SummaryPlanner
    summaries: SummaryReader
    bot_names: BotNames  # the bot's name in each configured messenger, for invite links


@asynccontextmanager
async def open_app(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[App]:
    """Build everything, bring the schema up to date, and close the database on the way out.

    A database another process keeps locked past DATABASE_LOCK_WAIT ends the process with one
    line (exit status 1), never a traceback: nothing was written, and trying again is safe.
    """
    clock = clock or SystemClock()
    database = Database(settings.database_url, lock_wait=settings.database_lock_wait)
    snapshots = Snapshots(database)
    reminder_settings = ReminderSettings(
        hour=settings.reminder_hour,
        quiet=settings.quiet,
        holidays=frozenset(settings.holidays),
        timezone=settings.timezone,
        calendar=work_calendar(
            settings.work_calendar, holidays=settings.holidays, workdays=settings.workdays
        ),
    )
    reports = ReportService(database, clock, snapshots, settings.timezone)
    ledger = ShareLedger(database)
    shares = ShareService(database, clock, snapshots, ledger, settings.timezone)
    tasks = TaskService(database, clock, snapshots, settings.timezone, shares=shares)
    try:
        await database.upgrade()
        yield App(
            settings=settings,
            database=database,
            clock=clock,
            texts=Texts(settings.language),
            roadmaps=RoadmapService(database, clock, settings.timezone),
            organisations=OrganisationService(database, clock, snapshots),
            people=PeopleService(
                database,
                clock,
                snapshots,
                admin_ids=settings.admin_ids,
                invite_ttl_days=settings.invite_ttl_days,
            ),
            tasks=tasks,
            shares=shares,
            parties=PartyService(database, clock, snapshots),
            # Behind webhooks several processes may serve the bot (a proxy in front of them) and
            # a redelivered update may land on another one than its first copy: each update is
            # claimed in the database then, SQLite too. Polling is one process per bot.
            ledger=UpdateLedger(database, clock, shared=database.shared or _on_webhooks(settings)),
            snapshots=snapshots,
            planner=ReminderPlanner(database, clock, snapshots, shares, reminder_settings),
            reports=reports,
            questions=QuestionPlanner(database, clock, snapshots, reports, reminder_settings),
            held_replies=HeldReplies(database, clock, settings.timezone),
            summary=SummaryPlanner(
                database,
                clock,
                snapshots,
                reminder_settings,
                weekday=settings.summary_weekday,
                hour=settings.summary_hour,
            ),
            summaries=SummaryReader(database, snapshots, reports, tasks),
            bot_names=bot_names(settings),
        )
    except DatabaseBusy:
        texts = Texts(settings.language)
        message = texts("error.busy", seconds=f"{settings.database_lock_wait:g}")
        raise SystemExit(f"roadmap-bot: {message}") from None
    finally:
        await database.dispose()


# aiogram takes seconds to import (its pydantic types); the Telegram side is therefore
# imported only where it is built, so `roadmap-bot import` and `status` start at once.


def bot_defaults() -> DefaultBotProperties:
    """Every text the bot sends is HTML built by bot.render (values escaped there)."""
    from aiogram.client.default import DefaultBotProperties
    from aiogram.enums import ParseMode

    return DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)


def build_bot(settings: Settings, *, hold: Hold | None = None) -> Bot:
    """The Bot, talking to Telegram or to the server TELEGRAM_API_URL names.

    `hold` takes the text replies Telegram tells to wait long (a 429) to the outbox.
    """
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.channels.telegram.retry import RetryRequests

    assert settings.bot_token is not None
    # Every call to the Bot API is bounded: a hung call no longer holds a chat for aiohttp's
    # default minute.
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(settings.telegram_api_url), timeout=API_TIMEOUT
    )
    session.middleware(RetryRequests(hold=hold))
    token = settings.bot_token.get_secret_value()
    return Bot(token=token, session=session, default=bot_defaults())


class Reminders:
    """The reminder machinery of a running bot: the planning tick and the outbox senders, one
    for each messenger the bot speaks in (Telegram; MAX when MAX_TOKEN is set), each sending
    its own channel's rows on a loop of its own."""

    def __init__(self, app: App) -> None:
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        from bot.channels.telegram.transport import TelegramTransport
        from bot.delivery.limits import RateLimits
        from bot.delivery.sender import Delivery, QuietHours, Sender
        from bot.render.outbox import outbox_composer
        from schedules import build_scheduler

        settings = app.settings
        compose = outbox_composer(
            app.snapshots, app.reports, app.shares, settings.language, summaries=app.summaries
        )
        hours = QuietHours(settings.timezone, settings.quiet, digest_hour=settings.reminder_hour)
        senders: list[Sender] = []
        self.bot: Bot | None = None
        self.sender: Sender | None = None
        """Telegram's sender, when BOT_TOKEN is set."""
        if settings.bot_token is not None:
            # A Bot of its own without the reply-retry middleware: the sender owns its retries.
            self.bot = Bot(
                token=settings.bot_token.get_secret_value(),
                session=AiohttpSession(
                    api=TelegramAPIServer.from_base(settings.telegram_api_url),
                    timeout=API_TIMEOUT,
                ),
                default=bot_defaults(),
            )
            self.sender = Sender(
                app.database,
                TelegramTransport(self.bot),
                app.clock,
                compose,
                hours=hours,
                limits=RateLimits(
                    settings.send_per_second,
                    settings.send_per_chat_per_second,
                    settings.send_per_group_per_minute,
                ),
                lease=SEND_LEASE,
            )
            senders.append(self.sender)
        self.max_api = max_api(settings)
        if self.max_api is not None:
            from bot.channels.max.delivery import MaxDelivery
            from bot.channels.max.transport import MaxTransport

            transport = MaxDelivery(MaxTransport(self.max_api))
            senders.append(
                Sender(app.database, transport, app.clock, compose, hours=hours, lease=SEND_LEASE)
            )
        self.delivery = Delivery(senders)
        app.planner.wake_sender = self.delivery.wake
        app.questions.wake_sender = self.delivery.wake
        app.held_replies.wake_sender = self.delivery.wake
        app.summary.wake_sender = self.delivery.wake
        self.scheduler = build_scheduler(
            app.planner.plan, questions=app.questions.plan, summary=app.summary.plan
        )
        self._stop = asyncio.Event()
        self._sending: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.scheduler.start()
        self._sending = asyncio.create_task(self.delivery.run(self._stop))

    async def stop(self) -> None:
        """Stop planning, let the sends in hand finish and be recorded, close the sessions."""
        self.scheduler.shutdown(wait=False)
        self._stop.set()
        if self._sending is not None:
            await self._sending
        if self.bot is not None:
            await self.bot.session.close()
        if self.max_api is not None:
            await self.max_api.close()


def max_api(settings: Settings) -> MaxApi | None:
    """A client of MAX's Bot API when MAX_TOKEN is set (MAX_API_URL: the server), else None."""
    if settings.max_token is None:
        return None
    from bot.channels.max.api import MaxApi

    return MaxApi(settings.max_token.get_secret_value(), base_url=settings.max_api_url)


def build_dispatcher(
    app: App, menus: MenuPublisher | None = None, *, webhook: bool = False
) -> Dispatcher:
    from aiogram import Dispatcher

    from handlers import get_routers
    from handlers.conversations import ConversationState, DatabaseStorage
    from handlers.menus import MenuPublisher
    from handlers.middlewares import KnowThePerson, OncePerUpdate

    # Conversation state lives in the database (handlers/conversations.py): aiogram's own FSM
    # middleware is replaced by one keyed by channel, after the ledger and KnowThePerson.
    storage = DatabaseStorage(app.database, app.clock)
    dispatcher = Dispatcher(
        storage=storage,
        disable_fsm=True,
        roadmaps=app.roadmaps,
        organisations=app.organisations,
        people=app.people,
        tasks=app.tasks,
        parties=app.parties,
        reports=app.reports,
        questions=app.questions,
        snapshots=app.snapshots,
        menus=menus or MenuPublisher(app.settings.language),
        clock=app.clock,
        bot_names=app.bot_names,
    )
    dispatcher.update.outer_middleware(OncePerUpdate(app.ledger, write_each=webhook))
    dispatcher.update.outer_middleware(KnowThePerson(app.people, app.settings.language))
    dispatcher.update.outer_middleware(ConversationState(storage))
    dispatcher.include_routers(*get_routers())
    return dispatcher


async def _publish_menus(app: App, bot: Bot, menus: MenuPublisher) -> None:
    await menus.publish_defaults(bot)
    for person in await app.people.bound_people():
        await menus.publish(bot, person)


async def run_bot(app: App) -> None:
    """Serve Telegram (BOT_TOKEN) and MAX (MAX_TOKEN), either or both, through one dispatcher,
    until SIGTERM/SIGINT: long polling, or webhooks when WEBHOOK_URL / MAX_WEBHOOK_URL are set.

    Updates sent while the bot was down are handled after start (pending updates are never
    dropped); chats are served side by side, each chat's updates in order, and the offset (MAX:
    the marker) confirms only what was handled (bot/runtime.py, bot/channels/max/poller.py): a
    crash or a transient failure loses none. On SIGTERM/SIGINT the updates in hand are finished
    and no new one is started; whatever a messenger still holds is handled after the next start.
    """
    from handlers.menus import MenuPublisher

    settings = app.settings
    menus = MenuPublisher(settings.language)
    from handlers.middlewares import WriteLedgerBeforeGetUpdates

    webhook = settings.webhook_url is not None
    dispatcher = build_dispatcher(app, menus, webhook=webhook)
    bot: Bot | None = None
    if settings.bot_token is not None:
        bot = build_bot(settings, hold=hold_replies(app))
        if not webhook:
            bot.session.middleware(WriteLedgerBeforeGetUpdates(app.ledger))
    await app.ledger.load()
    max_channel = _max_channel(app)
    if bot is not None:
        me = await bot.me()
        log.info("bot @%s starting", me.username)
        await _publish_menus(app, bot, menus)
    allowed = dispatcher.resolve_used_update_types()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Planning and sending only while this process leads (one process at a time, whichever
    # holds the database's leader lock; bot/leadership.py).
    leadership = Leadership(
        app.database.leader_lock(), lambda: Reminders(app), retry=settings.leader_retry
    )
    done = asyncio.Event()
    leading = asyncio.create_task(leadership.run(done))
    try:
        await _serve(app, bot, dispatcher, allowed, stop, max_channel)
    finally:
        done.set()
        await leading
        if bot is not None:  # polling left its session open (a webhook's runner closed it)
            await bot.session.close()
        log.info("stopped")


def _on_webhooks(settings: Settings) -> bool:
    """Are updates pushed to us (Telegram's or MAX's webhook) rather than polled?"""
    telegram = settings.bot_token is not None and settings.webhook_url is not None
    return telegram or (settings.max_token is not None and settings.max_webhook_url is not None)


def _max_channel(app: App) -> MaxChannel | None:
    """MAX's front end when MAX_TOKEN is set: its webhook shares Telegram's listening address
    (and server, when Telegram is on a webhook too), else it polls."""
    settings = app.settings
    if settings.max_token is None:
        return None
    from bot.channels.max.channel import MaxChannel

    secret = settings.max_webhook_secret
    return MaxChannel(
        app,
        token=settings.max_token.get_secret_value(),
        api_url=settings.max_api_url,
        webhook_url=settings.max_webhook_url,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
        webhook_listen=settings.webhook_listen if settings.webhook_url is None else None,
    )


def hold_replies(app: App, channel: str = TELEGRAM) -> Hold:
    """The outbox, holding the text replies a messenger tells to wait long
    (bot/channels/telegram/retry.py) for that messenger's sender."""

    async def hold(chat_id: int, reply: Outgoing, seconds: float) -> None:
        await app.held_replies.hold(chat_id, reply, seconds=seconds, channel=channel)

    return hold


async def _serve(
    app: App,
    bot: Bot | None,
    dispatcher: Dispatcher,
    allowed: list[str],
    stop: asyncio.Event,
    max_channel: MaxChannel | None = None,
) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    settings = app.settings

    async def finish() -> None:
        # MAX's updates in hand finish before the ledger they are written to closes.
        if max_channel is not None:
            await max_channel.stop()
        await app.ledger.close()

    if bot is None or settings.webhook_url is None:
        if max_channel is not None:
            await max_channel.start(dispatcher)
        if bot is None:
            await stop.wait()
            await finish()
            return
        from bot.runtime import Poller

        await bot.delete_webhook(drop_pending_updates=False)
        poller = Poller(bot, dispatcher, allowed_updates=allowed)
        try:
            await poller.run(stop)  # on stop: the updates in hand finish, the rest unconfirmed
        finally:
            await finish()
        return
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    web_app = web.Application()
    SimpleRequestHandler(
        dispatcher=dispatcher, bot=bot, secret_token=secret, handle_in_background=False
    ).register(web_app, path=_url_path(settings.webhook_url))
    if max_channel is not None and max_channel.webhook_url is not None:
        max_channel.register_webhook(web_app)
    setup_application(web_app, dispatcher, bot=bot)
    host, _, port = settings.webhook_listen.rpartition(":")
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host, int(port)).start()
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=secret,
        allowed_updates=allowed,
        drop_pending_updates=False,
    )
    if max_channel is not None:
        await max_channel.start(dispatcher)
    log.info("webhook serving on %s", settings.webhook_listen)
    try:
        await stop.wait()
        await finish()
    finally:
        await runner.cleanup()  # closes the bot session


def _url_path(url: str) -> str:
    return urlsplit(url).path or "/"
