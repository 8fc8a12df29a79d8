"""Polling through bot/runtime.py: a transient failure is handled again, never confirmed
unanswered; chats are served side by side, each in order.

Telegram is a fake in-process `getUpdates`: it forgets what an offset confirms and hands the
rest out again, as the real one does. The ledger is written before each getUpdates, as the
session middleware does in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiogram.types import Update

from bot.domain.access import Role
from bot.render.texts import Texts
from bot.runtime import Poller
from storage.db import DatabaseBusy
from tests.bot.conftest import SCHOOL, World


class FakeTelegram:
    def __init__(self, world: World, stop: asyncio.Event) -> None:
        self.world = world
        self.stop = stop
        self.pending: list[dict[str, Any]] = []
        self.confirmed: list[int] = []
        self.offsets: list[int | None] = []

    async def get_updates(self, offset: int | None) -> Sequence[Update]:
        await self.world.app.ledger.flush()  # WriteLedgerBeforeGetUpdates
        self.offsets.append(offset)
        if offset is not None:
            self.confirmed += [u["update_id"] for u in self.pending if u["update_id"] < offset]
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if not self.pending and len(self.offsets) > 1:
            self.stop.set()
        await asyncio.sleep(0)
        return [Update.model_validate(update) for update in self.pending[:100]]


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


# Twenty /start at once, each chat's units writing side by side. This once took about 30 s: on
# a busy machine some units waited out the whole DATABASE_LOCK_WAIT (10 s) at BEGIN IMMEDIATE
# and failed busy, while the lock changed hands some sixty times and nobody held it long.
# SQLite queues no one: a connection that has waited a while tries again every 100 ms, and the
# units begun after it (trying after 1, 2, 5 ms) won every race. Our writers now take the lock
# in turn (`Database._turn`) and never race for it at BEGIN.
async def test_a_start_that_met_a_locked_database_is_handled_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [9000 + index for index in range(20)]
    unlucky = people[6]
    updates = []
    for user_id in people:
        invite = await world.app.people.create_invite(_cli(), Role.REP, SCHOOL)
        updates.append(world.message_update(user_id, f"/start {invite.token}"))
    unlucky_update = next(u for u in updates if u["message"]["from"]["id"] == unlucky)

    identify = world.app.people.identify
    failed: list[int] = []

    async def locked_once(channel: str, user_id: int, *args: Any) -> Any:
        if user_id == unlucky and not failed:
            failed.append(user_id)
            raise DatabaseBusy("database is locked")
        return await identify(channel, user_id, *args)

    monkeypatch.setattr(world.app.people, "identify", locked_once)
    database = world.app.database
    transaction = database.transaction
    busy: list[str] = []

    @asynccontextmanager
    async def watched(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            async with transaction(*args, **kwargs) as connection:
                yield connection
        except DatabaseBusy as error:
            busy.append(str(error))
            raise

    monkeypatch.setattr(database, "transaction", watched)
    stop = asyncio.Event()
    telegram = FakeTelegram(world, stop)
    telegram.pending = list(updates)
    poller = Poller(world.bot, world.dispatcher, fetch=telegram.get_updates, sleep=no_wait)
    await asyncio.wait_for(poller.run(stop), 60)

    assert failed == [unlucky]  # it did fail once
    # No unit waited out SQLite's lock (their line may run out on a very slow machine: then
    # busy too, and handled again).
    assert "database is locked" not in busy
    internal = {Texts("ru", html=True)("error.internal"), Texts("ru")("error.internal")}
    for user_id in people:
        answers = [sent.text for sent in world.session.to(user_id)]
        assert answers, f"{user_id} got no answer"
        assert not internal & set(answers), f"{user_id} was told something went wrong"
    # the database holds every one of them, the unlucky one too
    bound = {
        address.chat_id
        for person in await world.app.people.bound_people()
        for address in person.addresses
    }
    assert set(people) <= bound
    # and Telegram was told "done" about the unlucky update only after it was handled
    assert unlucky_update["update_id"] in telegram.confirmed
    assert sorted(telegram.confirmed) == sorted(u["update_id"] for u in updates)


async def test_a_hung_chat_does_not_hold_the_others_and_order_is_kept(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One chat's handling hangs; the other chats are answered meanwhile; the hung chat's
    later update waits for its earlier one."""
    slow, others = 7001, [7002, 7003, 7004]
    release = asyncio.Event()
    identify = world.app.people.identify

    async def hanging(channel: str, user_id: int, name: str, *args: Any) -> Any:
        person = await identify(channel, user_id, name, *args)
        if user_id == slow and not release.is_set():
            await release.wait()  # a hung API call, a 429 on this chat
        return person

    monkeypatch.setattr(world.app.people, "identify", hanging)
    poller = Poller(world.bot, world.dispatcher, sleep=no_wait)
    first = world.message_update(slow, "/help")
    second = world.message_update(slow, "/whoami")
    poller.submit(Update.model_validate(first))
    poller.submit(Update.model_validate(second))
    for user_id in others:
        poller.submit(Update.model_validate(world.message_update(user_id, "/help")))
    for _ in range(200):
        if all(world.session.to(user_id) for user_id in others):
            break
        await asyncio.sleep(0.01)
    assert all(world.session.to(user_id) for user_id in others)  # not held by the slow chat
    assert not world.session.to(slow)
    assert poller.offset == first["update_id"]  # nothing of the slow chat confirmed yet
    release.set()
    await asyncio.wait_for(poller.idle(), 10)
    answers = world.session.to(slow)
    assert len(answers) == 2
    help_text, whoami_text = answers[0].text, answers[1].text
    assert help_text != whoami_text
    assert poller.offset is not None
    assert poller.offset > max(u for u in (first["update_id"], second["update_id"]))


def _cli() -> Any:
    from bot.services.people import CLI

    return CLI


async def test_while_an_update_is_in_hand_the_poller_does_not_spin(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offset waits for an update in hand, so Telegram gives the same update back at once;
    the poller waits for one to finish instead of asking again and again."""
    release = asyncio.Event()
    identify = world.app.people.identify

    async def slow(channel: str, user_id: int, *args: Any) -> Any:
        await release.wait()  # a slow handler: the update stays in hand
        return await identify(channel, user_id, *args)

    monkeypatch.setattr(world.app.people, "identify", slow)
    stop = asyncio.Event()
    telegram = FakeTelegram(world, stop)
    telegram.pending = [world.message_update(7101, "/help")]
    poller = Poller(world.bot, world.dispatcher, fetch=telegram.get_updates, sleep=no_wait)
    running = asyncio.create_task(poller.run(stop))
    await asyncio.sleep(0.5)
    asked = len(telegram.offsets)
    assert asked <= 3, f"getUpdates asked {asked} times in half a second while one update waited"
    release.set()
    await asyncio.wait_for(running, 10)
    assert [sent.chat_id for sent in world.session.sent] == [7101]
