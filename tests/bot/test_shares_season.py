"""A season of shares through the real dispatcher, on the example registry (355 schools,
27 municipal bodies) and a fake clock: schools mark task 5 («совещания руководителей», owed by
every school) on different days; each hears about it exactly until it marks; each coordinator's
escalation names exactly its own late schools; the department's /status agrees with counts
worked out here; a coordinator marks all of its schools after a confirmation naming them."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.access import Role
from bot.domain.model import OrganisationKind
from bot.render.outbox import outbox_composer
from storage.outbox import OutboxStore
from tests.bot.conftest import ADMIN, CITY, World

VELIZH = (
    "Отдел образования Администрации муниципального образования «Велижский район» "
    "Смоленской области"
)
CITY_COORDINATOR, VELIZH_COORDINATOR = 2001, 2002
FIRST, LAST = date(2023, 4, 10), date(2023, 4, 28)


async def test_a_season_of_shares(world: World) -> None:
    app = world.app
    tree = (await app.snapshots.roadmap()).tree
    schools = {name for name, org in tree.by_name.items() if org.kind is OrganisationKind.SCHOOL}
    city = sorted(name for name in tree.children[CITY] if name in schools)
    velizh = sorted(name for name in tree.children[VELIZH] if name in schools)
    a, b, c = city[:3]
    d = velizh[0]
    reps = {a: 3101, b: 3102, c: 3103, d: 3104}
    marks_on = {a: date(2023, 4, 14), b: date(2023, 4, 19), d: date(2023, 4, 21)}

    await world.send(ADMIN, "/start")
    await world.join(CITY_COORDINATOR, Role.COORDINATOR, CITY)
    await world.join(VELIZH_COORDINATOR, Role.COORDINATOR, VELIZH)
    for school, rep in reps.items():
        await world.join(rep, Role.REP, school)
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru")
    fast = RateLimits(per_second=1000, per_chat_per_second=1000, per_group_per_minute=1000)
    sender = Sender(app.database, TelegramTransport(world.bot), world.clock, compose, limits=fast)

    heard: defaultdict[int, dict[date, str]] = defaultdict(dict)
    day = FIRST
    while day <= LAST:
        world.clock.moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
            hours=7, minutes=5
        )
        before = len(world.session.sent)
        await app.planner.plan()
        await sender.drain()
        for sent in world.session.sent[before:]:
            if "Напоминание" in sent.text:
                heard[sent.chat_id][day] = sent.text
        world.clock.moment += timedelta(hours=2)  # noon: schools mark what they did
        for school, when in marks_on.items():
            if when == day:
                (reply,) = await world.send(reps[school], "/done 5")
                assert reply.text == f"№ 5: выполнено — {school}."
        day += timedelta(days=1)

    def days_with_five(rep: int) -> set[date]:
        return {day for day, text in heard[rep].items() if "№ 5 «" in text}

    never_marked = days_with_five(reps[c])
    assert {date(2023, 4, 10), date(2023, 4, 17), date(2023, 4, 20), date(2023, 4, 24)} <= (
        never_marked
    )
    for school in (a, b, d):
        # Heard exactly as the school that never marked, up to the day it marked; then nothing.
        assert days_with_five(reps[school]) == {
            day for day in never_marked if day <= marks_on[school]
        }, school

    # Escalations from the 24th (more than 3 working days late) on: each coordinator hears
    # of exactly its own late schools.
    escalated: defaultdict[date, dict[int, list[str]]] = defaultdict(dict)
    five = next(t.id for t in (await app.snapshots.roadmap()).tasks if t.number == "5")
    names = {org_id: name for name, org_id in (await app.snapshots.organisation_ids()).items()}
    async with app.database.transaction() as connection:
        for row in await OutboxStore(connection).rows():
            for line in json.loads(row.payload).get("lines", ()):
                if line["task"] == five and line["reason"] == "escalation":
                    escalated[row.round][row.chat_id] = [names[i] for i in line["below"]]
    assert min(escalated) == date(2023, 4, 24)
    assert set(escalated[date(2023, 4, 24)]) == {CITY_COORDINATOR, VELIZH_COORDINATOR}
    for day in escalated:
        assert sorted(escalated[day][CITY_COORDINATOR]) == sorted(set(city) - {a, b})
        assert sorted(escalated[day][VELIZH_COORDINATOR]) == sorted(set(velizh) - {d})

    # The department's /status, against counts worked out here.
    owed = len(schools)
    done = len(marks_on)
    (status,) = await world.send(ADMIN, "/status")
    percent = round(100 * done / owed)
    assert f"№ 5 — выполнили {done} из {owed} ({percent} %), просрочено у {owed - done}" in (
        status.text
    )
    (status,) = await world.send(CITY_COORDINATOR, "/status")
    assert f"№ 5 — выполнили 2 из {len(city)} ({round(200 / len(city))} %), просрочено у " in (
        status.text
    )

    # «All of my schools»: the confirmation names how many, and the count follows.
    (card,) = await world.send(VELIZH_COORDINATOR, "/task 5")
    left = len(velizh) - 1
    (confirm,) = await world.press(VELIZH_COORDINATOR, card, f"✅ Отметить всех ({left})")
    assert f"за {left} организаций" in confirm.text
    (done_all,) = await world.press(VELIZH_COORDINATOR, confirm, f"Да, отметить {left}")
    assert done_all.text == f"№ 5: отмечено выполненным у {left} организаций."
    (status,) = await world.send(ADMIN, "/status")
    done += left
    assert f"№ 5 — выполнили {done} из {owed}" in status.text
