"""Weekly numbers: defining indicators, taking reports, and where the region stands.

Everyone comes through here — a school's answer by message or button, a coordinator's bulk
lines or sheet, an admin's platform export, the CLI — so the checks are the same for all:

* a value goes to the week its indicator is collecting now (the latest week whose due day has
  come, in the organisation's time zone), and is late after that day's due time;
* a value above the organisation's headcount, or down by more than a third on its previous
  report, is put back to the person to confirm or correct (kept as a draft in the database);
* a correction replaces the value and the history keeps every change (who, when, old -> new);
* an event a channel delivers twice is claimed once, in the same transaction as the values.
"""

from __future__ import annotations

import asyncio
import enum
import io
import json
import re
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from bot.domain.access import Action, OrgTree, Person, Role, may, visible_organisations
from bot.domain.access import _fold as fold_name
from bot.domain.audience import Listener, timezone_of
from bot.domain.bulk import BulkRow
from bot.domain.channels import EventKey
from bot.domain.indicators import (
    Concern,
    Indicator,
    IndicatorHistory,
    Rollup,
    concerns,
    deadline,
    denominator_of,
    label_map,
    reporting_week,
)
from bot.domain.model import Organisation
from bot.domain.progress import Coverage, Progress, assess, percent_of
from bot.domain.reports import ParsedReport, ReportProblem, parse_report
from bot.importers.report_sheets import SheetReading, read_report_sheet
from bot.messages import Attachment
from bot.render.report_files import chart_file, progress_file, template_file
from bot.render.texts import Texts
from bot.services.clock import Clock
from bot.services.overwrites import Overwritten, plan_overwrites
from bot.services.people import Forbidden, UnknownOrganisation, actor_name
from bot.services.snapshots import RoadmapView, Snapshots
from storage.db import Database
from storage.people import claim_event
from storage.reports import Change, Near, NewValue, OrgWeek, ReportStore, ReportWriter, ValueKey
from storage.tables import report_drafts

HISTORY_WEEKS = 6  # weeks of totals read for /status: this one, and five for change and pace


class Source(enum.StrEnum):
    MESSAGE = "message"
    BUTTON = "button"
    BULK = "bulk"
    SHEET = "sheet"
    EXPORT = "export"
    CLI = "cli"


class Refusal(enum.StrEnum):
    NOT_A_REPORTER = "not_a_reporter"  # the person reports for no organisation
    NOTHING_ASKED = "nothing_asked"  # no indicator is collecting for the organisation yet
    UNREADABLE = "unreadable"  # the grammar refused the message (see `problem`)
    NAME_THEM = "name_them"  # several indicators are asked: an unlabelled number is unclear
    NOT_ASKED_OF_THEM = "not_asked_of_them"  # a label of an indicator they do not report


@dataclass(frozen=True, slots=True)
class Question:
    """What one organisation is asked this week, and what it has answered so far."""

    organisation: str
    indicator: Indicator
    week: date
    deadline: datetime
    denominator: int | None
    value: int | None  # reported for this week
    previous: int | None  # its latest report before this week


@dataclass(frozen=True, slots=True)
class Ask:
    """What an organisation is asked now — known before any of its values is read."""

    organisation: str
    organisation_id: int
    indicator: Indicator
    week: date
    deadline: datetime
    denominator: int | None

    @property
    def key(self) -> ValueKey:
        assert self.indicator.id is not None
        return self.indicator.id, self.organisation_id, self.week

    def question(self, near: Near) -> Question:
        return Question(
            organisation=self.organisation,
            indicator=self.indicator,
            week=self.week,
            deadline=self.deadline,
            denominator=self.denominator,
            value=near.value,
            previous=near.previous,
        )


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Refusal
    questions: tuple[Question, ...] = ()  # what was asked, for the example in the answer
    problem: ReportProblem | None = None


@dataclass(frozen=True, slots=True)
class ChooseOrganisation:
    """The person reports for several organisations and did not say which."""

    organisations: tuple[str, ...]
    report: ParsedReport


@dataclass(frozen=True, slots=True)
class Entry:
    """One value taken (or put back to confirm)."""

    organisation: str
    indicator: Indicator
    week: date
    value: int
    old: int | None  # the value it replaced
    previous: int | None  # the organisation's report before this week
    denominator: int | None
    late: bool
    concerns: tuple[Concern, ...] = ()


@dataclass(frozen=True, slots=True)
class Stored:
    entries: tuple[Entry, ...]
    repeated: bool = False  # the same event again: nothing was stored this time


@dataclass(frozen=True, slots=True)
class NeedsConfirmation:
    draft_id: int
    entries: tuple[Entry, ...]  # every value of the message; those with concerns say why


Outcome = Stored | NeedsConfirmation | Refused | ChooseOrganisation


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    organisation: str
    reason: str  # "not_in_reach", "not_reported_by", "nothing_asked"


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    stored: tuple[Entry, ...]
    doubtful: tuple[Entry, ...]  # kept in the draft, to confirm
    draft_id: int | None
    refused: tuple[RowProblem, ...]
    repeated: bool = False


@dataclass(frozen=True, slots=True)
class PartRow:
    """A municipality's or an organisation's line of a drill-down."""

    name: str
    total: int | None
    denominator: int | None
    percent: float | None
    coverage: Coverage
    change: int | None = None
    carried: int = 0  # organisations counted with an earlier week's value (none this week)


