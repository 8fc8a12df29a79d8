"""Four weeks of the Smolensk Sferum campaign at full scale, through the real dispatcher.

Every school and college of examples/smolensk-orgs.csv (355 + 20) has a representative who
joined by invite; three municipal coordinators (the city of Smolensk, Velizh, Vyazma) and the
department's admin are on board too. The weeks of 17.04, 24.04, 01.05 and 08.05.2023 run on a
fake clock: every day at 10:05 Moscow time the question planner ticks and the sender drains the
outbox (as in test_reminders_simulation.py); representatives answer by a formula fixed below,
on time, late or never; and what /status prints is checked against numbers worked out here by
hand from that formula and from who answered when.

The calendar is the default one, Russia's official working calendar (the `holidays` package,
HOLIDAYS and WORKDAYS not configured): Monday 1 May, Monday 8 May and Tuesday 9 May 2023 are
days off. Nothing is asked on them: the week of 24.04 is nudged on Tuesday 2 May and listed
missing on Wednesday 3 May; the week of 01.05 is nudged on Wednesday 10 May and listed missing on
Thursday 11 May.

The coordinators' own committees report their own indicator (staff_active, reported by the
education authorities), and it is asked of those coordinators: the city's answers each Friday,
Vyazma's after the nudge, Velizh's never.

The rules followed by hand (bot/domain/indicators.py, bot/domain/progress.py):

* an answer goes to the latest week whose due day (Friday) has come: a Saturday answer is for
  that week, an answer on the nudge's or the list's day for the week before; it is late after
  Friday 18:00;
* the roll-up is LATEST: an organisation that skips a week still counts with its last value;
* percent = total / the headcount of every organisation expected to report (answered or not),
  to one decimal, printed with a comma; change = this week's total minus last week's;
* pace = the average weekly gain over up to 4 weeks; forecast = this week's due day plus
  ceil(remaining / pace) weeks; the outlook compares it with 31.05.2023 (14 days' grace);
* a target in percent is the headcount's at every level; «3500 чатов» is the region's only, so
  a municipality's chats have no target; figures are written with a no-break space between
  thousands («4 240»).
"""

from __future__ import annotations

import csv
import enum
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.telegram.transport import TelegramTransport
from bot.delivery.limits import RateLimits
from bot.delivery.sender import Sender
from bot.domain.access import Person, Role
from bot.domain.progress import Coverage, Outlook
from bot.importers.indicators import read_indicators
from bot.render.outbox import outbox_composer
from bot.services.people import CLI
from storage.outbox import OutboxRow, OutboxStore
from storage.tables import audit_log, weekly_reports
from tests.bot.conftest import ADMIN, CITY, SCHOOL, World
from tests.bot.recording import Sent
from tests.conftest import EXAMPLES

MOSCOW = ZoneInfo("Europe/Moscow")
VELIZH = (
    "Отдел образования Администрации муниципального образования «Велижский район» "
    "Смоленской области"
)
VYAZMA = (
    "Комитет по образованию Администрации муниципального образования «Вяземский район» "
    "Смоленской области"
)
COORDINATORS = {CITY: 2001, VELIZH: 2002, VYAZMA: 2003}
WEEKS = (date(2023, 4, 17), date(2023, 4, 24), date(2023, 5, 1), date(2023, 5, 8))
# Week -> the nudge's day and the missing list's day: the working days after the Friday, by
# Russia's calendar (1, 8 and 9 May 2023 are days off).
NUDGE_DAYS = {1: date(2023, 4, 24), 2: date(2023, 5, 2), 3: date(2023, 5, 10), 4: date(2023, 5, 15)}
LIST_DAYS = {1: date(2023, 4, 25), 2: date(2023, 5, 3), 3: date(2023, 5, 11), 4: date(2023, 5, 16)}
DAYS_OFF = (date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 9))
TARGET_DUE = date(2023, 5, 31)  # "100% до 31.05.2023", "3500 до 31.05.2023"
CHATS_TARGET = 3500
TEACHERS_ACTIVE, CHATS_CODE, STAFF_ACTIVE = "teachers_active", "chats", "staff_active"
NBSP = "\u00a0"

TEACHERS = "Педагоги, написавшие не менее 10 сообщений за неделю"
CHATS = "Чаты классов в Сферуме"
STAFF = "Сотрудники органов управления, написавшие не менее 10 сообщений"


@dataclass(frozen=True, slots=True)
class Org:
    index: int
    name: str
    kind: str  # "school" or "college"
    parent: str
    teachers: int

    @property
    def rep(self) -> int:
        return 100_000 + self.index

    @property
    def is_school(self) -> bool:
        return self.kind == "school"

    @property
    def codes(self) -> tuple[str, ...]:
        return (TEACHERS_ACTIVE, CHATS_CODE) if self.is_school else (TEACHERS_ACTIVE,)


