"""Delivery is channel-neutral: nothing in bot/delivery imports a messenger's library or the
Telegram front end; each messenger lives behind its transport (bot/channels)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEUTRAL = sorted(
    [
        *(ROOT / "bot" / "delivery").glob("*.py"),
        ROOT / "bot" / "messages.py",
        ROOT / "bot" / "actions.py",
    ]
)
FORBIDDEN = ("aiogram", "maxapi", "handlers", "bot.channels")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", NEUTRAL, ids=[p.relative_to(ROOT).as_posix() for p in NEUTRAL])
def test_no_messenger_library_and_no_front_end(path: Path) -> None:
    bad = {
        name
        for name in imported(path)
        if any(name == root or name.startswith(f"{root}.") for root in FORBIDDEN)
    }
    assert bad == set()
