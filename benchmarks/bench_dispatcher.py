"""Updates handled per second through the real dispatcher: /status and /task N beside an echo.

    python benchmarks/bench_dispatcher.py [updates] [--channel telegram|max|both]

The Smolensk roadmap and the region's registry are loaded into a fresh SQLite database and an
admin asks /status and /task 7 again and again, through everything a real update passes (the
once-only ledger, who-is-writing, permission checks, rendering, the reply). A bare aiogram
echo handler runs in the same process on the same recording session, so the ratio between
the two is the figure (target: our handlers cost at most 3x the echo). No assertions.

MAX's leg feeds MAX updates (message_created, parsed by maxapi) through MAX's front end
(bot/channels/max/front.py: translation, the event key, MaxSession) into the same dispatcher,
and the echo through the same front end; the replies go over HTTP to the fake MAX in its own
process, which both sides pay alike (so MAX's ratio is the smaller for it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update

from bot.app import bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.services.clock import FixedClock
from bot.services.people import CLI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' recording session, when run as a script
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_delivery import CHANNELS, fetch, run_fake  # noqa: E402

from bot.channels.max import MaxApi, MaxTransport  # noqa: E402
from bot.channels.max.front import MaxFrontEnd  # noqa: E402
from bot.channels.max.inbound import BotIdentity  # noqa: E402
from bot.channels.max.session import MaxSession  # noqa: E402
from bot.channels.max.updates import parse_update  # noqa: E402
from bot.domain.channels import MAX, TELEGRAM  # noqa: E402
from tests.bot.recording import RecordingSession, text_update  # noqa: E402

ADMIN = 1001
MAX_ADMIN = 5001  # the same admin's MAX user id
TARGET_RATIO = 3.0
BATCH = 100


def message(update_id: int, text: str) -> Update:
    return Update.model_validate(
        text_update(update_id, ADMIN, text, date=1681974000, first_name="Елена")
    )


async def rate(
    feed: Callable[[int, str], Awaitable[None]],
    text: str,
    count: int,
    ids: Callable[[], int],
    between_batches: Callable[[], Awaitable[None]] | None = None,
) -> float:
    """Updates per second over `count` updates (after a short warm-up); `feed` hands one
    update (its number, its text) to a dispatcher.

    `between_batches` runs after every BATCH updates, as the ledger's write does before each
    getUpdates when polling under load (Telegram hands out up to 100 updates per call).
    """
    for _ in range(20):
        await feed(ids(), text)
    started = time.perf_counter()
    for index in range(1, count + 1):
        await feed(ids(), text)
        if between_batches is not None and index % BATCH == 0:
            await between_batches()
    if between_batches is not None:
        await between_batches()
    return count / (time.perf_counter() - started)


def telegram_feed(dispatcher: Dispatcher, bot: Bot) -> Callable[[int, str], Awaitable[None]]:
    async def feed(number: int, text: str) -> None:
        await dispatcher.feed_update(bot, message(number, text))

    return feed


def max_feed(front: MaxFrontEnd, dialog: int) -> Callable[[int, str], Awaitable[None]]:
    """A MAX user's message in their dialog, as GET /updates hands it out, to the front end."""
    bot_id = front.identity.user_id

    async def feed(number: int, text: str) -> None:
        at = 1681974000000 + number
        raw = {
            "update_type": "message_created",
            "timestamp": at,
            "user_locale": "ru",
            "message": {
                "sender": {"user_id": MAX_ADMIN, "first_name": "Елена", "is_bot": False},
                "recipient": {"chat_id": dialog, "chat_type": "dialog", "user_id": bot_id},
                "timestamp": at,
                "body": {"mid": f"mid.bench.{number:016x}", "seq": number, "text": text},
            },
        }
        update = parse_update(raw)
        assert update is not None
        await front.handle(update)

    return feed


def echo_dispatcher() -> Dispatcher:
    router = Router()

    async def echo(incoming: Message) -> None:
        await incoming.answer(incoming.text or "")

    router.message.register(echo)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


ROUNDS = (("echo", "привет"), ("/status", "/status"), ("/task 7", "/task 7"))


