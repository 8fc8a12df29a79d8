"""Replies Telegram told us to hold back: they wait in the outbox, not in the handler.

A 429 with a long `retry_after` on one person's chat used to keep that handler (and, before
updates were served side by side, everyone) waiting. Now such a reply is written to the outbox,
due when Telegram allows, and the sender delivers it in its turn: it is not lost, it is not
doubled, and nothing waits for it. Quiet hours never hold a reply: the person just asked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.channels import TELEGRAM
from bot.services.clock import Clock
from storage.db import Database
from storage.outbox import REPLY, NewMessage, OutboxStore


@dataclass(frozen=True, slots=True)
class HeldReply:
    """What a held reply says: HTML text and, when it had buttons, their JSON."""

    text: str
    buttons: str | None = None


class HeldReplies:
    def __init__(self, database: Database, clock: Clock, timezone: str) -> None:
        self.database = database
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.wake_sender: Callable[[], None] | None = None

    async def hold(
        self, chat_id: int, reply: HeldReply, *, seconds: float, channel: str = TELEGRAM
    ) -> None:
        """Send `reply` to `chat_id` (of `channel`) through the outbox, not before `seconds`
        from now."""
        now = self.clock.now()
        payload = json.dumps({"text": reply.text, "buttons": reply.buttons}, ensure_ascii=False)
        message = NewMessage(
            channel=channel,
            chat_id=chat_id,
            person_id=None,
            # Each reply is its own row: the outbox plans one row per chat, kind and round.
            kind=f"{REPLY}:{secrets.token_hex(8)}",
            round=now.astimezone(self.zone).date(),
            payload=payload,
            not_before=now + timedelta(seconds=seconds),
        )
        async with self.database.transaction() as connection:
            await OutboxStore(connection).add([message], now)
        if self.wake_sender is not None:
            self.wake_sender()

    @staticmethod
    def read(payload: str) -> HeldReply:
        data = json.loads(payload)
        return HeldReply(text=str(data["text"]), buttons=data.get("buttons"))
