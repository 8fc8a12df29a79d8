"""The bot serves the roadmap the department made current, not whichever was imported last."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from tests.bot.conftest import ADMIN, World
from tests.conftest import SMOLENSK_DOCX

TEXT = Path(__file__).parents[1] / "data" / "smolensk-order-319-OD.txt"


async def test_a_test_import_does_not_switch_the_bot(world: World) -> None:
    await world.send(ADMIN, "/start")
    outcome = await world.app.roadmaps.import_document(SMOLENSK_DOCX, slug="bulk0")
    assert not outcome.current
    assert outcome.current_slug == "319-od-2023"
    status = "\n".join(sent.text for sent in await world.send(ADMIN, "/status"))
    assert "319-od-2023" in status
    assert "bulk0" not in status

    await world.app.roadmaps.use("bulk0")
    status = "\n".join(sent.text for sent in await world.send(ADMIN, "/status"))
    assert "bulk0" in status
    assert {h.slug for h in await world.app.roadmaps.headers() if h.current} == {"bulk0"}


def test_the_cli_makes_a_roadmap_current_only_when_asked(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LANGUAGE", "ru")
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(TEXT)]) == 0  # the first one is current
    assert main(["import", str(TEXT), "--roadmap", "bulk0"]) == 0
    assert "roadmaps use bulk0" in capsys.readouterr().out
    assert main(["roadmaps", "list"]) == 0
    listed = capsys.readouterr().out
    assert "* 319-od-2023" in listed
    assert "* bulk0" not in listed
    assert main(["import", str(TEXT), "--roadmap", "bulk1", "--current"]) == 0
    assert main(["roadmaps", "list"]) == 0
    assert "* bulk1" in capsys.readouterr().out.splitlines()[-1]
    assert main(["roadmaps", "use", "319-od-2023"]) == 0
    assert main(["status", "--as-of", "2023-04-20"]) == 0
    assert "319-od-2023" in capsys.readouterr().out
    assert main(["roadmaps", "use", "nope"]) == 1
