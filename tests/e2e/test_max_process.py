"""The real `roadmap-bot run` process in MAX alone (MAX_TOKEN, no BOT_TOKEN) against the fake MAX
Bot API over real HTTP: the scenarios of the Telegram process test (test_bot_process.py), seen
from MAX. A department onboards a coordinator and a school by invite links made in the bot
(https://max.ru/<bot>?start=…, started with the payload); each sees their own views and the
school marks a task done from a button; the CLI's mail-merge links join in MAX; a school
answers the weekly question with a number; the reminder round reaches MAX; a person who stops
the bot is no longer written to (403 chat.denied) while others still are, and is again after
starting it; a 429 and a 5xx on a reply are waited out, and what was written while the bot
was down is answered after a restart, once."""

from __future__ import annotations

import asyncio
import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.db import sync_url
from tests.conftest import EXAMPLES, SMOLENSK_DOCX
from tests.e2e.test_bot_process import CITY, WAIT, bot_process, cli
from tests.e2e.test_under_load import invite_token, registry_in
from tests.fake_max import FakeMax, MaxUser, SentMessage

pytestmark = pytest.mark.e2e

MAX_TOKEN = "max-e2e-token"
MAX_ADMIN, MAX_COORDINATOR, MAX_SCHOOL, MAX_OTHER, MAX_SILENT = (
    70_001, 70_002, 70_003, 70_004, 70_005
)  # fmt: skip
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
OTHER = "МБОУ «Средняя школа № 2» г. Смоленска"
THIRD = "МБОУ «Средняя школа № 20» г. Смоленска"
START = 40.0  # the first call of a cold process: imports, migrations, a busy CI machine


async def ask(fake: FakeMax, user: MaxUser, text: str, expect: str) -> SentMessage:
    dialog = fake.dialog_id(user)
    since = len(fake.messages_to(dialog))
    fake.send_text(user, text)
    return await fake.wait_for_message(dialog, contains=expect, since=since, timeout=WAIT)


async def press(
    fake: FakeMax, user: MaxUser, message: SentMessage, label: str, expect: str
) -> SentMessage:
    """Tap a button; what answers it, a new message or the pressed one replaced (MAX's
    POST /answers with a message), containing `expect`. (MAX takes no empty answer to a tap:
    one that only sends a new message leaves it unanswered, bot/channels/max/session.py.)"""
    dialog = fake.dialog_id(user)
    since = len(fake.messages_to(dialog))
    versions = len(fake.message(message.mid).history)
    fake.tap(user, message, label)

    def found() -> SentMessage | None:
        for sent in fake.messages_to(dialog)[since:]:
            if expect in (sent.text or ""):
                return sent
        pressed = fake.message(message.mid)
        if len(pressed.history) > versions and expect in (pressed.text or ""):
            return pressed
        return None

    return await fake.wait_for(found, WAIT, what=f"{label!r} answered with {expect!r}")


async def started(fake: FakeMax, user: MaxUser, payload: str | None, expect: str) -> SentMessage:
    """The user starts the bot (through a deep link when `payload` is given)."""
    known = fake._dialogs.get(user.user_id)
    since = len(fake.messages_to(known)) if known is not None else 0
    fake.start_bot(user, payload)
    dialog = fake.dialog_id(user)
    return await fake.wait_for_message(dialog, contains=expect, since=since, timeout=WAIT)


def payload_of(link: str, bot: str = "roadmap_test_bot") -> str:
    prefix = f"https://max.ru/{bot}?start="
    assert link.startswith(prefix), link
    return link.removeprefix(prefix)


async def invite_through_the_bot(
    fake: FakeMax, inviter: MaxUser, role_label: str, organisation: str
) -> str:
    roles = await ask(fake, inviter, "/invite", "Кого пригласить?")
    await press(fake, inviter, roles, role_label, "Для какой организации?")
    choices = await ask(fake, inviter, organisation, "Выберите организацию")
    uses = await press(fake, inviter, choices, organisation[:20], "Сколько раз")
    link = await press(fake, inviter, uses, "Одноразовая", "https://max.ru/roadmap_test_bot?start=")
    assert link.text is not None
    assert "t.me" not in link.text  # MAX alone: no Telegram link is offered
    return link.text.rsplit("start=", 1)[1].split()[0]


