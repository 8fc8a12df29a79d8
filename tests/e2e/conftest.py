"""What the end-to-end tests share: the environment of a `roadmap-bot` process."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TOKEN = "123456789:AAE2e-TestTokenForTheFakeServer_0123"
ADMIN_ID = 1001


@pytest.fixture
def environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "ADMIN_", "LANGUAGE"))
    }
    env.update(
        {
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": database_url,
            "ADMIN_IDS": str(ADMIN_ID),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            # No reminder round while these tests run, whatever day CI runs on: the tests
            # count the messages they cause, and reminders have tests of their own.
            "HOLIDAYS": ",".join(
                (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()
                for offset in (-1, 0, 1)
            ),
        }
    )
    return env
