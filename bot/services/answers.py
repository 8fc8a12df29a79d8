"""What a person's message means for the weekly numbers, in no messenger's vocabulary.

A front end reads the message (its text, the message it replies to, the conversation's pending
correction), asks `WeeklyAnswers`, and renders the answer it gets back; every rule lives here:

* who answers and who enters lines (`answers_for_someone`, `enters_for_others`): a
  representative's text (or a stranger's) is an answer; a coordinator's or an admin's is bulk
  entry, except one line naming no organisation while they have questions of their own (an
  authority's own figure, «12»);
* the matching of numbers to questions (`take`): a pending correction names its question; one
  own organisation is implied; labelled values must all have been asked; bare numbers fill the
  open questions in their numbered order, or all of them when as many numbers are given;
  otherwise "nothing to correct" or "too many";
* which question a reply answers (`take_reply`): found from the outbox row that sent the
  replied-to message (`ask:ORG:CODE` / `nudge:ORG:CODE`), else from the buttons under that
  message (a question sent straight in answer to /report, which no outbox row records,
  carries its organisation and indicator in its `ReportButton`s).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.actions import ReportButton
from bot.domain.access import Action, Person, Role, may
from bot.domain.bulk import BulkRow, LineProblem, parse_bulk
from bot.domain.channels import EventKey
from bot.domain.indicator_grammar import AnswerRefused, read_weekly_answer
from bot.domain.indicators import IndicatorHistory, label_map
from bot.messages import Attachment, Outgoing
from bot.render.progress import MAX_REFUSED_SHOWN, refused_file, render_bulk
from bot.render.texts import Texts
from bot.services.people import Forbidden
from bot.services.reports import (
    BulkOutcome,
    Outcome,
    Question,
    Refusal,
    Refused,
    ReportService,
    Source,
)
from storage.outbox import OutboxStore

REFUSED_FILE = "refused-rows.csv"
QUESTION_KINDS = ("ask", "nudge")  # outbox kinds of a weekly question: KIND:ORG_ID:CODE


def answers_for_someone(person: Person) -> bool:
    """The person represents an organisation: their text is its answer."""
    return any(binding.role is Role.REP for binding in person.bindings)


def enters_for_others(person: Person) -> bool:
    """A coordinator or an admin: may enter other organisations' numbers and upload sheets."""
    return any(binding.role in (Role.COORDINATOR, Role.ADMIN) for binding in person.bindings)


def sheet_source(person: Person) -> Source:
    """An admin's sheet is the platform's export; anyone else's, a filled template."""
    return Source.EXPORT if person.is_admin else Source.SHEET


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message as its channel names it: what a reply points at."""

    channel: str
    chat_id: int
    message_id: str


@dataclass(frozen=True, slots=True)
class Asked:
    """Which question a reply, a button or a correction is about: the organisation (None: the
    person's own), and the indicator by code or by the id of any of its versions (neither: all
    that organisation is asked)."""

    organisation: str | None = None
    indicator_id: int = 0
    code: str | None = None


@dataclass(frozen=True, slots=True)
class NothingAsked:
    """No question is open for the organisation (or the representative) this week."""


@dataclass(frozen=True, slots=True)
class NothingToCorrect:
    """One bare number, every question it may answer already answered."""

    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class TooMany:
    """More bare numbers than questions."""

    given: int
    questions: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class Taken:
    """The values taken for the organisation's questions, as the report writer took them."""

    outcome: BulkOutcome
    questions: tuple[Question, ...]
    values: Mapping[str, int]
    settles_correction: bool = False  # a pending «✏️ Исправлю» is done with

    @property
    def still_open(self) -> tuple[Question, ...]:
        """What is still asked of the organisation after this answer."""
        return tuple(
            q for q in self.questions if q.value is None and q.indicator.code not in self.values
        )

    @property
    def doubt_about(self) -> int:
        """The indicator (a version's id) a "no" to the doubtful values corrects: the one in
        doubt when it is one, else 0."""
        doubtful = self.outcome.doubtful
        return (doubtful[0].indicator.id or 0) if len(doubtful) == 1 else 0


