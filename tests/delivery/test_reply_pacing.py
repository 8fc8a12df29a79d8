"""Replies to one chat keep the messenger's pace for a chat (a burst of three, then one a second
on Telegram, two on MAX); only that chat waits, and the clock the pacing reads is the monotonic
one it is given. A text reply still refused with a 429 after the last try is held, not lost."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.channels.telegram.retry import MAX_ATTEMPTS, PACE_BURST, PACE_INTERVAL, RetryRequests
from bot.messages import MAX_LIMITS, Outgoing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[tuple[int | str, float]] = []
        self.chat: int | str = 0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append((self.chat, seconds))
        self.now += seconds


async def test_a_burst_then_one_a_second_and_other_chats_go_on() -> None:
    clock = Clock()
    paced = RetryRequests(clock.sleep, monotonic=clock.monotonic)
    sent: list[tuple[float, Any]] = []

    async def make_request(bot: Any, method: Any) -> Any:
        sent.append((clock.now, getattr(method, "chat_id", None)))
        return True

    for n in range(5):
        clock.chat = 1
        await paced(make_request, None, SendMessage(chat_id=1, text=f"часть {n}"))  # type: ignore[arg-type]
    clock.chat = 2
    await paced(make_request, None, SendMessage(chat_id=2, text="другому"))  # type: ignore[arg-type]
    await paced(make_request, None, AnswerCallbackQuery(callback_query_id="q"))  # type: ignore[arg-type]

    times = [at for at, chat in sent if chat == 1]
    assert times[:PACE_BURST] == [0.0] * PACE_BURST  # a reply of three messages at once
    assert times[PACE_BURST:] == [PACE_INTERVAL, 2 * PACE_INTERVAL]  # then one a second
    assert [chat for chat, _ in clock.slept] == [1, 1]  # only chat 1 waited
    assert [chat for _, chat in sent[-2:]] == [2, None]  # another chat, a callback: at once


async def test_max_replies_keep_maxs_pace_of_two_a_second() -> None:
    clock = Clock()
    paced = RetryRequests(clock.sleep, monotonic=clock.monotonic, limits=MAX_LIMITS)
    sent: list[float] = []

    async def make_request(bot: Any, method: Any) -> Any:
        sent.append(clock.now)
        return True

    for n in range(5):
        await paced(make_request, None, SendMessage(chat_id=1, text=f"часть {n}"))  # type: ignore[arg-type]
    assert sent == [0.0, 0.0, 0.0, 0.5, 1.0]


async def test_a_text_reply_refused_on_every_try_is_held_not_lost() -> None:
    """MAX's 429 names no wait: the backoff's short ones are waited for, and a reply still
    refused on the last try goes to the outbox (as Telegram's long 429 does)."""
    clock = Clock()
    held: list[tuple[int, str, float]] = []

    async def hold(chat_id: int, reply: Outgoing, seconds: float) -> None:
        held.append((chat_id, reply.text, seconds))

    paced = RetryRequests(clock.sleep, hold=hold, monotonic=clock.monotonic)
    tries = 0

    async def make_request(bot: Any, method: Any) -> Any:
        nonlocal tries
        tries += 1
        raise TelegramRetryAfter(method=method, message="too.many.requests", retry_after=tries)

    said = await paced(make_request, None, SendMessage(chat_id=1, text="Статус"))  # type: ignore[arg-type]
    assert tries == MAX_ATTEMPTS
    assert [seconds for _, seconds in clock.slept] == [1, 2, 3]
    assert held == [(1, "Статус", float(MAX_ATTEMPTS))]
    assert said.message_id == 0  # type: ignore[attr-defined]
