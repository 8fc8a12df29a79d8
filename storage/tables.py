"""The schema, as SQLAlchemy Core tables. Alembic migrations in storage/migrations create it.

Portable on purpose (SQLite now, PostgreSQL later): no SQLite-only types, dates as DATE,
instants as timezone-aware DATETIME stored in UTC, enums as short strings checked in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant: written as UTC, read back timezone-aware, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant (aware, UTC) is expected")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

roadmaps = Table(
    "roadmaps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(100), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("issuer", Text),
    Column("document_number", String(100)),
    Column("document_date", Date),
    Column("goal", Text),
    Column("timezone", String(64)),
    Column("reminder_policy", Text),  # JSON; NULL: the default policy
    Column("source", Text),
    Column("imported_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The one the bot serves and commands use by default (0007; `roadmaps use SLUG`).
    Column("current", Boolean, nullable=False, server_default=false()),
)

sections = Table(
    "sections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    UniqueConstraint("roadmap_id", "title", name="uq_sections_roadmap_title"),
)

parties = Table(
    "parties",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    UniqueConstraint("roadmap_id", "name", name="uq_parties_roadmap_name"),
)

party_aliases = Table(
    "party_aliases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), nullable=False),
    Column("alias", Text, nullable=False),
    UniqueConstraint("party_id", "alias", name="uq_party_aliases_party_alias"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("section_id", ForeignKey("sections.id", ondelete="SET NULL")),
    Column("position", Integer, nullable=False),
    Column("number", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("deadline_text", Text, nullable=False),
    Column("deadline_start", Date),
    Column("deadline_due", Date),
    Column("deadline_recurrence", String(200)),
    Column("deadline_note", Text),
    # The date the department set when the document left it to be agreed (imports keep it).
    Column("agreed_due", Date),
    Column("result", Text),
    Column("status", String(16), nullable=False),
    # A task dropped from a revised document is kept, marked removed, with its history.
    Column("removed_at", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_tasks_roadmap_position", "roadmap_id", "position"),
)

task_parties = Table(
    "task_parties",
    metadata,
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
)

# What people did on their organisation's share of a task (bot/domain/shares.py): the latest
# mark of each (task, organisation, occurrence). Who owes a task is not stored: it follows from
# the party links and the registry. A change replaces the row with a new one (a new, higher id;
# a reopened share stays as an "open" row), so a process's in-memory ledger catches up by
# reading the rows above the last id it saw. Read by SQL, never from a snapshot.
share_marks = Table(
    "share_marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    # The occurrence of a recurring task; ONCE (0001-01-01) for a one-off task.
    Column("occurrence", Date, nullable=False),
    Column("state", String(16), nullable=False),  # done, excused, open (reopened)
    Column("actor", Text, nullable=False),  # as in audit_log
    Column("at", UtcDateTime(), nullable=False),
    Column("note", Text),  # a comment (done) or the reason (excused)
    UniqueConstraint(
        "task_id", "organisation_id", "occurrence", name="uq_share_marks_task_org_occurrence"
    ),
    Index("ix_share_marks_organisation_at", "organisation_id", "at"),
    sqlite_autoincrement=True,  # ids only grow: a reader never misses a row below its last id
)

# Every change, by whom and when, old -> new: a task's history is its rows here.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", Text, nullable=False),  # "import:order.docx", "person:123456", "cli"
    Column("action", String(32), nullable=False),
    Column("subject", String(16), nullable=False),  # "task", "invite", "person", "party", ...
    Column("subject_id", BigInteger),  # a chat's id for a bound chat (0013)
    Column("field", Text),  # a share's entry: the organisation's name (0013)
    Column("old", Text),
    Column("new", Text),
    Index("ix_audit_log_subject", "subject", "subject_id"),
)

baseline_figures = Table(
    "baseline_figures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("scope", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("value", Integer, nullable=False),
    Column("kind", String(16)),
    Column("measure", String(16)),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("percent", Float),
    Column("value", Integer),
    Column("due", Date),
)

organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("parent_id", ForeignKey("organisations.id", ondelete="SET NULL")),
    Column("teachers", Integer),
    Column("staff", Integer),
    Column("pupils", Integer),
    Column("timezone", String(64)),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("short_name", Text),  # as the registry gives it; None: made from the name
    Index("ix_organisations_parent", "parent_id"),
)

# -- people, roles and onboarding ----------------------------------------------------------

people = Table(
    "people",
    metadata,
    # The person's number: named in history as "person:N". People known before channels
    # (0010) kept their Telegram user id as their number; it is no address of theirs.
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("username", String(64)),
    Column("language", String(16)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("seen_at", UtcDateTime(), nullable=False),
)

# How a person is known in a channel ("telegram", "max"): the user id there, and the private
# chat when the channel's is not the user id (a MAX dialog has its own chat id). A person who
# joined in two channels has two identities; one forgotten has none.
identities = Table(
    "identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("chat_id", BigInteger),  # NULL: the private chat is the user id
    Column("username", String(64)),
    Column("language", String(16)),
    Column("seen_at", UtcDateTime(), nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_identities_channel_external"),
    Index("ix_identities_person", "person_id"),
)

bindings = Table(
    "bindings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    # NULL: the whole region (admins and regional observers).
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("invite_id", ForeignKey("invites.id", ondelete="SET NULL")),
    Index("ix_bindings_person", "person_id"),
    Index("ix_bindings_organisation", "organisation_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True),
    # Only a hash is kept: a leaked database must not hand out working links.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("created_by", BigInteger),  # a person's id; NULL when made from the CLI
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("multi_use", Boolean, nullable=False),
    Column("uses", Integer, nullable=False),
    Column("revoked_at", UtcDateTime()),
)

# A personal one-time link that adds a messenger to someone who joined in another one: opened
# in `channel`, it makes whoever opens it known there as the same person. Only a hash is kept.
channel_invites = Table(
    "channel_invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime()),
    Index("ix_channel_invites_person", "person_id"),
)

# A roadmap party acts through organisations: one ("Департамент" -> the department) or every
# organisation of a kind under one ("МОУО" -> every authority under the department).
party_links = Table(
    "party_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16)),  # NULL: the organisation itself
    UniqueConstraint("party_id", "organisation_id", "kind", name="uq_party_links_target"),
)

# Group chats bound by an admin as delivery targets for a party or an organisation.
chat_bindings = Table(
    "chat_bindings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False, server_default="telegram"),
    Column("chat_id", BigInteger, nullable=False),
    Column("title", Text),
    Column("party_id", ForeignKey("parties.id", ondelete="CASCADE")),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_chat_bindings_chat", "channel", "chat_id"),
)

# A channel may deliver an event twice (a retry after a restart, a webhook redelivery); its
# key (Telegram: the update id; MAX: the message or callback id) is claimed in the same
# transaction as the event's effects. Where several processes share the database, an event is
# also claimed before it is handled: `claimed_by` names the process holding it (since
# `processed_at`) and is NULL once it was handled (at `processed_at`); see storage/events.py.
processed_events = Table(
    "processed_events",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("event_key", String(64), primary_key=True),
    Column("processed_at", UtcDateTime(), nullable=False),
    Column("claimed_by", String(64)),
)

# Where a channel without update ids stands in its stream of updates (MAX's `GET /updates`
# marker): the marker to send next, stored only once every update before it was handled, so a
# restart asks again for whatever was not (and the ledger above drops what was).
update_markers = Table(
    "update_markers",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("marker", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Conversation state (aiogram's FSM) shared by every process and kept across restarts
# (storage/conversations.py): one row per conversation key, the state and its data as JSON.
conversations = Table(
    "conversations",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("state", String(255)),
    Column("data", Text, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_conversations_updated_at", "updated_at"),
)

# -- reminders -------------------------------------------------------------------------------

# Every message the bot sends on its own (reminder digests, escalations) is a row here first:
# planned once per recipient and round, claimed atomically by one sender, and ended as sent,
# failed (with the reason), cancelled (nothing left to say) or superseded (a newer round).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False, server_default="telegram"),
    Column("chat_id", BigInteger, nullable=False),  # a person's private chat or a group
    Column("person_id", BigInteger),  # NULL for a group chat
    Column("kind", Text, nullable=False),  # "digest", "ask:ORG:CODE", "reply:…" (0013)
    Column("round", Date, nullable=False),  # the recipient's local day the round is for
    Column("payload", Text, nullable=False),  # JSON: what the message is about
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("not_before", UtcDateTime(), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", UtcDateTime()),
    Column("sent_at", UtcDateTime()),
    Column("message_id", String(64)),  # the channel's id of the message sent
    Column("reason", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint(
        "channel", "chat_id", "kind", "round", name="uq_outbox_channel_chat_kind_round"
    ),
    Index("ix_outbox_status_not_before", "status", "not_before"),
    # A reply to a question the bot asked is traced back to the question by its message id.
    Index("ix_outbox_chat_message", "channel", "chat_id", "message_id"),
)

# The last local day whose reminder round was planned, per time zone: after downtime the
# planner catches up from there (and not from the beginning of time).
reminder_rounds = Table(
    "reminder_rounds",
    metadata,
    Column("timezone", String(64), primary_key=True),
    Column("day", Date, nullable=False),
)

# One row counting committed changes to what people read (not the bot's bookkeeping), so
# every process can tell cheaply whether its in-memory snapshots are still current.
data_revision = Table(
    "data_revision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("number", Integer, nullable=False),
)

# Chats that told us to stop (403: blocked the bot, left or were kicked from a group).
unreachable_chats = Table(
    "unreachable_chats",
    metadata,
    Column("channel", String(16), primary_key=True, server_default="telegram"),
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
)

# -- weekly indicators and reports -------------------------------------------------------------

# An indicator of a roadmap, named by its code; what it means lives in its versions.
indicators = Table(
    "indicators",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("roadmap_id", ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("roadmap_id", "code", name="uq_indicators_roadmap_code"),
)

# A definition applies from its week on (NULL: from the beginning); earlier weeks keep theirs.
indicator_versions = Table(
    "indicator_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False),
    Column("valid_from", Date),
    Column("name", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("aliases", Text, nullable=False),  # JSON list
    Column("reported_by", String(100), nullable=False),  # organisation kinds, comma-separated
    Column("denominator", String(16)),
    Column("target_percent", Float),
    Column("target_value", Integer),
    Column("target_due", Date),
    Column("weekday", Integer, nullable=False),
    Column("due_time", String(5), nullable=False),  # "18:00"
    Column("rollup", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_indicator_versions_indicator", "indicator_id", "valid_from"),
)

# One organisation's value of one indicator for one week (named by its Monday). A correction
# replaces the value; every change is in audit_log (subject "report"). The value counts for the
# weeks from `week` up to, not including, `until_week`: the week of the organisation's next
# report, or FOREVER — so "each organisation's latest value as of a week" is one range scan.
weekly_reports = Table(
    "weekly_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("indicator_id", ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("week", Date, nullable=False),
    Column("until_week", Date, nullable=False),
    Column("value", Integer, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),  # first reported
    Column("updated_at", UtcDateTime(), nullable=False),  # last corrected
    Column("reported_by", Text, nullable=False),  # an actor, as in audit_log
    Column("source", String(16), nullable=False),  # message, button, bulk, sheet, export, cli
    UniqueConstraint(
        "indicator_id", "organisation_id", "week", name="uq_weekly_reports_indicator_org_week"
    ),
    Index("ix_weekly_reports_week", "indicator_id", "week", "late"),
    Index("ix_weekly_reports_until", "indicator_id", "until_week", "week", "value"),
    # One organisation's standing when it reports (see storage.reports.ReportWriter).
    Index("ix_weekly_reports_organisation", "organisation_id", "until_week"),
)

# Values put back to the person to confirm or correct (above the headcount, a sharp drop):
# kept here, not in memory, so a "confirm" pressed after a restart still finds them.
report_drafts = Table(
    "report_drafts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the values and where they go
    Column("created_at", UtcDateTime(), nullable=False),
    Column("settled_at", UtcDateTime()),
    Column("outcome", String(16)),  # "confirmed", "discarded"
)

# The last local day whose questions (and their follow-ups) were planned, per time zone.
question_rounds = Table(
    "question_rounds",
    metadata,
    Column("timezone", String(64), primary_key=True),
    Column("day", Date, nullable=False),
)