def a_round_today(env: dict[str, str], cwd: Path) -> None:
    """Set up the database of `env` (the order, its registry in UTC, schools on tasks 3 and 4,
    overdue reminders every working day, a weekly indicator due today) for a process started
    with `round_now(env)`: its reminder round and weekly question go out as it starts.

    Made by the CLI once a session, beside the tests' own directories, and copied: each CLI
    run is a cold start of its own, seconds on a busy machine."""
    if not env["DATABASE_URL"].startswith("sqlite:///"):  # PostgreSQL: a database per test
        _set_up_a_round(env, cwd)
        return
    template = cwd.parent / f"round-{datetime.now(UTC).date().isoformat()}"
    if not (template / "done").exists():
        template.mkdir(exist_ok=True)
        _set_up_a_round({**env, "DATABASE_URL": f"sqlite:///{template / 'bot.db'}"}, template)
        (template / "done").touch()
    target = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        source = template / f"bot.db{suffix}"
        if source.exists():
            shutil.copyfile(source, target.with_name(target.name + suffix))


def _set_up_a_round(made: dict[str, str], cwd: Path) -> None:
    """The CLI's set-up of a round due today, on the database `made` names."""
    cli(made, cwd, "import", str(SMOLENSK_DOCX))
    cli(made, cwd, "orgs", "import", str(registry_in("UTC", cwd / "orgs.csv")))
    cli(made, cwd, "parties", "link", "3", "все", "школы")
    cli(made, cwd, "parties", "link", "4", "все", "школы")
    # The order's deadlines are in 2023: remind of what is overdue every working day.
    cli(made, cwd, "reminders", "policy", "--overdue-every", "1")
    cli(made, cwd, "reminders", "policy", "--overdue-limit", "100000")
    indicator = cwd / "indicators.yaml"
    indicator.write_text(
        "indicators:\n"
        "  - code: teachers_active\n"
        "    name: Педагоги, написавшие не менее 10 сообщений за неделю\n"
        "    question: Сколько педагогов написали не менее 10 сообщений за неделю?\n"
        "    reported_by: [school]\n"
        "    denominator: teachers\n"
        f"    weekday: {datetime.now(UTC).isoweekday()}\n"
        '    due_time: "23:00"\n'
        "    rollup: latest\n"
        "    from: 2023-04-17\n",
        encoding="utf-8",
    )
    cli(made, cwd, "indicators", "import", str(indicator))


def round_now(env: dict[str, str]) -> dict[str, str]:
    """The environment of a process for which now (UTC) is past the reminder hour of a
    working day, out of the quiet hours: its rounds are planned as it starts."""
    now = datetime.now(UTC)
    return {
        **env,
        "HOLIDAYS": "",
        "WORKDAYS": now.date().isoformat(),
        "TIMEZONE": "UTC",
        "REMINDER_HOUR": "0",
        "QUIET_HOURS": f"{(now.hour + 12) % 24}-{(now.hour + 13) % 24}",
    }


def rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    """What `query` finds in the process's database (SQLite's file or PostgreSQL's)."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


@pytest.fixture
def max_environment(environment: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in environment.items() if key != "BOT_TOKEN"}
    env.update({"MAX_TOKEN": MAX_TOKEN, "ADMIN_IDS": f"max:{MAX_ADMIN}"})
    return env


async def test_onboarding_by_links_made_in_max_views_and_a_button(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    log = tmp_path / "bot.log"
    cli(env, tmp_path, "import", str(SMOLENSK_DOCX))
    cli(env, tmp_path, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    cli(env, tmp_path, "parties", "link", "2", "все", "органы")
    cli(env, tmp_path, "parties", "link", "3", "все", "школы")
    cli(env, tmp_path, "parties", "link", "4", "все", "школы")

    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        admin = fake.user(MAX_ADMIN, "Елена")
        coordinator = fake.user(MAX_COORDINATOR, "Ольга")
        school = fake.user(MAX_SCHOOL, "Ирина")
        async with bot_process(env, tmp_path, log) as process:
            await fake.wait_for_request("PATCH /me/commands", timeout=START)
            assert fake.commands, "the command menu is not published"

            await started(fake, admin, None, "Что вы можете")
            coordinator_token = await invite_through_the_bot(fake, admin, "координатор", CITY)
            await started(
                fake, coordinator, coordinator_token, "Готово: вы подключены как координатор"
            )
            school_token = await invite_through_the_bot(
                fake, coordinator, "представитель организации", "Гимназия № 4"
            )
            await started(fake, school, school_token, "представитель организации")

            await ask(fake, admin, "/status", "Мероприятий: 22 —")
            await ask(fake, coordinator, "/status", "Мероприятий: 8 —")
            await ask(fake, school, "/status", "Мероприятий: 3 —")
            listing = await ask(fake, school, "/tasks", "Мероприятия (3 из 3)")
            assert listing.keyboard

            card = await ask(fake, school, "/task 7", "№ 7. Регистрация")
            assert "Статус: просрочено" in (card.text or "")  # the real clock: 2023 is long past
            await press(fake, school, card, "Выполнено", "№ 7: выполнено — МБОУ «Гимназия № 4»")
            # The card itself now says so: replaced by the tap's answer (POST /answers with
            # a message), MAX's edit of the pressed message, its buttons sent again.
            shown = await fake.wait_for(
                lambda: "Статус: выполнено" in (fake.message(card.mid).text or ""),
                WAIT,
                what="the card showing «Статус: выполнено»",
            )
            assert shown
            assert fake.message(card.mid).keyboard

            refused = await ask(fake, school, "/task 1", "нет среди доступных вам")
            assert refused.text == "Мероприятия № 1 нет среди доступных вам."
            # A used one-time link is refused, and joins nobody.
            stranger = fake.user(MAX_OTHER, "Пётр")
            await started(fake, stranger, school_token, "Это приглашение уже использовано")
            await ask(fake, coordinator, "/status", "Мероприятий: 8 —")
        assert process.returncode == 0, log.read_text(encoding="utf-8")
        assert fake.internal_errors == []
    text = log.read_text(encoding="utf-8")
    assert MAX_TOKEN not in text
    assert "Traceback" not in text


async def test_max_alone_serves_views_faults_and_a_restart(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    log = tmp_path / "bot.log"
    cli(env, tmp_path, "import", str(SMOLENSK_DOCX))

    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        admin = fake.user(MAX_ADMIN, "Елена")
        async with bot_process(env, tmp_path, log):
            await fake.wait_for_request("GET /subscriptions", timeout=START)
            fake.start_bot(admin)
            dialog = fake.dialog_id(admin)
            await fake.wait_for_message(dialog, contains="Что вы можете", timeout=WAIT)
            await ask(fake, admin, "/status", "Мероприятий: 22 —")

            fake.fail("POST /messages", status=429)
            fake.fail("POST /messages", status=502)
            await ask(fake, admin, "/tasks", "Мероприятия (")
            statuses = [call.status for call in fake.calls("POST /messages")]
            assert 429 in statuses
            assert 502 in statuses

        # Written while the bot is down: answered after the restart, once.
        since = len(fake.messages_to(dialog))
        fake.send_text(admin, "/status")
        async with bot_process(env, tmp_path, log):
            await fake.wait_for_message(
                dialog, contains="Мероприятий: 22 —", since=since, timeout=WAIT
            )
            await ask(fake, admin, "/task 7", "№ 7.")
        answers = [
            sent
            for sent in fake.messages_to(dialog)[since:]
            if sent.text and "Мероприятий: 22 —" in sent.text
        ]
        assert len(answers) == 1
        assert fake.internal_errors == []
    assert "Traceback" not in log.read_text(encoding="utf-8")


async def test_cli_invites_for_a_mail_merge_join_in_max(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    cli(env, tmp_path, "import", str(SMOLENSK_DOCX))
    cli(env, tmp_path, "orgs", "import", str(EXAMPLES / "smolensk-orgs.csv"))
    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        out = tmp_path / "invites.csv"
        # Off the loop: the CLI asks the fake server (on this loop) for the bot's name.
        printed = await asyncio.to_thread(
            cli, env, tmp_path, "invite", "--all", "--role", "rep", "--kind", "school",
            "--out", str(out),
        )  # fmt: skip
        assert "355" in printed
        with out.open(encoding="utf-8-sig") as rows:
            table = list(csv.reader(rows, delimiter=";"))
        assert table[0] == ["Организация", "Роль", "Ссылка (MAX)", "Действует до"]
        assert len(table) == 356
        payloads = [payload_of(row[2]) for row in table[1:]]
        assert len(set(payloads)) == 355
        assert all(len(payload) <= 128 for payload in payloads)  # MAX's start parameter

        single = await asyncio.to_thread(
            cli, env, tmp_path, "invite", "--role", "coordinator", "--org", CITY
        )
        assert "https://max.ru/roadmap_test_bot?start=" in single
        assert "t.me" not in single

        school_name = table[1][0]
        async with bot_process(env, tmp_path, tmp_path / "bot.log") as process:
            await fake.wait_for_request("PATCH /me/commands", timeout=START)
            school = fake.user(MAX_SCHOOL, "Ирина")
            joined = await started(fake, school, payloads[0], "Готово")
            assert school_name in (joined.text or "")
            await ask(fake, school, "/status", "Мероприятий:")
        assert process.returncode == 0
        assert fake.internal_errors == []


async def test_a_weekly_answer_and_the_reminder_digest_in_max(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    log = tmp_path / "bot.log"
    a_round_today(env, tmp_path)
    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        school = fake.user(MAX_SCHOOL, "Ирина")
        token = await invite_token(env, tmp_path, "rep", SCHOOL)
        # First run, on a holiday: the school joins; no round.
        async with bot_process(env, tmp_path, log):
            await started(fake, school, token, "представитель организации")
        dialog = fake.dialog_id(school)
        since = len(fake.messages_to(dialog))

        # Second run, a working day past the reminder hour: the round and the question.
        async with bot_process(round_now(env), tmp_path, log) as process:
            digest = await fake.wait_for_message(
                dialog, contains="Напоминание по дорожной карте", since=since, timeout=START
            )
            assert "№ 7" in (digest.text or "")  # the school's share of task 7 is overdue
            question = await fake.wait_for_message(
                dialog, contains="Сколько педагогов написали", since=since, timeout=WAIT
            )
            assert question.text is not None
            taken = await ask(
                fake, school, "38", "Педагоги, написавшие не менее 10 сообщений за неделю: 38"
            )
            assert taken.text is not None
        assert process.returncode == 0, log.read_text(encoding="utf-8")

        said = [sent.text or "" for sent in fake.messages_to(dialog)[since:]]
        assert sum("Напоминание по дорожной карте" in text for text in said) == 1
        assert sum("Сколько педагогов написали" in text for text in said) == 1
        database = env["DATABASE_URL"]
        assert rows(
            database,
            "SELECT o.name, r.value, r.source FROM weekly_reports r "
            "JOIN organisations o ON o.id = r.organisation_id",
        ) == [(SCHOOL, 38, "message")]
        assert fake.internal_errors == []
    assert "Traceback" not in log.read_text(encoding="utf-8")


async def test_a_person_who_stopped_the_bot_is_not_written_to_until_they_start_it_again(
    max_environment: dict[str, str], tmp_path: Path
) -> None:
    env = max_environment
    log = tmp_path / "bot.log"
    a_round_today(env, tmp_path)
    async with FakeMax(token=MAX_TOKEN) as fake:
        env["MAX_API_URL"] = fake.url
        admin = fake.user(MAX_ADMIN, "Елена")
        school = fake.user(MAX_SCHOOL, "Ирина")
        gone = fake.user(MAX_OTHER, "Пётр")
        silent = fake.user(MAX_SILENT, "Анна")
        people = {school: SCHOOL, gone: OTHER, silent: THIRD}
        tokens = {
            user: await invite_token(env, tmp_path, "rep", org) for user, org in people.items()
        }
        async with bot_process(env, tmp_path, log):
            await started(fake, admin, None, "Что вы можете")
            for user, token in tokens.items():
                await started(fake, user, token, "представитель организации")
        since = {user: len(fake.messages_to(fake.dialog_id(user))) for user in people}
        # While the bot is down, two schools' people stop it; sends to them now answer 403
        # chat.denied. One's bot_stopped waits for the bot; the other's never comes (MAX
        # gives up a webhook push after its retries): the sender meets the 403 itself.
        fake.stop_bot(gone)
        fake.fail("POST /messages", status=403, chat_id=fake.dialog_id(silent), times=1000)
        dialogs = {fake.dialog_id(user) for user in (gone, silent)}
        database = env["DATABASE_URL"]

        def settled() -> bool:
            """Both chats unreachable in MAX, none of their rows waiting."""
            unreachable = rows(database, "SELECT chat_id FROM unreachable_chats")
            waiting = rows(database, "SELECT chat_id FROM outbox WHERE status = 'pending'")
            return {chat for (chat,) in unreachable} >= dialogs and not (
                {chat for (chat,) in waiting} & dialogs
            )

        async with bot_process(round_now(env), tmp_path, log) as process:
            await fake.wait_for_message(
                fake.dialog_id(school), contains="Напоминание по дорожной карте",
                since=since[school], timeout=START,
            )  # fmt: skip
            await fake.wait_for(settled, WAIT, what="the stopped chats marked unreachable")
            await ask(fake, admin, "/status", "Мероприятий: 22 —")  # the bot goes on
            for user in (gone, silent):
                assert fake.messages_to(fake.dialog_id(user))[since[user] :] == []
            denied = [
                call.query.get("chat_id")
                for call in fake.calls("POST /messages")
                if call.status == 403 and call.code == "chat.denied"
            ]
            # Met once at most, then not tried again (the stopped one's is not tried at all
            # when the bot heard bot_stopped before its round went out).
            assert denied.count(str(fake.dialog_id(silent))) == 1
            assert denied.count(str(fake.dialog_id(gone))) <= 1

            # They start the bot again: answered, and written to again.
            fake.clear_faults()
            for user in (gone, silent):
                await started(fake, user, None, "")
                await ask(fake, user, "/status", "Мероприятий:")
            assert not rows(database, "SELECT 1 FROM unreachable_chats")
        assert process.returncode == 0, log.read_text(encoding="utf-8")
        assert fake.internal_errors == []
    assert "Traceback" not in log.read_text(encoding="utf-8")
