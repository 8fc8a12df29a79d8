"""One person in both messengers, the real `roadmap-bot run` process serving Telegram
(BOT_TOKEN) and MAX (MAX_TOKEN) against both fake servers over real HTTP. They join in
Telegram with an invite and add MAX with the personal link the bot offers them there. The
reminder round reaches them once in each messenger; while one messenger fails (MAX answers
503 to every send, or they blocked the bot in Telegram) the other's message arrives all the
same, and a message held by a failure that passes arrives once it clears: nothing lost,
nothing doubled."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.test_bot_process import WAIT, bot_process
from tests.e2e.test_bot_process import ask as ask_telegram
from tests.e2e.test_max_process import (
    MAX_TOKEN,
    SCHOOL,
    START,
    a_round_today,
    round_now,
    started,
)
from tests.e2e.test_under_load import invite_token
from tests.fake_max import FakeMax, MaxUser
from tests.fake_telegram import FakeTelegram, FakeUser

pytestmark = pytest.mark.e2e

TELEGRAM_ID, MAX_ID = 3001, 70_003
DIGEST = "Напоминание по дорожной карте"
MAX_LINK = re.compile(r"https://max\.ru/roadmap_test_bot\?start=([A-Za-z0-9_-]+)")


@dataclass
class Both:
    telegram: FakeTelegram
    max: FakeMax
    in_telegram: FakeUser
    in_max: MaxUser

    @property
    def dialog(self) -> int:
        return self.max.dialog_id(self.in_max)

    def digests(self) -> tuple[int, int]:
        """How many reminder digests they were sent in Telegram and in MAX."""
        telegram = self.telegram.messages_to(TELEGRAM_ID)
        in_max = self.max.messages_to(self.dialog)
        return (
            sum(DIGEST in (sent.text or "") for sent in telegram),
            sum(DIGEST in (sent.text or "") for sent in in_max),
        )


@asynccontextmanager
async def joined_in_both(environment: dict[str, str], cwd: Path) -> AsyncIterator[Both]:
    """A school's person joined in Telegram by an invite and in MAX by the personal link the
    bot offered on joining, in a first run on a holiday (no round)."""
    env = {**environment, "MAX_TOKEN": MAX_TOKEN}
    a_round_today(env, cwd)
    async with FakeTelegram(valid_token=TOKEN) as telegram, FakeMax(token=MAX_TOKEN) as fake:
        env.update({"TELEGRAM_API_URL": telegram.url, "MAX_API_URL": fake.url})
        environment.update(env)
        in_telegram = telegram.user(TELEGRAM_ID, "Ирина")
        in_max = fake.user(MAX_ID, "Ирина")
        token = await invite_token(env, cwd, "rep", SCHOOL)
        async with bot_process(env, cwd, cwd / "bot.log") as process:
            await telegram.wait_for_request("getUpdates", timeout=START)
            since = len(telegram.messages_to(TELEGRAM_ID))
            await ask_telegram(telegram, in_telegram, f"/start {token}", "представитель")
            offer = await telegram.wait_for_message(
                TELEGRAM_ID, contains="https://max.ru/", since=since, timeout=WAIT
            )
            found = MAX_LINK.search(offer.text or "")
            assert found is not None, offer.text
            await started(fake, in_max, found.group(1), "Готово: вы подключены и в MAX")
        assert process.returncode == 0
        yield Both(telegram, fake, in_telegram, in_max)


async def test_the_digest_reaches_both_messengers_once_and_a_failing_one_catches_up(
    environment: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    async with joined_in_both(environment, tmp_path) as both:
        assert both.digests() == (0, 0)
        # MAX answers 503 to every send until the fault is cleared.
        both.max.fail("POST /messages", status=503, times=100_000)
        async with bot_process(round_now(environment), tmp_path, log) as process:
            digest = await both.telegram.wait_for_message(
                TELEGRAM_ID, contains=DIGEST, timeout=START
            )
            assert "№ 7" in (digest.text or "")
            await both.max.wait_for(
                lambda: sum(call.status == 503 for call in both.max.calls("POST /messages")) >= 2,
                WAIT,
                what="MAX's sends failing",
            )
            assert both.digests() == (1, 0)

            both.max.clear_faults()
            in_max = await both.max.wait_for_message(both.dialog, contains=DIGEST, timeout=WAIT)
            assert in_max.text == digest.text  # the same digest, said in MAX
            await asyncio.sleep(1.5)  # room for a doubled one to show
            assert both.digests() == (1, 1)
        assert process.returncode == 0, log.read_text(encoding="utf-8")
        assert both.telegram.internal_errors == []
        assert both.max.internal_errors == []
    said = log.read_text(encoding="utf-8")
    assert "Traceback" not in said
    assert "Unclosed client session" not in said  # each run closed what it opened


async def test_blocked_in_telegram_they_still_hear_in_max(
    environment: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    async with joined_in_both(environment, tmp_path) as both:
        both.telegram.block(TELEGRAM_ID)  # every send there answers 403 "bot was blocked"
        async with bot_process(round_now(environment), tmp_path, log) as process:
            await both.max.wait_for_message(both.dialog, contains=DIGEST, timeout=START)
            await both.telegram.wait_for(
                lambda: any(call.status == 403 for call in both.telegram.calls("sendMessage")),
                WAIT,
                what="Telegram's 403",
            )
            # Unblocked and started again in Telegram: answered there again.
            both.telegram.unblock(TELEGRAM_ID)
            await ask_telegram(both.telegram, both.in_telegram, "/start", "")
            await ask_telegram(both.telegram, both.in_telegram, "/status", "Мероприятий:")
            await asyncio.sleep(1.5)  # room for a doubled one to show
            assert both.digests() == (0, 1)
        assert process.returncode == 0, log.read_text(encoding="utf-8")
        denied = [call for call in both.telegram.calls("sendMessage") if call.status == 403]
        assert len(denied) == 1  # met once, then not tried again
    said = log.read_text(encoding="utf-8")
    assert "Traceback" not in said
    assert "Unclosed client session" not in said  # each run closed what it opened
