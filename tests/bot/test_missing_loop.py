"""The coordinator's loop (issue «Understood at first sight»): the list of who has not
reported tells apart why; «🔔 Напомнить им» says truthfully whom it reached; «✉️ Пригласить»
and «✍️ Ввести за них» act on the missing; a school hears when its number is overwritten."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.access import Role
from bot.importers.indicators import read_indicators
from bot.render.outbox import outbox_composer
from bot.services.people import CLI
from handlers.callbacks import ReportButton
from storage.outbox import OutboxStore
from storage.tables import invites
from tests.bot.conftest import COORDINATOR, REP, SCHOOL, World
from tests.bot.recording import Sent
from tests.bot.test_reports import values
from tests.conftest import EXAMPLES

SILENT_SCHOOL = "МБОУ «Гимназия № 32» г. Смоленска"
BLOCKED_SCHOOL = "МБОУ «Средняя школа № 2» г. Смоленска"
SILENT_REP, BLOCKED_REP = 3101, 3102


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 3, minute, tzinfo=UTC)


def sender(world: World) -> Sender:
    compose = outbox_composer(world.app.snapshots, world.app.reports, world.app.shares, "ru")
    fast = RateLimits(per_second=100_000, per_chat_per_second=100_000, per_group_per_minute=1000)
    return Sender(
        world.app.database, TelegramTransport(world.bot), world.clock, compose, limits=fast
    )


async def tick(world: World, moment: datetime) -> list[Sent]:
    world.clock.moment = moment
    before = len(world.session.sent)
    await world.app.questions.plan()
    await sender(world).drain()
    return world.session.sent[before:]


async def rows(world: World, kind: str) -> list[str]:
    async with world.app.database.transaction() as connection:
        found = await OutboxStore(connection).rows()
    return [f"{row.chat_id}" for row in found if row.kind.startswith(f"{kind}:")]


async def missing_list(staffed: World) -> Sent:
    """Friday's question, Monday's nudge, Tuesday's list: the city school's representative
    answers above its headcount (held for confirmation), one school's representative stays
    silent, one blocked the bot, the rest have nobody."""
    await staffed.app.reports.define_all(
        CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    )
    await staffed.join(SILENT_REP, Role.REP, SILENT_SCHOOL)
    await staffed.join(BLOCKED_REP, Role.REP, BLOCKED_SCHOOL)
    async with staffed.app.database.transaction() as connection:
        await OutboxStore(connection).mark_unreachable(
            BLOCKED_REP, "forbidden: bot was blocked", staffed.clock.now()
        )
    friday = date(2023, 4, 21)
    await tick(staffed, moscow(friday, 10, 5))
    staffed.clock.moment = moscow(friday, 11)
    [_, doubt] = await staffed.send(REP, "учителей 480, чатов 3")
    assert "больше, чем всего педагогов" in doubt.text
    await tick(staffed, moscow(friday + timedelta(days=3), 10, 5))
    lists = await tick(staffed, moscow(friday + timedelta(days=4), 10, 5))
    [listed] = [m for m in lists if m.chat_id == COORDINATOR]
    return listed


async def test_the_missing_list_tells_apart_why_each_has_no_report(staffed: World) -> None:
    listed = await missing_list(staffed)
    text = listed.text
    assert text.startswith("📋 Нет отчёта за неделю с 17.04.2023 (40):")
    silent = text.index("Не ответили (1):\n• " + SILENT_SCHOOL)
    held = text.index("Ответили, ждём их подтверждения (1):\n• " + SCHOOL)
    blocked = text.index("Подключились, но бот не может им написать (1):\n• " + BLOCKED_SCHOOL)
    nobody = text.index("Никто не подключился к боту (37):")
    assert silent < held < blocked < nobody
    assert [label for label, _ in listed.buttons()] == [
        "🔔 Напомнить им",
        "✉️ Пригласить",
        "✍️ Ввести за них",
    ]


async def test_remind_says_whom_it_reached_and_never_twice_within_hours(staffed: World) -> None:
    listed = await missing_list(staffed)
    nudges_before = len(await rows(staffed, "nudge"))
    [said] = await staffed.press(COORDINATOR, listed, "Напомнить им")
    text = said.text
    assert "Все уже отчитались" not in text  # the bug: schools nobody represents "reported"
    assert f"🔔 Напомнили (2): {SILENT_SCHOOL}, {SCHOOL}." in text
    assert f"Из них ответ ждёт их подтверждения: {SCHOOL}." in text
    assert f"🚫 Не дозвониться — подключившиеся заблокировали бота (1): {BLOCKED_SCHOOL}." in text
    # The committee answers its own figure (its coordinator is asked): not «nobody joined».
    assert "👤 Некому напомнить — никто не подключился (37): " in text
    assert "Комитет по образованию" not in text
    sent_now = await rows(staffed, "nudge")
    assert sorted(sent_now[nudges_before:]) == sorted([str(REP), str(SILENT_REP)])

    staffed.clock.moment += timedelta(hours=1)
    [again] = await staffed.press(COORDINATOR, listed, "Напомнить им")
    assert "🔔 Напомнили" not in again.text
    assert "⏳ Уже спрашивали недавно, повторно не напоминаем (2): " in again.text
    assert f"{SCHOOL} (в 10:05)" in again.text
    assert len(await rows(staffed, "nudge")) == len(sent_now)

    staffed.clock.moment += timedelta(hours=3)
    [later] = await staffed.press(COORDINATOR, listed, "Напомнить им")
    assert "🔔 Напомнили (2)" in later.text
    assert len(await rows(staffed, "nudge")) == len(sent_now) + 2


async def test_remind_for_a_school_nobody_represents_says_so(staffed: World) -> None:
    """Only schools nobody represents owe: the press said «Все уже отчитались» before."""
    await staffed.app.reports.define_all(
        CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml")
    )
    staffed.clock.moment = moscow(date(2023, 4, 25), 10)
    await staffed.send(REP, "учителей 38, чатов 12")
    due = date(2023, 4, 21).toordinal()  # the button carries only the due day
    said = await staffed.feed(press_update(staffed, ReportButton(action="rm", ref=due).pack()))
    [text] = [m.text for m in said]
    assert "Все уже отчитались" not in text
    assert "👤 Некому напомнить — никто не подключился (39): " in text


def press_update(world: World, data: str) -> dict[str, object]:
    return {
        "update_id": next(world.update_ids),
        "callback_query": {
            "id": f"cb{next(world.message_ids)}",
            "from": {"id": COORDINATOR, "is_bot": False, "first_name": "C", "language_code": "ru"},
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(world.clock.now().timestamp()),
                "chat": {"id": COORDINATOR, "type": "private"},
                "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                "text": "list",
            },
        },
    }


async def test_invite_gives_one_link_per_school_nobody_represents(staffed: World) -> None:
    listed = await missing_list(staffed)
    [links] = await staffed.press(COORDINATOR, listed, "Пригласить")
    found = re.findall(r"https://t\.me/\S+\?start=(\S+)", links.text)
    assert "Каждая ссылка — для одного человека" in links.text
    # 37 schools nobody represents (not the committee: its coordinator answers for it): the
    # first 30, and how many more.
    assert len(found) == 30
    assert "и ещё 7" in links.text
    assert "Комитет по образованию" not in links.text
    assert SILENT_SCHOOL not in links.text
    assert SCHOOL not in links.text
    async with staffed.app.database.transaction() as connection:
        made = list(await connection.execute(select(invites).where(invites.c.role == "rep")))
    coordinator = await staffed.number(COORDINATOR)
    assert len([row for row in made if not row.multi_use and row.created_by == coordinator]) == 30
    # A link works: whoever opens it answers for that school.
    await staffed.send(7001, f"/start {found[0]}")
    person = await staffed.app.people.identify("telegram", 7001, "P", None, "ru")
    assert [b.role for b in person.bindings] == [Role.REP]


async def test_enter_for_them_and_the_school_hears_of_an_overwrite(staffed: World) -> None:
    listed = await missing_list(staffed)
    [choose] = await staffed.press(COORDINATOR, listed, "Ввести за них")
    assert "За какую организацию" in choose.text
    [ask] = await staffed.press(COORDINATOR, choose, SILENT_SCHOOL)
    assert f"Вводите за {SILENT_SCHOOL}" in ask.text
    [taken, done] = await staffed.send(COORDINATOR, "30 и 15")
    assert "Принято" in taken.text
    assert f"Готово: за {SILENT_SCHOOL} всё введено." in done.text
    numbers = await values(staffed)
    assert numbers[f"teachers_active@{SILENT_SCHOOL}"] == 30
    assert numbers[f"chats@{SILENT_SCHOOL}"] == 15
    assert await rows(staffed, "changed") == []  # first numbers: nothing overwritten

    # The held school: the coordinator replaces its 3 chats by 5; its representative hears.
    [choose] = await staffed.press(COORDINATOR, listed, "Ввести за них")
    [ask] = await staffed.press(COORDINATOR, choose, SCHOOL)
    await staffed.send(COORDINATOR, "чатов 5")
    assert (await values(staffed))[f"chats@{SCHOOL}"] == 5
    assert await rows(staffed, "changed") == [str(REP)]
    before = len(staffed.session.sent)
    await sender(staffed).drain()
    await sender(staffed).drain()
    [notice] = staffed.session.sent[before:]
    assert notice.chat_id == REP
    assert f"изменил(а) данные за {SCHOOL}, неделя с 17.04.2023:" in notice.text
    assert "• Чаты классов в Сферуме: 3 → 5" in notice.text
    assert notice.text.startswith(f"✏️ Person {COORDINATOR}")
