"""`roadmap-bot` (also `python -m bot`): parse arguments, call a service, print."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from bot.app import App, open_app, run_bot
from bot.cli_help import Language, argparse_language, help_texts
from bot.cli_orgs import NoOrganisation, SeveralOrganisations, one_organisation
from bot.config import Settings, SettingsError, load_settings
from bot.domain.access import Binding, Person, Role
from bot.domain.invites import CHANNEL_NAMES, deep_link
from bot.domain.links import parse_party_target
from bot.domain.model import OrganisationKind
from bot.importers.errors import DocumentError
from bot.importers.indicators import read_indicators
from bot.importers.report_sheets import read_report_sheet
from bot.importers.yaml_form import dump_roadmap
from bot.logs import hide_tokens
from bot.render.cells import safe_cell
from bot.render.progress import render_bulk, render_indicators, render_progress
from bot.render.report import (
    render_import,
    render_organisations,
    render_status,
    render_tasks,
    task_json,
)
from bot.render.telegram import render_invite, render_parties
from bot.render.texts import Texts
from bot.render.workbooks import export_workbook
from bot.services.export import export_tables
from bot.services.invites import ChannelLink, ChannelSilent, InviteLinks
from bot.services.organisations import ParentCycle, UnknownParent
from bot.services.parties import AmbiguousOrganisation, NoSuchParty
from bot.services.people import (
    CLI,
    NoSuchInvite,
    NoSuchPerson,
    NotBoundThere,
    UnknownOrganisation,
    WrongKindForRole,
    invite_is_open,
    invite_kinds,
)
from bot.services.reports import Source
from bot.services.roadmaps import BadPolicy, NoRoadmapYet, RoadmapNotFound
from bot.services.tasks import DateInThePast, DeadlineInDocument, UnreadDate
from bot.workdays import official_days, work_calendar
from storage.db import owner_only

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[App, argparse.Namespace], Awaitable[str]]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"YYYY-MM-DD: {value!r}") from None


async def cmd_import(app: App, args: argparse.Namespace) -> str:
    outcome = await app.roadmaps.import_document(
        args.path, slug=args.roadmap, make_current=args.current
    )
    text = render_import(outcome, app.texts)
    if not outcome.current:
        text += "\n" + app.texts(
            "roadmaps.not_current", slug=outcome.slug, current=outcome.current_slug
        )
    return text


async def cmd_roadmaps_list(app: App, _args: argparse.Namespace) -> str:
    headers = await app.roadmaps.headers()
    if not headers:
        return app.texts("error.no_roadmap")
    key = {True: "roadmaps.line_current", False: "roadmaps.line"}
    return "\n".join(app.texts(key[h.current], slug=h.slug, title=h.title) for h in headers)


async def cmd_roadmaps_use(app: App, args: argparse.Namespace) -> str:
    header = await app.roadmaps.use(args.slug)
    return app.texts("roadmaps.used", slug=header.slug, title=header.title)


def _write_private(path: Path, filename: str, content: bytes) -> Path:
    """Write `content` to `path` (into it, as `filename`, when it is a folder), readable by
    its owner only: names of people and organisations."""
    if path.is_dir():
        path = path / filename
    owner_only(path)
    path.write_bytes(content)
    return path


async def cmd_export(app: App, args: argparse.Namespace) -> str:
    if args.xlsx is not None:  # the department's workbook of everything, as /export sends it
        found = await export_tables(
            CLI, app.tasks, app.reports, t=Texts(app.settings.language), slug=args.roadmap
        )
        content = export_workbook(found.title, found.sheets)
        path = _write_private(args.xlsx, found.filename, content)
        return app.texts("export.xlsx_written", path=path, sheets=len(found.sheets))
    roadmap = await app.roadmaps.roadmap(args.roadmap)
    text = dump_roadmap(roadmap)
    if str(args.yaml) == "-":
        return text.rstrip("\n")
    args.yaml.write_text(text, encoding="utf-8")
    return app.texts("export.written", slug=roadmap.slug, path=args.yaml)


async def _viewer(app: App, args: argparse.Namespace) -> tuple[Person, str | None]:
    """Who the command looks as: the department (CLI), or an observer of `--org`'s subtree."""
    if not getattr(args, "org", None):
        return CLI, None
    organisation = await _one_organisation(app, args.org)
    return Person(0, "cli", (Binding(Role.OBSERVER, organisation),)), organisation


