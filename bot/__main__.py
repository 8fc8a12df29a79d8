"""`roadmap-bot` (also `python -m bot`): parse arguments, call a service, print."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from bot.app import App, build_bot, open_app, run_bot
from bot.config import Settings, SettingsError, load_settings
from bot.domain.access import Binding, Person, Role
from bot.domain.invites import invite_link
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
)
from bot.services.reports import Source
from bot.services.roadmaps import BadPolicy, NoRoadmapYet, RoadmapNotFound
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


async def cmd_export(app: App, args: argparse.Namespace) -> str:
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
    tree = (await app.snapshots.roadmap()).tree
    matches = tree.search(query)
    if not matches:
        raise UnknownOrganisation(query)
    if len(matches) > 1:
        raise AmbiguousOrganisation(query, matches)
    return matches[0]


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
    return render_bulk(outcome, reading.problems, app.texts)


async def cmd_orgs_import(app: App, args: argparse.Namespace) -> str:
    saved = await app.organisations.import_file(args.path)
    return app.texts(
        "orgs.saved", added=saved.added, updated=saved.updated, unchanged=saved.unchanged
    )


async def cmd_orgs_list(app: App, args: argparse.Namespace) -> str:
    return render_organisations(await app.organisations.all(), app.texts)


async def cmd_db_upgrade(app: App, args: argparse.Namespace) -> str:
    return app.texts("db.upgraded")  # opening the app has already upgraded


async def _bot_username(app: App) -> str:
    bot = build_bot(app.settings)
    try:
        return (await bot.me()).username or ""
    finally:
        await bot.session.close()


async def cmd_run(app: App, args: argparse.Namespace) -> str:
    await run_bot(app)
    return ""


async def cmd_invite(app: App, args: argparse.Namespace) -> str:
    role = Role(args.role)
    username = await _bot_username(app)
    t = app.texts
    if args.all:
        kind = OrganisationKind(args.kind) if args.kind else None
        invites = await app.people.create_invites_for_all(role, kind=kind, ttl_days=args.days)
        owner_only(args.out)  # live invite links: the owner's eyes only
        with args.out.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(["organisation", "role", "link", "expires"])
            for invite in invites:
                cells = [
                    invite.organisation,
                    role.value,
                    invite_link(username, invite.token),
                    invite.expires_at.date().isoformat(),
                ]
                writer.writerow([safe_cell(cell) for cell in cells])
        return t("invite.written", count=len(invites), path=args.out)
    invite = await app.people.create_invite(
        CLI, role, args.org, multi_use=args.multi_use, ttl_days=args.days
    )
    return render_invite(invite, username, t)


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
    view = await app.parties.assign(CLI, args.number, " ".join(args.target))
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


def _days(value: str) -> tuple[int, ...]:
    try:
        days = tuple(int(part) for part in value.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated days, e.g. 7,3,1,0: {value!r}") from None
    if any(day < 0 for day in days):
        raise argparse.ArgumentTypeError(f"days cannot be negative: {value!r}")
    return days


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roadmap-bot",
        description="Run an education department's rollout roadmap: import documents, "
        "see status, manage organisations. Settings come from the environment and .env "
        "(see config.example.env).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def roadmap_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--roadmap", metavar="SLUG", help="which roadmap (default: the current one)"
        )

    sub = commands.add_parser(
        "import",
        help="import or re-import a roadmap (.docx, .xlsx, .csv, .txt, .yaml)",
        description="Import a roadmap document. Re-importing a revised document updates the "
        "tasks in place (matched by number and title), keeping their status and history, and "
        "prints what was added, changed and removed. Nothing is written if the file is bad.",
    )
    sub.add_argument("path", type=Path, help="the document")
    sub.add_argument(
        "--roadmap",
        metavar="SLUG",
        help="store under this short name (default: from the order's number and year)",
    )
    sub.add_argument(
        "--current",
        action="store_true",
        help="make it the roadmap the bot serves (the first import always is)",
    )
    sub.set_defaults(run=cmd_import)

    roadmaps = commands.add_parser(
        "roadmaps",
        help="the stored roadmaps and which one the bot serves",
        description="The stored roadmaps; `use SLUG` makes one current: the bot serves it and "
        "commands use it without --roadmap.",
    )
    roadmap_commands = roadmaps.add_subparsers(
        dest="roadmaps_command", required=True, metavar="COMMAND"
    )
    sub = roadmap_commands.add_parser("list", help="the stored roadmaps, the current one marked")
    sub.set_defaults(run=cmd_roadmaps_list)
    sub = roadmap_commands.add_parser("use", help="make SLUG the current roadmap")
    sub.add_argument("slug", metavar="SLUG")
    sub.set_defaults(run=cmd_roadmaps_use)

    sub = commands.add_parser(
        "export", help="write a roadmap out", description="Export a roadmap in our lossless form."
    )
    sub.add_argument(
        "--yaml", type=Path, required=True, metavar="PATH", help="YAML file to write ('-': stdout)"
    )
    roadmap_option(sub)
    sub.set_defaults(run=cmd_export)

    sub = commands.add_parser(
        "tasks",
        help="list the tasks",
        description="List the roadmap's tasks with their deadlines as written and as understood.",
    )
    roadmap_option(sub)
    sub.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help="status as of this day")
    sub.add_argument("--json", action="store_true", help="print a JSON array (see README)")
    sub.add_argument(
        "--org", metavar="NAME", help="the tasks and shares of an organisation or a municipality"
    )
    sub.set_defaults(run=cmd_tasks)

    sub = commands.add_parser(
        "status",
        help="where the roadmap stands",
        description="Tasks by status, overdue with who is responsible, the next 14 days, and "
        "tasks that need a date.",
    )
    roadmap_option(sub)
    sub.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help="status as of this day")
    sub.add_argument(
        "--org", metavar="NAME", help="drill down into an organisation or a municipality"
    )
    sub.set_defaults(run=cmd_status)

    indicators = commands.add_parser(
        "indicators",
        help="weekly indicators",
        description="The weekly indicators organisations report (see examples/).",
    )
    indicator_commands = indicators.add_subparsers(
        dest="indicators_command", required=True, metavar="COMMAND"
    )
    sub = indicator_commands.add_parser(
        "import",
        help="define indicators from a YAML file",
        description="Define indicators from a YAML file. An entry with a `from` week is a new "
        "version from that week on; earlier weeks keep their meaning.",
    )
    sub.add_argument("path", type=Path, help="a .yaml file")
    roadmap_option(sub)
    sub.set_defaults(run=cmd_indicators_import)
    sub = indicator_commands.add_parser("list", help="the indicators and their current terms")
    roadmap_option(sub)
    sub.set_defaults(run=cmd_indicators_list)

    reports = commands.add_parser(
        "reports", help="weekly reports", description="Weekly reports of organisations."
    )
    report_commands = reports.add_subparsers(
        dest="reports_command", required=True, metavar="COMMAND"
    )
    sub = report_commands.add_parser(
        "import",
        help="fill this week from a platform export or a filled template (.xlsx, .csv)",
        description="Per-organisation counts, columns matched by their headers; bad rows are "
        "listed, good rows kept.",
    )
    sub.add_argument("path", type=Path, help="an .xlsx or .csv file")
    roadmap_option(sub)
    sub.set_defaults(run=cmd_reports_import)

    orgs = commands.add_parser(
        "orgs", help="the organisation registry", description="The organisation registry."
    )
    org_commands = orgs.add_subparsers(dest="orgs_command", required=True, metavar="COMMAND")
    sub = org_commands.add_parser(
        "import",
        help="load organisations from .csv or .xlsx",
        description="Load organisations (name, kind, parent, teachers, staff, pupils, optional "
        "time zone) from .csv or .xlsx; existing ones (by name) are updated.",
    )
    sub.add_argument("path", type=Path, help="the registry file")
    sub.set_defaults(run=cmd_orgs_import)
    sub = org_commands.add_parser("list", help="show the registry as a tree")
    sub.set_defaults(run=cmd_orgs_list)

    sub = commands.add_parser(
        "run",
        help="run the Telegram bot",
        description="Run the bot: long polling, or a webhook when WEBHOOK_URL is set. Needs "
        "BOT_TOKEN. Stops cleanly on SIGTERM/SIGINT.",
    )
    sub.set_defaults(run=cmd_run, needs_token=True)

    sub = commands.add_parser(
        "invite",
        help="make invite links",
        description="Make an invite link for an organisation and role, or one per "
        "organisation (--all) into a CSV for a mail merge. Needs BOT_TOKEN (for the bot's name).",
    )
    sub.add_argument("--role", choices=[role.value for role in Role], required=True)
    target = sub.add_mutually_exclusive_group(required=True)
    target.add_argument("--org", metavar="NAME", help="the organisation, as in the registry")
    target.add_argument("--all", action="store_true", help="one link per organisation")
    target.add_argument(
        "--region", action="store_true", help="for the whole region (admins, observers)"
    )
    sub.add_argument(
        "--kind",
        choices=[kind.value for kind in OrganisationKind],
        help="with --all: only organisations of this kind",
    )
    sub.add_argument("--out", type=Path, default=Path("invites.csv"), help="with --all: CSV file")
    sub.add_argument("--multi-use", action="store_true", help="the link may be used many times")
    sub.add_argument("--days", type=int, metavar="N", help="valid for N days (INVITE_TTL_DAYS)")
    sub.set_defaults(run=cmd_invite, needs_token=True)

    invites_parser = commands.add_parser(
        "invites", help="invites made so far", description="Invites: list them, revoke one."
    )
    invite_commands = invites_parser.add_subparsers(
        dest="invites_command", required=True, metavar="COMMAND"
    )
    sub = invite_commands.add_parser("list", help="every invite with its number and state")
    sub.set_defaults(run=cmd_invites_list)
    sub = invite_commands.add_parser(
        "revoke",
        help="revoke invite ID (its link stops working; multi-use ones too)",
        description="Revoke an invite by its number (see `invites list`). Whoever joined "
        "through it stays bound: use `people unbind` for that.",
    )
    sub.add_argument("id", type=int, help="the invite's number")
    sub.set_defaults(run=cmd_invites_revoke)

    people_parser = commands.add_parser(
        "people",
        help="who has joined",
        description="People who joined (strangers are never stored): list, unbind, forget.",
    )
    people_commands = people_parser.add_subparsers(
        dest="people_command", required=True, metavar="COMMAND"
    )
    sub = people_commands.add_parser("list", help="every stored person with their bindings")
    sub.set_defaults(run=cmd_people_list)
    sub = people_commands.add_parser(
        "unbind",
        help="take person ID's access away (all, or to --org only)",
        description="Remove the person's bindings (to --org only, when given); they keep "
        "their name on what they did until forgotten.",
    )
    sub.add_argument("id", type=int, help="the person's Telegram id (see `people list`)")
    sub.add_argument("--org", metavar="NAME", help="only the binding to this organisation")
    sub.set_defaults(run=cmd_people_unbind)
    sub = people_commands.add_parser(
        "forget",
        help="erase person ID's personal data (152-FZ)",
        description="Erase the person's name, username, language and bindings. Their "
        "organisation's reports stay, attributed to «удалённый пользователь».",
    )
    sub.add_argument("id", type=int, help="the person's Telegram id")
    sub.set_defaults(run=cmd_people_forget)

    parties = commands.add_parser(
        "parties",
        help="who acts for the roadmap's responsible parties",
        description="Who acts for each responsible party (the same as /parties in the bot).",
    )
    party_commands = parties.add_subparsers(
        dest="parties_command", required=True, metavar="COMMAND"
    )
    sub = party_commands.add_parser("list", help="the parties and who acts for them")
    sub.set_defaults(run=cmd_parties_list)
    sub = party_commands.add_parser(
        "link",
        help="set who acts for party N",
        description="Set who acts for party N (numbers as in `parties list`): an organisation's "
        "name, or 'все школы' / 'все колледжи' / 'все органы' / 'нет' (all schools, all "
        "colleges, all authorities, nobody).",
    )
    sub.add_argument("number", type=int, help="the party's number")
    sub.add_argument("target", nargs="+", help="organisation name, 'все школы', ..., or 'нет'")
    sub.set_defaults(run=cmd_parties_link)

    reminders = commands.add_parser(
        "reminders", help="the reminder policy", description="The roadmap's reminder policy."
    )
    reminder_commands = reminders.add_subparsers(
        dest="reminders_command", required=True, metavar="COMMAND"
    )
    sub = reminder_commands.add_parser(
        "policy",
        help="show or change when reminders are sent",
        description="Show the reminder policy; with options, change it first. Reminders come "
        "BEFORE days ahead of a due date (0 = on the day), then every OVERDUE_EVERY working "
        "days after it, LIMIT times; after ESCALATE_AFTER days overdue the supervising "
        "coordinator hears too.",
    )
    roadmap_option(sub)
    sub.add_argument("--before", type=_days, metavar="7,3,1,0", help="days ahead of a due date")
    sub.add_argument("--overdue-every", type=int, metavar="N", help="working days between")
    sub.add_argument("--overdue-limit", type=int, metavar="N", help="overdue reminders at most")
    sub.add_argument("--escalate-after", type=int, metavar="N", help="days overdue")
    sub.add_argument("--kickoff", choices=["on", "off"], help="remind when a task starts")
    sub.add_argument("--recurring", choices=["on", "off"], help="remind on each occurrence")
    sub.add_argument(
        "--undated-weekday",
        type=int,
        choices=range(7),
        metavar="0-6",
        help="the weekday (0 = Monday) tasks without a date are put to coordinators",
    )
    sub.set_defaults(run=cmd_reminders_policy)

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    sub = db_commands.add_parser("upgrade", help="apply migrations (also done on every start)")
    sub.set_defaults(run=cmd_db_upgrade)
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
    if isinstance(error, UnknownOrganisation):
        return t("invite.unknown_org", name=error.name)
    if isinstance(error, AmbiguousOrganisation):
        return t("error.ambiguous", query=error.query, matches="; ".join(error.matches[:10]))
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"roadmap-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    t = Texts(settings.language)
    if getattr(args, "needs_token", False):
        if settings.bot_token is None:
            print(f"roadmap-bot: {t('error.no_token')}", file=sys.stderr)
            return EXIT_USAGE
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
    token = settings.bot_token.get_secret_value() if settings.bot_token is not None else ""
    hide_tokens(token)  # messages, exception texts and tracebacks alike (bot/logs.py)
    if getattr(args, "region", False):
        args.org = None
    return asyncio.run(_run(settings, args, args.run))


if __name__ == "__main__":
    sys.exit(main())
