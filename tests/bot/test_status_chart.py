"""The chart button under /status opens the chart of the indicator it names, in the person's
own reach: the index is the indicator's place in what /status showed them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import SendDocument, SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, Message
from openpyxl import load_workbook

import bot.render.report_files as report_files
from bot.render.charts import series_chart
from tests.bot.conftest import ADMIN, COORDINATOR, REP, World
from tests.bot.recording import BOT_USER
from tests.bot.test_reports import define


def files_sent(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: type[SendPhoto] | type[SendDocument]
) -> list[Any]:
    """The photos or documents the bot sends, answered as Telegram does."""
    sent: list[Any] = []
    session = world.session
    original = session.make_request

    async def make_request(
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> Any:
        if isinstance(method, kind):
            sent.append(method)
            return Message.model_validate(
                {
                    "message_id": 9000 + len(sent),
                    "date": 0,
                    "chat": {"id": int(method.chat_id), "type": "private"},
                    "from": BOT_USER.model_dump(),
                }
            )
        return await original(bot, method, timeout)

    monkeypatch.setattr(session, "make_request", make_request)
    return sent


@pytest.fixture
def photos(staffed: World, monkeypatch: pytest.MonkeyPatch) -> list[SendPhoto]:
    return files_sent(staffed, monkeypatch, SendPhoto)


async def test_each_chart_button_draws_the_indicator_it_names(
    staffed: World, photos: list[SendPhoto], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    draw = series_chart

    def recording(series: Any, **options: Any) -> Any:
        drawn.append(series.progress.indicator.name)
        return draw(series, **options)

    monkeypatch.setattr(report_files, "series_chart", recording)
    await define(staffed)
    await staffed.send(REP, "/report 30, 15")
    (status,) = await staffed.send(ADMIN, "/status")
    charts = [label for label, data in status.buttons() if label.startswith("📈")]
    assert len(charts) >= 2
    for label in charts:
        await staffed.press(ADMIN, status, label)
    assert len(photos) == len(charts)
    assert [f"📈 {name[:40]}" for name in drawn] == charts
    for photo in photos:
        assert isinstance(photo.photo, BufferedInputFile)
        assert photo.photo.data.startswith(b"\x89PNG")


async def test_drill_down_lists_name_organisations_by_short_name(staffed: World) -> None:
    await define(staffed)
    await staffed.send(REP, "/report 30, 15")
    replies = await staffed.send(
        ADMIN, "/status Комитет по образованию Администрации города Смоленска"
    )
    text = "\n".join(reply.text for reply in replies)
    assert "• Гимназия № 4 Смоленск" in text, text[:2000]  # the school that reported
    assert "• МБОУ «Гимназия № 4» г. Смоленска" not in text


async def test_a_coordinators_status_workbook_has_a_row_per_school(
    staffed: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It had one row: the coordinator's whole municipality, grouped under the region."""
    sent = files_sent(staffed, monkeypatch, SendDocument)
    await define(staffed)
    await staffed.send(REP, "/report 30, 15")
    (status,) = await staffed.send(COORDINATOR, "/status")
    await staffed.press(COORDINATOR, status, "Таблица Excel")
    [document] = sent
    assert isinstance(document.document, BufferedInputFile)
    content = document.document.data
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert len(names) >= 40  # the city's forty schools, each its own row
    assert "Гимназия № 4 Смоленск" in names