@dataclass(frozen=True, slots=True)
class BulkTaken:
    """A coordinator's lines: what was taken, and the lines that were not."""

    outcome: BulkOutcome
    problems: tuple[LineProblem, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class NoLines:
    """A coordinator's message with no line of bulk entry in it."""


Answer = Outcome | NothingAsked | NothingToCorrect | TooMany | Taken
"""What an answer to the weekly questions came to (`Outcome`: the whole-message path of
`ReportService.submit`, for a person answering for none or several organisations)."""

TextAnswer = Answer | BulkTaken | NoLines


class WeeklyAnswers:
    """The weekly answers of people in chat; see the module docstring."""

    def __init__(self, reports: ReportService) -> None:
        self.reports = reports
        self.snapshots = reports.snapshots
        self.database = reports.database

    async def take_text(
        self,
        person: Person,
        text: str,
        *,
        correcting: Asked | None = None,
        event: EventKey | None = None,
    ) -> TextAnswer:
        """A message with no question named: a representative's (or a stranger's) is their
        answer; a coordinator's lines are bulk entry, but for one line naming no organisation
        while they have questions of their own."""
        if answers_for_someone(person) or not enters_for_others(person):
            return await self.take(person, text, correcting=correcting, event=event)
        view = await self.snapshots.roadmap()
        histories = await self.snapshots.indicators(view.roadmap.id)
        current = [h.current for h in histories]
        single = current[0].code if len(current) == 1 else None
        reading = parse_bulk(
            text, label_map(current), single, self.reports.resolver(person, view.tree)
        )
        if (
            not reading.rows
            and "\n" not in text.strip()
            and await self.reports.my_questions(person)
        ):
            return await self.take(person, text, correcting=correcting, event=event)
        if not reading.rows and not reading.problems:
            return NoLines()
        bulk = await self.reports.submit_rows(person, reading.rows, source=Source.BULK, event=event)
        return BulkTaken(bulk, tuple(reading.problems))

    async def take_reply(
        self,
        person: Person,
        text: str,
        replied: MessageRef,
        *,
        buttons: Iterable[str] = (),
        correcting: Asked | None = None,
        event: EventKey | None = None,
    ) -> TextAnswer:
        """A reply to one of the bot's messages (`replied`, with the data of the `buttons`
        under it): the answer to the question it asked, for its organisation
        (`question_sent_as`, else `question_in` the buttons). A reply to anything else is
        read as a message would be: lines of someone who enters them, a representative's
        answer."""
        asked = await self.question_sent_as(replied)
        read_off = None
        if asked is None:
            ids = question_in(buttons)
            read_off = await self.asked_by_ids(*ids) if ids is not None else None
            if read_off is not None and read_off.organisation is not None:
                asked = read_off
        if asked is None and not answers_for_someone(person):
            return await self.take_text(person, text, correcting=correcting, event=event)
        return await self.take(
            person, text, asked=asked or read_off, correcting=correcting, event=event
        )

    async def question_sent_as(self, message: MessageRef) -> Asked | None:
        """The weekly question the bot sent as this message (through the outbox), if it was
        one: its organisation and its indicator."""
        async with self.database.transaction(write=False) as connection:
            row = await OutboxStore(connection).sent_as(
                message.chat_id, message.message_id, message.channel
            )
        if row is None:
            return None
        kind, _, rest = row.kind.partition(":")
        if kind not in QUESTION_KINDS:
            return None
        payload = json.loads(row.payload)
        organisation = payload.get("organisation")
        if not organisation:
            return None
        _organisation_id, _, code = rest.partition(":")
        if not code:  # a row written before each question was a message of its own
            indicators = payload.get("indicators") or []
            code = indicators[0] if len(indicators) == 1 else ""
        return Asked(str(organisation), code=code or None)

    async def asked_by_ids(self, organisation_id: int, indicator_id: int = 0) -> Asked:
        """A question named by ids (a button's, a message's): the organisation by name (None
        when it is no longer registered)."""
        ids = await self.snapshots.organisation_ids()
        names = {number: name for name, number in ids.items()}
        return Asked(names.get(organisation_id), indicator_id=indicator_id)

    async def take(
        self,
        person: Person,
        text: str,
        *,
        asked: Asked | None = None,
        correcting: Asked | None = None,
        source: Source = Source.MESSAGE,
        event: EventKey | None = None,
    ) -> Answer:
        """An answer for one organisation: to the question `asked` names (a reply, a button),
        else to the one a pending correction names (a message's), else to those asked of the
        person's one organisation. Raises Forbidden for an organisation out of reach."""
        if (
            (asked is None or asked.organisation is None)
            and correcting
            and source is Source.MESSAGE
        ):
            asked = correcting
        organisation = asked.organisation if asked is not None else None
        if organisation is None:
            mine = tuple(
                dict.fromkeys(q.organisation for q in await self.reports.my_questions(person))
            )
            if not mine and answers_for_someone(person):
                return NothingAsked()
            if len(mine) != 1:  # none (say why) or several (ask which)
                return await self.reports.submit(person, text, event=event)
            organisation = mine[0]
        questions = await self.reports.questions_for(organisation)
        if not questions:
            return NothingAsked()
        histories = await self.reports.histories()
        reading = read_weekly_answer(text, label_map(h.current for h in histories))
        if isinstance(reading, AnswerRefused):
            return Refused(Refusal.UNREADABLE, questions, reading)
        values: dict[str, int] = {}
        if reading.labelled:
            asked_codes = {q.indicator.code for q in questions}
            for code, value in reading.labelled:
                if code not in asked_codes:
                    return Refused(Refusal.NOT_ASKED_OF_THEM, questions)
                values[code] = value
        else:
            targets = targets_of(questions, asked, histories)
            open_ = [q for q in targets if q.value is None]
            bare = reading.bare
            chosen: Sequence[Question]
            if len(bare) == len(targets) and len(open_) != len(bare):
                chosen = targets
            elif len(bare) <= len(open_):
                chosen = open_[: len(bare)]
            elif not open_ and len(bare) == 1:
                return NothingToCorrect(targets)
            else:
                return TooMany(len(bare), targets)
            values = {q.indicator.code: value for q, value in zip(chosen, bare, strict=False)}
        outcome = await self.reports.submit_rows(
            person, [BulkRow(1, organisation, values)], source=source, event=event
        )
        if any(problem.reason == "not_in_reach" for problem in outcome.refused):
            raise Forbidden(Action.REPORT)
        return Taken(outcome, questions, values, settles_correction=correcting is not None)

    async def take_sheet(
        self, person: Person, content: bytes, suffix: str, *, event: EventKey | None = None
    ) -> BulkTaken:
        """An uploaded sheet's rows (see `ReportService.read_sheet`: SheetTooBig,
        DocumentError), taken as an admin's platform export or a filled template."""
        reading = await self.reports.read_sheet(person, content, suffix)
        outcome = await self.reports.submit_rows(
            person, reading.rows, source=sheet_source(person), event=event
        )
        return BulkTaken(outcome, tuple(reading.problems))

    async def enter_for(
        self, person: Person, organisation_id: int
    ) -> tuple[str, tuple[Question, ...]] | None:
        """The organisation a coordinator chose to enter the numbers of, with what it is asked;
        None when nothing is (or it is no longer registered). Forbidden out of their reach."""
        organisation = (await self.asked_by_ids(organisation_id)).organisation
        questions = await self.reports.questions_for(organisation) if organisation else ()
        if organisation is None or not questions:
            return None
        tree = (await self.snapshots.roadmap()).tree
        if not may(person, Action.REPORT, tree, organisation=organisation):
            raise Forbidden(Action.REPORT)
        return organisation, questions

    async def all_answered(self, organisation: str) -> bool:
        """Nothing is open for the organisation any more (entering for it is done)."""
        return all(q.value is not None for q in await self.reports.questions_for(organisation))

    async def correction_of(
        self, person: Person, indicator_id: int
    ) -> tuple[Asked, Question] | None:
        """The question a «✏️ Исправлю» is about: the person's own, for the indicator in doubt."""
        if not indicator_id:
            return None
        for question in await self.reports.my_questions(person):
            if question.indicator.id == indicator_id:
                return Asked(question.organisation, indicator_id=indicator_id), question
        return None


def question_in(buttons: Iterable[str]) -> tuple[int, int] | None:
    """The organisation and indicator ids a question's buttons («Как на прошлой неделе»,
    «0») carry, from their data; None when no button is a question's."""
    for data in buttons:
        if not data.startswith(f"{ReportButton.prefix}:"):
            continue
        try:
            pressed = ReportButton.unpack(data)
        except (TypeError, ValueError):
            continue
        if pressed.action == "v":
            return pressed.ref, pressed.i
    return None


def targets_of(
    questions: Sequence[Question], asked: Asked | None, histories: Sequence[IndicatorHistory]
) -> tuple[Question, ...]:
    """The questions a bare number may answer: the one named (by code, or by any version's
    id), or all of them."""
    code = asked.code if asked is not None else None
    if code is None and asked is not None and asked.indicator_id:
        code = next(
            (h.code for h in histories for v in h.versions if v.id == asked.indicator_id), None
        )
    if code is not None:
        named = tuple(q for q in questions if q.indicator.code == code)
        if named:
            return named
    return tuple(questions)


async def bulk_reply(
    outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts
) -> tuple[str, Outgoing | None]:
    """What lines or a sheet came to: the text listing the first refused rows and, when there
    are more than it lists, a second message with the file of them all. Composing it for a
    sheet's thousands of rows is done off the event loop."""
    if len(problems) + len(outcome.refused) > MAX_REFUSED_SHOWN:
        return await asyncio.to_thread(_bulk_reply, outcome, problems, t)
    return _bulk_reply(outcome, problems, t)


def _bulk_reply(
    outcome: BulkOutcome, problems: Sequence[LineProblem], t: Texts
) -> tuple[str, Outgoing | None]:
    text = render_bulk(outcome, problems, t, shown=MAX_REFUSED_SHOWN)
    refused = refused_file(outcome, problems, t, shown=MAX_REFUSED_SHOWN)
    if refused is None:
        return text, None
    caption = t("bulk.file.caption", count=len(problems) + len(outcome.refused))
    return text, Outgoing(caption, attachment=Attachment("document", REFUSED_FILE, refused))
