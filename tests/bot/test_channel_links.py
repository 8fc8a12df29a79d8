"""One person in two messengers: invites carry a link per configured messenger, and whoever
joins in one gets a personal one-time link for the other, which makes them known there as
the same person. Bad, used, expired or misplaced personal links are answered and change
nothing. MAX's name comes from the fake MAX server; Telegram's side goes through the
dispatcher."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import func, select

from bot.app import bot_defaults, build_dispatcher, open_app
from bot.config import Settings
from bot.domain.access import Person, Role
from bot.domain.channels import MAX, TELEGRAM, Address
from bot.domain.invites import InviteProblem, token_hash
from bot.services.clock import FixedClock
from bot.services.invites import other_channel_links
from bot.services.people import CLI, InviteRefused, Joined, Linked, LinkRefused
from storage.tables import audit_log, channel_invites, identities
from tests.bot.conftest import CITY, SCHOOL, TELEGRAM_IDS, World
from tests.bot.recording import RecordingSession
from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.fake_max import FakeMax

MAX_BOT = "roadmap_max_bot"
TELEGRAM_BOT = "roadmap_test_bot"  # tests/bot/recording.py, BOT_USER
ANNA, BORIS = TELEGRAM_IDS + 7001, TELEGRAM_IDS + 7002  # Telegram users
ANNA_MAX, BORIS_MAX = 88_001, 88_002  # MAX users (their dialogs: 10 × the id)
LINK = re.compile(r"https://(?:t\.me|max\.ru)/\w+\?start=([A-Za-z0-9_-]{32})")


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    async with FakeMax(bot_username=MAX_BOT) as server:
        yield server


@pytest.fixture
async def both(database_url: str, tmp_path: Path, fake_max: FakeMax) -> AsyncIterator[World]:
    """The department's bot, configured for Telegram and MAX (the fake one)."""
    clock = FixedClock(datetime(2023, 4, 20, 7, 0, tzinfo=UTC))
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        bot_token="42:TEST",
        max_token=fake_max.token,
        max_api_url=fake_max.url,
    )
    async with open_app(settings, clock=clock) as app:
        await app.roadmaps.import_document(SMOLENSK_DOCX)
        await app.organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
        session = RecordingSession()
        bot = Bot(token="42:TEST", session=session, default=bot_defaults())
        await app.ledger.load()
        app.bot_names.know(TELEGRAM, TELEGRAM_BOT)  # as the running bot learns it (getMe)
        yield World(app, bot, build_dispatcher(app), session, clock)


async def in_max(world: World, user_id: int, name: str = "Анна", language: str = "ru") -> Person:
    """The person writing from MAX as `user_id`, from their dialog with the bot."""
    return await world.app.people.identify(MAX, user_id, name, None, language, chat_id=user_id * 10)


async def rows(world: World, table: object) -> list[tuple[object, ...]]:
    async with world.app.database.transaction(write=False) as connection:
        return [tuple(row) for row in await connection.execute(select(table))]  # type: ignore[call-overload]


async def count(world: World, table: object) -> int:
    async with world.app.database.transaction(write=False) as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


# -- invites: a link per messenger -----------------------------------------------------------


async def test_invite_reply_has_a_link_for_each_messenger(both: World) -> None:
    admin = await both.app.people.identify(TELEGRAM, ANNA, "Анна", None, "ru")
    invite = await both.app.people.create_invite(CLI, Role.ADMIN, None)
    await both.app.people.redeem(admin, invite.token)
    await both.send(ANNA, "/invite")
    (question,) = both.session.sent[-1:]
    (_,) = await both.press(ANNA, question, "наблюдатель")
    (typed,) = await both.send(ANNA, "Гимназия № 4")
    (use,) = await both.press(ANNA, typed, "Гимназия № 4")
    (reply,) = await both.press(ANNA, use, "Одноразов")
    token = LINK.findall(reply.text)[0]
    assert f"Telegram: https://t.me/{TELEGRAM_BOT}?start={token}" in reply.text
    assert f"MAX: https://max.ru/{MAX_BOT}?start={token}" in reply.text


async def test_max_silent_leaves_the_telegram_link_and_says_so(
    both: World, fake_max: FakeMax
) -> None:
    admin = await both.app.people.identify(TELEGRAM, ANNA, "Анна", None, "ru")
    await both.app.people.redeem(
        admin, (await both.app.people.create_invite(CLI, Role.ADMIN, None)).token
    )
    fake_max.fail("GET /me", status=503, times=10)
    await both.send(ANNA, "/invite")
    (question,) = both.session.sent[-1:]
    (ask_use,) = await both.press(ANNA, question, "сотрудник департамента")
    (reply,) = await both.press(ANNA, ask_use, "Одноразов")
    assert f"Telegram: https://t.me/{TELEGRAM_BOT}?start=" in reply.text
    assert "max.ru" not in reply.text
    assert "Ссылку для MAX сделать не удалось: MAX не ответил" in reply.text


