"""The real `roadmap-bot run` process against the fake Bot API server, over real HTTP.

A department onboards an admin, a coordinator and a school by invite link; each sees their
own /status, /tasks and /task; the school marks a task done from a button; the process is
stopped and started again, and what was sent while it was down is answered after the start.
"""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.e2e.conftest import ADMIN_ID, TOKEN
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage

COORDINATOR_ID, SCHOOL_ID = 2001, 3001
CITY = "Комитет по образованию Администрации города Смоленска"
WAIT = 20.0  # generous: a cold start imports aiogram, SQLAlchemy and friends


def cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@asynccontextmanager
async def bot_process(
    env: dict[str, str], cwd: Path, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=cwd, stdout=output, stderr=output
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def ask(fake: FakeTelegram, user: FakeUser, text: str, expect: str) -> SentMessage:
    since = len(fake.messages_to(user.id))
    fake.add_message(user, text)
    return await fake.wait_for_message(user.id, contains=expect, since=since, timeout=WAIT)


async def press(
    fake: FakeTelegram, user: FakeUser, message: SentMessage, label: str, expect: str
) -> SentMessage:
    since = len(fake.messages_to(user.id))
    query = fake.press_button(user, message, label)
    reply = await fake.wait_for_message(user.id, contains=expect, since=since, timeout=WAIT)
    assert fake.callback_answered(query)
    return reply


async def invite_through_the_bot(
    fake: FakeTelegram, inviter: FakeUser, role_label: str, organisation: str
) -> str:
    roles = await ask(fake, inviter, "/invite", "Кого пригласить?")
    await press(fake, inviter, roles, role_label, "Для какой организации?")
    choices = await ask(fake, inviter, organisation, "Выберите организацию")
    uses = await press(fake, inviter, choices, organisation[:20], "Сколько раз")
    link = await press(fake, inviter, uses, "Одноразовая", "https://t.me/roadmap_test_bot?start=")
    assert link.text is not None
    return link.text.rsplit("start=", 1)[1].strip()


async def test_onboarding_views_a_button_and_a_restart(
    environment: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    cli(environment, tmp_path, "import", str(SMOLENSK_DOCX))
    cli(environment, tmp_path, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    cli(environment, tmp_path, "parties", "link", "2", "все", "органы")
    cli(environment, tmp_path, "parties", "link", "3", "все", "школы")
    cli(environment, tmp_path, "parties", "link", "4", "все", "школы")

    async with FakeTelegram(valid_token=TOKEN) as fake:
        environment["TELEGRAM_API_URL"] = fake.url
        admin = fake.user(ADMIN_ID, "Елена")
        coordinator = fake.user(COORDINATOR_ID, "Ольга")
        school = fake.user(SCHOOL_ID, "Ирина")

        async with bot_process(environment, tmp_path, log) as process:
            await fake.wait_for_request("getUpdates", timeout=WAIT)
            assert fake.my_commands(), "default menu not published"

            await ask(fake, admin, "/start", "Что вы можете")
            coordinator_token = await invite_through_the_bot(fake, admin, "координатор", CITY)
            await ask(
                fake,
                coordinator,
                f"/start {coordinator_token}",
                "Готово: вы подключены как координатор",
            )
            school_token = await invite_through_the_bot(
                fake, coordinator, "представитель организации", "Гимназия № 4"
            )
            await ask(fake, school, f"/start {school_token}", "представитель организации")

            await ask(fake, admin, "/status", "Мероприятий: 22 —")
            await ask(fake, coordinator, "/status", "Мероприятий: 8 —")
            await ask(fake, school, "/status", "Мероприятий: 3 —")
            listing = await ask(fake, school, "/tasks", "Мероприятия (3 из 3)")
            assert listing.buttons()

            card = await ask(fake, school, "/task 7", "№ 7. Регистрация")
            assert "Статус: просрочено" in (card.text or "")  # the real clock: 2023 is long past
            since = len(fake.calls("editMessageText"))
            await press(fake, school, card, "Выполнено", "№ 7: выполнено — МБОУ «Гимназия № 4»")
            edit = await fake.wait_for_request("editMessageText", since=since, timeout=WAIT)
            assert "Статус: выполнено" in str(edit.params["text"])

            refused = await ask(fake, school, "/task 1", "нет среди доступных вам")
            assert refused.text == "Мероприятия № 1 нет среди доступных вам."

        assert process.returncode == 0, log.read_text()

        # Sent while the bot is down: answered after the next start, nothing lost.
        fake.add_message(school, "/task 7")
        since = len(fake.messages_to(SCHOOL_ID))
        async with bot_process(environment, tmp_path, log) as process:
            after = await fake.wait_for_message(
                SCHOOL_ID, contains="№ 7. Регистрация", since=since, timeout=WAIT
            )
            assert "Статус: выполнено" in (after.text or "")
            await ask(fake, coordinator, "/status", "№ 7 — выполнили 1 из")  # its one school
        assert process.returncode == 0, log.read_text()

        assert not fake.pending_updates_dropped
        assert all(
            not call.params.get("drop_pending_updates") for call in fake.calls("deleteWebhook")
        )
        assert fake.internal_errors == []
    assert TOKEN not in log.read_text()
    assert "123456789:" not in log.read_text()


async def test_a_reply_survives_a_429_and_a_5xx(
    environment: dict[str, str], tmp_path: Path
) -> None:
    cli(environment, tmp_path, "import", str(SMOLENSK_DOCX))
    async with FakeTelegram(valid_token=TOKEN) as fake:
        environment["TELEGRAM_API_URL"] = fake.url
        admin = fake.user(ADMIN_ID, "Елена")
        async with bot_process(environment, tmp_path, tmp_path / "bot.log") as process:
            await fake.wait_for_request("getUpdates", timeout=WAIT)
            fake.fail("sendMessage", status=429, retry_after=1)
            fake.fail("sendMessage", status=502)
            reply = await ask(fake, admin, "/status", "Мероприятий: 22 —")
            assert reply.text is not None
            statuses = [call.status for call in fake.calls("sendMessage")]
            assert statuses[-3:] == [429, 502, 200]
        assert process.returncode == 0


def test_without_a_token_run_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env["BOT_TOKEN"] = ""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "@BotFather" in done.stderr
    assert "config.example.env" in done.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_checks_the_secret_on_every_request(
    environment: dict[str, str], tmp_path: Path
) -> None:
    cli(environment, tmp_path, "import", str(SMOLENSK_DOCX))
    port = free_port()
    async with FakeTelegram(valid_token=TOKEN) as fake:
        environment.update(
            {
                "TELEGRAM_API_URL": fake.url,
                "WEBHOOK_URL": "https://bot.example.org/telegram",
                "WEBHOOK_SECRET": "s3cret-value",
                "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            }
        )
        async with bot_process(environment, tmp_path, tmp_path / "bot.log") as process:
            hook = await fake.wait_for_request("setWebhook", timeout=WAIT)
            assert hook.params["url"] == "https://bot.example.org/telegram"
            assert hook.params["secret_token"] == "s3cret-value"
            assert not hook.params.get("drop_pending_updates")
            update = {
                "update_id": 77,
                "message": {
                    "message_id": 1,
                    "date": 1700000000,
                    "chat": {"id": ADMIN_ID, "type": "private"},
                    "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "Елена"},
                    "text": "/status",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
                },
            }
            url = f"http://127.0.0.1:{port}/telegram"
            async with aiohttp.ClientSession() as http:
                for secret in ("wrong", None):
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 401
                assert fake.calls("sendMessage") == []
                headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 200
                reply = await fake.wait_for_message(ADMIN_ID, contains="Мероприятий: 22 —")
                assert reply.text is not None
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 200  # a redelivery: accepted, not handled again
                await asyncio.sleep(0.5)
                assert len(fake.messages_to(ADMIN_ID)) == 1
        assert process.returncode == 0


async def test_cli_invites_for_a_mail_merge_work_in_the_bot(
    environment: dict[str, str], tmp_path: Path
) -> None:
    cli(environment, tmp_path, "import", str(SMOLENSK_DOCX))
    cli(environment, tmp_path, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    async with FakeTelegram(valid_token=TOKEN) as fake:
        environment["TELEGRAM_API_URL"] = fake.url
        out = tmp_path / "invites.csv"
        printed = await asyncio.to_thread(
            cli,
            environment,
            tmp_path,
            "invite",
            "--all",
            "--role",
            "rep",
            "--kind",
            "school",
            "--out",
            str(out),
        )
        assert "355" in printed
        with out.open(encoding="utf-8-sig") as rows:
            table = list(csv.reader(rows, delimiter=";"))
        assert table[0] == ["Организация", "Роль", "Ссылка (Telegram)", "Действует до"]
        assert len(table) == 356
        assert all(row[2].startswith("https://t.me/roadmap_test_bot?start=") for row in table[1:])
        assert len({row[2] for row in table[1:]}) == 355

        single = await asyncio.to_thread(
            cli, environment, tmp_path, "invite", "--role", "coordinator", "--org", CITY
        )
        assert "https://t.me/roadmap_test_bot?start=" in single

        school_name, _, link, _ = table[1]
        async with bot_process(environment, tmp_path, tmp_path / "bot.log"):
            await fake.wait_for_request("getUpdates", timeout=WAIT)
            school = fake.user(SCHOOL_ID, "Ирина")
            token = link.rsplit("start=", 1)[1]
            joined = await ask(fake, school, f"/start {token}", "Готово")
            assert school_name in (joined.text or "")
