"""The real `roadmap-bot run` process under the issue's load, against the fake Bot API: while
a coordinator's 5 MB sheet is being read and another person's chat is under a 429 with
retry_after 30, a third person's /status is answered within seconds and the 10:00 reminder
round goes out; the held reply arrives once Telegram allows, not lost and not doubled."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.reports import MAX_SHEET_BYTES
from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.e2e.conftest import ADMIN_ID, TOKEN
from tests.e2e.test_bot_process import WAIT, ask, bot_process, cli
from tests.fake_telegram import FakeTelegram

WAITING_ID, COORDINATOR_ID, SCHOOL_ID = 1002, 2001, 3001
CITY = "Комитет по образованию Администрации города Смоленска"
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
SECONDS = 10.0  # "within a few seconds", with room for a slow CI machine


def zone_at_ten(now: datetime) -> str | None:
    """A fixed-offset time zone where it is now 10 o'clock on a working day, if there is one."""
    offset = (10 - now.hour) % 24
    if offset > 14:  # Etc/GMT zones reach from UTC-12 to UTC+14
        offset -= 24
    if offset < -12:
        return None
    if (now + timedelta(hours=offset)).weekday() >= 5:
        return None
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-6 is UTC+6


def registry_in(zone: str, path: Path) -> Path:
    """The example registry with every organisation in `zone`."""
    with (EXAMPLES / "smolensk-orgs.csv").open(encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "timezone": zone})
    return path


async def invite_token(env: dict[str, str], cwd: Path, role: str, organisation: str) -> str:
    # Off the loop: the CLI asks the fake server (on this loop) for the bot's name.
    printed = await asyncio.to_thread(
        cli, env, cwd, "invite", "--role", role, "--org", organisation
    )
    return printed.split("start=", 1)[1].split()[0]


def the_issues_sheet() -> bytes:
    """`Организация;Педагоги` and rows of `x;1`, just under the size limit (1.3 M rows)."""
    header = "Организация;Педагоги\n".encode()
    return header + b"x;1\n" * ((MAX_SHEET_BYTES - len(header)) // 4)


async def test_status_and_the_round_go_on_under_a_big_sheet_and_a_429(
    environment: dict[str, str], tmp_path: Path
) -> None:
    zone = zone_at_ten(datetime.now(UTC))
    if zone is None:
        pytest.skip("no time zone has 10:00 on a working day right now (a weekend)")
    log = tmp_path / "bot.log"
    environment["ADMIN_IDS"] = f"{ADMIN_ID},{WAITING_ID}"
    cli(environment, tmp_path, "import", str(SMOLENSK_DOCX))
    cli(environment, tmp_path, "orgs", "import", str(registry_in(zone, tmp_path / "orgs.csv")))
    cli(environment, tmp_path, "parties", "link", "3", "все", "школы")
    cli(environment, tmp_path, "parties", "link", "4", "все", "школы")
    # The order's deadlines are in 2023: remind of what is overdue every working day, still.
    cli(environment, tmp_path, "reminders", "policy", "--overdue-every", "1")
    cli(environment, tmp_path, "reminders", "policy", "--overdue-limit", "100000")

    async with FakeTelegram(valid_token=TOKEN) as fake:
        environment["TELEGRAM_API_URL"] = fake.url
        admin = fake.user(ADMIN_ID, "Елена")
        waiting = fake.user(WAITING_ID, "Пётр")
        coordinator = fake.user(COORDINATOR_ID, "Ольга")
        school = fake.user(SCHOOL_ID, "Ирина")
        coordinator_token = await invite_token(environment, tmp_path, "coordinator", CITY)
        school_token = await invite_token(environment, tmp_path, "rep", SCHOOL)

        # First run, on a holiday: people join; no round.
        async with bot_process(environment, tmp_path, log):
            await ask(fake, coordinator, f"/start {coordinator_token}", "координатор")
            await ask(fake, school, f"/start {school_token}", "представитель организации")
            await ask(fake, waiting, "/start", "Что вы можете")

        # Second run: 10:00 on a working day where the organisations are. While the bot was
        # down the coordinator sent the sheet and the other admin asked for /status; that
        # admin's chat is under a 429 with retry_after 30.
        environment.update({"HOLIDAYS": "", "TIMEZONE": zone, "REMINDER_HOUR": "10"})
        fake.add_document(coordinator, "отчёт.csv", the_issues_sheet())
        fake.fail("sendMessage", status=429, retry_after=30, chat_id=WAITING_ID)
        since_waiting = len(fake.messages_to(WAITING_ID))
        fake.add_message(waiting, "/status")
        since_school = len(fake.messages_to(SCHOOL_ID))
        async with bot_process(environment, tmp_path, log) as process:
            await fake.wait_for_request("getFile", timeout=WAIT)  # the sheet is under way
            asked = asyncio.get_running_loop().time()
            fake.add_message(admin, "/status")
            answer = await fake.wait_for_message(
                ADMIN_ID, contains="Мероприятий: 22 —", timeout=SECONDS
            )
            assert answer.text is not None
            answered_in = asyncio.get_running_loop().time() - asked

            digest = await fake.wait_for_message(
                SCHOOL_ID,
                contains="Напоминание по дорожной карте",
                since=since_school,
                timeout=WAIT,
            )
            assert "№ 7" in (digest.text or "")  # the school's share of task 7 is overdue
            refused = await fake.wait_for_message(COORDINATOR_ID, contains="строк", timeout=WAIT)
            assert "больше 50" in (refused.text or "")

            # The reply held by the 429 arrives once Telegram allows, exactly once.
            held = await fake.wait_for_message(
                WAITING_ID, contains="Мероприятий: 22 —", since=since_waiting, timeout=45
            )
            assert held.text is not None
            await asyncio.sleep(1.5)
            said = [m.text for m in fake.messages_to(WAITING_ID)[since_waiting:]]
            assert sum("Мероприятий: 22 —" in (text or "") for text in said) == 1
        assert process.returncode == 0, log.read_text()
        assert answered_in < SECONDS
        assert fake.internal_errors == []
