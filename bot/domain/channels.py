"""The messengers the bot speaks in, and what the core knows of them: names, addresses and the
keys that make an event handled once. Nothing here knows a messenger's library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

TELEGRAM: Final = "telegram"
MAX: Final = "max"
CHANNELS: Final = (TELEGRAM, MAX)


@dataclass(frozen=True, slots=True)
class EventKey:
    """An incoming event as its channel names it, to handle a redelivery once: Telegram's
    update id; MAX's message id (`mid`) or callback id (it has no update ids)."""

    channel: str
    key: str

    @classmethod
    def telegram(cls, update_id: int) -> EventKey:
        return cls(TELEGRAM, str(update_id))

    def __str__(self) -> str:
        return f"{self.channel}:{self.key}"