async def main(count: int, channels: tuple[str, ...], max_url: str | None) -> None:
    counter = itertools.count(1)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            admin_ids=((TELEGRAM, str(ADMIN)), (MAX, str(MAX_ADMIN))),
        )
        clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
        async with open_app(settings, clock=clock) as app:
            await app.roadmaps.import_document(ROOT / "examples" / "smolensk-order-319-OD.docx")
            await app.organisations.import_file(ROOT / "examples" / "smolensk-orgs.csv")
            for index, target in ((1, "Департамент Смоленской области"), (2, "все органы")):
                await app.parties.assign(CLI, index, target)
            await app.ledger.load()
            ours = build_dispatcher(app)
            echo = echo_dispatcher()

            def ids() -> int:
                return next(counter)

            if TELEGRAM in channels:
                session = RecordingSession()
                bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
                feeds = {"echo": telegram_feed(echo, bot)}
                feeds["ours"] = telegram_feed(ours, bot)

                def forget() -> None:
                    session.sent.clear()
                    session.requests.clear()

                best = await measure(feeds, count, ids, app.ledger.flush, forget)
                report("Telegram: updates handled per second through the dispatcher", count, best)
            if MAX in channels:
                assert max_url is not None
                dialog = int(
                    fetch(f"{max_url}/_fake/start", {"user_ids": [MAX_ADMIN]})["dialogs"][
                        str(MAX_ADMIN)
                    ]
                )
                async with MaxApi(CHANNELS[MAX].token, base_url=max_url) as api:
                    me = await api.me()
                    identity = BotIdentity(me.user_id, me.first_name)
                    bot = Bot(
                        token=f"{me.user_id}:max",
                        session=MaxSession(MaxTransport(api)),
                        default=bot_defaults(),
                    )
                    feeds = {
                        name: max_feed(
                            MaxFrontEnd(bot, dispatcher, app.database, app.clock, identity), dialog
                        )
                        for name, dispatcher in (("echo", echo), ("ours", ours))
                    }
                    best = await measure(feeds, count, ids, app.ledger.flush, lambda: None)
                report("MAX: updates handled per second through its front end", count, best)
                sent = fetch(f"{max_url}/_fake/sent?chat_id={dialog}")
                texts = Counter("Дорожная карта" in (m["text"] or "") for m in sent)
                print(
                    f"  the fake MAX took {len(sent):,} replies in the dialog "
                    f"({texts[True]:,} of them a status); failed requests: "
                    f"{sum(' -> ok' not in r for r in fetch(f'{max_url}/_fake/requests')):,}"
                )


async def measure(
    feeds: dict[str, Callable[[int, str], Awaitable[None]]],
    count: int,
    ids: Callable[[], int],
    flush: Callable[[], Awaitable[None]],
    forget: Callable[[], None],
) -> dict[str, float]:
    results: dict[str, list[float]] = {}
    # Interleaved rounds, so a noisy neighbour hurts both sides alike.
    for _ in range(3):
        for name, text in ROUNDS:
            feed = feeds["echo"] if name == "echo" else feeds["ours"]
            flushing = None if name == "echo" else flush
            results.setdefault(name, []).append(await rate(feed, text, count, ids, flushing))
            forget()
    return {name: max(values) for name, values in results.items()}


def report(title: str, count: int, best: dict[str, float]) -> None:
    print(
        f"{title} ({count:,} updates, best of 3; the handled-update ledger written every "
        f"{BATCH} updates, as polling does):"
    )
    print(f"  bare aiogram echo: {best['echo']:8,.0f}/s")
    for name in ("/status", "/task 7"):
        ratio = best["echo"] / best[name]
        print(
            f"  {name:<17} {best[name]:8,.0f}/s  = {ratio:.1f}x the echo's cost "
            f"(target <= {TARGET_RATIO:g}x)"
        )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("updates", nargs="?", type=int, default=500)
    parser.add_argument("--channel", choices=(TELEGRAM, MAX, "both"), default="both")
    args = parser.parse_args()
    channels = (TELEGRAM, MAX) if args.channel == "both" else (args.channel,)
    if MAX not in channels:
        asyncio.run(main(args.updates, channels, None))
        return
    with run_fake(CHANNELS[MAX]) as fake:
        asyncio.run(main(args.updates, channels, fake.url))


if __name__ == "__main__":
    cli()