@dataclass(frozen=True, slots=True)
class IndicatorBlock:
    progress: Progress
    parts: tuple[PartRow, ...] = ()  # by municipality or by organisation (a drill-down)
    missing: tuple[str, ...] = ()  # organisations that have not reported this week
    late: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgressReport:
    roadmap: str
    scope: str | None  # the organisation drilled into; None: all the person may see
    blocks: tuple[IndicatorBlock, ...]


@dataclass(frozen=True, slots=True)
class TemplateLine:
    organisation: str
    municipality: str | None
    headcount: int | None
    values: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class TemplateSheet:
    title: str
    week: date
    indicators: tuple[Indicator, ...]
    rows: tuple[TemplateLine, ...]


@dataclass(frozen=True, slots=True)
class Series:
    """An indicator's totals week by week, for a chart."""

    indicator: Indicator
    weeks: tuple[date, ...]
    totals: tuple[int | None, ...]
    progress: Progress
    carried: tuple[bool, ...] = ()  # a week nobody in scope reported: earlier values carried


@dataclass(frozen=True, slots=True)
class _Context:
    view: RoadmapView
    histories: tuple[IndicatorHistory, ...]
    ids: Mapping[str, int]

    @property
    def tree(self) -> OrgTree:
        return self.view.tree


@dataclass(frozen=True, slots=True)
class _Taking:
    """Who takes values and how: what every unit of work that stores values shares. Its
    methods run inside the unit (see Database.run), on the database's thread."""

    person_id: int
    actor: str
    source: Source
    now: datetime
    event: EventKey | None  # the event that brought the values (claimed with them)
    ids: Mapping[str, int]  # organisation -> id
    # Who hears that this person replaced an organisation's value: its representatives, for
    # the organisations the person does not answer for (see bot/services/overwrites.py).
    told: Mapping[str, Sequence[Listener]] = field(default_factory=dict)
    roadmap_id: int = 0

    def claim(self, connection: Connection) -> bool:
        """The event is claimed with the values: a redelivery stores nothing twice."""
        return self.event is None or claim_event(connection, self.event, self.now)

    def with_source(self, source: Source) -> _Taking:
        return replace(self, source=source)

    def store(self, writer: ReportWriter, entries: Sequence[Entry]) -> tuple[Entry, ...]:
        values = []
        for entry in entries:
            assert entry.indicator.id is not None
            values.append(
                NewValue(
                    entry.indicator.id,
                    self.ids[entry.organisation],
                    entry.week,
                    entry.value,
                    entry.late,
                )
            )
        changes = writer.store(values, now=self.now, actor=self.actor, source=self.source.value)
        if self.told:
            by_organisation: dict[str, list[Change]] = {}
            for entry, change in zip(entries, changes, strict=True):
                by_organisation.setdefault(entry.organisation, []).append(change)
            plan_overwrites(
                writer.connection,
                [Overwritten(name, found) for name, found in by_organisation.items()],
                self.told,
                roadmap_id=self.roadmap_id,
                actor=self.actor,
                now=self.now,
            )
        return tuple(
            _with_change(entry, change) for entry, change in zip(entries, changes, strict=True)
        )


# -- sheets ---------------------------------------------------------------------------------------

MAX_SHEET_BYTES = 5 * 1024 * 1024
"""The largest sheet taken, counted on the bytes actually received, never on a declared size."""
MAX_SHEET_ROWS = 50_000
"""The most rows a sheet may have. The region's registry holds a few hundred organisations and
an export has a row each; past this a file is not a report, and reading it would only cost."""
MAX_SHEET_UNPACKED = 64 * 1024 * 1024
"""What an .xlsx may unpack to, by its archive's own figures (which `zipfile` never exceeds)."""

_XLSX_ROW = re.compile(rb"<(?:\w+:)?row(?:\s[^>]*)?(?<!/)>\s*<(?:\w+:)?c[\s>/]")
"""A worksheet row with cells in it, not a row only formatted (`<row r="5" ht="20"/>`)."""
_XLSX_ROW_END = re.compile(rb"</(?:\w+:)?row>")


class SheetTooBig(Exception):
    """A sheet past a limit: `limit` is "bytes" or "rows"; nothing of it is read."""

    def __init__(self, limit: str) -> None:
        self.limit = limit
        super().__init__(limit)


def count_sheet_rows(content: bytes, suffix: str, stop: int = MAX_SHEET_ROWS) -> int:
    """The rows of a .csv (its lines: at least its rows) or an .xlsx (rows holding cells), counted
    on the bytes as they are, up to just past `stop`. An .xlsx whose parts would unpack past
    MAX_SHEET_UNPACKED raises SheetTooBig; a broken archive counts 0 (the reader says why)."""
    if suffix != ".xlsx":
        return max(content.count(b"\n"), content.count(b"\r")) + 1
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return 0
    with archive:
        parts = archive.infolist()
        if sum(part.file_size for part in parts) > MAX_SHEET_UNPACKED:
            raise SheetTooBig("bytes")
        rows = 0
        for part in parts:
            if not part.filename.startswith("xl/worksheets/"):
                continue
            with archive.open(part) as stream:
                tail = b""
                while chunk := stream.read(1 << 16):
                    text = tail + chunk
                    ends = [match.end() for match in _XLSX_ROW_END.finditer(text)]
                    end = ends[-1] if ends else 0  # rows whole on this side, counted once
                    rows += sum(1 for _ in _XLSX_ROW.finditer(text, 0, end))
                    tail = text[end:]
                    if rows > stop:
                        return rows
        return rows


