"""`roadmap-bot invite` with Telegram, MAX or both configured: a link per messenger (the CSV
gets a column for each), MAX's name asked of the (fake) MAX server, and one line when a
messenger does not answer, with nothing made."""

from __future__ import annotations

import asyncio
import csv
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.channels.names as names
from bot.__main__ import main
from bot.config import Settings
from tests.backends import ON_POSTGRESQL, cli_rows
from tests.conftest import EXAMPLES
from tests.fake_max import FakeMax

TOKEN = "123456:" + "A" * 35
MAX_BOT = "roadmap_max_bot"
SCHOOL = "МБОУ «Акатовская средняя школа»"


class FakeMaxThread:
    """The fake MAX server on a loop of its own: the CLI runs its own loop (asyncio.run)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake = FakeMax(bot_username=MAX_BOT)

    def __enter__(self) -> FakeMax:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        return self.fake

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def fake_max() -> Iterator[FakeMax]:
    with FakeMaxThread() as fake:
        yield fake


@pytest.fixture(autouse=True)
def workdir(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    for variable in ("MAX_TOKEN", "MAX_API_URL", "MAX_WEBHOOK_URL", "MAX_WEBHOOK_SECRET"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")

    async def telegram_name(settings: Settings) -> str:  # Telegram's getMe, answered here
        return "roadmap_bot"

    monkeypatch.setattr(names, "telegram_name", telegram_name)
    assert run(capsys, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))[0] == 0
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as done:  # argparse, or a message: Python prints it and exits 1
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        code = 1 if isinstance(done.code, str) else int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def use_max(monkeypatch: pytest.MonkeyPatch, fake: FakeMax) -> None:
    monkeypatch.setenv("MAX_TOKEN", fake.token)
    monkeypatch.setenv("MAX_API_URL", fake.url)


def invites_made(workdir: Path) -> int:
    return int(cli_rows("SELECT count(*) FROM invites")[0][0])


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file, delimiter=";"))


def test_the_csv_carries_a_link_for_each_messenger(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    workdir: Path,
    fake_max: FakeMax,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    use_max(monkeypatch, fake_max)
    out = workdir / "invites.csv"
    code, _, err = run(capsys, "invite", "--role", "rep", "--all", "--kind", "college")
    assert code == 0, err
    rows = read_csv(out)
    assert rows[0] == [
        "Организация",
        "Роль",
        "Ссылка (Telegram)",
        "Ссылка (MAX)",
        "Действует до",
    ]
    assert len(rows) > 2
    for row in rows[1:]:
        telegram = re.fullmatch(r"https://t\.me/roadmap_bot\?start=([A-Za-z0-9_-]{32})", row[2])
        in_max = re.fullmatch(rf"https://max\.ru/{MAX_BOT}\?start=([A-Za-z0-9_-]{{32}})", row[3])
        assert telegram is not None
        assert in_max is not None
        assert telegram.group(1) == in_max.group(1)  # one invite, opened in either
        assert row[1] == "представитель организации"
        assert row[4].count(".") == 2
    assert len(fake_max.calls("GET /me")) == 1  # asked once, not per row


def test_one_invite_shows_both_links(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_max: FakeMax,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    use_max(monkeypatch, fake_max)
    code, out, err = run(capsys, "invite", "--role", "rep", "--org", "акатовская")
    assert code == 0, err
    assert SCHOOL in out
    (token,) = re.findall(r"Telegram: https://t\.me/roadmap_bot\?start=(\S{32})", out)
    assert f"MAX: https://max.ru/{MAX_BOT}?start={token}" in out


def test_max_alone_is_enough_for_invites(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    workdir: Path,
    fake_max: FakeMax,
) -> None:
    use_max(monkeypatch, fake_max)
    code, _, err = run(capsys, "invite", "--role", "rep", "--all", "--kind", "college")
    assert code == 0, err
    rows = read_csv(workdir / "invites.csv")
    assert rows[0] == ["Организация", "Роль", "Ссылка (MAX)", "Действует до"]
    assert all(row[2].startswith(f"https://max.ru/{MAX_BOT}?start=") for row in rows[1:])
    code, out, err = run(capsys, "invite", "--role", "observer", "--region")
    assert code == 0, err
    assert f"\nhttps://max.ru/{MAX_BOT}?start=" in out  # the only link: shown as it was
    assert "t.me" not in out


def test_max_silent_is_one_line_and_nothing_is_made(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    workdir: Path,
    fake_max: FakeMax,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    use_max(monkeypatch, fake_max)
    fake_max.fail("GET /me", status=503, times=5)
    code, out, err = run(capsys, "invite", "--role", "rep", "--all", "--kind", "college")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("MAX не ответил (")
    assert err.rstrip().endswith("Ничего не изменено, попробуйте ещё раз.")
    assert invites_made(workdir) == 0
    assert not (workdir / "invites.csv").exists()


def test_neither_token_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (("invite", "--role", "observer", "--region"), ("run",)):
        code, out, err = run(capsys, *command)
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert "BOT_TOKEN" in err
        assert "MAX_TOKEN" in err
        assert "config.example.env" in err
