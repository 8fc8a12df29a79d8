"""Replies to one chat keep Telegram's pace for a chat (a burst of three, then one a second);
only that chat waits, and the clock the pacing reads is the monotonic one it is given."""

from __future__ import annotations

from typing import Any

from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.channels.telegram.retry import PACE_BURST, PACE_INTERVAL, RetryRequests


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
