"""Alembic's entry point. The app hands in its own connection; `alembic` on the command line
(for writing a new migration) reads the URL from the settings."""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import create_engine

from storage.tables import UtcDateTime, metadata


def _render_item(kind: str, item: object, _context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import today's Python types: they have to run as written forever.
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    from bot.config import load_settings
    from storage.db import sync_url

    engine = create_engine(sync_url(load_settings().database_url))
    with engine.begin() as connection:
        _run(connection)
