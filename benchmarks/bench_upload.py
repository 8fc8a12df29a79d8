"""A sheet at the size limits, sent while others ask /status.

    python benchmarks/bench_upload.py [requests]

The Smolensk roadmap, registry and indicators are loaded into a fresh SQLite database. An admin
uploads the largest sheet taken (MAX_SHEET_ROWS rows, padded to about MAX_SHEET_BYTES, every
row a different unknown organisation: no look-up is answered from the memo, every refusal is
formatted, and the file of refusals is written), through the real dispatcher. Figures:

* the time and the peak of Python allocations (tracemalloc, in a run of its own) to handle it;
* /status latency for another admin, alone and while that sheet is handled (median and max
  over `requests` requests, all sent while the sheet was still being handled);
* the time to refuse the issue's sheet (5 MB of "x;1": 1.3 M rows) by its row count.

No assertions.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetFile, SendDocument, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import File, Message, Update

from bot.app import bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.importers.indicators import read_indicators
from bot.services.clock import FixedClock
from bot.services.people import CLI
from bot.services.reports import MAX_SHEET_BYTES, MAX_SHEET_ROWS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' recording session, when run as a script
from tests.bot.recording import BOT_USER, RecordingSession, text_update  # noqa: E402

UPLOADER, ASKER = 1001, 1002
FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)


class FileSession(RecordingSession):
    """The recording session, with Telegram's file storage: getFile, downloads, sendDocument."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.documents = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        result: Any
        if isinstance(method, GetFile):
            result = File(
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_path=f"documents/{method.file_id}",
            )
        elif isinstance(method, SendDocument):
            self.documents += 1
            result = Message.model_validate(
                {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": int(method.chat_id), "type": "private"},
                    "from": BOT_USER.model_dump(),
                }
            )
        else:
            return await super().make_request(bot, method, timeout)
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        data = self.files[url.rsplit("/", 1)[-1]]
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]


def largest_sheet() -> bytes:
    header = "Организация;Педагоги\n"
    rows = MAX_SHEET_ROWS - 2  # the header, and the line count's one for a last newline
    width = (MAX_SHEET_BYTES - len(header.encode()) - 1000) // rows
    lines = []
    for number in range(rows):
        line = f"Школа, которой нет в реестре, № {number:06d} ".encode()
        pad = width - len(line) - len(";1\n")
        lines.append(line + b"." * max(pad, 0) + b";1\n")
    return header.encode() + b"".join(lines)


def document(update_id: int, file_id: str, size: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(FRIDAY.timestamp()),
                "chat": {"id": UPLOADER, "type": "private"},
                "from": {"id": UPLOADER, "is_bot": False, "first_name": "Елена"},
                "document": {"file_id": file_id, "file_unique_id": file_id, "file_name": "r.csv"},
            },
        }
    )


def status(update_id: int) -> Update:
    return Update.model_validate(
        text_update(update_id, ASKER, "/status", date=int(FRIDAY.timestamp()))
    )


async def latencies(
    dispatcher: Dispatcher, bot: Bot, ids: itertools.count[int], count: int, during: Any = None
) -> list[float]:
    """Seconds per /status, one after another; with `during`, only while it is not done."""
    taken: list[float] = []
    while len(taken) < count and (during is None or not during.done()):
        start = time.perf_counter()
        await dispatcher.feed_update(bot, status(next(ids)))
        taken.append(time.perf_counter() - start)
    return taken


def figures(name: str, seconds: list[float]) -> str:
    if not seconds:
        return f"  {name}: no request finished in time"
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    return f"  {name}: median {median:7.1f} ms, max {worst:7.1f} ms ({len(seconds)} requests)"


async def main(count: int) -> None:
    ids = itertools.count(1)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            admin_ids=(UPLOADER, ASKER),
        )
        clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
        async with open_app(settings, clock=clock) as app:
            await app.roadmaps.import_document(ROOT / "examples" / "smolensk-order-319-OD.docx")
            await app.organisations.import_file(ROOT / "examples" / "smolensk-orgs.csv")
            await app.reports.define_all(
                CLI, read_indicators(ROOT / "examples" / "smolensk-indicators.yaml")
            )
            clock.moment = FRIDAY
            await app.ledger.load()
            session = FileSession()
            bot = Bot(token="42:BENCH", session=session, default=bot_defaults())
            dispatcher = build_dispatcher(app)
            for user in (UPLOADER, ASKER):
                await dispatcher.feed_update(
                    bot,
                    Update.model_validate(
                        text_update(next(ids), user, "/start", date=int(FRIDAY.timestamp()))
                    ),
                )

            sheet = largest_sheet()
            session.files["largest"] = sheet
            session.files["issue"] = b"\xce\xf0\xe3;\xcf\xe5\xe4\n" + b"x;1\n" * (
                (MAX_SHEET_BYTES - 16) // 4
            )
            print(
                f"the largest sheet taken: {len(sheet):,} bytes, {MAX_SHEET_ROWS:,} rows, "
                "each an unknown organisation; uploaded by an admin (the whole region's reach)"
            )

            await latencies(dispatcher, bot, ids, 20)  # warm-up
            alone = await latencies(dispatcher, bot, ids, count)

            start = time.perf_counter()
            await dispatcher.feed_update(bot, document(next(ids), "largest", len(sheet)))
            handled = time.perf_counter() - start

            upload = asyncio.create_task(
                dispatcher.feed_update(bot, document(next(ids), "largest", len(sheet)))
            )
            await asyncio.sleep(0)
            meanwhile = await latencies(dispatcher, bot, ids, count, during=upload)
            await upload

            tracemalloc.start()
            await dispatcher.feed_update(bot, document(next(ids), "largest", len(sheet)))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()

            start = time.perf_counter()
            await dispatcher.feed_update(bot, document(next(ids), "issue", 0))
            refused = time.perf_counter() - start
            replies = [sent.text for sent in session.sent if sent.chat_id == UPLOADER]

    print(f"  handled in {handled:.2f} s; peak Python allocations {peak / 2**20:.1f} MiB")
    print(f"  replies to the uploader per sheet: 1 message + 1 file ({session.documents} files)")
    print("/status for another admin:")
    print(figures("alone                 ", alone))
    print(figures("while the sheet is read", meanwhile))
    print(f"the issue's sheet (5 MB of 'x;1', 1.3 M rows): refused in {refused * 1000:.0f} ms:")
    print(f"  «{replies[-1]}»")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
