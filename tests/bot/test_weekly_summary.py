"""The weekly summary for the department's staff (issue «Understood at first sight»): planned
Monday 09:00 for admins only, once, whatever restarts; composed at send time with the week's
figures and the chart, as one captioned photo."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from aiogram import Bot
from aiogram.methods import SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, Message
from sqlalchemy import select

from bot.app import bot_defaults
from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.reminders import WorkCalendar
from bot.importers.indicators import read_indicators
from bot.render.outbox import outbox_composer
from bot.services.people import CLI
from bot.services.reminders import ReminderSettings
from bot.services.summary import SummaryPlanner, summary_day
from storage.tables import outbox
from tests.bot.conftest import ADMIN, OTHER_REP, REP, World
from tests.bot.recording import BOT_USER, RecordingSession
from tests.conftest import EXAMPLES

MONDAY = date(2023, 5, 1)


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 3, minute, tzinfo=UTC)


class PhotoSession(RecordingSession):
    """The recording session, answering sendPhoto as Telegram does."""

    def __init__(self) -> None:
        super().__init__()
        self.photos: list[SendPhoto] = []

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        if not isinstance(method, SendPhoto):
            return await super().make_request(bot, method, timeout)
        self.requests.append(method)
        self.photos.append(method)
        result: Any = Message.model_validate(
            {
                "message_id": len(self.photos) + 5000,
                "date": int(time.time()),
                "chat": {"id": int(method.chat_id), "type": "private"},
                "from": BOT_USER.model_dump(),
                "caption": method.caption,
            }
        )
        return result  # type: ignore[no-any-return]


def sender(world: World, session: PhotoSession) -> Sender:
    app = world.app
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru", summaries=app.summaries)
    fast = RateLimits(per_second=100_000, per_chat_per_second=100_000, per_group_per_minute=1000)
    bot = Bot(token="42:TEST", session=session, default=bot_defaults())
    return Sender(app.database, TelegramTransport(bot), world.clock, compose, limits=fast)


async def two_weeks_of_numbers(world: World) -> None:
    """Two Fridays of answers from both schools, and task № 1 done in the second week."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = moscow(date(2023, 4, 21), 12)
    await world.send(REP, "30 и 10")
    await world.send(OTHER_REP, "6 и 5")
    world.clock.moment = moscow(date(2023, 4, 28), 12)
    await world.send(REP, "40 и 14")
    await world.send(OTHER_REP, "9 и 6")
    admin = await world.app.people.identify("telegram", ADMIN, f"Person {ADMIN}", None, "ru")
    [first] = await world.app.tasks.find(admin, "1")
    assert first.id is not None
    await world.app.tasks.mark_done(admin, first.id, everyone=True)


async def summary_rows(world: World) -> list[Any]:
    async with world.app.database.transaction() as connection:
        rows = await connection.execute(
            select(outbox).where(outbox.c.kind.like("summary:%")).order_by(outbox.c.id)
        )
        return list(rows)


async def test_the_summary_goes_monday_at_nine_to_admins_only_once_with_figures_and_chart(
    staffed: World,
) -> None:
    world = staffed
    await two_weeks_of_numbers(world)
    planner = world.app.summary
    world.clock.moment = moscow(MONDAY, 8, 59)
    assert await planner.plan() == 0  # not before nine
    world.clock.moment = moscow(MONDAY, 9, 0)
    assert await planner.plan() == 1
    assert await planner.plan() == 0  # a tick again
    [row] = await summary_rows(world)
    assert (row.chat_id, row.round) == (ADMIN, MONDAY)  # the coordinator, reps, observer: no

    session = PhotoSession()
    stats = await sender(world, session).drain()
    assert stats.sent == 1
    [photo] = session.photos
    assert int(photo.chat_id) == ADMIN
    assert isinstance(photo.photo, BufferedInputFile)
    assert photo.photo.data.startswith(b"\x89PNG")
    caption = photo.caption or ""
    assert len(caption) <= 1024
    assert caption.startswith("📊 Итоги недели на 01.05.2023")
    # Teachers: 40 + 9 now, 30 + 6 the week before.
    assert (
        "Педагоги, написавшие не менее 10 сообщений за неделю: 49 (0,6 %), +13 за неделю" in caption
    )
    assert "Чаты классов в Сферуме: 20, +5 за неделю" in caption
    assert "Отстают сильнее всех (Педагоги, написавшие не менее 10 сообщений за неделю):" in caption
    # Five municipalities: those where nobody reported first, then the weakest who did.
    weakest = caption.split("сообщений за неделю):\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(weakest) == 5
    assert all(line.endswith("нет отчётов") for line in weakest)
    assert "✅ Выполнено за неделю: 1\n  № 1 «Проведение ВКС с муниципальными органами" in caption
    # Due 28.04 and 30.04: overdue now, not a week ago.
    assert "⏰ Новые просрочки: 3\n  № 7 «" in caption
    assert "  № 12 «" in caption
    assert "  № 13 «" in caption
    [sent] = await summary_rows(world)
    assert sent.status == "sent"


async def test_not_twice_after_a_restart_nor_on_a_holiday(staffed: World) -> None:
    world = staffed
    await two_weeks_of_numbers(world)
    app = world.app
    world.clock.moment = moscow(MONDAY, 9, 30)
    assert await app.summary.plan() == 1
    # A restart: a new planner with no memory, later that day and later that week.
    for moment in (moscow(MONDAY, 11), moscow(date(2023, 5, 3), 10)):
        world.clock.moment = moment
        again = SummaryPlanner(app.database, world.clock, app.snapshots, ReminderSettings())
        assert await again.plan() == 0
    assert len(await summary_rows(world)) == 1
    # Next week, Monday 08.05.2023 a day off: nothing then; Tuesday at nine it goes.
    holiday = ReminderSettings(holidays=frozenset({date(2023, 5, 8)}))
    planner = SummaryPlanner(app.database, world.clock, app.snapshots, holiday)
    world.clock.moment = moscow(date(2023, 5, 8), 12)
    assert await planner.plan() == 0
    world.clock.moment = moscow(date(2023, 5, 9), 9, 5)
    assert await planner.plan() == 1
    assert [row.round for row in await summary_rows(world)] == [MONDAY, date(2023, 5, 9)]
    # Quiet hours: a bot back at 22:00 on Wednesday waits for the morning.
    world.clock.moment = moscow(date(2023, 5, 17), 22)
    fresh = SummaryPlanner(app.database, world.clock, app.snapshots, ReminderSettings())
    assert await fresh.plan() == 0
    world.clock.moment = moscow(date(2023, 5, 18), 10)
    assert await fresh.plan() == 1


def test_the_day_is_the_first_working_day_from_the_weekday_in_its_week() -> None:
    calendar = WorkCalendar(frozenset({date(2023, 5, 8), date(2023, 5, 9)}))
    assert summary_day(date(2023, 5, 10), 0, calendar) == date(2023, 5, 10)
    assert summary_day(date(2023, 5, 3), 0, calendar) == date(2023, 5, 1)
    assert summary_day(date(2023, 5, 3), 5, calendar) is None  # Saturday and Sunday off