# -- joining in Telegram, then in MAX ----------------------------------------------------------


async def test_joining_in_telegram_offers_max_and_the_link_adds_max_to_the_same_person(
    both: World,
) -> None:
    invite = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    (welcome, *_) = await both.send(ANNA, f"/start {invite.token}")
    assert welcome.text.startswith("Готово: вы подключены как представитель организации")
    offer = next(line for line in welcome.text.splitlines() if "также в MAX" in line)
    assert offer.startswith(f"Получать напоминания также в MAX: https://max.ru/{MAX_BOT}?start=")
    assert "действует до 04.05.2023" in offer
    (personal,) = LINK.findall(offer)
    number = await both.number(ANNA)
    stored = await rows(both, channel_invites)
    assert [(row[1], row[2], row[3]) for row in stored] == [(token_hash(personal), number, MAX)]
    assert personal not in str(stored)  # only its hash is kept

    opened = await both.app.people.redeem(await in_max(both, ANNA_MAX), personal)
    assert isinstance(opened, Linked)
    assert (opened.person.id, opened.channel, opened.new) == (number, MAX, True)
    assert opened.person.addresses == (Address(TELEGRAM, ANNA), Address(MAX, ANNA_MAX * 10))
    # From now on MAX knows them as themselves: bindings, reminders in both messengers.
    again = await in_max(both, ANNA_MAX)
    assert (again.id, again.bindings) == (number, opened.person.bindings)
    (bound,) = [p for p in await both.app.people.bound_people() if p.id == number]
    assert set(bound.addresses) == {Address(TELEGRAM, ANNA), Address(MAX, ANNA_MAX * 10)}
    assert await count(both, identities) == 2

    # A second /start in Telegram offers nothing more: they are known in MAX already.
    (help_,) = await both.send(ANNA, "/start")
    assert "также в MAX" not in help_.text


async def test_start_sends_a_fresh_personal_link_to_someone_not_in_max_yet(both: World) -> None:
    await both.join(ANNA, Role.COORDINATOR, CITY)
    (help_,) = await both.send(ANNA, "/start")
    assert "Получать напоминания также в MAX: https://max.ru/" in help_.text
    assert await count(both, channel_invites) == 2  # the welcome's and this one


async def test_without_max_nothing_is_offered_and_telegram_links_are_as_before(
    world: World,
) -> None:
    invite = await world.app.people.create_invite(CLI, Role.REP, SCHOOL)
    (welcome, *_) = await world.send(ANNA, f"/start {invite.token}")
    assert "MAX" not in welcome.text
    assert await count(world, channel_invites) == 0


# -- joining in MAX, then in Telegram (through the dispatcher) -------------------------------


async def test_a_person_from_max_adds_telegram_with_their_personal_link(both: World) -> None:
    invite = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    joined = await both.app.people.redeem(await in_max(both, ANNA_MAX), invite.token)
    assert isinstance(joined, Joined)
    (offer,) = await other_channel_links(
        both.app.people, both.app.bot_names, joined.person, here=MAX
    )
    assert offer.channel == TELEGRAM
    assert offer.url.startswith("https://t.me/")
    (token,) = LINK.findall(offer.url)

    (done,) = await both.send(ANNA, f"/start {token}")
    assert done.text.startswith(
        "Готово: вы подключены и в Telegram, напоминания будут приходить и сюда."
    )
    assert "/mytasks" in done.text  # their commands, as after joining
    assert await both.number(ANNA) == joined.person.id
    (again,) = await both.send(ANNA, f"/start {token}")
    assert (
        again.text
        == "Вы уже подключены в Telegram — ничего не изменилось.\n\n"
        + (again.text.split("\n\n", 1)[1])
    )
    linked = [row for row in await rows(both, audit_log) if row[3] == "linked"]
    assert [(row[2], row[5], row[8]) for row in linked] == [
        (f"person:{joined.person.id}", joined.person.id, TELEGRAM)
    ]


# -- refused: a clear answer, nothing changed --------------------------------------------------


