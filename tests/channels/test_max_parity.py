"""What a person can do in Telegram they can do in MAX, through the real dispatcher fed by the
MAX front end and answered over real HTTP by the fake MAX: the command menu, a reply MAX keeps
refusing (held, then sent by MAX's sender), /bind in a group and the reminders it brings, a
sheet uploaded and taken, links to invite the missing, a chart and a workbook received."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.channels.max.api import Backoff, MaxApi
from bot.channels.max.channel import MaxChannel
from bot.channels.max.delivery import MaxDelivery
from bot.channels.max.transport import MaxTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.access import Role
from bot.domain.channels import MAX
from bot.importers.indicators import read_indicators
from bot.render.outbox import outbox_composer
from bot.render.telegram import every_command
from bot.services.people import CLI
from handlers.callbacks import BindParty
from storage.outbox import OutboxStore
from storage.people import PeopleStore
from storage.tables import chat_bindings, weekly_reports
from tests.bot.conftest import CITY, SCHOOL
from tests.channels import test_max_channel as max_world
from tests.channels.test_max_channel import ADMIN_ID, FRIDAY, REP_ID, MaxWorld
from tests.conftest import EXAMPLES
from tests.fake_max import FakeMax, SentMessage

fake = max_world.fake
world = max_world.world

COORDINATOR_ID, NEWCOMER_ID = 7_004, 7_005
GROUP = -70_000_000_017
FAST = RateLimits(per_second=1000, per_chat_per_second=1000, per_group_per_minute=1000)


@pytest.fixture
async def max_api(fake: FakeMax) -> AsyncIterator[MaxApi]:
    """MAX's sender's own client, as the running bot has (bot.app.Reminders)."""
    async with MaxApi(fake.token, base_url=fake.url) as api:
        yield api


async def sent_by_max(world: MaxWorld, api: MaxApi) -> int:
    """Run MAX's outbox sender until nothing is due; how many messages it sent."""
    app = world.app
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru")
    sender = Sender(app.database, MaxDelivery(MaxTransport(api)), world.clock, compose, limits=FAST)
    return (await sender.drain()).sent


async def started(world: MaxWorld, user_id: int, name: str) -> int:
    """A person presses Start; their dialog, after the bot's greeting."""
    user = world.fake.user(user_id, name)
    world.fake.start_bot(user)
    dialog = world.fake.dialog_id(user)
    await world.said(user, "")
    return dialog


async def asked(world: MaxWorld, user_id: int, text: str, contains: str) -> SentMessage:
    """The person writes `text`; the first answer containing `contains`."""
    dialog = world.fake.dialog_id(user_id)
    since = len(world.fake.messages_to(dialog))
    world.fake.send_text(user_id, text)
    return await world.said(world.fake.user(user_id), contains, since=since)


def moscow(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 3, minute, tzinfo=UTC)


async def test_the_command_menu_is_published_when_max_starts(world: MaxWorld) -> None:
    channel = world.channel_for()
    await channel.start(world.dispatcher)
    await channel.stop()
    menu = world.fake.commands
    assert [command["name"] for command in menu] == every_command()
    assert len(menu) <= 32  # MAX's limit, and one menu for everyone (no scopes)
    described = {command["name"]: command.get("description") for command in menu}
    assert described["status"] == "дорожная карта: выполнено, просрочено, ближайшие сроки"
    assert described["help"] == "что вы можете"


async def test_a_reply_max_keeps_refusing_is_held_and_sent_by_the_max_sender(
    world: MaxWorld, max_api: MaxApi
) -> None:
    # MAX says no Retry-After: how long a 429 waits is the client's backoff, here a long one.
    api = MaxApi(world.fake.token, base_url=world.fake.url, backoff=Backoff(rate_first=30))
    channel = MaxChannel(world.app, api=api, polling_timeout=0)
    await channel.prepare(world.dispatcher)
    try:
        admin = world.fake.user(ADMIN_ID, "Админ")
        world.fake.start_bot(admin)
        await world.poll(channel)
        dialog = world.fake.dialog_id(admin)
        answered = len(world.fake.messages_to(dialog))
        world.fake.fail("POST /messages", status=429, chat_id=dialog)
        world.fake.send_text(admin, "/whoami")
        assert await world.poll(channel) == 1
        assert await world.poll(channel) == 0  # handled: confirmed, not tried again
    finally:
        await channel.stop()

    # The handler did not wait and the update is done: the reply is in the outbox for MAX.
    assert [call.status for call in world.fake.calls("POST /messages")][-1] == 429
    assert len(world.fake.messages_to(dialog)) == answered
    async with world.app.database.transaction(write=False) as connection:
        rows = await OutboxStore(connection).rows()
    held = [row for row in rows if row.kind.startswith("reply:")]
    assert [(row.channel, row.chat_id, row.status) for row in held] == [(MAX, dialog, "pending")]

    assert await sent_by_max(world, max_api) == 0  # not before MAX allows
    world.clock.advance(timedelta(seconds=31))
    assert await sent_by_max(world, max_api) == 1
    reply = world.fake.last_message(dialog)
    assert "Админ, id" in (reply.text or "")
    assert await sent_by_max(world, max_api) == 0  # once
    assert len(world.fake.messages_to(dialog)) == answered + 1


