"""People are found through their identities: a number of their own, one per person whatever
the channel; a private chat per channel they joined in, and reminders in each."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.app import open_app
from bot.config import Settings
from bot.domain.access import Role
from bot.domain.channels import MAX, TELEGRAM, Address, Identity
from bot.services.clock import FixedClock
from bot.services.people import CLI, STRANGER
from storage.outbox import OutboxStore
from storage.people import PeopleStore
from storage.tables import identities
from tests.conftest import EXAMPLES

NOW = datetime(2023, 4, 20, 7, 0, tzinfo=UTC)
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"


def settings(database_url: str, admin_ids: str = "") -> Settings:
    return Settings(_env_file=None, database_url=database_url, admin_ids=admin_ids)


async def test_writers_at_once_get_a_number_each_and_one_identity_one_person(
    database_url: str,
) -> None:
    async with open_app(settings(database_url)) as app:

        async def identify(user_id: int) -> int:
            async with app.database.transaction() as connection:
                return await PeopleStore(connection).identify(
                    Identity(TELEGRAM, str(user_id)),
                    name=f"Person {user_id}",
                    username=None,
                    language="ru",
                    now=NOW,
                )

        users = [5_000_000 + n for n in range(20)]
        numbers = await asyncio.gather(*(identify(user) for user in users + users))
        assert numbers[:20] == numbers[20:]  # the same identity: the same person
        assert sorted(numbers[:20]) == list(range(1, 21))  # new numbers, none shared
        assert not set(numbers) & set(users)  # and none of them a Telegram id


async def test_a_stranger_has_no_number_until_joining_and_then_one_of_their_own(
    database_url: str,
) -> None:
    async with open_app(settings(database_url)) as app:
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        stranger = await app.people.identify(TELEGRAM, 777_000_001, "Анна", "anna", "ru")
        assert (stranger.id, stranger.known, stranger.addresses) == (STRANGER, False, ())
        invite = await app.people.create_invite(CLI, Role.REP, SCHOOL)
        joined = await app.people.redeem(stranger, invite.token)
        assert joined.person.id == 1
        assert joined.person.addresses == (Address(TELEGRAM, 777_000_001),)
        again = await app.people.identify(TELEGRAM, 777_000_001, "Анна", "anna", "ru")
        assert (again.id, again.known) == (1, True)


async def test_a_max_admin_is_reached_in_the_dialog_and_a_person_in_two_channels_in_both(
    database_url: str,
) -> None:
    async with open_app(settings(database_url, "123456, max:456"), clock=FixedClock(NOW)) as app:
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        # MAX: the user 456 writes from their dialog with the bot, chat 9456.
        admin = await app.people.identify(MAX, 456, "Мария", None, "ru", chat_id=9456)
        assert admin.is_admin
        assert admin.addresses == (Address(MAX, 9456),)
        telegram_admin = await app.people.identify(TELEGRAM, 123456, "Иван", None, "ru")
        assert telegram_admin.is_admin
        assert telegram_admin.id != admin.id
        assert telegram_admin.addresses == (Address(TELEGRAM, 123456),)

        # The MAX admin is known in Telegram too (joined there as well).
        async with app.database.transaction() as connection:
            await connection.execute(
                insert(identities).values(
                    person_id=admin.id, channel=TELEGRAM, external_id="654321", seen_at=NOW
                )
            )
        audience = await app.snapshots.audience("Europe/Moscow")
        heard = sorted((listener.channel, listener.chat_id) for listener in audience.staff)
        assert heard == [(MAX, 9456), (TELEGRAM, 123456), (TELEGRAM, 654321)]
        assert {listener.person_id for listener in audience.staff} == {admin.id, telegram_admin.id}

        # Blocked in Telegram: still reached in MAX.
        async with app.database.transaction() as connection:
            await OutboxStore(connection).mark_unreachable(654321, "403: blocked", NOW)
        audience = await app.snapshots.audience("Europe/Moscow")
        heard = sorted((listener.channel, listener.chat_id) for listener in audience.staff)
        assert heard == [(MAX, 9456), (TELEGRAM, 123456)]
        assert audience.blocked == []

        # Forgotten: how they were known goes too, in every channel.
        assert await app.people.forget(CLI, admin.id)
        async with app.database.transaction() as connection:
            left = list(
                await connection.execute(
                    select(identities.c.channel, identities.c.external_id).order_by(identities.c.id)
                )
            )
        assert [tuple(row) for row in left] == [(TELEGRAM, "123456")]
