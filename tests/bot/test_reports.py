"""Weekly numbers through the real dispatcher: questions, answers, checks, corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.importers.indicators import read_indicators
from bot.services.people import CLI
from storage.tables import audit_log, weekly_reports
from tests.bot.conftest import ADMIN, COORDINATOR, REP, SCHOOL, World
from tests.conftest import EXAMPLES

FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, the first due day
WEEK = date(2023, 4, 17)


async def define(world: World) -> None:
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    world.clock.moment = FRIDAY


async def values(world: World) -> dict[str, int]:
    async with world.app.database.transaction() as connection:
        rows = await connection.execute(select(weekly_reports))
        ids = {v: k for k, v in (await world.app.snapshots.organisation_ids()).items()}
        codes = {h.current.id: h.code for h in await world.app.reports.histories()}
        return {f"{codes[r.indicator_id]}@{ids[r.organisation_id]}": r.value for r in rows}


async def test_a_school_is_asked_and_answers_by_label(staffed: World) -> None:
    await define(staffed)
    [teachers, chats] = await staffed.send(REP, "/report")
    assert SCHOOL in teachers.text
    assert "Вопрос 1 из 2" in teachers.text
    assert "Всего педагогов: 48" in teachers.text
    assert "Вопрос 2 из 2" in chats.text
    assert "Сколько чатов классов" in chats.text
    assert [label for label, _ in chats.buttons()] == ["0"]

    [refused] = await staffed.send(REP, "много")
    assert "Не понял «много»" in refused.text
    assert await values(staffed) == {}

    [stored] = await staffed.send(REP, "учителей 38, чатов 12")
    assert "Принято" in stored.text
    assert "38 (79,2% из 48)" in stored.text
    assert await values(staffed) == {f"teachers_active@{SCHOOL}": 38, f"chats@{SCHOOL}": 12}


async def test_corrections_replace_and_keep_history(staffed: World) -> None:
    await define(staffed)
    await staffed.send(REP, "учителей 38, чатов 12")
    [corrected] = await staffed.send(REP, "учителей 40")
    assert "38 → 40" in corrected.text
    assert (await values(staffed))[f"teachers_active@{SCHOOL}"] == 40
    async with staffed.app.database.transaction() as connection:
        changes = [
            (r.old, r.new)
            for r in await connection.execute(
                select(audit_log).where(audit_log.c.subject == "report").order_by(audit_log.c.id)
            )
        ]
    assert changes == [(None, "38"), (None, "12"), ("38", "40")]


async def test_above_the_headcount_is_confirmed_before_it_counts(staffed: World) -> None:
    await define(staffed)
    [stored, doubt] = await staffed.send(REP, "учителей 480, чатов 3")
    assert "Чаты классов в Сферуме: 3" in stored.text
    assert "больше, чем всего педагогов (48)" in doubt.text
    assert await values(staffed) == {f"chats@{SCHOOL}": 3}
    [confirmed] = await staffed.press(REP, doubt, "Подтвердить")
    assert "Принято" in confirmed.text
    assert (await values(staffed))[f"teachers_active@{SCHOOL}"] == 480
    [again] = await staffed.press(REP, doubt, "Подтвердить")
    assert "уже решено" in again.text


async def test_a_redelivered_update_counts_once(staffed: World) -> None:
    await define(staffed)
    update = staffed.message_update(REP, "учителей 38, чатов 12")
    await staffed.feed(update)
    staffed.app.ledger._handled.clear()  # as after a crash before the ledger was written
    await staffed.feed(update)
    async with staffed.app.database.transaction() as connection:
        history = list(
            await connection.execute(select(audit_log).where(audit_log.c.subject == "report"))
        )
    assert len(history) == 2


async def test_status_shows_the_indicators_and_drills_down(staffed: World) -> None:
    await define(staffed)
    await staffed.send(REP, "учителей 38, чатов 12")
    [status] = await staffed.send(ADMIN, "/status")
    assert "Педагоги, написавшие не менее 10 сообщений за неделю" in status.text
    [city] = await staffed.send(COORDINATOR, "/status Гимназия № 4")
    assert "38" in city.text


async def test_an_admin_defines_an_indicator_by_form(staffed: World) -> None:
    [form] = await staffed.send(ADMIN, "/indicator")
    assert "код: teachers_active" in form.text
    text = (
        "/indicator код: communities\nназвание: Сообщества\nвопрос: Сколько сообществ создано?\n"
        "синонимы: сообществ\nкто: школы\nцель: 300 до 31.05.2023\nдень: четверг\nс: 19.04.2023"
    )
    [saved] = await staffed.send(ADMIN, text)
    assert "«Сообщества» сохранён (действует с 17.04.2023)" in saved.text
    [listed] = await staffed.send(ADMIN, "/indicators")
    assert "• Сообщества — школы, четверг до 18:00; цель 300 к 31.05.2023" in listed.text
    assert "communities" not in listed.text
    bad_form = "/indicator код: x\nназвание: X\nвопрос: ?\nдень: когда-нибудь"
    [bad] = await staffed.send(ADMIN, bad_form)
    assert "Не удалось разобрать показатель" in bad.text
    [refused] = await staffed.send(REP, text)
    assert "Показатели задаёт департамент" in refused.text
    assert len(await staffed.app.reports.histories()) == 1


async def test_a_coordinator_enters_lines_in_bulk_within_reach(staffed: World) -> None:
    await define(staffed)
    text = (
        "МБОУ «Гимназия № 4» г. Смоленска — учителей 40, чатов 7\n"
        "МБОУ «Велижская СШ № 1» — учителей 5, чатов 1\n"
        "Школа, которой нет — 5"
    )
    [answer] = await staffed.send(COORDINATOR, text)
    assert "Принято строк: 1" in answer.text
    assert "стр. 2: МБОУ «Велижская СШ № 1» — не в вашей зоне" in answer.text
    assert "стр. 3: Школа, которой нет — 5 — организация не найдена" in answer.text
    assert await values(staffed) == {f"teachers_active@{SCHOOL}": 40, f"chats@{SCHOOL}": 7}


async def test_a_line_may_name_the_school_by_its_short_name(staffed: World) -> None:
    await define(staffed)
    [answer] = await staffed.send(COORDINATOR, "Гимназия № 4 Смоленск — учителей 41, чатов 8")
    assert "Принято строк: 1" in answer.text
    assert await values(staffed) == {f"teachers_active@{SCHOOL}": 41, f"chats@{SCHOOL}": 8}


async def test_lines_of_which_none_is_accepted_say_so_plainly(staffed: World) -> None:
    await define(staffed)
    text = "МБОУ «Велижская СШ № 1» — учителей 5, чатов 1\nШкола, которой нет — 5"
    [answer] = await staffed.send(COORDINATOR, text)
    assert answer.text.startswith("⚠️ Ничего не принято.")
    assert "Принято строк: 0" not in answer.text
    assert await values(staffed) == {}