async def test_bind_in_a_max_group_brings_the_groups_reminders_there(
    world: MaxWorld, max_api: MaxApi
) -> None:
    await started(world, ADMIN_ID, "Админ")
    group = world.fake.group(GROUP, "Штаб ЦО")
    world.fake.send_text(ADMIN_ID, "/bind", chat_id=group)
    await world.poll()
    question = await world.fake.wait_for_message(group, "Для кого эта группа?")
    world.fake.tap_payload(ADMIN_ID, question, BindParty(index=7).pack())  # ЦО / VK
    await world.poll()
    done = await world.fake.wait_for_message(group, "будет получать напоминания")
    async with world.app.database.transaction(write=False) as connection:
        rows = list(await connection.execute(select(chat_bindings)))
    assert [(row.channel, row.chat_id) for row in rows] == [(MAX, group)]

    # Task 18 is the VK group's every Friday: the reminder reaches the MAX group.
    world.clock.moment = moscow(date(2023, 4, 21), 10, 5)
    await world.app.planner.plan()
    assert await sent_by_max(world, max_api) >= 1
    reminder = world.fake.last_message(group)
    assert reminder.seq > done.seq
    assert "18" in (reminder.text or "")
    async with world.app.database.transaction(write=False) as connection:
        sent = [row for row in await OutboxStore(connection).rows() if row.chat_id == group]
    assert {(row.channel, row.status) for row in sent} == {(MAX, "sent")}


async def test_a_sheet_uploaded_in_max_is_taken_and_its_refused_rows_come_back_as_a_file(
    world: MaxWorld,
) -> None:
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY
    coordinator = world.fake.user(COORDINATOR_ID, "Координатор")
    await world.join(coordinator, Role.COORDINATOR, CITY)
    dialog = world.fake.dialog_id(coordinator)
    since = len(world.fake.messages_to(dialog))
    lines = [f"{SCHOOL};40"] + [f"Школа, которой нет № {n};1" for n in range(25)]
    sheet = ("Организация;Педагоги\n" + "\n".join(lines) + "\n").encode()
    world.fake.send_file(coordinator, "неделя.csv", sheet)

    summary = await world.said(coordinator, "Принято строк: 1", since=since)
    assert "Не принято (25)" in (summary.text or "")
    assert "файл с ними приложен" in (summary.text or "")
    async with world.app.database.transaction(write=False) as connection:
        stored = [row.value for row in await connection.execute(select(weekly_reports))]
    assert stored == [40]
    [attached] = [
        message
        for message in world.fake.messages_to(dialog)[since:]
        if any(a.get("type") == "file" for a in message.attachments)
    ]
    [refused] = attached.files
    rows = list(csv.reader(io.StringIO(refused.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Строка", "Текст", "Причина"]
    assert len(rows) == 1 + 25


async def test_invite_under_the_missing_list_makes_max_links_in_max(
    world: MaxWorld, max_api: MaxApi
) -> None:
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    coordinator = world.fake.user(COORDINATOR_ID, "Координатор")
    await world.join(coordinator, Role.COORDINATOR, CITY)
    dialog = world.fake.dialog_id(coordinator)
    friday = date(2023, 4, 21)
    for day in (friday, friday + timedelta(days=3), friday + timedelta(days=4)):
        world.clock.moment = moscow(day, 10, 5)
        await world.app.questions.plan()
        await sent_by_max(world, max_api)
    listed = await world.fake.wait_for_message(dialog, "📋 Нет отчёта за неделю")
    since = len(world.fake.messages_to(dialog))
    world.fake.tap(coordinator, listed, "Пригласить")
    links = await world.said(coordinator, "Ссылки-приглашения", since=since)
    text = links.source_text or ""
    tokens = re.findall(r"https://max\.ru/roadmap_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert len(tokens) == 30
    assert "t.me" not in text

    newcomer = world.fake.user(NEWCOMER_ID, "Новый")
    world.fake.start_bot(newcomer, payload=tokens[0])
    await world.said(newcomer, "Готово: вы подключены")
    async with world.app.database.transaction(write=False) as connection:
        number = await PeopleStore(connection).person_of(MAX, str(NEWCOMER_ID))
    assert number is not None
    person = await world.app.people.identify(MAX, NEWCOMER_ID, "Новый", None, "ru")
    assert [binding.role for binding in person.bindings] == [Role.REP]


async def test_a_chart_and_a_workbook_reach_max_through_its_two_step_upload(
    world: MaxWorld,
) -> None:
    world.fake.not_ready_sends = 1  # each fresh upload is refused once: attachment.not.ready
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY
    rep = world.fake.user(REP_ID, "Анна")
    await world.join(rep, Role.REP, SCHOOL)
    await asked(world, REP_ID, "учителей 38, чатов 12", "38")
    await started(world, ADMIN_ID, "Админ")

    status = await asked(world, ADMIN_ID, "/status", "Мероприятий: 22")
    chart_button = next(
        str(button["text"])
        for row in status.keyboard
        for button in row
        if str(button["text"]).startswith("📈")
    )
    dialog = world.fake.dialog_id(ADMIN_ID)
    since = len(world.fake.messages_to(dialog))
    world.fake.tap(ADMIN_ID, status, chart_button)
    await world.poll()
    chart = await world.fake.wait_for_message(dialog, None, since=since)
    [image] = chart.files
    assert image.kind == "image"
    assert image.data.startswith(b"\x89PNG")
    assert [a["type"] for a in chart.attachments if a["type"] != "inline_keyboard"] == ["image"]

    since = len(world.fake.messages_to(dialog))
    world.fake.send_text(ADMIN_ID, "/export")
    await world.poll()
    exported = await world.fake.wait_for_message(dialog, None, since=since)
    [workbook] = exported.files
    assert workbook.kind == "file"
    assert (workbook.filename or "").endswith(".xlsx")
    book = load_workbook(io.BytesIO(workbook.data))
    assert book.worksheets[0].title == "Задачи"

    uploads = world.fake.calls("POST /uploads")
    assert [call.query["type"] for call in uploads] == ["image", "file"]
    refused = [call for call in world.fake.calls("POST /messages") if call.code]
    assert [call.code for call in refused] == ["attachment.not.ready"] * 2