async def cmd_tasks(app: App, args: argparse.Namespace) -> str:
    roadmap = await app.roadmaps.roadmap(args.roadmap)
    as_of = args.as_of or app.roadmaps.today(roadmap.timezone)
    viewer, _ = await _viewer(app, args)
    scope = await app.tasks.scope(viewer, args.roadmap, as_of=as_of)
    if args.json:
        return json.dumps(
            [task_json(task, as_of, scope.shares.get(task.id or 0)) for task in scope.tasks],
            ensure_ascii=False,
            indent=2,
        )
    return render_tasks(scope.tasks, as_of, app.texts)


async def cmd_deadline(app: App, args: argparse.Namespace) -> str:
    """Set (or with «нет» take back) the date of a task its order leaves to be agreed."""
    found = await app.tasks.find(CLI, args.number.lstrip("№").strip(), args.roadmap)
    if not found:
        raise NoSuchTask(args.number)
    if len(found) > 1:
        raise AmbiguousTask(args.number, len(found))
    task = await app.tasks.agree_deadline(CLI, found[0].id or 0, " ".join(args.date))
    t = app.texts
    if task.deadline.agreed and task.deadline.due is not None:
        return t("agree.done", number=task.number, due=t.day(task.deadline.due))
    return t("agree.cleared", number=task.number, text=task.deadline.text)


class NoSuchTask(Exception):
    def __init__(self, number: str) -> None:
        super().__init__(number)
        self.number = number


class AmbiguousTask(Exception):
    def __init__(self, number: str, count: int) -> None:
        super().__init__(number)
        self.number, self.count = number, count


async def cmd_status(app: App, args: argparse.Namespace) -> str:
    viewer, organisation = await _viewer(app, args)
    text = render_status(
        await app.tasks.status_for(viewer, args.roadmap, as_of=args.as_of), app.texts
    )
    if organisation is not None:
        progress = await app.reports.progress(
            CLI, organisation, slug=args.roadmap, as_of=args.as_of
        )
        return text + ("\n\n" + render_progress(progress, app.texts) if progress.blocks else "")
    progress = await app.reports.progress(CLI, slug=args.roadmap, as_of=args.as_of)
    return text + ("\n\n" + render_progress(progress, app.texts) if progress.blocks else "")


async def _one_organisation(app: App, query: str) -> str:
    return one_organisation((await app.snapshots.roadmap()).tree, query)


async def cmd_indicators_import(app: App, args: argparse.Namespace) -> str:
    indicators = read_indicators(args.path)
    changed = await app.reports.define_all(CLI, indicators, args.roadmap)
    return app.texts("indicators.imported", count=len(indicators), changed=changed)


async def cmd_indicators_list(app: App, args: argparse.Namespace) -> str:
    return render_indicators(await app.reports.histories(args.roadmap), app.texts)


async def cmd_reports_import(app: App, args: argparse.Namespace) -> str:
    """A platform export or a filled template: per-organisation counts for this week."""
    histories = await app.reports.histories(args.roadmap)
    tree = (await app.snapshots.roadmap(args.roadmap)).tree
    reading = read_report_sheet(args.path, [h.current for h in histories], tree.search)
    outcome = await app.reports.submit_rows(
        CLI, reading.rows, source=Source.EXPORT, slug=args.roadmap
    )
    text = render_bulk(outcome, reading.problems, app.texts)
    if outcome.doubtful and outcome.draft_id is not None:
        text += "\n" + app.texts("cli.confirm_hint", id=outcome.draft_id)
    return text


async def cmd_reports_confirm(app: App, args: argparse.Namespace) -> str:
    stored = await app.reports.confirm(CLI, args.id)
    if stored is None:
        raise NoDraft(args.id)
    return app.texts("cli.confirmed", count=len({entry.organisation for entry in stored.entries}))


async def cmd_reports_discard(app: App, args: argparse.Namespace) -> str:
    if not await app.reports.discard(CLI, args.id):
        raise NoDraft(args.id)
    return app.texts("cli.discarded", id=args.id)


class NoDraft(Exception):
    def __init__(self, draft_id: int) -> None:
        super().__init__(draft_id)
        self.draft_id = draft_id


