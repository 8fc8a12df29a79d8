"""What /status, /orgs, /template and bulk entry get from the services, with no messenger in
sight: one answer for a name that fits no organisation or several (`NotOneOrganisation`), and
files as neutral attachments (bytes and a file name) a front end only sends."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.domain.access import Binding, Person, Role
from bot.domain.bulk import BulkProblem, LineProblem
from bot.domain.short_names import order_key
from bot.importers.indicators import read_indicators
from bot.messages import Attachment
from bot.render.progress import MAX_REFUSED_SHOWN
from bot.render.texts import Texts
from bot.services.answers import bulk_reply
from bot.services.clock import FixedClock
from bot.services.organisations import NotOneOrganisation, OrganisationService, drill_target
from bot.services.people import CLI
from bot.services.reports import BulkOutcome, ReportService
from bot.services.roadmaps import RoadmapService
from bot.services.snapshots import Snapshots
from storage.db import Database
from tests.conftest import EXAMPLES, SMOLENSK_DOCX

FRIDAY = datetime(2023, 4, 21, 7, 0, tzinfo=UTC)
CITY = "Комитет по образованию Администрации города Смоленска"
SCHOOL = "МБОУ «Гимназия № 4» г. Смоленска"
VELIZH = (
    "Отдел образования Администрации муниципального образования «Велижский район» "
    "Смоленской области"
)
VELIZH_1, VELIZH_2 = "МБОУ «Велижская СШ № 1»", "МБОУ «Велижская СШ № 2»"

ADMIN = Person(3, "Админ", (Binding(Role.ADMIN),))
COORDINATOR = Person(2, "Координатор", (Binding(Role.COORDINATOR, CITY),))
T = Texts("ru")


@pytest.fixture
async def loaded(
    database: Database,
    clock: FixedClock,
    roadmaps: RoadmapService,
    organisations: OrganisationService,
) -> ReportService:
    await roadmaps.import_document(SMOLENSK_DOCX)
    await organisations.import_file(EXAMPLES / "smolensk-orgs.csv")
    reports = ReportService(database, clock, Snapshots(database), "Europe/Moscow")
    await reports.define_all(CLI, read_indicators(EXAMPLES / "smolensk-indicators.yaml"))
    clock.moment = FRIDAY
    return reports


# -- a name that fits no organisation, or several -------------------------------------------------


async def test_status_drills_into_the_one_organisation_a_name_fits(
    loaded: ReportService, organisations: OrganisationService
) -> None:
    assert await organisations.drill_target(ADMIN, "Гимназия № 4 Смоленск") == SCHOOL
    # A whole name is that organisation even outside the reach: refused later, as such.
    assert await organisations.drill_target(COORDINATOR, VELIZH_1) == VELIZH_1


async def test_status_and_orgs_answer_several_and_none_alike(
    loaded: ReportService, organisations: OrganisationService
) -> None:
    several = await organisations.drill_target(ADMIN, "Велижская")
    assert isinstance(several, NotOneOrganisation)
    assert several.query == "Велижская"
    assert several.matches[:2] == (VELIZH_1, VELIZH_2)  # by short name
    in_orgs = await organisations.roster(ADMIN, "Велижская")
    assert isinstance(in_orgs, NotOneOrganisation)
    assert set(in_orgs.matches) == set(several.matches)

    # Words are looked for within the reach only: a coordinator of the city has no Velizh.
    assert await organisations.drill_target(COORDINATOR, "Велижская") == NotOneOrganisation(
        "Велижская"
    )
    assert await organisations.roster(COORDINATOR, "Велижская") == NotOneOrganisation("Велижская")
    rosters = await organisations.roster(ADMIN, "Велижский район")
    assert not isinstance(rosters, NotOneOrganisation)
    assert [roster.root for roster in rosters] == [VELIZH]


async def test_drill_target_orders_what_fits_by_short_name(
    loaded: ReportService,
) -> None:
    tree = await loaded.snapshots.tree()
    found = drill_target(ADMIN, "Гимназия", tree)
    assert isinstance(found, NotOneOrganisation)
    assert found.matches == (SCHOOL, "МБОУ «Гимназия № 32» г. Смоленска")  # 4 before 32
    assert list(found.matches) == sorted(
        found.matches, key=lambda name: (order_key(tree.short_name(name)), name)
    )


# -- files ----------------------------------------------------------------------------------------


async def test_the_template_is_a_workbook_named_by_its_week(loaded: ReportService) -> None:
    sheet = await loaded.template_file(COORDINATOR, T)
    assert sheet.kind == "document"
    assert sheet.filename == "report-2023-04-17.xlsx"
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any(row[0] == SCHOOL for row in rows)


async def test_the_drill_down_workbook_has_a_sheet_per_indicator(loaded: ReportService) -> None:
    workbook = await loaded.progress_file(ADMIN, CITY, T)
    assert (workbook.kind, workbook.filename) == ("document", "progress.xlsx")
    book = load_workbook(io.BytesIO(workbook.content))
    assert len(book.sheetnames) == len((await loaded.progress(ADMIN, CITY)).blocks)
    header = next(book.worksheets[0].iter_rows(min_row=2, max_row=2, values_only=True))
    assert header[0] == T("sheet.name")


async def test_a_chart_is_a_picture_and_an_index_past_the_list_is_none(
    loaded: ReportService,
) -> None:
    chart = await loaded.chart_file(ADMIN, 0, CITY)
    assert isinstance(chart, Attachment)
    assert (chart.kind, chart.filename) == ("photo", "progress.png")
    assert chart.content.startswith(b"\x89PNG")
    assert await loaded.chart_file(ADMIN, 99) is None


def problems(count: int) -> list[LineProblem]:
    return [
        LineProblem(line, f"Школа {line} — 5", BulkProblem.UNKNOWN_ORGANISATION, f"Школа {line}")
        for line in range(1, count + 1)
    ]


async def test_refused_rows_come_as_a_file_only_past_those_listed() -> None:
    outcome = BulkOutcome((), (), None, ())
    text, file = await bulk_reply(outcome, problems(2), T)
    assert "Школа 1" in text
    assert file is None
    text, file = await bulk_reply(outcome, problems(MAX_REFUSED_SHOWN + 5), T)
    assert file is not None
    assert file.attachment is not None
    assert (file.attachment.kind, file.attachment.filename) == ("document", "refused-rows.csv")
    assert file.text == T("bulk.file.caption", count=MAX_REFUSED_SHOWN + 5)
    assert f"Школа {MAX_REFUSED_SHOWN + 5}".encode() in file.attachment.content
