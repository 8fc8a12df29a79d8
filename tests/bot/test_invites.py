"""Invite tokens: shape, storage, expiry, reuse — a clear message and nothing bound."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.access import Role
from bot.domain.invites import token_hash
from bot.services.people import CLI
from storage.tables import bindings, invites
from tests.bot.conftest import SCHOOL, World


async def bound(world: World, user_id: int) -> int:
    """How many bindings the person known in Telegram as `user_id` holds."""
    person_id = await world.number(user_id)
    if person_id is None:
        return 0
    async with world.app.database.transaction() as connection:
        rows = await connection.execute(select(bindings).where(bindings.c.person_id == person_id))
        return len(list(rows))


async def test_token_is_long_random_url_safe_and_stored_only_hashed(world: World) -> None:
    first = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    second = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    assert first.token != second.token
    assert len(first.token) == 32  # 24 random bytes = 192 bits
    assert len(first.token) <= 64
    assert all(c.isalnum() or c in "-_" for c in first.token)
    async with world.app.database.transaction() as connection:
        stored = [row.token_hash for row in await connection.execute(select(invites))]
    assert first.token not in stored
    assert token_hash(first.token) in stored
    assert first.expires_at - world.clock.now() == timedelta(days=14)


async def test_a_single_use_link_works_once(world: World) -> None:
    invite = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    (joined, *_) = await world.send(9001, f"/start {invite.token}")
    assert joined.text.startswith("Готово")
    (refused,) = await world.send(9002, f"/start {invite.token}")
    assert (
        refused.text == "Это приглашение уже использовано. Попросите у координатора новую ссылку."
    )
    assert await bound(world, 9002) == 0


async def test_a_multi_use_link_binds_everyone_who_opens_it(world: World) -> None:
    invite = await world.app.people.create_invite(CLI, Role.OBSERVER, None, multi_use=True)
    for person in (9101, 9102, 9103):
        (joined, *_) = await world.send(person, f"/start {invite.token}")
        assert (
            joined.text
            == "Готово: вы подключены как наблюдатель (весь регион).\n\n"
            + joined.text.split("\n\n", 1)[1]
        )
        assert await bound(world, person) == 1


async def test_opening_ones_own_link_again_binds_nothing_new(world: World) -> None:
    invite = await world.app.people.create_invite(CLI, Role.REP, SCHOOL, multi_use=True)
    await world.send(9201, f"/start {invite.token}")
    (again, *_) = await world.send(9201, f"/start {invite.token}")
    assert again.text.startswith("Вы уже подключены как представитель организации")
    assert await bound(world, 9201) == 1


async def test_an_expired_link_is_refused(world: World) -> None:
    invite = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    world.clock.advance(timedelta(days=14, seconds=1))
    (refused,) = await world.send(9301, f"/start {invite.token}")
    assert refused.text == "Срок действия приглашения истёк. Попросите у координатора новую ссылку."
    assert await bound(world, 9301) == 0


async def test_unknown_and_malformed_tokens_are_refused(world: World) -> None:
    (unknown,) = await world.send(9401, "/start " + "A" * 32)
    assert unknown.text == "Такого приглашения нет. Попросите у координатора новую ссылку."
    for bad in ("abc", "<script>", "A" * 31 + "!", "A" * 65):
        (malformed,) = await world.send(9402, f"/start {bad}")
        assert malformed.text.startswith("Эта ссылка-приглашение повреждена.")
    assert await bound(world, 9401) == 0
    assert await bound(world, 9402) == 0
