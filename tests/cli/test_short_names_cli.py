"""The command line finds organisations by their short names as the bot does."""

from __future__ import annotations

import pytest

from tests.cli.test_understood import registry, run, workdir

__all__ = ["registry", "workdir"]  # fixtures used here


@pytest.mark.usefixtures("registry")
def test_org_by_short_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "status", "--as-of", "2023-04-20", "--org", "СШ № 1 Вязьма")
    assert code == 0, err  # found: one organisation
    assert out.startswith("Дорожная карта «")
    code, out, err = run(capsys, "tasks", "--org", "сычевский район", "--json")
    assert code == 0, err
    code, _, err = run(capsys, "status", "--org", "Велижский")
    assert code == 1
    assert "Велижский многопрофильный техникум" in err