async def cmd_orgs_import(app: App, args: argparse.Namespace) -> str:
    saved = await app.organisations.import_file(args.path)
    return app.texts(
        "orgs.saved", added=saved.added, updated=saved.updated, unchanged=saved.unchanged
    )


async def cmd_orgs_list(app: App, args: argparse.Namespace) -> str:
    return render_organisations(await app.organisations.all(), app.texts)


async def cmd_db_upgrade(app: App, args: argparse.Namespace) -> str:
    return app.texts("db.upgraded")  # opening the app has already upgraded


async def cmd_db_copy(settings: Settings, args: argparse.Namespace) -> int:
    """`db copy --from URL --to URL`: the two databases only; DATABASE_URL is not opened.

    Refusals (storage.copy.CopyRefused) come before anything is written; the target is then
    migrated to the newest schema, as every process does on start, and filled in one
    transaction: a copy that fails leaves no row of it behind."""
    from sqlalchemy.exc import DatabaseError

    from storage.copy import CopyRefused, check, copy, shown
    from storage.db import Database

    t = Texts(settings.language)
    try:
        source, target = await asyncio.to_thread(check, args.source, args.target)
        database = Database(args.target, lock_wait=settings.database_lock_wait)
        try:
            await database.upgrade()
        except ImportError as error:  # the async driver of the scheme is not installed
            raise CopyRefused("driver", url=shown(target), detail=str(error)) from None
        finally:
            await database.dispose()
        print(t("copy.header", source=shown(source), target=shown(target)), flush=True)

        def progress(table: str, rows: int) -> None:
            print(t("copy.table", table=table, rows=rows), flush=True)

        copied = await asyncio.to_thread(copy, source, target, progress=progress)
    except CopyRefused as refused:
        print(t(f"copy.{refused.reason}", **refused.details), file=sys.stderr)
        return EXIT_FAILED
    except DatabaseError as error:  # the copy's transaction was rolled back
        detail = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else error
        print(t("copy.failed", detail=detail), file=sys.stderr)
        return EXIT_FAILED
    if copied.mismatched:
        shown_tables = "; ".join(
            t("copy.mismatched", table=table, source=there, target=here)
            for table, there, here in copied.mismatched
        )
        print(t("copy.mismatch", tables=shown_tables), file=sys.stderr)
        return EXIT_FAILED
    print(t("copy.done", rows=copied.rows, tables=len(copied.tables)))
    return EXIT_OK


async def _bot_usernames(app: App) -> dict[str, str]:
    """The bot's name in each configured messenger (ChannelSilent when one does not answer)."""
    return await app.bot_names.all_usernames()


