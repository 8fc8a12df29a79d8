"""Three real `roadmap-bot run` processes on one database, in webhook mode behind a proxy,
against the fake Bot API over real HTTP (issue 14).

The test plays Telegram and the proxy in front of the processes (the fake Bot API only records
a webhook, it does not push): each update a user sends is POSTed, with the secret, to the next
process in turn; a chat's updates one at a time and in order (Telegram sends a chat's next
update once the previous one was answered), different chats' side by side; a process that does
not answer (not listening yet, or killed) is passed over for the next, as a proxy would.

- Onboarding and multi-step flows (/invite's four steps, a task's button) whose steps land on
  different processes: the conversation's state is in the database (handlers/conversations.py).
- One process leads (bot/leadership.py): it alone plans the reminder round and sends it, so
  each chat gets its digest once.
- A redelivered update, POSTed to another process after the first answered, is handled once.
- kill -9 of the leader in the middle of a round of 355 schools: another process takes the lead
  within seconds, every school gets its digest and its weekly question, and no more are sent
  twice than were in flight at the kill.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import ADMIN_ID, TOKEN
from tests.e2e.test_bot_process import (
    CITY,
    WAIT,
    ask,
    bot_process,
    cli,
    free_port,
    invite_through_the_bot,
    press,
)
from tests.e2e.test_max_process import a_round_today, round_now
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e

PROCESSES = 3
SECRET = "three-processes-secret"
HOOK = "https://bot.example.org/telegram"
COORDINATOR_ID, SCHOOL_ID = 2001, 3001
FIRST_SCHOOL = 100_000  # the Telegram ids of the round's schools: 100000, 100001, …
START = 60.0  # three cold starts at once on a busy machine: imports, migrations, the lock
WAIT_ROUND = 30.0  # the question after the digest, a second or so later in its chat
ROUND = 120.0  # a round of 710 messages at the test's pace, a takeover and a lease
DIGEST = "Напоминание по дорожной карте"
QUESTION = "Сколько педагогов написали не менее 10 сообщений за неделю?"
# The sender's max_in_flight (bot/delivery/sender.py): at most this many sent and not yet
# recorded at any moment, so at most this many sent again after a kill -9.
IN_FLIGHT = 64


def _chat_of(update: Mapping[str, Any]) -> int:
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        message = body.get("message", body)
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict):
            return int(chat["id"])
        return int(body["from"]["id"])
    raise AssertionError(f"no chat in {update}")


class Proxy:
    """Telegram's webhook delivery through a round-robin proxy (see the module's docstring)."""

    def __init__(self, fake: FakeTelegram, ports: list[int]) -> None:
        self.fake = fake
        self.urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        self.handled_by: dict[int, int] = {}
        """update_id → the process (its index) that answered it."""
        self._turn = itertools.count()
        self._seen = 0
        self._chats: dict[int, asyncio.Task[None]] = {}
        self._places = asyncio.Semaphore(16)  # connections at once (Telegram's default: 40)
        self._http: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Proxy]:
        async with aiohttp.ClientSession() as self._http:
            pump = asyncio.create_task(self._pump())
            try:
                yield self
            finally:
                pump.cancel()
                for task in self._chats.values():
                    task.cancel()
                await asyncio.gather(pump, *self._chats.values(), return_exceptions=True)

    async def post(self, update: Mapping[str, Any], process: int) -> int:
        """POST `update` to that process; its HTTP status."""
        assert self._http is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        timeout = aiohttp.ClientTimeout(total=60)
        async with self._http.post(
            self.urls[process], json=dict(update), headers=headers, timeout=timeout
        ) as response:
            await response.read()
            return response.status

    async def _pump(self) -> None:
        while True:
            for update in self.fake.pending_updates:
                update_id = int(update["update_id"])
                if update_id <= self._seen:
                    continue
                self._seen = update_id
                chat = _chat_of(update)
                before = self._chats.get(chat)
                self._chats[chat] = asyncio.create_task(self._deliver(update, before))
            await asyncio.sleep(0.02)

    async def _deliver(self, update: Mapping[str, Any], before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.gather(before, return_exceptions=True)  # the chat's previous one
        async with self._places:
            while True:
                process = next(self._turn) % len(self.urls)
                try:
                    if await self.post(update, process) == 200:
                        self.handled_by[int(update["update_id"])] = process
                        return
                except (aiohttp.ClientError, TimeoutError):
                    pass  # not listening (yet, or any more): the next one
                await asyncio.sleep(0.1)


def webhook_environment(env: dict[str, str], port: int) -> dict[str, str]:
    return {
        **env,
        "WEBHOOK_URL": HOOK,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "LEADER_RETRY": "0.5",
    }


@asynccontextmanager
async def three_processes(
    fake: FakeTelegram, env: dict[str, str], cwd: Path, logs: list[Path]
) -> AsyncIterator[tuple[Proxy, list[asyncio.subprocess.Process]]]:
    """Three `roadmap-bot run` on webhooks behind the proxy, once all three set the webhook;
    each is stopped with SIGTERM on the way out (unless already dead)."""
    ports = [free_port() for _ in range(PROCESSES)]
    hooks = len(fake.calls("setWebhook"))
    async with AsyncExitStack() as stack:
        processes = [
            await stack.enter_async_context(bot_process(webhook_environment(env, port), cwd, log))
            for port, log in zip(ports, logs, strict=True)
        ]
        await fake.wait_for(
            lambda: len(fake.calls("setWebhook")) >= hooks + PROCESSES,
            START,
            what="all three processes set the webhook",
        )
        proxy = await stack.enter_async_context(Proxy(fake, ports).running())
        try:
            yield proxy, processes
        finally:  # all three told at once, then waited for (bot_process kills one that hangs)
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            await asyncio.wait(
                [asyncio.create_task(process.wait()) for process in processes], timeout=30
            )


def said(log: Path, line_end: str) -> int:
    """How many lines of the log end with `line_end`."""
    if not log.exists():
        return 0
    return sum(line.rstrip().endswith(line_end) for line in log.read_text().splitlines())


async def until(condition: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)


def leaders(logs: list[Path]) -> list[int]:
    return [index for index, log in enumerate(logs) if said(log, " leading")]


async def test_flows_across_processes_one_leader_and_a_redelivery(
    environment: dict[str, str], tmp_path: Path
) -> None:
    env = environment
    a_round_today(env, tmp_path)
    logs = [tmp_path / f"bot{index}.log" for index in range(PROCESSES)]
    async with FakeTelegram(valid_token=TOKEN) as fake:
        env["TELEGRAM_API_URL"] = fake.url
        admin = fake.user(ADMIN_ID, "Елена")
        coordinator = fake.user(COORDINATOR_ID, "Ольга")
        school = fake.user(SCHOOL_ID, "Ирина")

        # A holiday: people join and work, no round yet.
        async with three_processes(fake, env, tmp_path, logs) as (proxy, processes):
            await ask(fake, admin, "/start", "Что вы можете")
            since = len(proxy.handled_by)
            coordinator_token = await invite_through_the_bot(fake, admin, "координатор", CITY)
            steps = list(proxy.handled_by.values())[since:]
            assert len(steps) == 5
            assert len(set(steps)) == PROCESSES  # every process had a step of the flow
            await ask(fake, coordinator, f"/start {coordinator_token}", "как координатор")
            school_token = await invite_through_the_bot(
                fake, coordinator, "представитель организации", "Гимназия № 4"
            )
            await ask(fake, school, f"/start {school_token}", "представитель организации")
            card = await ask(fake, school, "/task 7", "№ 7. Регистрация")
            await press(fake, school, card, "Выполнено", "№ 7: выполнено")
            after = await ask(fake, school, "/task 7", "№ 7. Регистрация")
            assert "Статус: выполнено" in (after.text or "")
            # Another process's mark is seen within ShareLedger.max_age (a second): ask again.
            for _ in range(20):
                status = await ask(fake, coordinator, "/status", "Исполнение по организациям")
                if "№ 7 — выполнили 1 из 40" in (status.text or ""):
                    break
                await asyncio.sleep(0.25)
            else:
                raise AssertionError(f"the school's mark never reached /status: {status.text}")
            assert set(proxy.handled_by.values()) == set(range(PROCESSES))
            await until(lambda: len(leaders(logs)) == 1, START, "one process leads")
            assert [said(log, " standing by") for log in logs].count(1) == PROCESSES - 1
        assert [process.returncode for process in processes] == [0] * PROCESSES
        assert not [call for call in fake.sent if DIGEST in (call.text or "")]

        # A working day past the reminder hour: the round is planned and sent by one of them.
        for log in logs:
            log.rename(log.with_suffix(".holiday.log"))
        async with three_processes(fake, round_now(env), tmp_path, logs) as (proxy, processes):
            digest = await fake.wait_for_message(SCHOOL_ID, contains=DIGEST, timeout=START)
            assert "№ 7" not in (digest.text or "")  # done, so not reminded of
            await fake.wait_for_message(SCHOOL_ID, contains=QUESTION, timeout=WAIT_ROUND)
            assert len(leaders(logs)) == 1

            # A redelivery: the same update to another process after the first answered.
            update_id = fake.add_message(admin, "/status")
            await until(lambda: update_id in proxy.handled_by, WAIT, "/status answered")
            first = proxy.handled_by[update_id]
            again = {"update_id": update_id, **fake.update(update_id)}
            replies = len(fake.messages_to(ADMIN_ID))
            # Answered after handling (handle_in_background=False): a reply would be sent by now.
            assert await proxy.post(again, (first + 1) % PROCESSES) == 200
            assert await proxy.post(again, (first + 2) % PROCESSES) == 200
            assert len(fake.messages_to(ADMIN_ID)) == replies, fake.messages_to(ADMIN_ID)[-3:]
        assert [process.returncode for process in processes] == [0] * PROCESSES

        for chat in (ADMIN_ID, COORDINATOR_ID, SCHOOL_ID):
            got = Counter(DIGEST in (m.text or "") for m in fake.messages_to(chat))
            assert got[True] <= 1, f"chat {chat} got {got[True]} digests"
        assert fake.internal_errors == []


async def test_the_leader_killed_mid_round_another_finishes_it(
    environment: dict[str, str], tmp_path: Path
) -> None:
    env = environment
    a_round_today(env, tmp_path)
    logs = [tmp_path / f"bot{index}.log" for index in range(PROCESSES)]
    async with FakeTelegram(valid_token=TOKEN) as fake:
        env["TELEGRAM_API_URL"] = fake.url
        out = tmp_path / "invites.csv"
        await asyncio.to_thread(
            cli, env, tmp_path, "invite", "--all", "--role", "rep", "--kind", "school",
            "--out", str(out),
        )  # fmt: skip
        with out.open(encoding="utf-8-sig") as rows:
            links = [row[2] for row in list(csv.reader(rows, delimiter=";"))[1:]]
        schools = [FIRST_SCHOOL + number for number in range(len(links))]

        # A holiday: every school joins, through whichever process.
        began = time.monotonic()
        async with three_processes(fake, env, tmp_path, logs) as (_, processes):
            joining = time.monotonic()
            for chat, link in zip(schools, links, strict=True):
                token = link.rsplit("start=", 1)[1]
                fake.add_message(fake.user(chat, f"Школа {chat}"), f"/start {token}")
            await until(
                lambda: all(
                    any("Готово" in (m.text or "") for m in fake.messages_to(chat))
                    for chat in schools
                ),
                ROUND,
                f"all {len(schools)} schools joined",
            )
            joined = time.monotonic()
        assert [process.returncode for process in processes] == [0] * PROCESSES

        # The round, and the leader killed in the middle of it.
        for log in logs:
            log.rename(log.with_suffix(".holiday.log"))
        fake.delay("sendMessage", 0.02)  # answered late: more is in flight at the kill
        paced = {**round_now(env), "SEND_PER_SECOND": "60"}

        def landed(text: str) -> Counter[int]:
            return Counter(m.chat_id for m in fake.sent if text in (m.text or ""))

        restarting = time.monotonic()
        async with three_processes(fake, paced, tmp_path, logs) as (_, processes):
            started = time.monotonic()
            await until(lambda: len(landed(DIGEST)) >= 50, ROUND, "the round under way")
            [leader] = leaders(logs)
            processes[leader].send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await processes[leader].wait()
            sent_before = sum(landed(DIGEST).values()) + sum(landed(QUESTION).values())
            assert sent_before < 2 * len(schools), "the round was over before the kill"
            await until(lambda: len(leaders(logs)) == 2, START, "another process took the lead")
            taken_over = time.monotonic()
            await until(
                lambda: (
                    set(landed(DIGEST)) >= set(schools) and set(landed(QUESTION)) >= set(schools)
                ),
                ROUND,
                "every school's digest and question",
            )
            finished = time.monotonic()
        survivors = [p.returncode for index, p in enumerate(processes) if index != leader]
        assert survivors == [0] * (PROCESSES - 1)
        twice = sum(n - 1 for n in landed(DIGEST).values()) + sum(
            n - 1 for n in landed(QUESTION).values()
        )
        print(
            f"\nthree processes up in {joining - began:.1f} s, {len(schools)} schools joined "
            f"in {joined - joining:.1f} s, restarted in {started - restarting:.1f} s; "
            f"kill -9 of the leader after {sent_before} of {2 * len(schools)} messages, "
            f"another leads {taken_over - killed:.1f} s later, the round done "
            f"{finished - killed:.1f} s after the kill: {twice} sent twice "
            f"(at most {IN_FLIGHT} in flight)"
        )
        assert twice <= IN_FLIGHT
        assert fake.internal_errors == []