def _read_sheet(
    content: bytes,
    suffix: str,
    indicators: Sequence[Indicator],
    resolve: Callable[[str], list[str]],
) -> SheetReading:
    """Check the limits on the bytes, then read; runs on a worker thread, never on the loop."""
    if count_sheet_rows(content, suffix) > MAX_SHEET_ROWS:
        raise SheetTooBig("rows")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"upload{suffix}"
        path.write_bytes(content)
        return read_report_sheet(path, indicators, resolve)


class OrganisationNames:
    """The registry's names folded once (any case, ё = е, quotes aside, as OrgTree.exact and
    OrgTree.search fold them), so a sheet's thousands of rows cost a dict lookup each, not two
    scans of the registry. Built for one OrgTree, that is one snapshot of the registry: a new
    registry is a new tree and so a new index (ReportService keeps one per live tree)."""

    def __init__(self, tree: OrgTree) -> None:
        # Not the tree itself: the index is the value of a weak mapping keyed by the tree.
        # Each organisation is found by its name and its short names («СШ № 1 Вязьма»), as
        # the bot's searches find it; a full name wins over another's short name.
        self._folded = tuple(
            (name, folded) for name in tree.by_name for folded in tree.names_of(name)
        )
        self._exact: dict[str, str] = {}
        for name in tree.by_name:
            self._exact.setdefault(fold_name(name), name)
        for name, folded in self._folded:
            self._exact.setdefault(folded, name)

    def exact(self, query: str) -> str | None:
        """As OrgTree.exact."""
        return self._exact.get(fold_name(query))

    def search(self, query: str, within: frozenset[str] | None = None) -> list[str]:
        """As OrgTree.search, on names folded in advance."""
        wanted = fold_name(query)
        names = [pair for pair in self._folded if within is None or pair[0] in within]
        exact = list(dict.fromkeys(name for name, folded in names if folded == wanted))
        if exact:
            return exact
        # Narrowed a word at a time, longest first: a tight loop per word, not a generator
        # per name (a sheet's unknown names are searched for thousands of times).
        for word in sorted(set(wanted.split()), key=len, reverse=True):
            names = [(name, folded) for name, folded in names if word in folded]
            if not names:
                break
        return list(dict.fromkeys(name for name, _ in names)) if wanted.split() else []