def database_shown(url: str) -> str:
    """The database URL without its password (the user name, host and path stay)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)._replace(password=None).render_as_string(hide_password=False)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1@", url)


async def cmd_run(app: App, args: argparse.Namespace) -> str:
    print(app.texts("cli.database", url=database_shown(app.settings.database_url)), flush=True)
    await run_bot(app)
    return ""


async def cmd_calendar(app: App, args: argparse.Namespace) -> str:
    t, settings = app.texts, app.settings
    year = args.year or app.clock.now().year
    names, working_weekends = official_days(settings.work_calendar, t.language)
    calendar = work_calendar(
        settings.work_calendar, holidays=settings.holidays, workdays=settings.workdays
    )
    in_year = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    in_year = [day for day in in_year if day.year == year]
    off = [day for day in in_year if day.weekday() < 5 and not calendar.is_working(day)]
    worked = [day for day in in_year if day.weekday() >= 5 and calendar.is_working(day)]

    def name(day: date) -> str:
        if day in names and day not in settings.holidays:
            return names[day]
        if day in settings.holidays:
            return t("cli.calendar.added")
        if day in settings.workdays and day not in working_weekends:
            return t("cli.calendar.taken_back")
        return t("cli.calendar.transfer")

    lines = [
        t("cli.calendar.header", year=year, source=t(f"cli.calendar.{settings.work_calendar}")),
        t("cli.calendar.days_off", count=len(off)),
    ]
    lines += [t("cli.calendar.line", day=t.weekday_day(day), name=name(day)) for day in off]
    lines += [] if off else [t("cli.calendar.nothing")]
    lines.append(t("cli.calendar.workdays", count=len(worked)))
    lines += [t("cli.calendar.line", day=t.weekday_day(day), name=name(day)) for day in worked]
    lines += [] if worked else [t("cli.calendar.nothing")]
    return "\n".join(lines)


async def cmd_invite(app: App, args: argparse.Namespace) -> str:
    role = Role(args.role)
    # Every messenger's name first: one that does not answer stops here, nothing made.
    usernames = await _bot_usernames(app)
    t = app.texts

    def links(token: str) -> InviteLinks:
        return InviteLinks(
            tuple(
                ChannelLink(channel, deep_link(channel, username, token))
                for channel, username in usernames.items()
            )
        )

    if args.all:
        kind = OrganisationKind(args.kind) if args.kind else None
        invites = await app.people.create_invites_for_all(role, kind=kind, ttl_days=args.days)
        owner_only(args.out)  # live invite links: the owner's eyes only
        with args.out.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            # A link column per configured messenger («Ссылка (Telegram)», «Ссылка (MAX)»).
            writer.writerow(
                [t("cli.csv.organisation"), t("cli.csv.role")]
                + [t("cli.csv.link", channel=CHANNEL_NAMES[channel]) for channel in usernames]
                + [t("cli.csv.expires")]
            )
            for invite in invites:
                cells = [
                    invite.organisation,
                    t(f"role.{role.value}"),
                    *(link.url for link in links(invite.token).links),
                    t.day(invite.expires_at.date()),
                ]
                writer.writerow([safe_cell(cell) for cell in cells])
        return t("invite.written", count=len(invites), path=args.out)
    organisation = None
    if args.org is not None:  # found as the bot's /invite finds it
        organisation = one_organisation(await app.people.tree(), args.org, invite_kinds(role))
    invite = await app.people.create_invite(
        CLI, role, organisation, multi_use=args.multi_use, ttl_days=args.days
    )
    return render_invite(invite, links(invite.token), t)


def _bindings_text(bindings: Sequence[Binding], t: Texts) -> str:
    return "; ".join(
        t(
            "unbind.binding",
            role=t(f"role.{b.role.value}"),
            scope=b.organisation or t("scope.region"),
        )
        for b in bindings
    )


async def cmd_invites_list(app: App, args: argparse.Namespace) -> str:
    t = app.texts
    now = app.clock.now()
    found = await app.people.invites(CLI, open_only=False)
    lines = []
    for invite in found:
        if invite.revoked_at is not None:
            state = "invites.revoked"
        elif invite_is_open(invite, now):
            state = "invites.open"
        elif invite.expires_at <= now:
            state = "invites.expired"
        else:
            state = "invites.used"
        lines.append(
            t(
                "invites.item",
                id=invite.id,
                role=t(f"role.{invite.role.value}"),
                scope=invite.organisation or t("scope.region"),
                use=t("invite.multi" if invite.multi_use else "invite.single"),
                state=t(state),
                uses=invite.uses,
                until=t.day(invite.expires_at.date()),
            )
        )
    return "\n".join(lines) or t("invites.none")


async def cmd_invites_revoke(app: App, args: argparse.Namespace) -> str:
    t = app.texts
    revoked = await app.people.revoke(CLI, args.id)
    if not revoked.changed:
        return t("revoke.already", id=args.id)
    invite = revoked.invite
    return t(
        "revoke.done",
        id=invite.id,
        role=t(f"role.{invite.role.value}"),
        scope=invite.organisation or t("scope.region"),
    )


async def cmd_people_list(app: App, args: argparse.Namespace) -> str:
    t = app.texts
    lines = [
        t(
            "people.item",
            id=person.id,
            name=person.name,
            username=f" @{person.username}" if person.username else "",
            bindings=_bindings_text(person.bindings, t) or t("people.unbound"),
        )
        for person in await app.people.everyone()
    ]
    return "\n".join(lines) or t("people.none")


async def cmd_people_unbind(app: App, args: argparse.Namespace) -> str:
    t = app.texts
    organisation = None
    if args.org:  # the registry alone: no roadmap is needed to take access away
        matches = (await app.people.tree()).search(args.org)
        if not matches:
            raise UnknownOrganisation(args.org)
        if len(matches) > 1:
            raise AmbiguousOrganisation(args.org, matches)
        organisation = matches[0]
    unbound = await app.people.unbind(CLI, args.id, organisation)
    text = t(
        "unbind.done",
        name=unbound.person.name,
        id=args.id,
        bindings=_bindings_text(unbound.removed, t),
    )
    if unbound.kept:
        text += "\n" + t("unbind.kept", bindings=_bindings_text(unbound.kept, t))
    return text


async def cmd_people_forget(app: App, args: argparse.Namespace) -> str:
    if not await app.people.forget(CLI, args.id):
        raise NoSuchPerson(args.id)
    return app.texts("people.forgotten", id=args.id)


async def cmd_parties_list(app: App, args: argparse.Namespace) -> str:
    return render_parties(await app.parties.overview(CLI), app.texts)


async def cmd_parties_link(app: App, args: argparse.Namespace) -> str:
    text = " ".join(args.target)
    target = parse_party_target(text)
    if isinstance(target, str) and text.casefold().split()[0] in ("все", "all"):
        raise MixedKinds(text)
    if isinstance(target, str):  # a name: found as in the bot, with suggestions
        text = one_organisation(await app.people.tree(), target)
    view = await app.parties.assign(CLI, args.number, text)
    return render_parties([view], app.texts, header=False)


async def cmd_reminders_policy(app: App, args: argparse.Namespace) -> str:
    change: dict[str, object] = {}
    if args.before is not None:
        change["before"] = args.before
    for name in ("overdue_every", "overdue_limit", "escalate_after", "undated_weekday"):
        if getattr(args, name) is not None:
            change[name] = getattr(args, name)
    for name in ("kickoff", "recurring"):
        if getattr(args, name) is not None:
            change[name] = getattr(args, name) == "on"
    slug, policy = await app.roadmaps.policy(args.roadmap, change=change)
    return app.texts(
        "policy.show",
        slug=slug,
        before=", ".join(str(n) for n in policy.before) or "—",
        every=policy.overdue_every,
        limit=policy.overdue_limit,
        escalate=policy.escalate_after,
        kickoff=app.texts("policy.on" if policy.kickoff else "policy.off"),
        recurring=app.texts("policy.on" if policy.recurring else "policy.off"),
        weekday=app.texts.weekday_name(policy.undated_weekday),
    )


class MixedKinds(Exception):
    """«все школы и колледжи»: several kinds at once (see the report to the lead)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _days(value: str) -> tuple[int, ...]:
    try:
        days = tuple(int(part) for part in value.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated days, e.g. 7,3,1,0: {value!r}") from None
    if any(day < 0 for day in days):
        raise argparse.ArgumentTypeError(f"days cannot be negative: {value!r}")
    return days


def build_parser(language: Language = "ru") -> argparse.ArgumentParser:
    """The parser, its help in `language`; build and use it inside `argparse_language`."""
    h = help_texts(language)
    parser = argparse.ArgumentParser(prog="roadmap-bot", description=h("prog.description"))
    command = h("metavar.command")
    commands = parser.add_subparsers(dest="command", required=True, metavar=command)

    def roadmap_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--roadmap", metavar="SLUG", help=h("roadmap"))

    def group(name: str, dest: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        parent = commands.add_parser(
            name, help=h(f"{name}.help"), description=h(f"{name}.description")
        )
        return parent.add_subparsers(dest=dest, required=True, metavar=command)

    sub = commands.add_parser("import", help=h("import.help"), description=h("import.description"))
    sub.add_argument("path", type=Path, help=h("import.path"))
    sub.add_argument("--roadmap", metavar="SLUG", help=h("import.roadmap"))
    sub.add_argument("--current", action="store_true", help=h("import.current"))
    sub.set_defaults(run=cmd_import)

    roadmap_commands = group("roadmaps", "roadmaps_command")
    sub = roadmap_commands.add_parser("list", help=h("roadmaps.list"))
    sub.set_defaults(run=cmd_roadmaps_list)
    sub = roadmap_commands.add_parser("use", help=h("roadmaps.use"))
    sub.add_argument("slug", metavar="SLUG")
    sub.set_defaults(run=cmd_roadmaps_use)

    sub = commands.add_parser("export", help=h("export.help"), description=h("export.description"))
    form = sub.add_mutually_exclusive_group(required=True)
    form.add_argument("--yaml", type=Path, metavar="PATH", help=h("export.yaml"))
    form.add_argument("--xlsx", type=Path, metavar="PATH", help=h("export.xlsx"))
    roadmap_option(sub)
    sub.set_defaults(run=cmd_export)

    sub = commands.add_parser("tasks", help=h("tasks.help"), description=h("tasks.description"))
    roadmap_option(sub)
    sub.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help=h("as_of"))
    sub.add_argument("--json", action="store_true", help=h("tasks.json"))
    sub.add_argument("--org", metavar="NAME", help=h("tasks.org"))
    sub.set_defaults(run=cmd_tasks)

    sub = commands.add_parser(
        "deadline", help=h("deadline.help"), description=h("deadline.description")
    )
    sub.add_argument("number", metavar="N", help=h("deadline.number"))
    sub.add_argument("date", nargs="+", metavar="DATE", help=h("deadline.date"))
    roadmap_option(sub)
    sub.set_defaults(run=cmd_deadline)

    sub = commands.add_parser("status", help=h("status.help"), description=h("status.description"))
    roadmap_option(sub)
    sub.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help=h("as_of"))
    sub.add_argument("--org", metavar="NAME", help=h("status.org"))
    sub.set_defaults(run=cmd_status)

    indicator_commands = group("indicators", "indicators_command")
    sub = indicator_commands.add_parser(
        "import",
        help=h("indicators.import.help"),
        description=h("indicators.import.description"),
    )
    sub.add_argument("path", type=Path, help=h("indicators.path"))
    roadmap_option(sub)
    sub.set_defaults(run=cmd_indicators_import)
    sub = indicator_commands.add_parser("list", help=h("indicators.list"))
    roadmap_option(sub)
    sub.set_defaults(run=cmd_indicators_list)

    report_commands = group("reports", "reports_command")
    sub = report_commands.add_parser(
        "import", help=h("reports.import.help"), description=h("reports.import.description")
    )
    sub.add_argument("path", type=Path, help=h("reports.path"))
    roadmap_option(sub)
    sub.set_defaults(run=cmd_reports_import)
    sub = report_commands.add_parser("confirm", help=h("reports.confirm"))
    sub.add_argument("id", type=int, metavar="ID", help=h("reports.draft"))
    sub.set_defaults(run=cmd_reports_confirm)
    sub = report_commands.add_parser("discard", help=h("reports.discard"))
    sub.add_argument("id", type=int, metavar="ID", help=h("reports.draft"))
    sub.set_defaults(run=cmd_reports_discard)

    org_commands = group("orgs", "orgs_command")
    sub = org_commands.add_parser(
        "import", help=h("orgs.import.help"), description=h("orgs.import.description")
    )
    sub.add_argument("path", type=Path, help=h("orgs.path"))
    sub.set_defaults(run=cmd_orgs_import)
    sub = org_commands.add_parser("list", help=h("orgs.list"))
    sub.set_defaults(run=cmd_orgs_list)

    sub = commands.add_parser("run", help=h("run.help"), description=h("run.description"))
    sub.set_defaults(run=cmd_run, needs_token=True)

    sub = commands.add_parser("invite", help=h("invite.help"), description=h("invite.description"))
    sub.add_argument(
        "--role", choices=[role.value for role in Role], required=True, help=h("invite.role")
    )
    target = sub.add_mutually_exclusive_group(required=True)
    target.add_argument("--org", metavar="NAME", help=h("invite.org"))
    target.add_argument("--all", action="store_true", help=h("invite.all"))
    target.add_argument("--region", action="store_true", help=h("invite.region"))
    sub.add_argument(
        "--kind", choices=[kind.value for kind in OrganisationKind], help=h("invite.kind")
    )
    sub.add_argument("--out", type=Path, default=Path("invites.csv"), help=h("invite.out"))
    sub.add_argument("--multi-use", action="store_true", help=h("invite.multi_use"))
    sub.add_argument("--days", type=int, metavar="N", help=h("invite.days"))
    sub.set_defaults(run=cmd_invite, needs_token=True)

    invite_commands = group("invites", "invites_command")
    sub = invite_commands.add_parser("list", help=h("invites.list"))
    sub.set_defaults(run=cmd_invites_list)
    sub = invite_commands.add_parser(
        "revoke", help=h("invites.revoke.help"), description=h("invites.revoke.description")
    )
    sub.add_argument("id", type=int, help=h("invites.id"))
    sub.set_defaults(run=cmd_invites_revoke)

    people_commands = group("people", "people_command")
    sub = people_commands.add_parser("list", help=h("people.list"))
    sub.set_defaults(run=cmd_people_list)
    sub = people_commands.add_parser(
        "unbind", help=h("people.unbind.help"), description=h("people.unbind.description")
    )
    sub.add_argument("id", type=int, help=h("people.id"))
    sub.add_argument("--org", metavar="NAME", help=h("people.org"))
    sub.set_defaults(run=cmd_people_unbind)
    sub = people_commands.add_parser(
        "forget", help=h("people.forget.help"), description=h("people.forget.description")
    )
    sub.add_argument("id", type=int, help=h("people.id"))
    sub.set_defaults(run=cmd_people_forget)

    party_commands = group("parties", "parties_command")
    sub = party_commands.add_parser("list", help=h("parties.list"))
    sub.set_defaults(run=cmd_parties_list)
    sub = party_commands.add_parser(
        "link", help=h("parties.link.help"), description=h("parties.link.description")
    )
    sub.add_argument("number", type=int, help=h("parties.number"))
    sub.add_argument("target", nargs="+", help=h("parties.target"))
    sub.set_defaults(run=cmd_parties_link)

    reminder_commands = group("reminders", "reminders_command")
    sub = reminder_commands.add_parser(
        "policy",
        help=h("reminders.policy.help"),
        description=h("reminders.policy.description"),
    )
    roadmap_option(sub)
    sub.add_argument("--before", type=_days, metavar="7,3,1,0", help=h("reminders.before"))
    sub.add_argument("--overdue-every", type=int, metavar="N", help=h("reminders.overdue_every"))
    sub.add_argument("--overdue-limit", type=int, metavar="N", help=h("reminders.overdue_limit"))
    sub.add_argument("--escalate-after", type=int, metavar="N", help=h("reminders.escalate_after"))
    sub.add_argument("--kickoff", choices=["on", "off"], help=h("reminders.kickoff"))
    sub.add_argument("--recurring", choices=["on", "off"], help=h("reminders.recurring"))
    sub.add_argument(
        "--undated-weekday",
        type=int,
        choices=range(7),
        metavar="0-6",
        help=h("reminders.undated_weekday"),
    )
    sub.set_defaults(run=cmd_reminders_policy)

    sub = commands.add_parser(
        "calendar", help=h("calendar.help"), description=h("calendar.description")
    )
    sub.add_argument("year", type=int, nargs="?", metavar="YYYY", help=h("calendar.year"))
    sub.set_defaults(run=cmd_calendar)

    db_commands = group("db", "db_command")
    sub = db_commands.add_parser("upgrade", help=h("db.upgrade"))
    sub.set_defaults(run=cmd_db_upgrade)
    sub = db_commands.add_parser(
        "copy", help=h("db.copy.help"), description=h("db.copy.description")
    )
    sub.add_argument("--from", dest="source", required=True, metavar="URL", help=h("db.copy.from"))
    sub.add_argument("--to", dest="target", required=True, metavar="URL", help=h("db.copy.to"))
    sub.set_defaults(alone=cmd_db_copy)
    return parser


