"""The real `roadmap-bot run` process in MAX alone (MAX_TOKEN, no BOT_TOKEN) against the fake MAX
Bot API over real HTTP: a person starts the bot, views answer, a 429 and a 5xx on a reply are
waited out, and what was written while the bot was down is answered after a restart, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SMOLENSK_DOCX
from tests.e2e.test_bot_process import WAIT, bot_process, cli
from tests.fake_max import FakeMax, MaxUser, SentMessage

pytestmark = pytest.mark.e2e

MAX_TOKEN = "max-e2e-token"
MAX_ADMIN = 70_001


async def ask(fake: FakeMax, user: MaxUser, text: str, expect: str) -> SentMessage:
    dialog = fake.dialog_id(user)
    since = len(fake.messages_to(dialog))
    fake.send_text(user, text)
    return await fake.wait_for_message(dialog, contains=expect, since=since, timeout=WAIT)


@pytest.fixture
def max_environment(environment: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in environment.items() if key != "BOT_TOKEN"}
    env.update({"MAX_TOKEN": MAX_TOKEN, "ADMIN_IDS": f"max:{MAX_ADMIN}"})
    return env


async def test_max_alone_serves_views_faults_and_a_restart(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    log = tmp_path / "bot.log"
    cli(env, tmp_path, "import", str(SMOLENSK_DOCX))

    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        admin = fake.user(MAX_ADMIN, "Елена")
        async with bot_process(env, tmp_path, log):
            await fake.wait_for_request("GET /subscriptions", timeout=WAIT)
            fake.start_bot(admin)
            dialog = fake.dialog_id(admin)
            await fake.wait_for_message(dialog, contains="Что вы можете", timeout=WAIT)
            await ask(fake, admin, "/status", "Мероприятий: 22 —")

            fake.fail("POST /messages", status=429)
            fake.fail("POST /messages", status=502)
            await ask(fake, admin, "/tasks", "Мероприятия (")
            statuses = [call.status for call in fake.calls("POST /messages")]
            assert 429 in statuses
            assert 502 in statuses

        # Written while the bot is down: answered after the restart, once.
        since = len(fake.messages_to(dialog))
        fake.send_text(admin, "/status")
        async with bot_process(env, tmp_path, log):
            await fake.wait_for_message(
                dialog, contains="Мероприятий: 22 —", since=since, timeout=WAIT
            )
            await ask(fake, admin, "/task 7", "№ 7.")
        answers = [
            sent
            for sent in fake.messages_to(dialog)[since:]
            if sent.text and "Мероприятий: 22 —" in sent.text
        ]
        assert len(answers) == 1
        assert fake.internal_errors == []
    assert "Traceback" not in log.read_text(encoding="utf-8")