class ReportService:
    def __init__(
        self, database: Database, clock: Clock, snapshots: Snapshots, timezone: str
    ) -> None:
        self.database = database
        self.clock = clock
        self.snapshots = snapshots
        self.timezone = timezone
        # One index per registry snapshot; a new OrgTree (the registry changed) gets its own,
        # and the old one goes with its tree.
        self._names: weakref.WeakKeyDictionary[OrgTree, OrganisationNames] = (
            weakref.WeakKeyDictionary()
        )

    async def _context(self, slug: str | None = None) -> _Context:
        view = await self.snapshots.roadmap(slug)
        histories = await self.snapshots.indicators(view.roadmap.id)
        return _Context(view, histories, await self.snapshots.organisation_ids())

    # -- definitions ------------------------------------------------------------------------

    async def histories(self, slug: str | None = None) -> tuple[IndicatorHistory, ...]:
        return (await self._context(slug)).histories

    async def define(self, person: Person, indicator: Indicator, slug: str | None = None) -> bool:
        """Store a definition (a new indicator, or a version from its week on)."""
        view = await self.snapshots.roadmap(slug)
        if not may(person, Action.DEFINE_INDICATORS, view.tree):
            raise Forbidden(Action.DEFINE_INDICATORS)
        async with self.database.transaction() as connection:
            _, changed = await ReportStore(connection).define(
                view.roadmap.id, indicator, self.clock.now(), actor_name(person)
            )
        return changed

    async def define_all(
        self, person: Person, indicators: Iterable[Indicator], slug: str | None = None
    ) -> int:
        """Several definitions in one transaction; returns how many changed anything."""
        view = await self.snapshots.roadmap(slug)
        if not may(person, Action.DEFINE_INDICATORS, view.tree):
            raise Forbidden(Action.DEFINE_INDICATORS)
        changed = 0
        async with self.database.transaction() as connection:
            store = ReportStore(connection)
            for indicator in indicators:
                _, did = await store.define(
                    view.roadmap.id, indicator, self.clock.now(), actor_name(person)
                )
                changed += did
        return changed

    # -- what is asked ----------------------------------------------------------------------

    def _zone(self, organisation: str, tree: OrgTree) -> ZoneInfo:
        return ZoneInfo(timezone_of(organisation, tree, self.timezone))

    def _today(self, organisation: str, tree: OrgTree) -> date:
        return self.clock.now().astimezone(self._zone(organisation, tree)).date()

    def _asked(
        self, context: _Context, organisation: Organisation, today: date
    ) -> list[tuple[Indicator, date]]:
        """The indicators the organisation is collecting now, with the week each is for."""
        asked = []
        for history in context.histories:
            week = reporting_week(today, history.current.weekday)
            version = history.at(week)
            if version is not None and version.reports(organisation):
                asked.append((version, week))
        return asked

    async def questions_for(
        self, organisation: str, slug: str | None = None
    ) -> tuple[Question, ...]:
        context = await self._context(slug)
        return await self._questions(context, organisation)

    def _asks(self, context: _Context, name: str) -> tuple[Ask, ...]:
        """What the organisation is asked now — known without reading a value."""
        organisation = context.tree.by_name.get(name)
        if organisation is None:
            return ()
        zone = self._zone(name, context.tree)
        today = self._today(name, context.tree)
        return tuple(
            Ask(
                organisation=name,
                organisation_id=context.ids[name],
                indicator=indicator,
                week=week,
                deadline=deadline(indicator, week, zone),
                denominator=denominator_of(indicator, organisation),
            )
            for indicator, week in self._asked(context, organisation, today)
        )

    async def _questions(self, context: _Context, name: str) -> tuple[Question, ...]:
        return await self._read_questions(self._asks(context, name))

    async def _read_questions(self, asks: Sequence[Ask]) -> tuple[Question, ...]:
        if not asks:
            return ()

        def read(connection: Connection) -> tuple[Question, ...]:
            near = ReportWriter(connection, locking=False).near([ask.key for ask in asks])
            return tuple(ask.question(near[ask.key]) for ask in asks)

        return await self.database.run(read)

    def reporting_for(self, person: Person, context: _Context) -> tuple[str, ...]:
        """The organisations the person answers the weekly questions for: as a representative,
        or as a coordinator of a body that reports an indicator of its own (an authority's)."""
        found = []
        for binding in person.bindings:
            answers = binding.role in (Role.REP, Role.COORDINATOR)
            if answers and binding.organisation in context.tree.by_name:
                organisation = context.tree.by_name[binding.organisation]
                if any(h.current.reports(organisation) for h in context.histories):
                    found.append(binding.organisation)
        return tuple(dict.fromkeys(found))

    async def _taking(
        self, person: Person, source: Source, event: EventKey | None, context: _Context
    ) -> _Taking:
        """Who is taking values in, how, and when: one unit of the report writer."""
        return _Taking(
            person.id,
            actor_name(person),
            source,
            self.clock.now(),
            event,
            context.ids,
            await self._told(person),
            context.view.roadmap.id,
        )

    async def my_questions(self, person: Person, slug: str | None = None) -> tuple[Question, ...]:
        context = await self._context(slug)
        mine = self.reporting_for(person, context)
        asks = [ask for name in mine for ask in self._asks(context, name)]
        return await self._read_questions(asks)

    # -- taking a report --------------------------------------------------------------------

    async def submit(
        self,
        person: Person,
        text: str,
        *,
        organisation: str | None = None,
        event: EventKey | None = None,
        source: Source = Source.MESSAGE,
        slug: str | None = None,
    ) -> Outcome:
        """A person's answer to the weekly question, for one organisation."""
        context = await self._context(slug)
        if organisation is None:
            mine = self.reporting_for(person, context)
            if not mine:
                return Refused(Refusal.NOT_A_REPORTER)
            if len(mine) > 1:
                parsed = parse_report(text, self._labels(context))
                if isinstance(parsed, ReportProblem):
                    return Refused(Refusal.UNREADABLE, problem=parsed)
                return ChooseOrganisation(mine, parsed)
            organisation = mine[0]
        self._check_reach(person, organisation, context)
        asks = self._asks(context, organisation)
        if not asks:
            return Refused(Refusal.NOTHING_ASKED)
        parsed = parse_report(text, self._labels(context))
        if isinstance(parsed, ReportProblem):
            return Refused(Refusal.UNREADABLE, await self._read_questions(asks), parsed)
        by_code = {ask.indicator.code: ask for ask in asks}
        values: dict[str, int] = {}
        for code, value in parsed.values.items():
            if code is None:
                if len(asks) > 1:
                    return Refused(Refusal.NAME_THEM, await self._read_questions(asks))
                code = asks[0].indicator.code
            elif code not in by_code:
                return Refused(Refusal.NOT_ASKED_OF_THEM, await self._read_questions(asks))
            values[code] = value
        answers = [(by_code[code], value) for code, value in values.items()]
        taking = await self._taking(person, source, event, context)
        now = taking.now

        def take(connection: Connection) -> Stored | NeedsConfirmation:
            if not taking.claim(connection):
                return Stored((), repeated=True)
            writer = ReportWriter(connection)
            near = writer.near([ask.key for ask, _ in answers])
            entries = [_entry(ask.question(near[ask.key]), value, now) for ask, value in answers]
            if any(entry.concerns for entry in entries):
                draft = writer.add_draft(
                    taking.person_id, _draft_payload(entries, source, now), now
                )
                return NeedsConfirmation(draft, tuple(entries))
            return Stored(taking.store(writer, entries))

        return await self.database.run(take)

    async def _told(self, person: Person) -> dict[str, list[Listener]]:
        """Who hears when this person replaces an organisation's value: the representatives
        of the organisations the person does not answer for, less the person."""
        audience = await self.snapshots.audience(self.timezone)
        own = {b.organisation for b in person.bindings if b.role is Role.REP}
        return {
            name: [listener for listener in heard if listener.person_id != person.id]
            for name, heard in audience.reps.items()
            if name not in own
        }

    def _labels(self, context: _Context) -> Mapping[str, str]:
        return label_map(h.current for h in context.histories)

    def _check_reach(self, person: Person, organisation: str, context: _Context) -> None:
        if organisation not in context.tree.by_name:
            raise UnknownOrganisation(organisation)
        if not may(person, Action.REPORT, context.tree, organisation=organisation):
            raise Forbidden(Action.REPORT)

    async def confirm(
        self, person: Person, draft_id: int, *, event: EventKey | None = None
    ) -> Stored | None:
        """Store the values of a draft as they were; None when it was settled already (or is
        not the person's). Settling and storing are one transaction: nothing half-done."""
        context = await self._context()
        taking = _Taking(
            person.id,
            actor_name(person),
            Source.MESSAGE,
            self.clock.now(),
            event,
            context.ids,
            await self._told(person),
            context.view.roadmap.id,
        )

        def take(connection: Connection) -> Stored | None:
            writer = ReportWriter(connection)
            payload = writer.draft(draft_id, person.id)
            if payload is None:
                return None
            if not taking.claim(connection):
                return Stored((), repeated=True)
            entries = self._draft_entries(person, context, payload)
            if not writer.settle_draft(draft_id, person.id, "confirmed", taking.now):
                return None
            source = Source(str(payload.get("source", Source.MESSAGE.value)))
            return Stored(taking.with_source(source).store(writer, entries))

        return await self.database.run(take)

    def _draft_entries(
        self, person: Person, context: _Context, payload: Mapping[str, object]
    ) -> list[Entry]:
        entries = []
        for row in _draft_rows(payload):
            history = next((h for h in context.histories if h.code == row["indicator"]), None)
            version = history.at(date.fromisoformat(row["week"])) if history else None
            if version is None or row["organisation"] not in context.tree.by_name:
                continue
            organisation = context.tree.by_name[row["organisation"]]
            self._check_reach(person, organisation.name, context)
            entries.append(
                Entry(
                    organisation=organisation.name,
                    indicator=version,
                    week=date.fromisoformat(row["week"]),
                    value=int(row["value"]),
                    old=None,
                    previous=None,
                    denominator=denominator_of(version, organisation),
                    late=bool(row["late"]),
                )
            )
        return entries

    async def discard(self, person: Person, draft_id: int) -> bool:
        now = self.clock.now()
        return await self.database.run(
            lambda connection: ReportWriter(connection).settle_draft(
                draft_id, person.id, "discarded", now
            )
        )

    async def submit_rows(
        self,
        person: Person,
        rows: Sequence[BulkRow],
        *,
        source: Source = Source.BULK,
        event: EventKey | None = None,
        slug: str | None = None,
    ) -> BulkOutcome:
        """A coordinator's lines or sheet, an admin's export: good rows are kept, doubtful ones
        wait in a draft for confirmation, rows out of reach or not asked are listed back."""
        context = await self._context(slug)
        refused: list[RowProblem] = []
        answers: list[tuple[Ask, int]] = []
        asks_of: dict[str, dict[str, Ask]] = {}
        for row in rows:
            name = row.organisation
            if name not in context.tree.by_name or not may(
                person, Action.REPORT, context.tree, organisation=name
            ):
                refused.append(RowProblem(row.line, name, "not_in_reach"))
                continue
            if name not in asks_of:
                asks_of[name] = {ask.indicator.code: ask for ask in self._asks(context, name)}
            asked = asks_of[name]
            if not asked:
                refused.append(RowProblem(row.line, name, "nothing_asked"))
                continue
            if any(code not in asked for code in row.values):
                refused.append(RowProblem(row.line, name, "not_reported_by"))
                continue
            answers.extend((asked[code], value) for code, value in row.values.items())
        taking = await self._taking(person, source, event, context)
        now = taking.now

        def take(connection: Connection) -> BulkOutcome:
            if not taking.claim(connection):
                return BulkOutcome((), (), None, tuple(refused), repeated=True)
            writer = ReportWriter(connection)
            near = writer.near([ask.key for ask, _ in answers])
            clean: list[Entry] = []
            doubtful: list[Entry] = []
            for ask, value in answers:
                entry = _entry(ask.question(near[ask.key]), value, now)
                (doubtful if entry.concerns else clean).append(entry)
            stored = taking.store(writer, clean)
            draft = (
                writer.add_draft(taking.person_id, _draft_payload(doubtful, source, now), now)
                if doubtful
                else None
            )
            return BulkOutcome(stored, tuple(doubtful), draft, tuple(refused))

        return await self.database.run(take)

    async def held(
        self, organisations: Iterable[str], week_due: date, slug: str | None = None
    ) -> set[str]:
        """Of `organisations`, those whose answer for the week due that day waits in a draft
        for its sender to confirm (above the headcount, a sharp drop): answered, not counted."""
        context = await self._context(slug)
        wanted = set(organisations)
        weeks = {
            h.code: week.isoformat()
            for h in context.histories
            if (week := due_week(week_due, h.current.weekday)) is not None
        }
        since = datetime.combine(week_due - timedelta(days=14), datetime.min.time(), UTC)
        if not wanted or not weeks:
            return set()

        def read(connection: Connection) -> set[str]:
            found = set()
            for payload in connection.scalars(
                select(report_drafts.c.payload).where(
                    report_drafts.c.settled_at.is_(None), report_drafts.c.created_at >= since
                )
            ):
                for row in _draft_rows(json.loads(payload)):
                    name = row.get("organisation")
                    if name in wanted and weeks.get(str(row.get("indicator"))) == row.get("week"):
                        found.add(name)
            return found

        return await self.database.run(read)

    # -- progress ---------------------------------------------------------------------------

    def resolve(self, person: Person, query: str, tree: OrgTree) -> list[str]:
        """Organisations within the person's reach whose name matches `query`. A full name
        is that organisation even outside the reach (to be refused as such), never another
        school inside it that happens to contain the words."""
        return self.resolver(person, tree)(query)

    def names(self, tree: OrgTree) -> OrganisationNames:
        """The name index of this registry snapshot, built on first use."""
        index = self._names.get(tree)
        if index is None:
            index = self._names[tree] = OrganisationNames(tree)
        return index

    def resolver(self, person: Person, tree: OrgTree) -> Callable[[str], list[str]]:
        """`resolve` for many lines at once: the person's reach found once, each distinct name
        looked up once. Safe to call from a worker thread (it only reads and memoises)."""
        index = self.names(tree)
        within = visible_organisations(person, tree)
        seen: dict[str, tuple[str, ...]] = {}

        def resolve(query: str) -> list[str]:
            found = seen.get(query)
            if found is None:
                exact = index.exact(query)
                found = (exact,) if exact is not None else tuple(index.search(query, within))
                seen[query] = found
            return list(found)

        return resolve

    async def read_sheet(
        self, person: Person, content: bytes, suffix: str, *, slug: str | None = None
    ) -> SheetReading:
        """An uploaded .xlsx/.csv read against this week's indicators and the person's reach.

        The limits are checked on `content` as received (MAX_SHEET_BYTES, MAX_SHEET_ROWS:
        SheetTooBig), and the counting, reading and checking of rows run on a worker thread,
        so the event loop keeps answering everyone else meanwhile. A file that does not read
        raises DocumentError.
        """
        if len(content) > MAX_SHEET_BYTES:
            raise SheetTooBig("bytes")
        context = await self._context(slug)
        current = [history.current for history in context.histories]
        resolve = self.resolver(person, context.tree)
        return await asyncio.to_thread(_read_sheet, content, suffix.lower(), current, resolve)

    async def progress(
        self,
        person: Person,
        organisation: str | None = None,
        *,
        slug: str | None = None,
        as_of: date | None = None,
        details: bool | None = None,
    ) -> ProgressReport:
        """Every indicator where it stands this week, within the person's reach, or within
        `organisation` (a drill-down: by municipality or by organisation, with the missing)."""
        context = await self._context(slug)
        tree = context.tree
        if not may(person, Action.VIEW, tree):
            raise Forbidden(Action.VIEW)
        reach = visible_organisations(person, tree)
        if organisation is not None:
            if organisation not in tree.by_name:
                raise UnknownOrganisation(organisation)
            if reach is not None and organisation not in reach:
                raise Forbidden(Action.VIEW)
            within: frozenset[str] | None = tree.subtree(organisation)
            roots: list[str] | None = [organisation]
        else:
            within = reach
            roots = None if reach is None else _roots(reach, tree)
        if not context.histories:  # no indicators: nothing to read (a transaction is ~1 ms)
            return ProgressReport(context.view.roadmap.title, organisation, ())
        root_ids = None if roots is None else [context.ids[name] for name in roots]
        members = [org for org in tree.by_name.values() if within is None or org.name in within]
        today = as_of or self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        show_parts = organisation is not None if details is None else details
        # An absolute target («3 500 чатов») is the region's: shown only for all of it.
        tops = {name for name, org in tree.by_name.items() if org.parent is None}
        whole = within is None or tops <= within
        horizon = _roadmap_end(context.view)
        blocks = []
        async with self.database.transaction() as connection:
            store = ReportStore(connection)
            for history in context.histories:
                week = reporting_week(today, history.current.weekday)
                indicator = history.at(week)
                if indicator is None:
                    continue
                assert indicator.id is not None
                expected = [org for org in members if indicator.reports(org)]
                if not expected:  # nobody here reports it (a school and the authorities' own)
                    continue
                weeks = _weeks(week, history.first_week, HISTORY_WEEKS)
                totals = await store.totals(indicator.id, weeks, indicator.rollup, root_ids)
                on_time, late = await store.coverage(indicator.id, week, root_ids)
                denominator = _denominator(indicator, expected)
                progress = assess(
                    indicator,
                    week,
                    totals,
                    denominator,
                    Coverage(len(expected), on_time, late),
                    whole=whole,
                    horizon=horizon,
                )
                if not show_parts:
                    blocks.append(IndicatorBlock(progress))
                    continue
                standing = await store.by_organisation(
                    indicator.id, week, indicator.rollup, root_ids
                )
                # Grouped under the place asked for, or the person's own single place: a
                # coordinator's own municipality made one row of everything (the workbook too).
                top = organisation or (roots[0] if roots is not None and len(roots) == 1 else None)
                blocks.append(self._drill_down(progress, expected, standing, context, top))
        title = context.view.roadmap.title
        return ProgressReport(title, organisation, tuple(blocks))

    def _drill_down(
        self,
        progress: Progress,
        expected: Sequence[Organisation],
        standing: Mapping[int, OrgWeek],
        context: _Context,
        organisation: str | None,
    ) -> IndicatorBlock:
        indicator = progress.indicator
        tree = context.tree
        top = organisation or next(
            (name for name, org in tree.by_name.items() if org.parent is None), None
        )
        groups: dict[str, list[Organisation]] = {}
        for org in expected:
            groups.setdefault(_child_under(org.name, top, tree), []).append(org)
        parts = []
        missing = []
        late = []
        for name, orgs in sorted(groups.items()):
            total = 0
            change_known = False
            before = 0
            on_time = lates = carried = 0
            counted_any = False
            for org in orgs:
                row = standing.get(context.ids[org.name])
                if row is None:
                    missing.append(org.name)
                    continue
                if row.counted is not None:
                    total += row.counted
                    counted_any = True
                if row.previous is not None:
                    before += row.previous
                    change_known = True
                if row.reported is None:
                    missing.append(org.name)
                    carried += row.counted is not None
                elif row.late:
                    lates += 1
                    late.append(org.name)
                else:
                    on_time += 1
            denominator = _denominator(indicator, orgs)
            shown = total if counted_any else None
            parts.append(
                PartRow(
                    name=context.tree.short_name(name),  # lists name it as people do
                    total=shown,
                    denominator=denominator,
                    percent=None if shown is None else percent_of(shown, denominator),
                    coverage=Coverage(len(orgs), on_time, lates),
                    change=total - before if change_known and counted_any else None,
                    carried=carried,
                )
            )
        short = context.tree.short_name
        return IndicatorBlock(
            progress,
            tuple(parts),
            tuple(sorted(short(name) for name in missing)),
            tuple(sorted(short(name) for name in late)),
        )

    async def series(
        self, person: Person, code: str, organisation: str | None = None, slug: str | None = None
    ) -> Series:
        """An indicator's weekly totals since its first week, within reach (for a chart)."""
        context = await self._context(slug)
        history = next((h for h in context.histories if h.code == code), None)
        if history is None:
            raise KeyError(code)
        report = await self.progress(person, organisation, slug=slug, details=False)
        block = next((b for b in report.blocks if b.progress.indicator.code == code), None)
        if block is None:  # not reported by anyone within the scope
            raise KeyError(code)
        progress = block.progress
        tree = context.tree
        reach = visible_organisations(person, tree)
        if organisation is not None:
            roots: list[str] | None = [organisation]
        else:
            roots = None if reach is None else _roots(reach, tree)
        root_ids = None if roots is None else [context.ids[name] for name in roots]
        first = history.first_week or progress.week
        weeks = _weeks(progress.week, first, 520)
        indicator_id = progress.indicator.id or 0
        async with self.database.transaction() as connection:
            store = ReportStore(connection)
            totals = await store.totals(indicator_id, weeks, progress.indicator.rollup, root_ids)
            carried = []
            for week, total in zip(weeks, totals, strict=True):
                if total is None:
                    carried.append(False)
                    continue
                on_time, late = await store.coverage(indicator_id, week, root_ids)
                carried.append(on_time + late == 0)
        return Series(progress.indicator, tuple(weeks), tuple(totals), progress, tuple(carried))

    async def chart(
        self, person: Person, index: int, organisation: str | None = None, slug: str | None = None
    ) -> Series | None:
        """The series of the `index`-th indicator /status showed this person (None: no such)."""
        report = await self.progress(person, organisation, slug=slug, details=False)
        if not 0 <= index < len(report.blocks):
            return None
        code = report.blocks[index].progress.indicator.code
        return await self.series(person, code, organisation, slug)

    async def chart_file(
        self,
        person: Person,
        index: int,
        organisation: str | None = None,
        *,
        language: str = "ru",
        slug: str | None = None,
    ) -> Attachment | None:
        """The chart of the `index`-th indicator /status showed this person, within
        `organisation` (named on it by short name), drawn off the event loop; None: no such."""
        series = await self.chart(person, index, organisation, slug)
        if series is None:
            return None
        place = (await self.snapshots.tree()).short_name(organisation) if organisation else None
        return await asyncio.to_thread(chart_file, series, place=place, language=language)

    async def progress_file(
        self, person: Person, organisation: str | None, t: Texts, *, slug: str | None = None
    ) -> Attachment:
        """The drill-down /status showed this person, as a workbook."""
        report = await self.progress(person, organisation, slug=slug, details=True)
        return progress_file(report, t)

    async def template_file(self, person: Person, t: Texts, slug: str | None = None) -> Attachment:
        """`template` as the workbook to fill in and send back."""
        return template_file(await self.template(person, slug), t)

    async def template(self, person: Person, slug: str | None = None) -> TemplateSheet:
        """The organisations the person enters numbers for, with this week's values so far."""
        context = await self._context(slug)
        tree = context.tree
        reach = visible_organisations(person, tree)
        today = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        current = [history.current for history in context.histories]
        week = reporting_week(today, current[0].weekday) if current else today
        asked = [h.at(reporting_week(today, h.current.weekday)) for h in context.histories]
        indicators = [indicator for indicator in asked if indicator is not None]
        members = sorted(
            (
                org
                for org in tree.by_name.values()
                if (reach is None or org.name in reach)
                and any(indicator.reports(org) for indicator in indicators)
                and may(person, Action.REPORT, tree, organisation=org.name)
            ),
            key=lambda org: (org.parent or "", org.name),
        )
        values: dict[tuple[str, int], int] = {}
        async with self.database.transaction() as connection:
            store = ReportStore(connection)
            for indicator in indicators:
                assert indicator.id is not None
                week_of_it = reporting_week(today, indicator.weekday)
                for org_id, row in (
                    await store.by_organisation(indicator.id, week_of_it, Rollup.WEEK)
                ).items():
                    if row.reported is not None:
                        values[(indicator.code, org_id)] = row.reported
        rows = []
        for org in members:
            org_id = context.ids[org.name]
            headcount = next(
                (denominator_of(i, org) for i in indicators if i.denominator is not None), None
            )
            rows.append(
                TemplateLine(
                    organisation=org.name,
                    municipality=org.parent,
                    headcount=headcount,
                    values={
                        i.code: values.get((i.code, org_id)) for i in indicators if i.reports(org)
                    },
                )
            )
        return TemplateSheet(context.view.roadmap.title, week, tuple(indicators), tuple(rows))

    # -- who has not answered -----------------------------------------------------------------

    async def unanswered(
        self, organisations: Iterable[str], week_due: date, slug: str | None = None
    ) -> dict[str, list[Indicator]]:
        """Of `organisations`, those still owing a value for the week whose due day is
        `week_due`: organisation -> the indicators it owes."""
        context = await self._context(slug)
        owing: dict[str, list[Indicator]] = {}
        names = [name for name in organisations if name in context.tree.by_name]
        async with self.database.transaction() as connection:
            store = ReportStore(connection)
            for history in context.histories:
                week = due_week(week_due, history.current.weekday)
                indicator = history.at(week) if week is not None else None
                if indicator is None or week is None:
                    continue
                assert indicator.id is not None
                reporting = [n for n in names if indicator.reports(context.tree.by_name[n])]
                if not reporting:
                    continue
                done = await store.reporters(indicator.id, week)
                for name in reporting:
                    if context.ids[name] not in done:
                        owing.setdefault(name, []).append(indicator)
        return owing


