"""Delivery is channel-neutral: nothing in bot/delivery imports a messenger's library, a channel
or the Telegram front end, and what the outbox says is composed in the core (bot/render,
bot/services), which imports no messenger library and no handler either."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("aiogram", "maxapi", "handlers")
RULES: list[tuple[Path, tuple[str, ...]]] = [
    *((path, (*LIBRARIES, "bot.channels")) for path in (ROOT / "bot" / "delivery").glob("*.py")),
    *((path, LIBRARIES) for path in (ROOT / "bot" / "render").glob("*.py")),
    *((path, LIBRARIES) for path in (ROOT / "bot" / "services").glob("*.py")),
    *((path, LIBRARIES) for path in (ROOT / "bot" / "domain").glob("*.py")),
    (ROOT / "bot" / "messages.py", LIBRARIES),
    (ROOT / "bot" / "actions.py", LIBRARIES),
]
RULES.sort()


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    ("path", "forbidden"), RULES, ids=[p.relative_to(ROOT).as_posix() for p, _ in RULES]
)
def test_the_core_imports_no_messenger_and_no_front_end(
    path: Path, forbidden: tuple[str, ...]
) -> None:
    bad = {
        name
        for name in imported(path)
        if any(name == root or name.startswith(f"{root}.") for root in forbidden)
    }
    assert bad == set()


def test_the_sender_is_given_the_cores_composer() -> None:
    """bot/app.py wires the outbox composer from bot/render, not from the handlers."""
    assert "handlers.outbox" not in imported(ROOT / "bot" / "app.py")
    assert not (ROOT / "handlers" / "outbox.py").exists()
