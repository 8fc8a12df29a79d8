"""A messenger's sending limits as a schedule: when may the next message go? Pure, no I/O.

Telegram allows a bot about 30 messages per second overall, about one per second to one chat
and 20 per minute to one group; MAX 30 requests a second and 2 messages a second to a chat
(bot/messages.py, ChannelLimits); above that they answer 429 and may hold the bot back for
longer. One limiter paces one channel; its chats are whatever keys the sender gives (the
sender's are (channel, chat id)). The limiter books a time for each message before it is sent:

* overall: sends sit on a grid of 1/per_second (each grid slot holds one send), so any two
  sends are at least 1/per_second apart, and a message that must wait for its chat does not
  hold up the others (the slots before it stay free for them);
* per chat: at least 1/per_chat_per_second after the chat's previous booking;
* per group (the transport says which chats are groups): at most per_group_per_minute
  bookings in any 60 s;
* a 429 pauses everything (nothing is booked before `pause_until`) or, when it is one
  chat's flood control, that chat (`pause_chat`).

Time is whatever monotonic float seconds the caller passes in. The limits are exact; keep a
margin below the server's own (the defaults, 25/s, are below Telegram's 30/s; `within`
keeps that margin for any channel), since a send leaves a little after its booked time and
arrives after some network jitter.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from bot.messages import ChannelLimits

GROUP_WINDOW = 60.0
MARGIN = 5 / 6  # of a messenger's overall limit: Telegram's 30/s -> 25/s


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_second: float = 25.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0

    def __post_init__(self) -> None:
        if min(self.per_second, self.per_chat_per_second, self.per_group_per_minute) <= 0:
            raise ValueError(f"rate limits must be positive: {self}")

    @classmethod
    def within(cls, limits: ChannelLimits, margin: float = MARGIN) -> RateLimits:
        """A pace for a channel: its per-chat and per-group limits, and `margin` of its
        overall limit (the overall one is the one a burst of many chats runs into)."""
        return cls(
            limits.per_second * margin, limits.per_chat_per_second, limits.per_group_per_minute
        )


class Limiter:
    """Books send times within `RateLimits`; `reserve` is the only way to get one."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._interval = 1.0 / self.limits.per_second
        self._chat_interval = 1.0 / self.limits.per_chat_per_second
        self._group_capacity = max(1, math.floor(self.limits.per_group_per_minute + 1e-9))
        self._slots: set[int] = set()  # booked grid slots (times slot * interval)
        self._chat_next: dict[Hashable, float] = {}  # a chat's earliest next booking
        self._chat_before: dict[Hashable, float] = {}  # ... as it was before its latest one
        self._chat_sent: dict[Hashable, float] = {}  # when a message to it last really left
        self._group_times: dict[Hashable, deque[float]] = {}  # a group's last bookings
        self._paused_until = -math.inf
        self._latest = -math.inf  # the latest `now` seen: time never runs backwards here
        self._prune_at = 1024

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause_until(self, t: float) -> None:
        """Book nothing before `t` (a 429 said so); a shorter pause never shortens a longer."""
        self._paused_until = max(self._paused_until, t)

    def pause_chat(self, chat_id: Hashable, t: float) -> None:
        """Book nothing for `chat_id` before `t`; a shorter pause never shortens a longer."""
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, -math.inf), t)

    def reserve(self, chat_id: Hashable, is_group: bool, now: float) -> float:
        """Book the earliest time, not before `now`, at which a message to `chat_id` may go."""
        now = self._latest = max(now, self._latest)
        t = max(now, self._paused_until, self._chat_next.get(chat_id, -math.inf))
        recent = self._group_times.get(chat_id) if is_group else None
        if recent is not None and len(recent) >= self._group_capacity:
            t = max(t, recent[-self._group_capacity] + GROUP_WINDOW)
        slot = math.ceil(t / self._interval - 1e-9)
        while slot in self._slots:
            slot += 1
        # Rounding up to the grid only moves t later: the chat and group rules still hold,
        # and a chat's bookings keep growing, which is what the group window relies on.
        at = max(t, slot * self._interval)
        self._slots.add(slot)
        self._chat_before[chat_id] = self._chat_next.get(chat_id, -math.inf)
        self._chat_next[chat_id] = at + self._chat_interval
        if is_group:
            if recent is None:
                recent = self._group_times[chat_id] = deque(maxlen=self._group_capacity)
            recent.append(at)
        if len(self._slots) + len(self._chat_next) + len(self._chat_sent) > self._prune_at:
            self._prune(now)
        return at

    def sent(self, chat_id: Hashable, now: float) -> None:
        """A message to `chat_id` leaves now (which may be later than its booking)."""
        self._chat_sent[chat_id] = now

    def chat_ready(self, chat_id: Hashable) -> float:
        """When the chat may get its next message, counted from the last one that really
        left: a send the event loop made late must not bunch up with the one after it."""
        return self._chat_sent.get(chat_id, -math.inf) + self._chat_interval

    def cancel(self, chat_id: Hashable, at: float) -> None:
        """Give back the booking at `at` that was not used (a pause fell on it), so booking
        again does not wait a chat interval after a send that never happened. Only the chat's
        latest booking can be given back; an older one stays, which only errs on the slow
        side."""
        self._slots.discard(math.ceil(at / self._interval - 1e-9))
        if self._chat_next.get(chat_id) == at + self._chat_interval:
            self._chat_next[chat_id] = self._chat_before.pop(chat_id, -math.inf)

    def _prune(self, now: float) -> None:
        """Forget what can no longer constrain a booking at `now` or later."""
        first = math.floor(now / self._interval)
        self._slots = {slot for slot in self._slots if slot >= first}
        self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        self._chat_before = {
            chat: t for chat, t in self._chat_before.items() if chat in self._chat_next
        }
        self._chat_sent = {
            chat: t for chat, t in self._chat_sent.items() if t + self._chat_interval > now
        }
        self._group_times = {
            chat: times
            for chat, times in self._group_times.items()
            if times and times[-1] + GROUP_WINDOW > now
        }
        self._prune_at = max(
            1024, 2 * (len(self._slots) + len(self._chat_next) + len(self._chat_sent))
        )
