"""`roadmap-bot` (also `python -m bot`): parse arguments, call a service, print."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from bot.app import App, open_app
from bot.config import Settings, SettingsError, load_settings
from bot.importers.errors import DocumentError
from bot.importers.yaml_form import dump_roadmap
from bot.render.report import (
    render_import,
    render_organisations,
    render_status,
    render_tasks,
    task_json,
)
from bot.render.texts import Texts
from bot.services.organisations import ParentCycle, UnknownParent
from bot.services.roadmaps import NoRoadmapYet, RoadmapNotFound

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Command = Callable[[App, argparse.Namespace], Awaitable[str]]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"YYYY-MM-DD: {value!r}") from None


async def cmd_import(app: App, args: argparse.Namespace) -> str:
    outcome = await app.roadmaps.import_document(args.path, slug=args.roadmap)
    return render_import(outcome, app.texts)


async def cmd_export(app: App, args: argparse.Namespace) -> str:
    roadmap = await app.roadmaps.roadmap(args.roadmap)
    text = dump_roadmap(roadmap)
    if str(args.yaml) == "-":
        return text.rstrip("\n")
    args.yaml.write_text(text, encoding="utf-8")
    return app.texts("export.written", slug=roadmap.slug, path=args.yaml)


async def cmd_tasks(app: App, args: argparse.Namespace) -> str:
    roadmap = await app.roadmaps.roadmap(args.roadmap)
    as_of = args.as_of or app.roadmaps.today(roadmap.timezone)
    if args.json:
        return json.dumps(
            [task_json(task, as_of) for task in roadmap.tasks], ensure_ascii=False, indent=2
        )
    return render_tasks(roadmap.tasks, as_of, app.texts)


async def cmd_status(app: App, args: argparse.Namespace) -> str:
    return render_status(await app.roadmaps.status(args.roadmap, as_of=args.as_of), app.texts)


async def cmd_orgs_import(app: App, args: argparse.Namespace) -> str:
    saved = await app.organisations.import_file(args.path)
    return app.texts(
        "orgs.saved", added=saved.added, updated=saved.updated, unchanged=saved.unchanged
    )


async def cmd_orgs_list(app: App, args: argparse.Namespace) -> str:
    return render_organisations(await app.organisations.all(), app.texts)


async def cmd_db_upgrade(app: App, args: argparse.Namespace) -> str:
    return app.texts("db.upgraded")  # opening the app has already upgraded


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
            "--roadmap", metavar="SLUG", help="which roadmap (default: the newest imported)"
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
    sub.set_defaults(run=cmd_import)

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
    sub.set_defaults(run=cmd_tasks)

    sub = commands.add_parser(
        "status",
        help="where the roadmap stands",
        description="Tasks by status, overdue with who is responsible, the next 14 days, and "
        "tasks that need a date.",
    )
    roadmap_option(sub)
    sub.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD", help="status as of this day")
    sub.set_defaults(run=cmd_status)

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
    print(output)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"roadmap-bot: {error}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(
        level=settings.log_level_number, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_run(settings, args, args.run))


if __name__ == "__main__":
    sys.exit(main())
