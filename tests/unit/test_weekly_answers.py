"""The rules of weekly answers, at the service (`bot.services.answers.WeeklyAnswers`): no
messenger, no dispatcher. Who answers and who enters lines, how numbers meet questions, and
which question a reply answers (from the outbox row that sent it, in any channel)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.actions import ReportButton
from bot.domain.access import Binding, Person, Role
from bot.domain.channels import MAX, TELEGRAM
from bot.importers.indicators import read_indicators
from bot.services.answers import (
    Asked,
    BulkTaken,
    MessageRef,
    NoLines,
    NothingAsked,
    NothingToCorrect,
    Taken,
    TooMany,
    WeeklyAnswers,
    answers_for_someone,
    enters_for_others,
    question_in,
    sheet_source,
    targets_of,
)
from bot.services.clock import FixedClock
from bot.services.organisations import OrganisationService
from bot.services.people import CLI, Forbidden
from bot.services.reports import ChooseOrganisation, Refusal, Refused, ReportService, Source
from bot.services.roadmaps import RoadmapService
from bot.services.snapshots import Snapshots
from storage.db import Database
from storage.outbox import NewMessage, OutboxStore
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)  # 10:00 in Smolensk, the first due day
CITY = "Комитет по образованию Администрации города Смоленска"
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
OTHER_SCHOOL = "МБОУ «Гимназия № 32» г. Смоленска"
TEACHERS, CHATS, STAFF = "teachers_active", "chats", "staff_active"

REP = Person(1, "Представитель", (Binding(Role.REP, SCHOOL),))
COORDINATOR = Person(2, "Координатор", (Binding(Role.COORDINATOR, CITY),))
ADMIN = Person(3, "Админ", (Binding(Role.ADMIN),))
STRANGER = Person(0, "Незнакомец")


@pytest.fixture
async def answers(
    database: Database,
    clock: FixedClock,
    roadmaps: RoadmapService,
    organisations: OrganisationService,
) -> WeeklyAnswers:
    await roadmaps.import_document(SMOLENSK_DOCX)
    await organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
    reports = ReportService(database, clock, Snapshots(database), "Europe/Moscow")
    await reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    clock.moment = FRIDAY
    return WeeklyAnswers(reports)


def taken(answer: object) -> dict[str, int]:
    assert isinstance(answer, Taken), answer
    return {entry.indicator.code: entry.value for entry in answer.outcome.stored}


# -- who answers, who enters lines ---------------------------------------------------------------


def test_roles_decide_who_answers_and_who_enters_lines() -> None:
    assert answers_for_someone(REP)
    assert not answers_for_someone(COORDINATOR)
    assert enters_for_others(COORDINATOR)
    assert enters_for_others(ADMIN)
    assert not enters_for_others(REP)
    assert not enters_for_others(STRANGER)
    assert sheet_source(ADMIN) is Source.EXPORT
    assert sheet_source(COORDINATOR) is Source.SHEET


async def test_a_representatives_text_is_an_answer(answers: WeeklyAnswers) -> None:
    assert taken(await answers.take_text(REP, "38")) == {TEACHERS: 38}


async def test_a_coordinators_lines_are_bulk_entry(answers: WeeklyAnswers) -> None:
    answer = await answers.take_text(COORDINATOR, "Гимназия № 4: учителей 30, чатов 15")
    assert isinstance(answer, BulkTaken), answer
    assert {(e.organisation, e.indicator.code, e.value) for e in answer.outcome.stored} == {
        (SCHOOL, TEACHERS, 30),
        (SCHOOL, CHATS, 15),
    }


async def test_a_coordinators_one_bare_line_is_their_own_bodys_answer(
    answers: WeeklyAnswers,
) -> None:
    answer = await answers.take_text(COORDINATOR, "12")
    assert isinstance(answer, Taken), answer
    assert [(e.organisation, e.indicator.code, e.value) for e in answer.outcome.stored] == [
        (CITY, STAFF, 12)
    ]


async def test_lines_that_do_not_read_are_listed_back(answers: WeeklyAnswers) -> None:
    answer = await answers.take_text(COORDINATOR, "добрый день\nспасибо")
    assert isinstance(answer, BulkTaken), answer
    assert [problem.line for problem in answer.problems] == [1, 2]
    assert not answer.outcome.stored


async def test_an_admins_message_with_no_line_at_all_says_so(answers: WeeklyAnswers) -> None:
    assert isinstance(await answers.take_text(ADMIN, " \n "), NoLines)


async def test_a_stranger_is_told_they_report_for_nobody(answers: WeeklyAnswers) -> None:
    answer = await answers.take_text(STRANGER, "38")
    assert isinstance(answer, Refused)
    assert answer.reason is Refusal.NOT_A_REPORTER


# -- numbers and questions -----------------------------------------------------------------------


async def test_bare_numbers_fill_the_open_questions_in_order(answers: WeeklyAnswers) -> None:
    first = await answers.take(REP, "38")
    assert taken(first) == {TEACHERS: 38}
    assert isinstance(first, Taken)
    assert [q.indicator.code for q in first.still_open] == [CHATS]
    assert taken(await answers.take(REP, "12")) == {CHATS: 12}


async def test_as_many_numbers_as_questions_answer_them_all_again(answers: WeeklyAnswers) -> None:
    await answers.take(REP, "38")
    assert taken(await answers.take(REP, "30, 15")) == {TEACHERS: 30, CHATS: 15}


async def test_one_number_with_nothing_open_has_nothing_to_correct(answers: WeeklyAnswers) -> None:
    await answers.take(REP, "30, 15")
    answer = await answers.take(REP, "31")
    assert isinstance(answer, NothingToCorrect)
    assert [q.indicator.code for q in answer.questions] == [TEACHERS, CHATS]


async def test_more_numbers_than_questions_are_too_many(answers: WeeklyAnswers) -> None:
    answer = await answers.take(REP, "1, 2, 3")
    assert isinstance(answer, TooMany)
    assert answer.given == 3
    assert len(answer.questions) == 2


async def test_labelled_values_must_all_have_been_asked(answers: WeeklyAnswers) -> None:
    answer = await answers.take(REP, "учителей 30, сотрудников 5")
    assert isinstance(answer, Refused)
    assert answer.reason is Refusal.NOT_ASKED_OF_THEM
    assert taken(await answers.take(REP, "чатов 15 учителей 30")) == {TEACHERS: 30, CHATS: 15}


async def test_unreadable_text_is_refused_with_the_questions(answers: WeeklyAnswers) -> None:
    answer = await answers.take(REP, "около 40")
    assert isinstance(answer, Refused)
    assert answer.reason is Refusal.UNREADABLE
    assert len(answer.questions) == 2


async def test_a_question_named_takes_a_bare_number(answers: WeeklyAnswers) -> None:
    answer = await answers.take(REP, "12", asked=Asked(SCHOOL, code=CHATS))
    assert taken(answer) == {CHATS: 12}


async def test_a_pending_correction_names_the_question_of_a_message_only(
    answers: WeeklyAnswers,
) -> None:
    histories = await answers.reports.histories()
    teachers_id = next(h.current.id for h in histories if h.code == TEACHERS)
    assert teachers_id is not None
    correcting = Asked(SCHOOL, indicator_id=teachers_id)
    await answers.take(REP, "30, 15")
    answer = await answers.take(REP, "45", correcting=correcting)
    assert taken(answer) == {TEACHERS: 45}
    assert isinstance(answer, Taken)
    assert answer.settles_correction
    # A button names its own question; the correction still waits, and is settled by it.
    pressed = await answers.take(
        REP, "16", asked=Asked(SCHOOL, code=CHATS), correcting=correcting, source=Source.BUTTON
    )
    assert taken(pressed) == {CHATS: 16}


async def test_the_question_of_a_correction_is_the_persons_own(answers: WeeklyAnswers) -> None:
    histories = await answers.reports.histories()
    chats_id = next(h.current.id for h in histories if h.code == CHATS)
    assert chats_id is not None
    found = await answers.correction_of(REP, chats_id)
    assert found is not None
    assert found[0] == Asked(SCHOOL, indicator_id=chats_id)
    assert await answers.correction_of(REP, 0) is None
    assert await answers.correction_of(COORDINATOR, chats_id) is None


async def test_a_representative_with_nothing_asked_is_told_so(
    answers: WeeklyAnswers, clock: FixedClock
) -> None:
    clock.moment = datetime(2023, 4, 10, 7, 0, tzinfo=UTC)  # before the first week collected
    assert isinstance(await answers.take(REP, "38"), NothingAsked)


async def test_an_organisation_out_of_reach_is_forbidden(answers: WeeklyAnswers) -> None:
    with pytest.raises(Forbidden):
        await answers.take(REP, "5", asked=Asked(OTHER_SCHOOL, code=CHATS), source=Source.BUTTON)


async def test_entering_for_an_organisation_checks_the_reach(answers: WeeklyAnswers) -> None:
    ids = await answers.snapshots.organisation_ids()
    chosen = await answers.enter_for(COORDINATOR, ids[SCHOOL])
    assert chosen is not None
    assert chosen[0] == SCHOOL
    assert not await answers.all_answered(SCHOOL)
    await answers.take(COORDINATOR, "30, 15", asked=Asked(SCHOOL), source=Source.BULK)
    assert await answers.all_answered(SCHOOL)
    with pytest.raises(Forbidden):
        await answers.enter_for(REP, ids[OTHER_SCHOOL])
    assert await answers.enter_for(COORDINATOR, 10**9) is None


# -- which question a reply answers --------------------------------------------------------------


async def sent_question(
    answers: WeeklyAnswers, channel: str, chat_id: int, message_id: str, code: str
) -> None:
    """The outbox sent the weekly question about `code` to the school as `message_id`."""
    ids = await answers.snapshots.organisation_ids()
    now = FRIDAY
    async with answers.database.transaction() as connection:
        store = OutboxStore(connection)
        await store.add(
            [
                NewMessage(
                    channel=channel,
                    chat_id=chat_id,
                    person_id=REP.id,
                    kind=f"ask:{ids[SCHOOL]}:{code}",
                    round=date(2023, 4, 21),
                    payload=json.dumps({"organisation": SCHOOL, "indicators": [code]}),
                    not_before=now,
                )
            ],
            now,
        )
        [row] = await store.claim("test", now, timedelta(minutes=1), 10, channel=channel)
        assert await store.mark_sent(row.id, message_id, now, worker="test")


@pytest.mark.parametrize(("channel", "message_id"), [(TELEGRAM, "77"), (MAX, "mid.0a1b2c")])
async def test_a_reply_answers_the_question_the_outbox_sent_as_that_message(
    answers: WeeklyAnswers, channel: str, message_id: str
) -> None:
    await sent_question(answers, channel, 500, message_id, CHATS)
    ref = MessageRef(channel, 500, message_id)
    assert await answers.question_sent_as(ref) == Asked(SCHOOL, code=CHATS)
    assert taken(await answers.take_reply(REP, "12", ref)) == {CHATS: 12}
    # The same message id in another chat, or another channel, is another message.
    assert await answers.question_sent_as(MessageRef(channel, 501, message_id)) is None
    other = MAX if channel == TELEGRAM else TELEGRAM
    assert await answers.question_sent_as(MessageRef(other, 500, message_id)) is None


async def test_a_reply_to_a_question_no_outbox_row_sent_reads_its_buttons(
    answers: WeeklyAnswers,
) -> None:
    histories = await answers.reports.histories()
    chats_id = next(h.current.id for h in histories if h.code == CHATS)
    assert chats_id is not None
    ids = await answers.snapshots.organisation_ids()
    buttons = [
        ReportButton(action="rm", ref=1).pack(),
        "r:broken",
        ReportButton(action="v", ref=ids[SCHOOL], value=0, i=chats_id).pack(),
    ]
    assert question_in(buttons) == (ids[SCHOOL], chats_id)
    assert question_in(["t:open:7"]) is None
    assert await answers.asked_by_ids(ids[SCHOOL], chats_id) == Asked(SCHOOL, indicator_id=chats_id)
    ref = MessageRef(TELEGRAM, 500, "9")
    assert taken(await answers.take_reply(REP, "12", ref, buttons=buttons)) == {CHATS: 12}


async def test_a_coordinators_reply_to_anything_else_is_read_as_lines(
    answers: WeeklyAnswers,
) -> None:
    answer = await answers.take_reply(
        COORDINATOR, "Гимназия № 4: чатов 15", MessageRef(TELEGRAM, 500, "9")
    )
    assert isinstance(answer, BulkTaken), answer
    # A representative's is their answer all the same.
    assert taken(await answers.take_reply(REP, "38", MessageRef(TELEGRAM, 500, "9"))) == {
        TEACHERS: 38
    }


async def test_the_whole_message_path_asks_which_organisation(answers: WeeklyAnswers) -> None:
    two = Person(4, "Двое", (Binding(Role.REP, SCHOOL), Binding(Role.REP, OTHER_SCHOOL)))
    answer = await answers.take(two, "чатов 5")
    assert isinstance(answer, ChooseOrganisation)
    assert set(answer.organisations) == {SCHOOL, OTHER_SCHOOL}


async def test_targets_follow_the_indicator_named(answers: WeeklyAnswers) -> None:
    questions = await answers.reports.questions_for(SCHOOL)
    histories = await answers.reports.histories()
    chats_id = next(h.current.id for h in histories if h.code == CHATS)
    assert chats_id is not None
    assert [q.indicator.code for q in targets_of(questions, None, histories)] == [TEACHERS, CHATS]
    by_id = targets_of(questions, Asked(SCHOOL, indicator_id=chats_id), histories)
    assert [q.indicator.code for q in by_id] == [CHATS]
    by_code = targets_of(questions, Asked(SCHOOL, code=CHATS), histories)
    assert [q.indicator.code for q in by_code] == [CHATS]
    unknown = targets_of(questions, Asked(SCHOOL, code=STAFF), histories)
    assert [q.indicator.code for q in unknown] == [TEACHERS, CHATS]
