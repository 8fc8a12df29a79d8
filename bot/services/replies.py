"""Replies the messenger told us to hold back: they wait in the outbox, not in the handler.

A 429 with a long `retry_after` on one person's chat used to keep that handler (and, before
updates were served side by side, everyone) waiting. Now such a reply is written to the outbox,
due when Telegram allows, and the sender delivers it in its turn: it is not lost, it is not
doubled, and nothing waits for it. Quiet hours never hold a reply: the person just asked.

A held reply is an ``Outgoing`` of text and buttons (files are not held). Its row's payload is
``{"text": …, "buttons": <keyboard JSON> | null}``; rows written before the bot became
channel-neutral hold Telegram's markup JSON there, which ``read`` takes as well.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.domain.channels import TELEGRAM
from bot.messages import Outgoing, from_json, to_json
from bot.services.clock import Clock
from storage.db import Database
from storage.outbox import REPLY, NewMessage, OutboxStore


class HeldReplies:
    def __init__(self, database: Database, clock: Clock, timezone: str) -> None:
        self.database = database
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        self.wake_sender: Callable[[], None] | None = None

    async def hold(
        self, chat_id: int, reply: Outgoing, *, seconds: float, channel: str = TELEGRAM
    ) -> None:
        """Send `reply` to `chat_id` (of `channel`) through the outbox, not before `seconds`
        from now. ValueError for a reply with a file: only text and buttons are held."""
        if reply.attachment is not None:
            raise ValueError("a reply with a file is not held")
        now = self.clock.now()
        buttons = to_json(reply.buttons) if reply.buttons else None
        payload = json.dumps({"text": reply.text, "buttons": buttons}, ensure_ascii=False)
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
    def read(payload: str) -> Outgoing:
        """The reply a row holds (its buttons in either JSON, see the module)."""
        data = json.loads(payload)
        buttons = data.get("buttons")
        return Outgoing(str(data["text"]), from_json(buttons) if buttons else ())