def _explain(error: Exception, t: Texts) -> str | None:
    """A user's mistake, in their language; None for a fault of ours."""
    if isinstance(error, DocumentError):
        problem = t(f"problem.{error.problem.value}")
        if error.detail:
            problem += f" ({error.detail})"
        key = "error.document.row" if error.row else "error.document"
        return (
            t(key, path=error.path, row=error.row, problem=problem)
            + " "
            + t("error.nothing_written")
        )
    if isinstance(error, NoRoadmapYet):
        return t("error.no_roadmap")
    if isinstance(error, RoadmapNotFound):
        return t("error.roadmap_not_found", slug=error.slug, known=", ".join(error.known))
    if isinstance(error, UnknownParent):
        return t("error.unknown_parent", organisation=error.organisation, parent=error.parent)
    if isinstance(error, ParentCycle):
        return t("error.parent_cycle", names=" → ".join(error.names))
    if isinstance(error, NoOrganisation):
        text = t("cli.no_org", query=error.query)
        if error.suggestions:
            return text + " " + t("cli.org_suggest", names="; ".join(error.suggestions))
        return text + " " + t("cli.org_list")
    if isinstance(error, SeveralOrganisations | AmbiguousOrganisation):
        shown = "; ".join(error.matches[:10])
        if len(error.matches) > 10:
            shown += "; " + t("cli.more", count=len(error.matches) - 10)
        return t("cli.ambiguous", query=error.query, count=len(error.matches), matches=shown)
    if isinstance(error, NoSuchTask):
        return t("task.not_found", number=error.number)
    if isinstance(error, AmbiguousTask):
        return t("cli.task_ambiguous", number=error.number, count=error.count)
    if isinstance(error, UnreadDate):
        return t("agree.unread", text=error.text)
    if isinstance(error, DateInThePast):
        return t("agree.past", day=t.day(error.day))
    if isinstance(error, DeadlineInDocument):
        return t("agree.in_document", number=error.task.number, text=error.task.deadline.text)
    if isinstance(error, NoDraft):
        return t("cli.no_draft", id=error.draft_id)
    if isinstance(error, MixedKinds):
        return t("cli.broken_kinds", text=error.text)
    if isinstance(error, UnknownOrganisation):
        return t("invite.unknown_org", name=error.name)
    if isinstance(error, WrongKindForRole):
        return t("invite.wrong_kind")
    if isinstance(error, NoSuchParty):
        return t("parties.no_party", index=error.index)
    if isinstance(error, BadPolicy):
        return t("error.policy", detail=error.detail)
    if isinstance(error, NoSuchInvite):
        return t("revoke.no_such", id=error.invite_id)
    if isinstance(error, NoSuchPerson):
        return t("people.not_found", id=error.person_id)
    if isinstance(error, NotBoundThere):
        return t("unbind.not_there", id=error.person_id, organisation=error.organisation or "")
    if isinstance(error, ChannelSilent):  # a messenger did not say the bot's name (invite)
        return t(f"error.{error.channel}", detail=error.detail)
    if type(error).__module__.startswith("aiogram."):  # Telegram did not answer (invite, run)
        from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

        if isinstance(error, TelegramNetworkError | TelegramAPIError):
            return t("error.telegram", detail=error.message)
    return None


