"""Sheets sent to the bot as documents, through the real dispatcher: a sheet full of bad rows
gets one summary and one file, a sheet past the limits is refused unread, and the bot answers
others while a sheet is being read."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import GetFile, SendDocument, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, File, Message

import bot.services.reports as report_service
from bot.importers.report_sheets import read_report_sheet
from bot.services.reports import MAX_SHEET_BYTES, MAX_SHEET_ROWS
from tests.bot.conftest import COORDINATOR, OBSERVER, SCHOOL, World
from tests.bot.recording import BOT_USER, Sent
from tests.bot.test_reports import define, values

HEADER = "Организация;Педагоги\n"


@dataclass
class Files:
    """Telegram's file storage for the recording session: getFile, the download, sendDocument."""

    world: World
    content: dict[str, bytes] = field(default_factory=dict)
    declared: dict[str, int | None] = field(default_factory=dict)
    streamed: int = 0
    documents: list[tuple[int, bytes, str]] = field(default_factory=list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        session = self.world.session
        original = session.make_request

        async def make_request(
            bot: Bot,
            method: TelegramMethod[TelegramType],
            timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
        ) -> Any:
            if isinstance(method, GetFile):
                return File(
                    file_id=method.file_id,
                    file_unique_id=method.file_id,
                    file_size=self.declared[method.file_id],
                    file_path=f"documents/{method.file_id}",
                )
            if isinstance(method, SendDocument):
                assert isinstance(method.document, BufferedInputFile)
                chat_id = int(method.chat_id)
                self.documents.append((chat_id, method.document.data, method.caption or ""))
                session.sent.append(Sent(chat_id, method.caption or "", None, 0, "SendDocument"))
                return Message.model_validate(
                    {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": chat_id, "type": "private"},
                        "from": BOT_USER.model_dump(),
                    }
                )
            return await original(bot, method, timeout)

        async def stream_content(
            url: str,
            headers: dict[str, Any] | None = None,
            timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
            chunk_size: int = 65536,
            raise_for_status: bool = True,
        ) -> AsyncGenerator[bytes, None]:
            data = self.content[url.rsplit("/", 1)[-1]]
            for start in range(0, len(data), chunk_size):
                self.streamed += len(data[start : start + chunk_size])
                yield data[start : start + chunk_size]

        monkeypatch.setattr(session, "make_request", make_request)
        monkeypatch.setattr(session, "stream_content", stream_content)

    def update(
        self, user_id: int, data: bytes, name: str = "report.csv", *, declare: bool = False
    ) -> dict[str, Any]:
        """A document message; Telegram's declared size only when `declare`."""
        file_id = f"file{len(self.content) + 1}"
        self.content[file_id] = data
        self.declared[file_id] = len(data) if declare else None
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
        }
        if declare:
            document["file_size"] = len(data)
        return {
            "update_id": next(self.world.update_ids),
            "message": {
                "message_id": next(self.world.message_ids),
                "date": int(self.world.clock.now().timestamp()),
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": f"Person {user_id}"},
                "document": document,
            },
        }


@pytest.fixture
def files(staffed: World, monkeypatch: pytest.MonkeyPatch) -> Files:
    files = Files(staffed)
    files.install(monkeypatch)
    return files


def bad_sheet(rows: int) -> bytes:
    lines = [f"{SCHOOL};40"] + [f"Школа, которой нет № {n};1" for n in range(rows)]
    return (HEADER + "\n".join(lines) + "\n").encode()


async def test_a_sheet_of_bad_rows_gets_a_summary_and_a_file(staffed: World, files: Files) -> None:
    await define(staffed)
    replies = await staffed.feed(files.update(COORDINATOR, bad_sheet(20_000)))

    assert len(replies) <= 2
    summary, attached = replies
    assert "Принято строк: 1" in summary.text
    assert "Не принято (20\u00a0000)" in summary.text
    assert "стр. 3: Школа, которой нет № 0 — организация не найдена" in summary.text
    assert "и ещё 19\u00a0980 строк с ошибками — файл с ними приложен" in summary.text
    assert summary.text.count("\n• ") == 20
    assert attached.method == "SendDocument"

    [(chat, content, caption)] = files.documents
    assert chat == COORDINATOR
    assert "20000" in caption
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Строка", "Текст", "Причина"]
    assert len(rows) == 1 + 20_000
    assert rows[-1] == ["20002", "Школа, которой нет № 19999", "организация не найдена"]
    assert await values(staffed) == {f"teachers_active@{SCHOOL}": 40}


async def test_a_few_bad_rows_are_listed_without_a_file(staffed: World, files: Files) -> None:
    await define(staffed)
    [answer] = await staffed.feed(files.update(COORDINATOR, bad_sheet(3), declare=True))
    assert "Не принято (3)" in answer.text
    assert "файл" not in answer.text
    assert files.documents == []


async def test_a_sheet_past_the_byte_limit_is_refused_unread(
    staffed: World, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    await define(staffed)

    def unread(*args: object) -> None:
        raise AssertionError("a sheet past the limit was read")

    monkeypatch.setattr(report_service, "_read_sheet", unread)
    big = HEADER.encode() + b"x;1\n" * (MAX_SHEET_BYTES // 4 + 1)

    # No size declared: the download stops once the bytes received pass the limit.
    [refused] = await staffed.feed(files.update(COORDINATOR, big))
    assert "Файл больше 5 МБ" in refused.text
    assert MAX_SHEET_BYTES < files.streamed <= MAX_SHEET_BYTES + 64 * 1024

    # A declared size past the limit is refused before any download.
    files.streamed = 0
    [refused] = await staffed.feed(files.update(COORDINATOR, big, declare=True))
    assert "Файл больше 5 МБ" in refused.text
    assert files.streamed == 0


async def test_a_sheet_past_the_row_limit_is_refused_unread(
    staffed: World, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    await define(staffed)

    def unread(*args: object) -> None:
        raise AssertionError("a sheet past the row limit was read")

    monkeypatch.setattr(report_service, "read_report_sheet", unread)
    rows = HEADER.encode() + b"x;1\n" * MAX_SHEET_ROWS  # the sheet, at a smaller scale
    [refused] = await staffed.feed(files.update(COORDINATOR, rows))
    assert f"больше {MAX_SHEET_ROWS} строк" in refused.text
    assert await values(staffed) == {}


async def test_others_are_answered_while_a_sheet_is_read(
    staffed: World, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    await define(staffed)
    entered, release = threading.Event(), threading.Event()
    read = read_report_sheet

    def held(*args: Any) -> Any:
        entered.set()
        # Were the sheet read on the event loop, /status could not be answered meanwhile and
        # this would give up.
        if not release.wait(timeout=20):
            raise AssertionError("the sheet held the event loop")
        return read(*args)

    monkeypatch.setattr(report_service, "read_report_sheet", held)
    upload = asyncio.create_task(staffed.feed(files.update(COORDINATOR, bad_sheet(2_000))))
    assert await asyncio.to_thread(entered.wait, 20)  # the sheet is being read now

    [status] = await staffed.send(OBSERVER, "/status")
    assert status.chat_id == OBSERVER
    assert not upload.done()

    release.set()
    await upload
    chats = [sent.chat_id for sent in staffed.session.sent]
    assert chats.index(OBSERVER) < chats.index(COORDINATOR)
    assert "и ещё 1\u00a0980 строк с ошибками" in staffed.session.sent[-2].text
    assert await values(staffed) == {f"teachers_active@{SCHOOL}": 40}
