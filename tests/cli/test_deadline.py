"""`roadmap-bot deadline N DATE`: the date of a task «по согласованию», from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import ON_POSTGRESQL
from tests.cli.test_understood import run
from tests.conftest import SMOLENSK_DOCX


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    for variable in ("DATABASE_URL", "LANGUAGE", "TIMEZONE", "ADMIN_IDS", "BOT_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    if ON_POSTGRESQL:  # on SQLite the default database, data/roadmap.db here
        monkeypatch.setenv("DATABASE_URL", database_url)
    return tmp_path


def test_a_date_for_a_task_the_order_leaves_to_be_agreed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(capsys, "import", str(SMOLENSK_DOCX))[0] == 0
    code, out, err = run(capsys, "deadline", "20", "15.05.2099")
    assert (code, err) == (0, "")
    assert out.strip() == (
        "Срок № 20 назначен: до 15.05.2099. Напоминания пойдут, как по другим срокам."
    )
    code, out, _ = run(capsys, "tasks", "--json")
    assert '"due": "2099-05-15"' in out
    code, _, err = run(capsys, "deadline", "7", "15.05.2099")  # «до 28.04.2023»: the order's own
    assert code == 1
    assert err.strip() == (
        "У № 7 срок задан приказом («до 28.04.2023»). Он меняется новой редакцией приказа: "
        "roadmap-bot import."
    )
    code, _, err = run(capsys, "deadline", "20", "когда-нибудь")
    assert code == 1
    assert err.startswith("Не понял дату в «когда-нибудь»")
    code, out, _ = run(capsys, "deadline", "20", "нет")
    assert out.strip() == "Назначенный срок № 20 снят: снова «по согласованию»."
