"""Updates handled per second through the real dispatcher: /status and /task N beside an echo.

    python benchmarks/bench_dispatcher.py [updates]

The Smolensk roadmap and the region's registry are loaded into a fresh SQLite database and an
admin asks /status and /task 7 again and again, through everything a real update passes (the
once-only ledger, who-is-writing, permission checks, rendering, the reply). A bare aiogram
echo handler runs in the same process on the same recording session, so the ratio between
the two is the figure (target: our handlers cost at most 3x the echo). No assertions.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update

from bot.app import bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.services.clock import FixedClock
from bot.services.people import CLI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' recording session, when run as a script
from tests.bot.recording import RecordingSession, text_update  # noqa: E402

ADMIN = 1001
TARGET_RATIO = 3.0
BATCH = 100


def message(update_id: int, text: str) -> Update:
    return Update.model_validate(
        text_update(update_id, ADMIN, text, date=1681974000, first_name="Елена")
    )


async def rate(
    dispatcher: Dispatcher,
    bot: Bot,
    text: str,
    count: int,
    ids: Callable[[], int],
    between_batches: Callable[[], Awaitable[None]] | None = None,
) -> float:
    """Updates per second over `count` updates (after a short warm-up).

    `between_batches` runs after every BATCH updates, as the ledger's write does before each
    getUpdates when polling under load (Telegram hands out up to 100 updates per call).
    """
    for _ in range(20):
        await dispatcher.feed_update(bot, message(ids(), text))
    started = time.perf_counter()
    for index in range(1, count + 1):
        await dispatcher.feed_update(bot, message(ids(), text))
        if between_batches is not None and index % BATCH == 0:
            await between_batches()
    if between_batches is not None:
        await between_batches()
    return count / (time.perf_counter() - started)


def echo_dispatcher() -> Dispatcher:
    router = Router()

    async def echo(incoming: Message) -> None:
        await incoming.answer(incoming.text or "")

    router.message.register(echo)
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def main(count: int) -> None:
    counter = itertools.count(1)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            admin_ids=(ADMIN,),
        )
        clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
        async with open_app(settings, clock=clock) as app:
            await app.roadmaps.import_document(ROOT / "examples" / "smolensk-order-319-OD.docx")
            await app.organisations.import_file(ROOT / "examples" / "smolensk-orgs.csv")
            for index, target in ((1, "Департамент Смоленской области"), (2, "все органы")):
                await app.parties.assign(CLI, index, target)
            await app.ledger.load()
            session = RecordingSession()
            bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
            ours = build_dispatcher(app)
            echo = echo_dispatcher()

            def ids() -> int:
                return next(counter)

            results: dict[str, Any] = {}
            # Interleaved rounds, so a noisy neighbour hurts both sides alike.
            for _ in range(3):
                for name, dispatcher, text, flush in (
                    ("echo", echo, "привет", None),
                    ("/status", ours, "/status", app.ledger.flush),
                    ("/task 7", ours, "/task 7", app.ledger.flush),
                ):
                    results.setdefault(name, []).append(
                        await rate(dispatcher, bot, text, count, ids, flush)
                    )
                    session.sent.clear()
                    session.requests.clear()
    best = {name: max(values) for name, values in results.items()}
    print(
        f"updates handled per second through the dispatcher ({count:,} updates, best of 3; "
        f"the handled-update ledger written every {BATCH} updates, as polling does):"
    )
    print(f"  bare aiogram echo: {best['echo']:8,.0f}/s")
    for name in ("/status", "/task 7"):
        ratio = best["echo"] / best[name]
        print(
            f"  {name:<17} {best[name]:8,.0f}/s  = {ratio:.1f}x the echo's cost "
            f"(target <= {TARGET_RATIO:g}x)"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
