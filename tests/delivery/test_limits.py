"""The limiter's schedule never exceeds a limit, in any window, whatever is asked of it."""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.limits import GROUP_WINDOW, Limiter, RateLimits

EPS = 1e-6


@dataclass(frozen=True)
class Booking:
    chat: int
    asked: float
    at: float


def check(limits: RateLimits, bookings: list[Booking], pauses: list[tuple[int, float]]) -> None:
    """Every limit, checked on the schedule itself."""
    times = sorted(b.at for b in bookings)
    # Overall: spaced at least 1/per_second, so at most per_second in any 1 s window.
    for earlier, later in itertools.pairwise(times):
        assert later - earlier >= 1 / limits.per_second - EPS
    if float(limits.per_second).is_integer():
        for i, start in enumerate(times):
            within = bisect.bisect_left(times, start + 1 - EPS) - i
            assert within <= limits.per_second
    by_chat: dict[int, list[float]] = defaultdict(list)
    for b in bookings:
        assert b.at >= b.asked - EPS  # never in the past
        by_chat[b.chat].append(b.at)
    capacity = int(limits.per_group_per_minute)
    for chat, chat_times in by_chat.items():
        chat_times.sort()
        for earlier, later in itertools.pairwise(chat_times):
            assert later - earlier >= 1 / limits.per_chat_per_second - EPS
        if chat < 0:  # a group: at most `capacity` in any 60 s
            for i in range(len(chat_times) - capacity):
                assert chat_times[i + capacity] - chat_times[i] >= GROUP_WINDOW - EPS
    # Nothing booked after a pause was set falls inside it.
    for first, until in pauses:
        for b in bookings[first:]:
            assert b.at >= until - EPS


steps = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=2, allow_nan=False),  # time passing before the ask
        st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3]),  # negative: a group
        st.one_of(st.none(), st.floats(min_value=0, max_value=3)),  # a 429 for that long
    ),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(
    steps=steps,
    per_second=st.sampled_from([1.0, 2.5, 25.0, 30.0, 500.0]),
    per_chat=st.sampled_from([0.5, 1.0, 3.0]),
    per_group=st.sampled_from([1.0, 3.0, 20.0]),
    start=st.floats(min_value=0, max_value=1e6),
)
def test_no_limit_is_ever_exceeded(
    steps: list[tuple[float, int, float | None]],
    per_second: float,
    per_chat: float,
    per_group: float,
    start: float,
) -> None:
    limits = RateLimits(per_second, per_chat, per_group)
    limiter = Limiter(limits)
    now = start
    bookings: list[Booking] = []
    pauses: list[tuple[int, float]] = []  # (the first booking after it, its end)
    for elapsed, chat, pause in steps:
        now += elapsed
        if pause is not None:
            limiter.pause_until(now + pause)
            pauses.append((len(bookings), now + pause))
        bookings.append(Booking(chat, now, limiter.reserve(chat, chat < 0, now)))
    check(limits, bookings, pauses)


@settings(max_examples=50, deadline=None)
@given(chats=st.lists(st.integers(min_value=-50, max_value=50).filter(bool), max_size=400))
def test_a_burst_asked_at_one_instant(chats: list[int]) -> None:
    limits = RateLimits(per_second=20, per_chat_per_second=1, per_group_per_minute=3)
    limiter = Limiter(limits)
    bookings = [Booking(chat, 100.0, limiter.reserve(chat, chat < 0, 100.0)) for chat in chats]
    check(limits, bookings, [])


def test_distinct_chats_go_at_the_full_rate() -> None:
    limiter = Limiter(RateLimits(per_second=500))
    times = [limiter.reserve(chat, False, 0.0) for chat in range(1, 1001)]
    assert times[0] == 0.0
    assert times[-1] == pytest.approx(999 / 500)


def test_a_chat_waiting_for_its_turn_does_not_hold_up_the_others() -> None:
    limiter = Limiter(RateLimits(per_second=25, per_chat_per_second=1))
    assert limiter.reserve(1, False, 10.0) == pytest.approx(10.0)
    assert limiter.reserve(1, False, 10.0) == pytest.approx(11.0)
    assert limiter.reserve(2, False, 10.0) == pytest.approx(10.04)
    assert limiter.reserve(3, False, 10.0) == pytest.approx(10.08)


def test_a_group_gets_twenty_a_minute() -> None:
    limiter = Limiter(RateLimits())
    times = [limiter.reserve(-5, True, 0.0) for _ in range(41)]
    assert times[19] == pytest.approx(19.0)
    assert times[20] == pytest.approx(60.0)
    assert times[40] == pytest.approx(120.0)
    assert limiter.reserve(5, False, 0.0) < 1  # a person is not held up by the group


def test_a_pause_holds_everything_and_never_shortens() -> None:
    limiter = Limiter(RateLimits(per_second=100))
    limiter.pause_until(5.0)
    limiter.pause_until(3.0)
    assert limiter.paused_until == 5.0
    assert limiter.reserve(1, False, 1.0) == pytest.approx(5.0)
    assert limiter.reserve(2, False, 1.0) == pytest.approx(5.01)
    assert limiter.reserve(3, False, 7.0) == pytest.approx(7.0)


def test_a_chat_pause_holds_that_chat_only() -> None:
    limiter = Limiter(RateLimits(per_second=100))
    limiter.pause_chat(1, 30.0)
    limiter.pause_chat(1, 10.0)  # a shorter pause never shortens a longer
    assert limiter.reserve(1, False, 0.0) == pytest.approx(30.0)
    assert limiter.reserve(2, False, 0.0) == pytest.approx(0.0)


def test_a_booking_given_back_does_not_hold_its_chat() -> None:
    limiter = Limiter(RateLimits(per_second=100, per_chat_per_second=1))
    sent = limiter.reserve(1, False, 0.0)  # a real send at 0
    unused = limiter.reserve(1, False, 0.5)  # booked for 1.0, then a pause fell on it
    limiter.pause_until(1.2)
    limiter.cancel(1, unused)
    # Booked again after the pause: one chat interval after the real send, not the unused one.
    assert limiter.reserve(1, False, 1.0) == pytest.approx(max(1.2, sent + 1.0))


def test_memory_stays_bounded_over_a_long_run() -> None:
    limiter = Limiter(RateLimits(per_second=500))
    now = 0.0
    for chat in range(1, 100_001):
        now += 0.002
        limiter.reserve(chat, chat % 7 == 0, now)
    assert len(limiter._slots) + len(limiter._chat_next) < 5000


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimits(per_second=0)
