"""Two bot processes behind one proxy, over one database: what a person changes through one
is what the other says, within the snapshots' max age (no restart, no unrelated change).

Each "process" is an App of its own (services, caches, dispatcher) over the same SQLite file,
as two `roadmap-bot run` would be; Telegram's updates go to whichever the proxy picks.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import Update

from bot.app import App, bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.domain.access import Person, Role
from bot.render.outbox import outbox_composer
from bot.services.clock import FixedClock
from bot.services.people import CLI
from storage.outbox import OutboxStore
from tests.bot.conftest import ADMIN, CITY, COORDINATOR, PARTY_LINKS, REP, SCHOOL
from tests.bot.recording import RecordingSession, Sent, text_update
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

# A digest day for the school (the Smolensk order has tasks due then), 10:05 in Smolensk.
DIGEST_DAY = datetime(2023, 4, 17, 7, 5, tzinfo=UTC)


class Process:
    """One bot process: its App, its dispatcher, a recording Bot."""

    def __init__(self, app: App, ids: itertools.count[int]) -> None:
        self.app = app
        self.session = RecordingSession()
        self.bot = Bot(token="42:TEST", session=self.session, default=bot_defaults())
        self.dispatcher = build_dispatcher(app)
        self.ids = ids  # shared: Telegram numbers updates once for all processes

    async def feed(self, update: dict[str, Any]) -> list[Sent]:
        before = len(self.session.sent)
        await self.dispatcher.feed_update(self.bot, Update.model_validate(update))
        return self.session.sent[before:]

    async def send(self, user_id: int, text: str, *, language: str = "ru") -> list[Sent]:
        clock = self.app.clock
        number = next(self.ids)
        return await self.feed(
            text_update(
                number,
                user_id,
                text,
                date=int(clock.now().timestamp()),
                message_id=number,
                language=language,
            )
        )

    async def press(self, user_id: int, message: Sent, label: str) -> list[Sent]:
        number = next(self.ids)
        return await self.feed(
            {
                "update_id": number,
                "callback_query": {
                    "id": f"cb{number}",
                    "from": {"id": user_id, "is_bot": False, "first_name": f"Person {user_id}"},
                    "chat_instance": "1",
                    "data": message.callback(label),
                    "message": {
                        "message_id": message.message_id,
                        "date": int(self.app.clock.now().timestamp()),
                        "chat": {"id": message.chat_id, "type": "private"},
                        "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
                        "text": message.text,
                    },
                },
            }
        )


def settings_for(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, admin_ids=(ADMIN,))


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Process, Process]]:
    """Two processes over one database, the roadmap, registry and links loaded once."""
    clock = FixedClock(datetime(2023, 4, 14, 7, 0, tzinfo=UTC))
    ids = itertools.count(1)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(open_app(settings_for(database_url), clock=clock))
        await first.roadmaps.import_document(SMOLENSK_DOCX)
        await first.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        for index, target in PARTY_LINKS.items():
            await first.parties.assign(CLI, index, target)
        second = await stack.enter_async_context(open_app(settings_for(database_url), clock=clock))
        for app in (first, second):
            app.snapshots.max_age = 0  # "within max age", without sleeping through it
            await app.ledger.load()
        yield Process(first, ids), Process(second, ids)


async def digest_text(process: Process, chat_id: int) -> str:
    """The chat's newest digest, composed now as the process's sender would."""
    app = process.app
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru")
    async with app.database.transaction(write=False) as connection:
        rows = [r for r in await OutboxStore(connection).rows() if r.chat_id == chat_id]
    assert rows, "no digest planned"
    composed = await compose(rows[-1])
    assert composed is not None
    return composed.text


async def test_a_language_switched_in_one_process_is_the_others_next_digest(
    two: tuple[Process, Process],
) -> None:
    one, other = two
    invite = await one.app.people.create_invite(CLI, Role.REP, SCHOOL)
    await one.send(REP, f"/start {invite.token}")
    one.app.clock.moment = DIGEST_DAY  # type: ignore[attr-defined]
    await other.app.planner.plan()  # the school's digest, planned in Russian
    assert (await digest_text(other, REP)).startswith("<b>Напоминание")

    await one.send(REP, "/help", language="en")  # they switched Telegram to English
    # The other process sends it: in English, though planned in Russian.
    assert (await digest_text(other, REP)).startswith("<b>Reminder on the roadmap")
    # And the next round is planned in English too.
    one.app.clock.moment = DIGEST_DAY.replace(day=19)  # type: ignore[attr-defined]
    await other.app.planner.plan()
    assert (await digest_text(other, REP)).startswith("<b>Reminder on the roadmap")


async def test_a_guided_flow_whose_steps_land_on_both_processes_completes(
    two: tuple[Process, Process],
) -> None:
    one, other = two
    invite = await one.app.people.create_invite(CLI, Role.COORDINATOR, CITY)
    await one.send(COORDINATOR, f"/start {invite.token}")

    (ask_role,) = await one.send(COORDINATOR, "/invite")
    (ask_org,) = await other.press(COORDINATOR, ask_role, "представитель организации")
    assert ask_org.text.startswith("Для какой организации?")
    (pick,) = await one.send(COORDINATOR, "Гимназия № 4")  # the organisation awaited here too
    assert pick.text == "Выберите организацию:"
    (ask_use,) = await other.press(COORDINATOR, pick, "Гимназия № 4")
    (link,) = await one.press(COORDINATOR, ask_use, "Одноразовая")
    assert "https://t.me/roadmap_test_bot?start=" in link.text
    token = link.text.rsplit("start=", 1)[1]
    (joined, *_) = await other.send(7777, f"/start {token}")
    assert joined.text.startswith("Готово: вы подключены как представитель организации")
    # The flow is over in both: free text is no organisation's name any more.
    for process in (one, other):
        (said,) = await process.send(COORDINATOR, "Гимназия № 4")
        assert said.text != "Выберите организацию:"


async def test_a_flow_survives_a_restart(database_url: str) -> None:
    clock = FixedClock(datetime(2023, 4, 14, 7, 0, tzinfo=UTC))
    ids = itertools.count(1)
    async with open_app(settings_for(database_url), clock=clock) as app:
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        await app.ledger.load()
        before = Process(app, ids)
        invite = await app.people.create_invite(CLI, Role.COORDINATOR, CITY)
        await before.send(COORDINATOR, f"/start {invite.token}")
        (ask_role,) = await before.send(COORDINATOR, "/invite")
        await before.press(COORDINATOR, ask_role, "представитель организации")
        await app.ledger.close()
    async with open_app(settings_for(database_url), clock=clock) as app:  # restarted
        await app.ledger.load()
        after = Process(app, ids)
        (pick,) = await after.send(COORDINATOR, "Гимназия № 4")
        assert pick.text == "Выберите организацию:"
        (ask_use,) = await after.press(COORDINATOR, pick, "Гимназия № 4")
        (link,) = await after.press(COORDINATOR, ask_use, "Многоразовая")
        assert "https://t.me/roadmap_test_bot?start=" in link.text


async def a_moment_later(process: Process) -> None:
    """As if the snapshots' max age had passed in `process`: its next look at the database's
    version reads the shared revision (what a second of real time would do)."""
    await process.app.database.version(max_age=0)


async def rep_as_seen_by(
    process: Process, *, name: str = f"Person {REP}", username: str | None = None
) -> Person:
    """Who the rep is to `process` when their next update lands there."""
    return await process.app.people.identify("telegram", REP, name, username, "ru")


async def test_who_people_are_follows_the_other_process_within_the_bound(
    two: tuple[Process, Process],
) -> None:
    one, other = two
    assert (await rep_as_seen_by(other)).bindings == ()  # a stranger to both, known to none
    await other.app.snapshots.audience("Europe/Moscow")

    # Bound through one process: the other's next update from them knows their role.
    invite = await one.app.people.create_invite(CLI, Role.REP, SCHOOL)
    await one.send(REP, f"/start {invite.token}")
    await a_moment_later(other)
    assert [b.role for b in (await rep_as_seen_by(other)).bindings] == [Role.REP]
    number = (await rep_as_seen_by(other)).id
    audience = await other.app.snapshots.audience("Europe/Moscow")
    assert [b.organisation for b in audience.people[number].bindings] == [SCHOOL]

    # A second role, a new name and username, seen through one process.
    coordinator = await one.app.people.create_invite(CLI, Role.COORDINATOR, CITY)
    await one.send(REP, f"/start {coordinator.token}")
    await one.app.people.identify("telegram", REP, "Ирина Петрова", "irina", "ru")
    await a_moment_later(other)
    seen = await rep_as_seen_by(other, name="Ирина Петрова", username="irina")
    assert sorted(b.role.value for b in seen.bindings) == ["coordinator", "rep"]
    audience = await other.app.snapshots.audience("Europe/Moscow")
    assert (audience.people[number].name, audience.people[number].username) == (
        "Ирина Петрова",
        "irina",
    )

    # Unbound through one process: the other's next update finds no rights left.
    admin = await one.app.people.identify("telegram", ADMIN, f"Person {ADMIN}", None, "ru")
    await one.app.people.unbind(admin, number)
    await a_moment_later(other)
    assert (await rep_as_seen_by(other, name="Ирина Петрова", username="irina")).bindings == ()
    assert number not in (await other.app.snapshots.audience("Europe/Moscow")).people
    (refused,) = await other.send(REP, "/invite")
    assert refused.text.startswith("Сначала подключитесь по ссылке-приглашению")

    # Forgotten through one process: a stranger to the other, their language erased there too.
    await one.app.people.forget(CLI, number)  # (the command line, or they themselves)
    await a_moment_later(other)
    assert (await rep_as_seen_by(other)).id == 0
    assert (await other.app.snapshots.languages())[number] is None