async def _run(settings: Settings, args: argparse.Namespace, command: Command) -> int:
    async with open_app(settings) as app:
        try:
            output = await command(app, args)
        except Exception as error:
            message = _explain(error, app.texts)
            if message is None:
                raise
            print(message, file=sys.stderr)
            return EXIT_FAILED
    if output:
        print(output)
    return EXIT_OK


def _language(settings: Settings | None) -> Language:
    """The settings' language; with bad settings, LANGUAGE alone (help must still read)."""
    if settings is not None:
        return settings.language
    return "en" if os.environ.get("LANGUAGE", "").strip().lower() == "en" else "ru"


def main(argv: Sequence[str] | None = None) -> int:
    """The command; its output piped into `head` and cut short ends it quietly."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # Whatever is still buffered goes nowhere: no "Exception ignored" at exit either.
        with contextlib.suppress(OSError, ValueError):  # not a real file: a test's capture
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    try:
        settings: Settings | None = load_settings()
        problem = None
    except SettingsError as error:
        settings, problem = None, error
    language = _language(settings)
    with argparse_language(language):
        args = build_parser(language).parse_args(argv)
    if settings is None:
        print(f"roadmap-bot: {problem}", file=sys.stderr)
        return EXIT_USAGE
    t = Texts(settings.language)
    if getattr(args, "needs_token", False):  # `run`, `invite`: Telegram's token, MAX's or both
        if not settings.channels:
            print(f"roadmap-bot: {t('error.no_token')}", file=sys.stderr)
            return EXIT_USAGE
        if settings.bot_token is not None:
            from aiogram.utils.token import TokenValidationError, validate_token  # slow import

            try:
                validate_token(settings.bot_token.get_secret_value())
            except TokenValidationError:
                print(f"roadmap-bot: {t('error.bad_token')}", file=sys.stderr)
                return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level_number, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migrations run on every start; their chatter is for DEBUG only.
    logging.getLogger("alembic").setLevel(max(settings.log_level_number, logging.WARNING))
    tokens = [
        token.get_secret_value() for token in (settings.bot_token, settings.max_token) if token
    ]
    hide_tokens(*tokens)  # messages, exception texts and tracebacks alike (bot/logs.py)
    if getattr(args, "region", False):
        args.org = None
    alone = getattr(args, "alone", None)  # a command of its own databases (`db copy`)
    if alone is not None:
        return int(asyncio.run(alone(settings, args)))
    return asyncio.run(_run(settings, args, args.run))


if __name__ == "__main__":
    sys.exit(main())
