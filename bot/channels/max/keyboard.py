"""Inline keyboards for MAX, checked against the documented limits before sending.

MAX allows up to 210 buttons in up to 30 rows, up to 7 buttons a row, but only 3 in a row
that holds a link (or open_app, request_contact, request_geo_location) button; a button's
text is 1-128 characters, a callback payload at most 1024 (the maxapi docstring says 256;
short payloads are wise). maxapi checks none of this, and MAX's answer to a breach is an
unhelpful 400, so ``Keyboard`` refuses with ``ValueError`` first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

MAX_BUTTONS = 210
MAX_ROWS = 30
MAX_ROW_BUTTONS = 7
MAX_LINK_ROW_BUTTONS = 3
MAX_TEXT = 128
MAX_PAYLOAD = 1024
MAX_URL = 2048

Intent = Literal["default", "positive", "negative"]


@dataclass(frozen=True)
class CallbackButton:
    """Pressing it sends ``message_callback`` with ``payload`` to the bot."""

    text: str
    payload: str
    intent: Intent = "default"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "callback",
            "text": self.text,
            "payload": self.payload,
            "intent": self.intent,
        }


@dataclass(frozen=True)
class LinkButton:
    """Opens ``url``."""

    text: str
    url: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "link", "text": self.text, "url": self.url}


Button = CallbackButton | LinkButton


@dataclass(frozen=True)
class Keyboard:
    rows: tuple[tuple[Button, ...], ...]

    def __post_init__(self) -> None:
        check_rows(self.rows)

    @classmethod
    def of(cls, rows: Iterable[Iterable[Button]]) -> Keyboard:
        return cls(tuple(tuple(row) for row in rows))

    @classmethod
    def column(cls, buttons: Iterable[Button]) -> Keyboard:
        """One button a row."""
        return cls(tuple((button,) for button in buttons))

    def to_attachment(self) -> dict[str, Any]:
        return {
            "type": "inline_keyboard",
            "payload": {"buttons": [[b.to_json() for b in row] for row in self.rows]},
        }


def check_rows(rows: tuple[tuple[Button, ...], ...]) -> None:
    """ValueError naming the first limit the keyboard breaks."""
    if not rows:
        raise ValueError("a keyboard needs at least one row")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"{len(rows)} rows; MAX allows {MAX_ROWS}")
    total = sum(len(row) for row in rows)
    if total > MAX_BUTTONS:
        raise ValueError(f"{total} buttons; MAX allows {MAX_BUTTONS}")
    for number, row in enumerate(rows, start=1):
        if not row:
            raise ValueError(f"row {number} is empty")
        links = any(isinstance(b, LinkButton) for b in row)
        limit = MAX_LINK_ROW_BUTTONS if links else MAX_ROW_BUTTONS
        if len(row) > limit:
            kind = "a row with a link" if links else "a row"
            raise ValueError(f"row {number} has {len(row)} buttons; MAX allows {limit} in {kind}")
        for button in row:
            _check_button(button)


def _check_button(button: Button) -> None:
    if not 1 <= len(button.text) <= MAX_TEXT:
        raise ValueError(f"button text must be 1-{MAX_TEXT} characters: {button.text!r}")
    if isinstance(button, CallbackButton):
        if not 1 <= len(button.payload) <= MAX_PAYLOAD:
            raise ValueError(f"callback payload must be 1-{MAX_PAYLOAD} characters")
    elif len(button.url) > MAX_URL or urlsplit(button.url).scheme not in ("http", "https"):
        raise ValueError(f"link buttons need an http(s) URL of at most {MAX_URL}: {button.url!r}")