def due_week(day: date, weekday: int) -> date | None:
    """The week whose due day is `day`, if `day` is that weekday."""
    if day.weekday() != weekday:
        return None
    return day - timedelta(days=weekday)


def _weeks(week: date, first: date | None, count: int) -> list[date]:
    start = week - timedelta(days=7 * (count - 1))
    if first is not None and first > start:
        start = first
    weeks = []
    current = start
    while current <= week:
        weeks.append(current)
        current += timedelta(days=7)
    return weeks or [week]


def _denominator(indicator: Indicator, organisations: Iterable[Organisation]) -> int | None:
    if indicator.denominator is None:
        return None
    known = [denominator_of(indicator, org) for org in organisations]
    counts = [count for count in known if count is not None]
    return sum(counts) if counts else None


def _roadmap_end(view: RoadmapView) -> date | None:
    """The roadmap's last dated deadline (None: no task has a date)."""
    days = [task.deadline.due for task in view.tasks if task.deadline.due is not None]
    return max(days, default=None)


def _roots(reach: frozenset[str], tree: OrgTree) -> list[str]:
    """The tops of a set of subtrees: members whose parent is not a member."""
    return sorted(name for name in reach if (tree.by_name[name].parent or "") not in reach)


def _child_under(name: str, top: str | None, tree: OrgTree) -> str:
    """The child of `top` that `name` lies under (the municipality of a school, say); the
    organisation itself when it is `top` or a direct child."""
    current = name
    seen = set()
    while current not in seen and current != top:
        seen.add(current)
        parent = tree.by_name[current].parent
        if parent is None or parent == top:
            return current
        current = parent
    return name


def _entry(question: Question, value: int, now: datetime) -> Entry:
    return Entry(
        organisation=question.organisation,
        indicator=question.indicator,
        week=question.week,
        value=value,
        old=question.value,
        previous=question.previous,
        denominator=question.denominator,
        # Lateness is the first answer's: an on-time report corrected later stays on time.
        late=question.value is None and now > question.deadline,
        concerns=concerns(value, question.denominator, question.previous)
        if value != question.value
        else (),
    )


def _with_change(entry: Entry, change: Change) -> Entry:
    return replace(entry, old=change.old)


def _draft_payload(entries: Sequence[Entry], source: Source, now: datetime) -> dict[str, Any]:
    return {
        "source": source.value,
        "at": now.isoformat(),
        "rows": [
            {
                "organisation": entry.organisation,
                "indicator": entry.indicator.code,
                "week": entry.week.isoformat(),
                "value": entry.value,
                "late": entry.late,
            }
            for entry in entries
        ],
    }


def _draft_rows(payload: Mapping[str, object]) -> list[dict[str, Any]]:
    rows = payload.get("rows", [])
    assert isinstance(rows, list)
    return [dict(row) for row in rows]