def _registry() -> list[dict[str, str]]:
    with (EXAMPLES / "smolensk-orgs.csv").open(encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


ORGS = tuple(
    Org(index, row["name"], row["kind"], row["parent"], int(row["teachers"]))
    for index, row in enumerate(r for r in _registry() if r["kind"] in ("school", "college"))
)
BY_REP = {org.rep: org for org in ORGS}
SCHOOLS = tuple(org for org in ORGS if org.is_school)
HEADCOUNT = sum(org.teachers for org in ORGS)
# They report staff_active; of them, only the coordinators' committees have anyone to ask.
AUTHORITY_NAMES = tuple(row["name"] for row in _registry() if row["kind"] == "authority")


def under(municipality: str) -> tuple[Org, ...]:
    return tuple(org for org in ORGS if org.parent == municipality)


# -- who answers what, and when ----------------------------------------------------------------

ZERO_COLLEGE = 5  # week 1: the "0" button
SAME_COLLEGE = 6  # week 3: the "as last week" button
CORRECTORS = (22, 101, 201)  # week 2: a wrong number first, the right one an hour later
REPLY_SCHOOL = 23  # week 1: answers by replying to the question
ABOVE_SCHOOL = 24  # week 4: more than its headcount, confirmed with the button
DROP_SCHOOL = 26  # week 3: a sharp drop, put back, corrected instead of confirmed
DUPLICATE_SCHOOL = 27  # week 2: its update is delivered twice
PARTIAL_SCHOOL = 28  # week 2: teachers on Friday, chats only after the nudge (2 May)
CHATS_ZERO_SCHOOL = 29  # week 1: the "0" button under the chats question, then teachers bare
CHATS_SAME_SCHOOLS = (32, 121, 209)  # week 3: teachers by label, chats by "as last week"
SPECIAL = frozenset(
    {
        ZERO_COLLEGE,
        CHATS_ZERO_SCHOOL,
        *CHATS_SAME_SCHOOLS,
        SAME_COLLEGE,
        REPLY_SCHOOL,
        ABOVE_SCHOOL,
        DROP_SCHOOL,
        DUPLICATE_SCHOOL,
        PARTIAL_SCHOOL,
        *CORRECTORS,
    }
)
NEVER = frozenset({org.index for org in ORGS if org.index % 31 == 7} | {19, 368})


class When(enum.Enum):
    ON_TIME = "Friday 11:00"
    SATURDAY = "Saturday 11:00 (late)"
    NUDGE_DAY_EARLY = "the nudge's day 09:00, before the nudge (late, for the week before)"
    NUDGE_DAY_LATE = "the nudge's day 14:00, after the nudge"
    LIST_DAY = "the missing list's day 14:00, after the list"
    SKIP = "not this week"
    NEVER = "never"


def when(index: int, week: int) -> When:
    if index in NEVER:
        return When.NEVER
    if index in SPECIAL:
        return When.ON_TIME
    if (index + 3 * week) % 23 == 0:
        return When.SKIP
    late = {0: When.SATURDAY, 1: When.NUDGE_DAY_EARLY, 2: When.NUDGE_DAY_LATE, 3: When.LIST_DAY}
    return late.get((7 * index + 3 * week) % 20, When.ON_TIME)


# The coordinators' committees' own staff_active, by week, and when each answers: the city's
# coordinator on Friday (a reply, a reply, «Как на прошлой неделе», a reply), Velizh's on
# Saturday, Vyazma's after the nudge, each by replying to the question or the nudge.
STAFF_VALUES = {
    CITY: {1: 12, 2: 15, 3: 15, 4: 20},
    VELIZH: {1: 3, 2: 4, 3: 6, 4: 7},
    VYAZMA: {1: 4, 2: 8, 3: 12, 4: 16},
}
STAFF_WHEN = {CITY: When.ON_TIME, VELIZH: When.SATURDAY, VYAZMA: When.NUDGE_DAY_LATE}


def teachers_value(org: Org, week: int) -> int:
    """25%, 40%, 55%, 70% of the headcount in weeks 1-4 (rounded half up), but for the
    special cases' own values."""
    if (org.index, week) == (ZERO_COLLEGE, 1):
        return 0
    if (org.index, week) == (SAME_COLLEGE, 3):
        return teachers_value(org, 2)
    if (org.index, week) == (ABOVE_SCHOOL, 4):
        return org.teachers + 5
    return min(org.teachers, (org.teachers * (10 + 15 * week) + 50) // 100)


def chats_value(org: Org, week: int) -> int:
    if (org.index, week) == (CHATS_ZERO_SCHOOL, 1):
        return 0
    if org.index in CHATS_SAME_SCHOOLS and week == 3:
        return chats_value(org, 2)
    return 5 * week + org.index % 4


def value_of(code: str, org: Org, week: int) -> int:
    return teachers_value(org, week) if code == TEACHERS_ACTIVE else chats_value(org, week)


class Style(enum.Enum):
    """How a school answers its two questions (as schools do, issue «Understood at first
    sight»); each must be stored exactly as meant."""

    LABELLED = "учителей 30, чатов 15"
    AND = "30 и 15"
    NO_COMMA = "учителей 30 чатов 15"
    SENTENCE = "Добрый день! У нас 45 педагогов и 16 чатов"
    BARE_TWICE = "38, then 15 in a second message"
    REPLIES = "a reply to the chats question, then one to the teachers question"


STYLES = tuple(Style)


def style(org: Org, week: int) -> Style:
    return STYLES[(org.index + week) % len(STYLES)]


def answer_text(org: Org, week: int) -> str:
    """One message with both numbers (a college: its one number)."""
    teachers, chats = teachers_value(org, week), chats_value(org, week)
    if not org.is_school:
        return str(teachers)
    match style(org, week):
        case Style.AND:
            return f"{teachers} и {chats}"
        case Style.NO_COMMA:
            return f"учителей {teachers} чатов {chats}"
        case Style.SENTENCE:
            return f"Добрый день! У нас {teachers} педагогов и {chats} чатов"
        case _:
            return f"учителей {teachers}, чатов {chats}"


# -- the numbers, by hand --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    value: int
    late: bool


@dataclass(slots=True)
class Book:
    """What the test sent and expects to count: code -> (organisation, week) -> value."""

    values: dict[str, dict[tuple[int, int], Value]] = field(
        default_factory=lambda: {TEACHERS_ACTIVE: {}, CHATS_CODE: {}}
    )

    def record(
        self, org: Org, week: int, *, late: bool, codes: tuple[str, ...] | None = None
    ) -> None:
        for code in org.codes if codes is None else codes:
            self.values[code][(org.index, week)] = Value(value_of(code, org, week), late)

    def latest(self, code: str, org: Org, week: int) -> int | None:
        """LATEST: the organisation's value for `week`, or the last it reported before."""
        for earlier in range(week, 0, -1):
            found = self.values[code].get((org.index, earlier))
            if found is not None:
                return found.value
        return None

    def reported(self, code: str, org: Org, week: int) -> Value | None:
        return self.values[code].get((org.index, week))

    def owes(self, org: Org, week: int) -> bool:
        return any(self.reported(code, org, week) is None for code in org.codes)

    def total(self, code: str, orgs: tuple[Org, ...], week: int) -> int:
        return sum(self.latest(code, org, week) or 0 for org in orgs)

    def coverage(self, code: str, orgs: tuple[Org, ...], week: int) -> Coverage:
        found = [self.reported(code, org, week) for org in orgs]
        on_time = sum(1 for value in found if value is not None and not value.late)
        late = sum(1 for value in found if value is not None and value.late)
        return Coverage(len(orgs), on_time, late)

    def missing(self, code: str, orgs: tuple[Org, ...], week: int) -> list[str]:
        return sorted(org.name for org in orgs if self.reported(code, org, week) is None)

    def late(self, code: str, orgs: tuple[Org, ...], week: int) -> list[str]:
        return sorted(
            org.name for org in orgs if (value := self.reported(code, org, week)) and value.late
        )


def tenths(part: int, whole: int) -> int:
    """part / whole in percent, in tenths, to the nearest. A tie goes to the even tenth, as
    the bot rounds: 18 of 32 (56.25%) is 56,2 here, where half up on paper gives 56,3."""
    return round(Fraction(part * 1000, whole))  # exact; Fraction rounds ties to even


def percent_text(part: int, whole: int) -> str:
    units, tenth = divmod(tenths(part, whole), 10)
    return f"{units},{tenth}" if tenth else str(units)


def spaced(n: int) -> str:
    """4 240: a no-break space between thousands."""
    return f"{n:,}".replace(",", NBSP)


def signed(n: int) -> str:
    return f"+{spaced(n)}" if n > 0 else spaced(n)


def day(value: date) -> str:
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


# The roadmap's last deadline: a forecast past it (and past the target's date) is no date.
ROADMAP_END = date(2023, 5, 31)
FAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Expected:
    total: int
    percent: str | None
    change: int | None
    target: int | None
    forecast: date | None
    beyond: bool  # a forecast past the roadmap's end or a year late: «не успеваем»
    outlook: Outlook
    coverage: Coverage


def expected(
    book: Book,
    code: str,
    orgs: tuple[Org, ...],
    week: int,
    headcount: int | None,
    target: int | None,
) -> Expected:
    totals = [book.total(code, orgs, w) for w in range(1, week + 1)]
    return assessed(totals, book.coverage(code, orgs, week), headcount, target)


def assessed(
    totals: list[int], coverage: Coverage, headcount: int | None, target: int | None
) -> Expected:
    """The rules of the module's docstring, for the weeks' totals so far."""
    week = len(totals)
    total = totals[-1]
    due = WEEKS[week - 1] + timedelta(days=4)
    forecast = None
    if target is None:
        outlook = Outlook.NO_TARGET
    elif total >= target:
        outlook = Outlook.REACHED
    elif due > TARGET_DUE:
        outlook = Outlook.OFF_TRACK
    elif week == 1:
        outlook = Outlook.UNKNOWN  # one week: no pace yet
    else:
        span = min(4, week - 1)  # weeks the pace is averaged over
        gain = total - totals[-1 - span]
        if gain <= 0:
            outlook = Outlook.OFF_TRACK
        else:
            weeks_left = -(-(target - total) * span // gain)  # ceil(remaining / (gain / span))
            forecast = due + timedelta(days=7 * weeks_left)
            if forecast <= TARGET_DUE:
                outlook = Outlook.ON_TRACK
            elif forecast <= TARGET_DUE + timedelta(days=14):
                outlook = Outlook.AT_RISK
            else:
                outlook = Outlook.OFF_TRACK
    beyond = forecast is not None and (forecast > TARGET_DUE + FAR or forecast > ROADMAP_END)
    return Expected(
        total=total,
        percent=None if headcount is None else percent_text(total, headcount),
        change=None if week == 1 else total - totals[-2],
        target=target,
        forecast=None if beyond else forecast,
        beyond=beyond,
        outlook=outlook,
        coverage=coverage,
    )


OUTLOOKS = {
    Outlook.REACHED: "✅ достигнута",
    Outlook.ON_TRACK: "🟢 идём по плану",
    Outlook.AT_RISK: "🟡 под угрозой",
    Outlook.OFF_TRACK: "🔴 отстаём",
    Outlook.UNKNOWN: "⚪ темп пока неизвестен",
}


def block_lines(name: str, numbers: Expected, headcount: int | None) -> list[str]:
    """The head of an indicator's block in /status, as it must read."""
    share = "" if numbers.percent is None else f" — {numbers.percent}% из {spaced(headcount or 0)}"
    change = f" ({signed(numbers.change)} за неделю)" if numbers.change else ""
    lines = [f"<b>{name}</b>: {spaced(numbers.total)}{share}{change}"]
    if numbers.target is not None:
        lines.append(
            f"Цель: {spaced(numbers.target)} к {day(TARGET_DUE)}. {OUTLOOKS[numbers.outlook]}"
        )
    if numbers.beyond:
        lines.append("Прогноз: не успеваем к сроку при текущем темпе.")
    elif numbers.forecast is not None:
        lines.append(f"Прогноз при текущем темпе: {day(numbers.forecast)}.")
    coverage = numbers.coverage
    lines.append(
        f"Отчитались: вовремя {spaced(coverage.on_time)}, с опозданием {spaced(coverage.late)}, "
        f"нет отчёта {spaced(coverage.missing)} из {spaced(coverage.expected)}."
    )
    return lines


def part_lines(
    book: Book, code: str, orgs: tuple[Org, ...], week: int, short: Callable[[str], str]
) -> list[str]:
    """A drill-down's line per organisation (by its short name, in the order of full names),
    then who has not reported and who was late. A value carried from an earlier week says
    so."""
    lines = []
    for org in sorted(orgs, key=lambda o: o.name):
        counted = book.latest(code, org, week)
        if counted is None:
            lines.append(f"• {short(org.name)}: нет данных; отчёты 0/1")
            continue
        share = (
            f" — {percent_text(counted, org.teachers)}% из {spaced(org.teachers)}"
            if code == TEACHERS_ACTIVE
            else ""
        )
        previous = book.latest(code, org, week - 1)
        change = counted - previous if previous is not None else 0
        reported = book.reported(code, org, week) is not None
        lines.append(
            f"• {short(org.name)}: {spaced(counted)}{share}"
            + (f" ({signed(change)} за неделю)" if change else "")
            + f"; отчёты {int(reported)}/1"
            + ("" if reported else "; прежнее значение (за эту неделю нет отчёта)")
        )
    missing = sorted(short(name) for name in book.missing(code, orgs, week))
    late = sorted(short(name) for name in book.late(code, orgs, week))
    if missing:
        lines.append(f"Нет отчёта ({len(missing)}): {', '.join(missing)}")
    if late:
        lines.append(f"С опозданием ({len(late)}): {', '.join(late)}")
    return lines


# -- the campaign ------------------------------------------------------------------------------


def moscow(on: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(on, time(hour, minute), MOSCOW).astimezone(UTC)


@dataclass
class Campaign:
    world: World
    sender: Sender
    book: Book = field(default_factory=Book)
    # (org, week) -> indicator code -> its question, one a message
    asked: dict[tuple[int, int], dict[str, Sent]] = field(default_factory=dict)
    # (committee, week) -> its staff_active as stored, and the question or nudge it answers
    staff: dict[tuple[str, int], Value] = field(default_factory=dict)
    staff_asked: dict[tuple[str, int], Sent] = field(default_factory=dict)

    def staff_latest(self, authority: str, week: int) -> int | None:
        for earlier in range(week, 0, -1):
            found = self.staff.get((authority, earlier))
            if found is not None:
                return found.value
        return None

    async def staff_answer(
        self, authority: str, week: int, moment: datetime, *, late: bool
    ) -> None:
        """The committee's coordinator answers its own indicator: by replying to what they
        were asked, or (the city, week 3) with «Как на прошлой неделе»."""
        self.world.clock.moment = moment
        coordinator, value = COORDINATORS[authority], STAFF_VALUES[authority][week]
        question = self.staff_asked[(authority, week)]
        assert await self.world.app.questions.asked_about(coordinator, question.message_id) == (
            authority
        )
        if (authority, week) == (CITY, 3):
            assert value == self.staff_latest(CITY, 2)
            [reply] = await self.world.press(
                coordinator, question, f"Как на прошлой неделе ({value})"
            )
        else:
            [reply] = await reply_to(self.world, coordinator, question, str(value))
        text = reply.text
        assert text.startswith(f"✅ Принято: {authority}, неделя с {day(WEEKS[week - 1])}.\n")
        assert f"\n• {STAFF}: {value}" in text, text
        assert ("Отчёт после срока — отмечен как поздний." in text) is late, text
        assert "Ещё ждём" not in text, text
        self.staff[(authority, week)] = Value(value, late)

    async def tick(self, moment: datetime) -> list[Sent]:
        """The planner's tick and a drain of the outbox, as the running bot does them."""
        self.world.clock.moment = moment
        before = len(self.world.session.sent)
        await self.world.app.questions.plan()
        await self.sender.drain()
        return self.world.session.sent[before:]

    async def rows(self, kind: str, on: date) -> list[OutboxRow]:
        async with self.world.app.database.transaction() as connection:
            rows = await OutboxStore(connection).rows()
        return [row for row in rows if row.kind.startswith(f"{kind}:") and row.round == on]

    async def answer(self, org: Org, week: int, moment: datetime, *, late: bool) -> None:
        """The organisation answers all it is asked, in its style; every reply says what
        was taken, by the indicators' names, and what is still awaited."""
        self.world.clock.moment = moment
        teachers, chats = teachers_value(org, week), chats_value(org, week)
        if org.is_school and style(org, week) is Style.BARE_TWICE:
            [first] = await self.world.send(org.rep, str(teachers))
            took(first, org, week, {TEACHERS_ACTIVE: teachers}, late=late, awaited=(CHATS,))
            [second] = await self.world.send(org.rep, str(chats))
            took(second, org, week, {CHATS_CODE: chats}, late=late)
        elif org.is_school and style(org, week) is Style.REPLIES:
            # The chats question first: a reply answers the question replied to, whatever
            # its number.
            questions = self.asked[(org.index, week)]
            [first] = await reply_to(self.world, org.rep, questions[CHATS_CODE], str(chats))
            took(first, org, week, {CHATS_CODE: chats}, late=late, awaited=(TEACHERS,))
            [second] = await reply_to(
                self.world, org.rep, questions[TEACHERS_ACTIVE], str(teachers)
            )
            took(second, org, week, {TEACHERS_ACTIVE: teachers}, late=late)
        else:
            [reply] = await self.world.send(org.rep, answer_text(org, week))
            took(
                reply, org, week, {code: value_of(code, org, week) for code in org.codes}, late=late
            )
        self.book.record(org, week, late=late)


NAMES = {TEACHERS_ACTIVE: TEACHERS, CHATS_CODE: CHATS, STAFF_ACTIVE: STAFF}


def check_stored(reply: Sent, org: Org, week: int, *, late: bool) -> None:
    """The bot's "✅ Принято" names the week the answer went to, the share and lateness."""
    text = reply.text
    assert f"✅ Принято: {org.name}, неделя с {day(WEEKS[week - 1])}." in text, text
    number = teachers_value(org, week)
    share = f"{number} ({percent_text(number, org.teachers)}% из {org.teachers})"
    assert f"• {TEACHERS}: " not in text or share in text, text
    assert ("Отчёт после срока — отмечен как поздний." in text) is late, text


def took(
    reply: Sent,
    org: Org,
    week: int,
    values: dict[str, int],
    *,
    late: bool,
    awaited: tuple[str, ...] = (),
) -> None:
    """check_stored, and the reply echoes exactly `values` (first answers, by name) and says
    which questions are still awaited."""
    check_stored(reply, org, week, late=late)
    lines = reply.text.split("\n")
    echoed = {line.split(": ")[0].removeprefix("• ") for line in lines if line.startswith("• ")}
    assert echoed == {NAMES[code] for code in values}, reply.text
    for code, value in values.items():
        line = f"• {NAMES[code]}: {value}"
        assert line in lines or any(x.startswith(f"{line} (") for x in lines), reply.text
    if awaited:
        names = "; ".join(f"{n}) {name}" for n, name in enumerate(awaited, 1))
        assert f"Ещё ждём: {names}." in reply.text, reply.text
    else:
        assert "Ещё ждём" not in reply.text, reply.text


async def reply_to(world: World, user_id: int, question: Sent, text: str) -> list[Sent]:
    """A reply to the bot's message, carrying it (and its buttons) as Telegram does."""
    update: dict[str, Any] = world.message_update(user_id, text)
    replied: dict[str, Any] = {
        "message_id": question.message_id,
        "date": update["message"]["date"],
        "chat": {"id": question.chat_id, "type": "private"},
        "from": {"id": 42, "is_bot": True, "first_name": "Roadmap"},
        "text": question.text,
    }
    if question.reply_markup is not None:
        replied["reply_markup"] = question.reply_markup.model_dump(mode="json", exclude_none=True)
    update["message"]["reply_to_message"] = replied
    return await world.feed(update)


async def onboard(world: World) -> Campaign:
    app = world.app
    await app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    await world.send(ADMIN, "/start")
    for organisation, coordinator in COORDINATORS.items():
        await world.join(coordinator, Role.COORDINATOR, organisation)
    for org in ORGS:
        [joined] = await world.join(org.rep, Role.REP, org.name)
        assert f"представитель организации ({org.name})" in joined.text, joined.text
    audience = await app.snapshots.audience(app.settings.timezone)
    assert {name: [who.chat_id for who in ls] for name, ls in audience.reps.items()} == {
        org.name: [org.rep] for org in ORGS
    }
    for organisation, coordinator in COORDINATORS.items():
        assert [who.chat_id for who in audience.coordinators[organisation]] == [coordinator]
    assert [who.chat_id for who in audience.staff] == [ADMIN]
    # The default calendar, Russia's: 1, 8 and 9 May 2023 are days off, 2 May is not.
    assert not app.settings.holidays
    assert not app.settings.workdays
    assert not any(app.questions.calendar.is_working(off) for off in DAYS_OFF)
    assert app.questions.calendar.is_working(date(2023, 5, 2))
    world.session.sent.clear()
    return Campaign(world, sender(world))


def sender(world: World) -> Sender:
    app = world.app
    compose = outbox_composer(app.snapshots, app.reports, app.shares, "ru")
    # The limiter runs on real time, and a simulated day lasts a second or so.
    fast = RateLimits(per_second=100_000, per_chat_per_second=100_000, per_group_per_minute=1000)
    return Sender(app.database, TelegramTransport(world.bot), world.clock, compose, limits=fast)


async def person(world: World, telegram_id: int) -> Person:
    return await world.app.people.identify(
        "telegram", telegram_id, f"Person {telegram_id}", None, "ru"
    )


# -- one week ----------------------------------------------------------------------------------


async def friday(campaign: Campaign, week: int) -> None:
    """The question at 10:05, answers through the day, corrections and odd cases."""
    world, book = campaign.world, campaign.book
    monday = WEEKS[week - 1]
    due = monday + timedelta(days=4)
    sent = await campaign.tick(moscow(due, 10, 5))
    # One question a message: per representative, one per indicator asked (a school two, a
    # college one), with the school's headcount from the CSV.
    rows = await campaign.rows("ask", due)
    assert all(row.status == "sent" for row in rows)
    ids = await world.app.snapshots.organisation_ids()
    # The committees' own indicator is asked of their coordinators, one question each.
    assert sorted((row.chat_id, row.kind) for row in rows) == sorted(
        [(org.rep, f"ask:{ids[org.name]}:{code}") for org in ORGS for code in org.codes]
        + [(chat, f"ask:{ids[name]}:{STAFF_ACTIVE}") for name, chat in COORDINATORS.items()]
    )
    assert Counter(message.chat_id for message in sent) == {
        **{org.rep: len(org.codes) for org in ORGS},
        **dict.fromkeys(COORDINATORS.values(), 1),
    }
    for authority, coordinator in COORDINATORS.items():
        [question] = [message for message in sent if message.chat_id == coordinator]
        header = f"📊 Еженедельный отчёт: {authority}, неделя с {day(monday)}."
        check_staff_question(campaign, question, authority, week, header)
        campaign.staff_asked[(authority, week)] = question
    for org in ORGS:
        questions = by_indicator(sent, org)
        assert list(questions) == list(org.codes)
        # Numbered in the order bare numbers fill them («30 и 15»: teachers, then chats, as
        # /report numbers them), and they arrive in that order.
        assert [about(m) for m in sent if m.chat_id == org.rep] == list(org.codes)
        for number, (code, message) in enumerate(questions.items(), 1):
            header = f"📊 Еженедельный отчёт: {org.name}, неделя с {day(monday)}."
            check_question(campaign, message, code, org, week, header)
            numbered = f"Вопрос {number} из {len(org.codes)}."
            assert (numbered in message.text) is org.is_school, message.text
            assert "Срок: " + day(due) + " (пт) 18:00." in message.text, message.text
        campaign.asked[(org.index, week)] = questions

    moment = moscow(due, 11)
    for org in ORGS:
        if when(org.index, week) is not When.ON_TIME:
            continue
        if (org.index, week) == (REPLY_SCHOOL, 1):
            await reply_to_the_question(campaign, org, week, moment)
        elif (org.index, week) == (CHATS_ZERO_SCHOOL, 1):
            await zero_chats_then_a_bare_number(campaign, org, week, moment)
        elif org.index in CHATS_SAME_SCHOOLS and week == 3:
            await chats_as_last_week(campaign, org, week, moment)
        elif (org.index, week) == (ZERO_COLLEGE, 1):
            await press_a_value(campaign, org, week, moment, "0")
        elif (org.index, week) == (SAME_COLLEGE, 3):
            await press_a_value(campaign, org, week, moment, "Как на прошлой неделе")
        elif (org.index, week) == (ABOVE_SCHOOL, 4):
            await above_the_headcount(campaign, org, week, moment)
        elif (org.index, week) == (DROP_SCHOOL, 3):
            await a_sharp_drop_corrected(campaign, org, week, moment)
        elif (org.index, week) == (DUPLICATE_SCHOOL, 2):
            await delivered_twice(campaign, org, week, moment)
        elif (org.index, week) == (PARTIAL_SCHOOL, 2):
            world.clock.moment = moment
            number = teachers_value(org, week)
            [reply] = await world.send(org.rep, f"учителей {number}")
            took(reply, org, week, {TEACHERS_ACTIVE: number}, late=False, awaited=(CHATS,))
            book.record(org, week, late=False, codes=(TEACHERS_ACTIVE,))
        elif org.index in CORRECTORS and week == 2:
            await corrected_within_the_week(campaign, org, week, moment)
        else:
            await campaign.answer(org, week, moment, late=False)
    await campaign.staff_answer(CITY, week, moment, late=False)

    # At 18:30 the deadline has passed: the on-time count is final, nobody is late yet.
    world.clock.moment = moscow(due, 18, 30)
    report = await world.app.reports.progress(await person(world, ADMIN))
    assert report.blocks[0].progress.coverage == book.coverage(TEACHERS_ACTIVE, ORGS, week)
    assert report.blocks[0].progress.coverage.late == 0


def by_indicator(sent: list[Sent], org: Org) -> dict[str, Sent]:
    """The organisation's question messages by the indicator each asks, in `org.codes`'
    order; one message an indicator."""
    mine = [message for message in sent if message.chat_id == org.rep]
    found = {about(message): message for message in mine}
    assert len(found) == len(mine), [message.text for message in mine]
    return {code: found[code] for code in org.codes if code in found}


QUESTIONS = {
    TEACHERS_ACTIVE: "Сколько педагогов написали не менее 10 сообщений за неделю?",
    CHATS_CODE: "Сколько чатов классов создано в Сферуме?",
    STAFF_ACTIVE: "Сколько сотрудников органов управления написали не менее 10 сообщений "
    "за неделю?",
}


def about(message: Sent) -> str:
    """The indicator a question message asks about: one a message."""
    [code] = [code for code, asks in QUESTIONS.items() if asks in message.text]
    return code


def check_staff_question(
    campaign: Campaign, message: Sent, authority: str, week: int, header: str
) -> None:
    """A committee's own question (or nudge), asked of its coordinator: no headcount (the
    registry has no staff numbers), one question, last week's value and the buttons."""
    text = message.text
    assert message.chat_id == COORDINATORS[authority]
    assert text.startswith(header + "\n"), text
    assert about(message) == STAFF_ACTIVE, text
    assert "Всего" not in text, text
    assert "Вопрос" not in text, text
    assert f"Срок: {day(WEEKS[week - 1] + timedelta(days=4))} (пт) 18:00." in text, text
    previous = campaign.staff_latest(authority, week - 1)
    assert (f"На прошлой неделе: {previous}." in text) is (previous is not None), text
    same = [] if previous is None else [f"Как на прошлой неделе ({previous})"]
    assert [label for label, _ in message.buttons()] == [*same, "0"]


def check_question(
    campaign: Campaign, message: Sent, code: str, org: Org, week: int, header: str
) -> None:
    """A question (or nudge) about one indicator: the headcount, last week's value and the
    buttons under it, which answer this question."""
    text = message.text
    assert text.startswith(header + "\n"), text
    assert about(message) == code, text
    assert (f"Всего педагогов: {org.teachers}." in text) is (code == TEACHERS_ACTIVE), text
    previous = campaign.book.latest(code, org, week - 1)
    if previous is not None:
        assert f"На прошлой неделе: {previous}." in text, text
    labels = [label for label, _ in message.buttons()]
    same = [] if previous is None else [f"Как на прошлой неделе ({previous})"]
    assert labels == [*same, "0"], labels


async def reply_to_the_question(campaign: Campaign, org: Org, week: int, moment: datetime) -> None:
    """Replies, each with one number: the chats question first, then the teachers question
    with a slip, then that question again with the right number, which corrects it."""
    world = campaign.world
    world.clock.moment = moment
    questions = campaign.asked[(org.index, week)]
    for question in questions.values():
        assert await world.app.questions.asked_about(org.rep, question.message_id) == org.name
    teachers, chats = teachers_value(org, week), chats_value(org, week)
    [first] = await reply_to(world, org.rep, questions[CHATS_CODE], str(chats))
    took(first, org, week, {CHATS_CODE: chats}, late=False, awaited=(TEACHERS,))
    slip = teachers + 1
    assert slip <= org.teachers  # no doubt about it
    [second] = await reply_to(world, org.rep, questions[TEACHERS_ACTIVE], str(slip))
    assert f"• {TEACHERS}: {slip} (" in second.text, second.text
    assert "Ещё ждём" not in second.text, second.text
    [fixed] = await reply_to(world, org.rep, questions[TEACHERS_ACTIVE], str(teachers))
    check_stored(fixed, org, week, late=False)
    assert f"• {TEACHERS}: {slip} → {teachers} (" in fixed.text, fixed.text
    assert f"• {CHATS}" not in fixed.text, fixed.text
    campaign.book.record(org, week, late=False)
    assert await stored_values(campaign, org, week) == {
        TEACHERS_ACTIVE: teachers,
        CHATS_CODE: chats,
    }


async def press_a_value(
    campaign: Campaign, org: Org, week: int, moment: datetime, label: str
) -> None:
    """A college taps a button under its one question."""
    world = campaign.world
    world.clock.moment = moment
    question = campaign.asked[(org.index, week)][TEACHERS_ACTIVE]
    [reply] = await world.press(org.rep, question, label)
    took(reply, org, week, {TEACHERS_ACTIVE: teachers_value(org, week)}, late=False)
    campaign.book.record(org, week, late=False)
    assert await stored_values(campaign, org, week) == {TEACHERS_ACTIVE: teachers_value(org, week)}


async def zero_chats_then_a_bare_number(
    campaign: Campaign, org: Org, week: int, moment: datetime
) -> None:
    """«0» under the chats question (question 2), then a bare number: it fills the question
    still open, the teachers'."""
    world = campaign.world
    world.clock.moment = moment
    questions = campaign.asked[(org.index, week)]
    assert chats_value(org, week) == 0
    [zero] = await world.press(org.rep, questions[CHATS_CODE], "0")
    took(zero, org, week, {CHATS_CODE: 0}, late=False, awaited=(TEACHERS,))
    teachers = teachers_value(org, week)
    [taken] = await world.send(org.rep, str(teachers))
    took(taken, org, week, {TEACHERS_ACTIVE: teachers}, late=False)
    campaign.book.record(org, week, late=False)
    assert await stored_values(campaign, org, week) == {TEACHERS_ACTIVE: teachers, CHATS_CODE: 0}


async def chats_as_last_week(campaign: Campaign, org: Org, week: int, moment: datetime) -> None:
    """Teachers by label, then «Как на прошлой неделе (N)» under the chats question."""
    world = campaign.world
    world.clock.moment = moment
    teachers, chats = teachers_value(org, week), chats_value(org, week)
    assert chats == campaign.book.latest(CHATS_CODE, org, week - 1)
    [taken] = await world.send(org.rep, f"учителей {teachers}")
    took(taken, org, week, {TEACHERS_ACTIVE: teachers}, late=False, awaited=(CHATS,))
    question = campaign.asked[(org.index, week)][CHATS_CODE]
    [same] = await world.press(org.rep, question, f"Как на прошлой неделе ({chats})")
    took(same, org, week, {CHATS_CODE: chats}, late=False)
    campaign.book.record(org, week, late=False)
    assert await stored_values(campaign, org, week) == {
        TEACHERS_ACTIVE: teachers,
        CHATS_CODE: chats,
    }


async def above_the_headcount(campaign: Campaign, org: Org, week: int, moment: datetime) -> None:
    world = campaign.world
    world.clock.moment = moment
    number, chats = teachers_value(org, week), chats_value(org, week)
    assert number > org.teachers
    # The chats are taken at once; the number in doubt waits for the button.
    [stored, doubt] = await world.send(org.rep, f"учителей {number}, чатов {chats}")
    took(stored, org, week, {CHATS_CODE: chats}, late=False)
    assert f"{number} — больше, чем всего педагогов ({org.teachers})" in doubt.text
    assert await stored_values(campaign, org, week) == {CHATS_CODE: chats}
    [confirmed] = await world.press(org.rep, doubt, "Подтвердить")
    took(confirmed, org, week, {TEACHERS_ACTIVE: number}, late=False)
    campaign.book.record(org, week, late=False)
    assert await stored_values(campaign, org, week) == {
        TEACHERS_ACTIVE: number,
        CHATS_CODE: chats_value(org, week),
    }


async def a_sharp_drop_corrected(campaign: Campaign, org: Org, week: int, moment: datetime) -> None:
    world = campaign.world
    world.clock.moment = moment
    last = campaign.book.latest(TEACHERS_ACTIVE, org, week - 1)
    assert last is not None
    drop, chats = last // 4, chats_value(org, week)
    [stored, doubt] = await world.send(org.rep, f"{drop} и {chats}")
    took(stored, org, week, {CHATS_CODE: chats}, late=False)
    assert f"{drop} — на прошлой неделе было {last}, снижение больше чем на треть" in doubt.text
    [discarded] = await world.press(org.rep, doubt, "Исправлю")
    assert discarded.text == f"Хорошо, пришлите исправленное число: {TEACHERS}."
    assert await stored_values(campaign, org, week) == {CHATS_CODE: chats}
    # The next number is the correction, though no question is open to a bare number but it.
    world.clock.moment = moment + timedelta(minutes=5)
    [taken] = await world.send(org.rep, str(teachers_value(org, week)))
    took(taken, org, week, {TEACHERS_ACTIVE: teachers_value(org, week)}, late=False)
    campaign.book.record(org, week, late=False)
    [again] = await world.press(org.rep, doubt, "Подтвердить")  # the drop is gone for good
    assert again.text == "Это уже решено раньше."
    assert await stored_values(campaign, org, week) == {
        TEACHERS_ACTIVE: teachers_value(org, week),
        CHATS_CODE: chats,
    }


async def delivered_twice(campaign: Campaign, org: Org, week: int, moment: datetime) -> None:
    world = campaign.world
    world.clock.moment = moment
    update = world.message_update(org.rep, answer_text(org, week))
    [first] = await world.feed(update)
    took(first, org, week, {code: value_of(code, org, week) for code in org.codes}, late=False)
    campaign.book.record(org, week, late=False)
    world.app.ledger._handled.clear()  # as after a crash before the ledger was written
    again = await world.feed(update)
    if world.app.ledger.shared:
        # Claimed in the database (PostgreSQL): the report's own commit marked its update
        # handled, so the redelivery is passed over without a word.
        assert again == []
    else:
        [second] = again
        assert second.text == "Это сообщение уже учтено."
    # Two values a week (teachers, chats), each written once.
    assert len(await report_history(campaign, org)) == 2 * week


async def corrected_within_the_week(
    campaign: Campaign, org: Org, week: int, moment: datetime
) -> None:
    world = campaign.world
    right = teachers_value(org, week)
    wrong = right + 2
    assert wrong <= org.teachers  # no doubt raised about the wrong one
    world.clock.moment = moment
    first_text = f"учителей {wrong}, чатов {chats_value(org, week)}"
    [first] = await world.send(org.rep, first_text if org.is_school else str(wrong))
    assert f"• {TEACHERS}: {wrong} (" in first.text
    world.clock.moment = moment + timedelta(hours=1)
    [corrected] = await world.send(org.rep, f"учителей {right}")
    assert f"• {TEACHERS}: {wrong} → {right} (" in corrected.text
    assert "Отчёт после срока" not in corrected.text
    campaign.book.record(org, week, late=False)
    history = await report_history(campaign, org)
    assert history[-2:] == [(None, str(chats_value(org, week))), (str(wrong), str(right))]


async def stored_values(campaign: Campaign, org: Org, week: int) -> dict[str, int]:
    app = campaign.world.app
    ids = await app.snapshots.organisation_ids()
    codes = {h.current.id: h.code for h in await app.reports.histories()}
    async with app.database.transaction() as connection:
        rows = await connection.execute(
            select(weekly_reports).where(
                weekly_reports.c.organisation_id == ids[org.name],
                weekly_reports.c.week == WEEKS[week - 1],
            )
        )
        return {codes[row.indicator_id]: row.value for row in rows}


async def report_history(campaign: Campaign, org: Org) -> list[tuple[str | None, str]]:
    """(old, new) of every change to the organisation's reports, oldest first."""
    app = campaign.world.app
    ids = await app.snapshots.organisation_ids()
    async with app.database.transaction() as connection:
        mine = select(weekly_reports.c.id).where(weekly_reports.c.organisation_id == ids[org.name])
        rows = await connection.execute(
            select(audit_log.c.old, audit_log.c.new)
            .where(audit_log.c.subject == "report", audit_log.c.subject_id.in_(mine))
            .order_by(audit_log.c.id)
        )
        return [(row.old, row.new) for row in rows]


async def late_answers(campaign: Campaign, week: int, kind: When, moment: datetime) -> None:
    for org in ORGS:
        if when(org.index, week) is kind:
            await campaign.answer(org, week, moment, late=True)


def owing(campaign: Campaign, week: int, orgs: tuple[Org, ...] = ORGS) -> list[Org]:
    return [org for org in orgs if campaign.book.owes(org, week)]


async def weekend_and_after(campaign: Campaign, week: int) -> None:
    """Saturday's late answers, the nudge and the missing lists on the next two working days
    (by Russia's calendar), «🔔 Напомнить им», and nothing on the days off in between."""
    world, book = campaign.world, campaign.book
    monday = WEEKS[week - 1]
    friday_, saturday = monday + timedelta(days=4), monday + timedelta(days=5)
    nudge_day, list_day = NUDGE_DAYS[week], LIST_DAYS[week]
    assert list_day == nudge_day + timedelta(days=1)

    # Nothing at the weekend, nor on the days off after it (1 May; 8 and 9 May).
    off = friday_ + timedelta(days=1)
    while off < nudge_day:
        assert await campaign.tick(moscow(off, 10, 5)) == [], off
        if off == saturday:
            await late_answers(campaign, week, When.SATURDAY, moscow(saturday, 11))
            await campaign.staff_answer(VELIZH, week, moscow(saturday, 11), late=True)
        off += timedelta(days=1)

    # The nudge's day: some answer before the nudge; it goes to those still owing, and only
    # to them.
    await late_answers(campaign, week, When.NUDGE_DAY_EARLY, moscow(nudge_day, 9))
    still = owing(campaign, week)
    awaited = (When.NEVER, When.SKIP, When.NUDGE_DAY_LATE, When.LIST_DAY)
    assert [org.index for org in still] == [
        org.index
        for org in ORGS
        if when(org.index, week) in awaited or (org.index, week) == (PARTIAL_SCHOOL, 2)
    ]
    # A nudge a message, for each indicator still owed and only those, numbered as asked;
    # Vyazma's committee, which has not answered its own, is nudged through its coordinator.
    owed = {
        org: [code for code in org.codes if book.reported(code, org, week) is None] for org in still
    }
    nudges = await campaign.tick(moscow(nudge_day, 10, 5))
    assert Counter(m.chat_id for m in nudges) == {
        **{org.rep: len(owed[org]) for org in still},
        COORDINATORS[VYAZMA]: 1,
    }
    ids = await world.app.snapshots.organisation_ids()
    assert sorted(row.kind for row in await campaign.rows("nudge", nudge_day)) == sorted(
        [f"nudge:{ids[org.name]}:{code}" for org in still for code in owed[org]]
        + [f"nudge:{ids[VYAZMA]}:{STAFF_ACTIVE}"]
    )
    for org in still:
        mine = by_indicator(nudges, org)
        assert list(mine) == owed[org], [m.text for m in mine.values()]
        assert [about(m) for m in nudges if m.chat_id == org.rep] == owed[org]  # in order
        for number, (code, message) in enumerate(mine.items(), 1):
            header = f"⏰ Напоминаем: ещё нет ответа за неделю с {day(monday)}. {org.name}."
            check_question(campaign, message, code, org, week, header)
            numbered = f"Вопрос {number} из {len(owed[org])}."
            assert (numbered in message.text) is (len(owed[org]) > 1), message.text
    [vyazma] = [m for m in nudges if m.chat_id == COORDINATORS[VYAZMA]]
    header = f"⏰ Напоминаем: ещё нет ответа за неделю с {day(monday)}. {VYAZMA}."
    check_staff_question(campaign, vyazma, VYAZMA, week, header)
    campaign.staff_asked[(VYAZMA, week)] = vyazma
    if week == 2:  # it owes the chats only: asked that alone, and answers that alone
        partial = ORGS[PARTIAL_SCHOOL]
        assert owed[partial] == [CHATS_CODE]
        [nudge] = [m for m in nudges if m.chat_id == partial.rep]
        world.clock.moment = moscow(nudge_day, 12)
        chats = chats_value(partial, week)
        [reply] = await reply_to(world, partial.rep, nudge, str(chats))
        took(reply, partial, week, {CHATS_CODE: chats}, late=True)
        book.record(partial, week, late=True, codes=(CHATS_CODE,))
    await late_answers(campaign, week, When.NUDGE_DAY_LATE, moscow(nudge_day, 14))
    await campaign.staff_answer(VYAZMA, week, moscow(nudge_day, 14), late=True)

    # The list's day: each coordinator gets the organisations under them still owing, and
    # only those, grouped by why (here all have a representative who has not answered).
    lists = await campaign.tick(moscow(list_day, 10, 5))
    by_chat = {message.chat_id: message for message in lists}
    assert len(by_chat) == len(lists)  # one list per person
    for municipality, coordinator in COORDINATORS.items():
        names = sorted(org.name for org in owing(campaign, week, under(municipality)))
        assert names, municipality  # each of them has someone missing every week
        listed = by_chat.pop(coordinator)
        assert listed.text.split("\n") == [
            f"📋 Нет отчёта за неделю с {day(monday)} ({len(names)}):",
            *grouped({"Не ответили": names}),
            HINT,
        ]
        # Nobody to invite: every one of them has joined.
        assert [label for label, _ in listed.buttons()] == ["🔔 Напомнить им", "✍️ Ввести за них"]
    # The department's staff hear of those no coordinator chases: colleges and schools of the
    # other municipalities (who have not answered), and the education authorities whose
    # committees nobody answers for (the coordinators' three have answered).
    silent = sorted(org.name for org in owing(campaign, week) if org.parent not in COORDINATORS)
    nobody = sorted(set(AUTHORITY_NAMES) - set(COORDINATORS))
    [(chat, admin_list)] = by_chat.items()
    assert chat == ADMIN
    assert admin_list.text.split("\n") == [
        f"📋 Нет отчёта за неделю с {day(monday)} ({len(silent) + len(nobody)}):",
        *grouped({"Не ответили": silent, "Никто не подключился к боту": nobody}),
        HINT,
    ]
    assert [label for label, _ in admin_list.buttons()] == [
        "🔔 Напомнить им",
        "✉️ Пригласить",
        "✍️ Ввести за них",
    ]

    # "Remind them" asks the city's owing again, now, and nobody else (Velizh's and Vyazma's
    # coordinators do not press it); it names them, and nobody it could not reach.
    city_owing = owing(campaign, week, under(CITY))
    [city_list] = [m for m in lists if m.chat_id == COORDINATORS[CITY]]
    [reminded] = await world.press(COORDINATORS[CITY], city_list, "Напомнить им")
    reached = listed_names(sorted(org.name for org in city_owing))
    assert reminded.text == f"🔔 Напомнили ({len(city_owing)}): {reached}."
    rows = await campaign.rows("nudge", list_day)
    assert {row.chat_id for row in rows} == {org.rep for org in city_owing}
    before = len(world.session.sent)
    await campaign.sender.drain()
    again = world.session.sent[before:]
    assert {m.chat_id for m in again} == {org.rep for org in city_owing}
    assert all(m.text.startswith("⏰ Напоминаем: ещё нет ответа") for m in again)
    for org in city_owing:  # each indicator still owed asked once, and no other
        said = "\n".join(m.text for m in again if m.chat_id == org.rep)
        for code, asks in ((TEACHERS_ACTIVE, "Сколько педагогов"), (CHATS_CODE, "Сколько чатов")):
            assert said.count(asks) == int(book.reported(code, org, week) is None), said
    # Pressed again within 3 hours: nobody is asked twice, and the reply says when they were.
    world.clock.moment = moscow(list_day, 11, 5)
    [twice] = await world.press(COORDINATORS[CITY], city_list, "Напомнить им")
    items = [f"{org.name} (в 10:05)" for org in sorted(city_owing, key=lambda o: o.name)]
    assert twice.text == (
        f"⏳ Уже спрашивали недавно, повторно не напоминаем ({len(items)}): {listed_names(items)}."
    )
    assert len(await campaign.rows("nudge", list_day)) == len(rows)
    await late_answers(campaign, week, When.LIST_DAY, moscow(list_day, 14))


HINT = (
    "🔔 «Напомнить им» — тем, кто подключился; ✉️ «Пригласить» — ссылки для тех, где никто не "
    "подключился; ✍️ «Ввести за них» — внести число за школу."
)
MAX_NAMES = 30  # names a list or a reply shows; the rest are counted


def grouped(groups: dict[str, list[str]]) -> list[str]:
    """A missing list's groups: a header with the count, then names, 30 in all at most."""
    lines, shown = [], 0
    for title, names in groups.items():
        if not names:
            continue
        lines.append(f"{title} ({len(names)}):")
        for name in names[: MAX_NAMES - shown]:
            lines.append(f"• {name}")
            shown += 1
    total = sum(len(names) for names in groups.values())
    return lines + ([f"и ещё {total - MAX_NAMES}"] if total > MAX_NAMES else [])


def listed_names(names: list[str]) -> str:
    """Names in a reply's sentence: 30 at most, then how many more."""
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" (+{len(names) - MAX_NAMES})" if len(names) > MAX_NAMES else "")


async def quiet_days(campaign: Campaign, week: int) -> None:
    """From the day after the list to the next Friday, nothing is asked."""
    quiet = LIST_DAYS[week] + timedelta(days=1)
    while quiet < WEEKS[week - 1] + timedelta(days=11):
        assert await campaign.tick(moscow(quiet, 10, 5)) == [], quiet
        quiet += timedelta(days=1)


async def check_status(campaign: Campaign, week: int) -> tuple[str, str]:
    """On the evening of the list's day: /status (admin), /status <municipality> (coordinator)
    and ReportService.progress, against the numbers worked out by hand. Returns what /status
    printed to the admin and to the coordinator."""
    world, book = campaign.world, campaign.book
    monday = WEEKS[week - 1]
    world.clock.moment = moscow(LIST_DAYS[week], 20)
    city = under(CITY)
    city_schools = tuple(org for org in city if org.is_school)
    city_headcount = sum(org.teachers for org in city)
    short = (await world.app.snapshots.audience(world.app.settings.timezone)).tree.short_name
    region = {
        TEACHERS_ACTIVE: expected(book, TEACHERS_ACTIVE, ORGS, week, HEADCOUNT, HEADCOUNT),
        CHATS_CODE: expected(book, CHATS_CODE, SCHOOLS, week, None, CHATS_TARGET),
    }
    local = {
        TEACHERS_ACTIVE: expected(
            book, TEACHERS_ACTIVE, city, week, city_headcount, city_headcount
        ),
        # «3500 чатов» is the region's target, not the city's: none here.
        CHATS_CODE: expected(book, CHATS_CODE, city_schools, week, None, None),
    }
    staff = assessed(
        [
            sum(campaign.staff_latest(name, w) or 0 for name in COORDINATORS)
            for w in range(1, week + 1)
        ],
        Coverage(
            len(AUTHORITY_NAMES),
            sum(1 for (_, w), v in campaign.staff.items() if w == week and not v.late),
            sum(1 for (_, w), v in campaign.staff.items() if w == week and v.late),
        ),
        None,
        None,  # 100% of a headcount the registry does not give: no target
    )
    city_staff = assessed(
        [campaign.staff_latest(CITY, w) or 0 for w in range(1, week + 1)],
        Coverage(1, 1, 0),  # the city's coordinator answers on Friday
        None,
        None,
    )

    status = "\n".join(m.text for m in await world.send(ADMIN, "/status"))
    assert f"📊 Показатели — неделя с {day(monday)}\n" in status
    assert "\n".join(block_lines(TEACHERS, region[TEACHERS_ACTIVE], HEADCOUNT)) in status
    assert "\n".join(block_lines(CHATS, region[CHATS_CODE], None)) in status
    assert "\n".join(block_lines(STAFF, staff, None)) in status

    coordinator = COORDINATORS[CITY]
    drill = "\n".join(m.text for m in await world.send(coordinator, f"/status {CITY}"))
    assert f"📊 Показатели — неделя с {day(monday)}, {CITY}\n" in drill
    teachers_block = block_lines(TEACHERS, local[TEACHERS_ACTIVE], city_headcount)
    teachers_block += part_lines(book, TEACHERS_ACTIVE, city, week, short)
    assert "\n".join(teachers_block) in drill
    chats_block = block_lines(CHATS, local[CHATS_CODE], None)
    chats_block += part_lines(book, CHATS_CODE, city_schools, week, short)
    assert "\n".join(chats_block) in drill
    # The committee's own indicator, as its coordinator answered it.
    city_staff_block = block_lines(STAFF, city_staff, None)
    change = city_staff.change
    city_staff_block.append(
        f"• {short(CITY)}: {city_staff.total}"
        + (f" ({signed(change)} за неделю)" if change else "")
        + "; отчёты 1/1"
    )
    assert "\n".join(city_staff_block) in drill
    assert "Нет отчёта (1)" not in drill

    # The same numbers from the service.
    report = await world.app.reports.progress(await person(world, ADMIN))
    assert [b.progress.indicator.code for b in report.blocks] == [
        TEACHERS_ACTIVE,
        CHATS_CODE,
        "staff_active",
    ]
    for block in report.blocks:
        progress = block.progress
        wanted = region.get(progress.indicator.code, staff)
        assert progress.week == monday
        assert progress.total == wanted.total
        assert progress.change == wanted.change
        assert progress.coverage == wanted.coverage
        assert progress.target == wanted.target
        assert progress.forecast == wanted.forecast
        assert progress.beyond is wanted.beyond
        assert progress.outlook is wanted.outlook
    teachers = report.blocks[0].progress
    assert teachers.denominator == HEADCOUNT
    assert teachers.percent == tenths(region[TEACHERS_ACTIVE].total, HEADCOUNT) / 10

    drilled = await world.app.reports.progress(await person(world, coordinator), CITY)
    assert [b.progress.indicator.code for b in drilled.blocks] == [
        TEACHERS_ACTIVE,
        CHATS_CODE,
        STAFF_ACTIVE,
    ]
    assert drilled.blocks[1].progress.target is None
    assert drilled.blocks[2].progress.total == city_staff.total
    for block, orgs in zip(drilled.blocks[:2], (city, city_schools), strict=True):
        code = block.progress.indicator.code
        assert block.progress.total == local[code].total
        assert block.progress.coverage == local[code].coverage
        assert block.progress.forecast == local[code].forecast
        assert list(block.missing) == sorted(map(short, book.missing(code, orgs, week)))
        assert list(block.late) == sorted(map(short, book.late(code, orgs, week)))
        assert {part.name: part.total for part in block.parts} == {
            short(org.name): book.latest(code, org, week) for org in orgs
        }
    return status, drill


async def check_stored_rows(campaign: Campaign) -> None:
    """Every value in the database is one the test sent, once, with its lateness."""
    app = campaign.world.app
    names = {number: name for name, number in (await app.snapshots.organisation_ids()).items()}
    codes = {h.current.id: h.code for h in await app.reports.histories()}
    async with app.database.transaction() as connection:
        rows = list(await connection.execute(select(weekly_reports)))
    stored = {
        (codes[row.indicator_id], names[row.organisation_id], row.week): (row.value, row.late)
        for row in rows
    }
    assert len(stored) == len(rows)
    assert stored == {
        **{
            (code, ORGS[index].name, WEEKS[week - 1]): (value.value, value.late)
            for code, values in campaign.book.values.items()
            for (index, week), value in values.items()
        },
        **{
            (STAFF_ACTIVE, name, WEEKS[week - 1]): (value.value, value.late)
            for (name, week), value in campaign.staff.items()
        },
    }


async def test_four_weeks_of_the_smolensk_campaign(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = await onboard(world)
    for week in range(1, 5):
        await friday(campaign, week)
        await weekend_and_after(campaign, week)
        status, drill = await check_status(campaign, week)
        await quiet_days(campaign, week)
    await check_stored_rows(campaign)

    # Where the campaign ends, as plain numbers (worked out by check_status from the formula).
    # The forecast, 02.06.2023, is past the roadmap's last day (31.05.2023): no date, but «не
    # успеваем к сроку»; two days late, the outlook is still «под угрозой».
    assert (
        f"<b>{TEACHERS}</b>: 5{NBSP}758 — 66,6% из 8{NBSP}643 (+1{NBSP}266 за неделю)\n"
        f"Цель: 8{NBSP}643 к 31.05.2023. 🟡 под угрозой\n"
        "Прогноз: не успеваем к сроку при текущем темпе.\n"
        "Отчитались: вовремя 278, с опозданием 67, нет отчёта 30 из 375." in status
    )
    assert "Прогноз при текущем темпе" not in status
    # The committees' own: the city's 20, Velizh's 7, Vyazma's 16; one on time, two late.
    assert (
        f"<b>{STAFF}</b>: 43 (+10 за неделю)\n"
        f"Отчитались: вовремя 1, с опозданием 2, нет отчёта {len(AUTHORITY_NAMES) - 3} из "
        f"{len(AUTHORITY_NAMES)}." in status
    )
    # A school is not shown the committees' indicator, nobody there reports it.
    [own] = await world.send(ORGS[0].rep, "/status")
    assert TEACHERS in own.text
    assert STAFF not in own.text
    book = campaign.book
    assert [book.total(TEACHERS_ACTIVE, ORGS, week) for week in range(1, 5)] == [
        2022,
        3257,
        4492,
        5758,
    ]
    # Pace (5758 - 2022) / 3 = 1245 1/3 a week; 8643 - 5758 = 2885 left: 2.3, so 3 weeks
    # after Friday 12.05 is 02.06, within 14 days of 31.05: at risk.
    assert -(-2885 * 3 // (5758 - 2022)) == 3
    # The chats passed their target (3500) in the second week.
    # (5 * week + index % 4 a school, but for 0 from school 29 in week 1, and week 2's
    # values again from schools 32, 121 and 209 in week 3: 2127 - 6, 5586 - 3 * 5.)
    assert [book.total(CHATS_CODE, SCHOOLS, week) for week in range(1, 5)] == [
        2121,
        3881,
        5571,
        7301,
    ]
    assert (
        f"<b>{CHATS}</b>: 7{NBSP}301 (+1{NBSP}730 за неделю)\n"
        f"Цель: 3{NBSP}500 к 31.05.2023. ✅ достигнута" in status
    )
    assert f"<b>{CHATS}</b>: " in drill
    assert f"3{NBSP}500" not in drill  # the region's target, not the city's
    above = ORGS[ABOVE_SCHOOL]
    short = (await world.app.snapshots.audience(world.app.settings.timezone)).tree.short_name
    assert f"• {short(above.name)}: 45 — 112,5% из 40 (+23 за неделю); отчёты 1/1" in drill


async def test_the_missing_list_names_the_week_by_its_monday(world: World) -> None:
    """The question, the nudge and /status call the week of 17.04 "неделя с 17.04.2023"; the
    coordinator's list of who has not answered must name the same week."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    await world.join(COORDINATORS[CITY], Role.COORDINATOR, CITY)
    await world.join(100_000, Role.REP, SCHOOL)
    campaign = Campaign(world, sender(world))
    questions = await campaign.tick(moscow(date(2023, 4, 21), 10, 5))
    school = [question for question in questions if question.chat_id == 100_000]
    assert [about(question) for question in school] == [TEACHERS_ACTIVE, CHATS_CODE]
    [own] = [question for question in questions if question.chat_id == COORDINATORS[CITY]]
    assert about(own) == STAFF_ACTIVE  # the committee's own, asked of its coordinator
    assert all("неделя с 17.04.2023" in question.text for question in questions)
    nudges = await campaign.tick(moscow(date(2023, 4, 24), 10, 5))
    assert [about(nudge) for nudge in nudges if nudge.chat_id == 100_000] == [
        TEACHERS_ACTIVE,
        CHATS_CODE,
    ]
    assert all("за неделю с 17.04.2023" in nudge.text for nudge in nudges)
    [listed] = await campaign.tick(moscow(date(2023, 4, 25), 10, 5))
    assert listed.chat_id == COORDINATORS[CITY]
    # All 40 schools of the city owe the week: the one asked has not answered, 39 have nobody
    # to ask (the committee itself is the department's to chase: nobody here is staff).
    assert listed.text.startswith(
        f"📋 Нет отчёта за неделю с 17.04.2023 (40):\nНе ответили (1):\n• {SCHOOL}\n"
        "Никто не подключился к боту (39):\n"
    )


async def test_a_correction_after_the_deadline_says_what_is_kept(world: World) -> None:
    """An on-time answer corrected on Saturday: whether the value then counts as late or not,
    the reply must say what the bot keeps (and /status counts)."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    await world.send(ADMIN, "/start")
    await world.join(100_000, Role.REP, SCHOOL)
    world.clock.moment = moscow(date(2023, 4, 21), 11)
    [first] = await world.send(100_000, "учителей 30, чатов 5")
    assert "отмечен как поздний" not in first.text
    world.clock.moment = moscow(date(2023, 4, 22), 11)
    [corrected] = await world.send(100_000, "учителей 31")
    assert "30 → 31" in corrected.text
    async with world.app.database.transaction() as connection:
        [kept] = [r.late for r in await connection.execute(select(weekly_reports)) if r.value == 31]
    report = await world.app.reports.progress(await person(world, ADMIN))
    coverage = report.blocks[0].progress.coverage
    assert (coverage.on_time, coverage.late) == ((0, 1) if kept else (1, 0))
    says_late = "Отчёт после срока — отмечен как поздний." in corrected.text
    assert says_late is kept
    assert not kept  # the first answer was on time


async def test_a_committee_coordinator_answers_its_question_with_a_number(world: World) -> None:
    """The question tells the coordinator «Ответьте числом, например «38»»; a bare «12» is
    that answer (it was refused as a line of bulk entry: «12 — нет числа»)."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    await world.join(COORDINATORS[CITY], Role.COORDINATOR, CITY)
    campaign = Campaign(world, sender(world))
    [question] = await campaign.tick(moscow(date(2023, 4, 21), 10, 5))
    assert "Ответьте числом" in question.text
    world.clock.moment = moscow(date(2023, 4, 21), 11)
    [reply] = await world.send(COORDINATORS[CITY], "12")
    assert reply.text.startswith(f"✅ Принято: {CITY}, неделя с 17.04.2023."), reply.text


async def test_a_silent_committee_is_not_listed_as_nobody_joined(world: World) -> None:
    """The city's coordinator is asked its committee's own indicator and nudged; when they stay
    silent, the department's list says so («Не ответили»), not «Никто не подключился к боту»."""
    await world.app.reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    await world.send(ADMIN, "/start")
    await world.join(COORDINATORS[CITY], Role.COORDINATOR, CITY)
    campaign = Campaign(world, sender(world))
    await campaign.tick(moscow(date(2023, 4, 21), 10, 5))
    [nudge] = await campaign.tick(moscow(date(2023, 4, 24), 10, 5))
    assert nudge.chat_id == COORDINATORS[CITY]
    lists = await campaign.tick(moscow(date(2023, 4, 25), 10, 5))
    [admin_list] = [m for m in lists if m.chat_id == ADMIN]
    silent = admin_list.text.split("\n\n")[0]
    assert f"Не ответили (1):\n• {CITY}\n" in admin_list.text, silent