async def _personal_max_link(world: World, telegram_id: int = ANNA) -> tuple[int, str]:
    await world.join(telegram_id, Role.REP, SCHOOL)
    number = await world.number(telegram_id)
    assert number is not None
    person = await world.app.people.identify(TELEGRAM, telegram_id, "Анна", None, "ru")
    personal = await world.app.people.channel_invite(person, MAX)
    return number, personal.token


async def _unchanged(world: World, before: tuple[object, ...]) -> None:
    assert (await rows(world, identities), await rows(world, channel_invites)) == before


async def _state(world: World) -> tuple[object, ...]:
    return (await rows(world, identities), await rows(world, channel_invites))


async def test_a_used_personal_link_is_refused_for_another_account(both: World) -> None:
    _, token = await _personal_max_link(both)
    await both.app.people.redeem(await in_max(both, ANNA_MAX), token)
    before = await _state(both)
    with pytest.raises(LinkRefused) as refused:
        await both.app.people.redeem(await in_max(both, BORIS_MAX, "Борис"), token)
    assert refused.value.problem is InviteProblem.USED
    assert refused.value.key == "link.used"
    await _unchanged(both, before)
    assert (await in_max(both, BORIS_MAX, "Борис")).id == 0  # still a stranger


async def test_an_expired_personal_link_is_refused(both: World) -> None:
    _, token = await _personal_max_link(both)
    both.clock.advance(timedelta(days=14, seconds=1))
    before = await _state(both)
    with pytest.raises(LinkRefused) as refused:
        await both.app.people.redeem(await in_max(both, ANNA_MAX), token)
    assert refused.value.problem is InviteProblem.EXPIRED
    await _unchanged(both, before)


async def test_a_personal_link_of_someone_forgotten_is_refused(both: World) -> None:
    number, token = await _personal_max_link(both)
    await both.app.people.forget(CLI, number)
    assert await count(both, channel_invites) == 0  # forgetting drops their links too
    with pytest.raises(InviteRefused) as refused:
        await both.app.people.redeem(await in_max(both, ANNA_MAX), token)
    assert refused.value.problem is InviteProblem.UNKNOWN
    # Unbound (not forgotten): the link is there but says so.
    number, token = await _personal_max_link(both, BORIS)
    await both.app.people.unbind(CLI, number)
    before = await _state(both)
    with pytest.raises(LinkRefused) as unbound:
        await both.app.people.redeem(await in_max(both, BORIS_MAX), token)
    assert unbound.value.problem is InviteProblem.FORGOTTEN
    await _unchanged(both, before)


async def test_a_max_account_that_is_someone_else_is_not_taken_over(both: World) -> None:
    _, token = await _personal_max_link(both)
    other = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    boris = await both.app.people.redeem(await in_max(both, BORIS_MAX, "Борис"), other.token)
    before = await _state(both)
    with pytest.raises(LinkRefused) as refused:
        await both.app.people.redeem(await in_max(both, BORIS_MAX, "Борис"), token)
    assert refused.value.problem is InviteProblem.TAKEN
    await _unchanged(both, before)
    assert (await in_max(both, BORIS_MAX, "Борис")).id == boris.person.id


async def test_a_max_link_opened_in_telegram_says_where_to_open_it(both: World) -> None:
    _, token = await _personal_max_link(both)
    before = await _state(both)
    (refused,) = await both.send(BORIS, f"/start {token}")
    assert refused.text == "Эта ссылка — для MAX: откройте её там. Ничего не изменено."
    (english,) = await both.send(BORIS, f"/start {token}", language="en")
    assert english.text == "This link is for MAX: open it there. Nothing was changed."
    await _unchanged(both, before)
    assert await both.number(BORIS) is None


async def test_used_and_expired_answers_in_telegram(both: World) -> None:
    """The Telegram side's answers, in the person's language."""
    invite = await both.app.people.create_invite(CLI, Role.REP, SCHOOL)
    joined = await both.app.people.redeem(await in_max(both, ANNA_MAX), invite.token)
    first = await both.app.people.channel_invite(joined.person, TELEGRAM)
    await both.send(ANNA, f"/start {first.token}")
    before = await _state(both)
    (used,) = await both.send(BORIS, f"/start {first.token}")
    assert used.text.startswith("Эта ссылка уже использована. Новую пришлёт команда /start")
    second = await both.app.people.channel_invite(joined.person, TELEGRAM)
    both.clock.advance(timedelta(days=15))
    (expired,) = await both.send(BORIS, f"/start {second.token}", language="en")
    assert expired.text.startswith("This link has expired.")
    assert await both.number(BORIS) is None
    assert (await rows(both, identities)) == before[0]
