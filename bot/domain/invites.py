"""Invite links, one per messenger: `https://t.me/<bot>?start=<token>` in Telegram,
`https://max.ru/<bot>?start=<token>` in MAX.

A token is 192 random bits in URL-safe base64 (32 characters: within Telegram's 64-character
and MAX's 128-character limits for start parameters, both [A-Za-z0-9_-]). Only its SHA-256 is
stored, so the database cannot hand out working links. An invite expires, and is single-use
unless made multi-use. A personal link that adds a messenger to someone who joined in another
one (bot/services/people.py, `channel_invite`) is a token of the same shape.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from bot.domain.channels import MAX, TELEGRAM

TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
DEFAULT_TTL_DAYS = 14


class InviteProblem(enum.StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    # A personal link to another messenger (channel_invites) only:
    FORGOTTEN = "forgotten"  # its person was unbound or forgotten since
    TAKEN = "taken"  # the account opening it is another person's already
    ELSEWHERE = "elsewhere"  # opened in a messenger it is not for


def well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class DeepLink:
    """How a messenger opens a chat with a bot and hands it a start parameter."""

    url: str  # with {bot} and {token}
    payload_limit: int  # characters of [A-Za-z0-9_-]


DEEP_LINKS: dict[str, DeepLink] = {
    TELEGRAM: DeepLink("https://t.me/{bot}?start={token}", 64),
    MAX: DeepLink("https://max.ru/{bot}?start={token}", 128),  # dev.max.ru/help/deeplinks
}
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]+$")
CHANNEL_NAMES = {TELEGRAM: "Telegram", MAX: "MAX"}  # as people call them, in any language


def deep_link(channel: str, bot_username: str, token: str) -> str:
    """The link that opens the bot `bot_username` in `channel` with `token` as its start
    parameter. ValueError when the token could not travel in that channel's link."""
    form = DEEP_LINKS[channel]
    if len(token) > form.payload_limit or PAYLOAD.fullmatch(token) is None:
        raise ValueError(f"not a {channel} start parameter: {len(token)} characters")
    return form.url.format(bot=bot_username.lstrip("@"), token=token)


def invite_link(bot_username: str, token: str) -> str:
    """The Telegram link (`deep_link(TELEGRAM, …)`)."""
    return deep_link(TELEGRAM, bot_username, token)


# Every token we make fits every messenger's link.
assert min(form.payload_limit for form in DEEP_LINKS.values()) >= TOKEN_BYTES * 4 // 3


def problem_with(
    *, expires_at: datetime, multi_use: bool, uses: int, revoked_at: datetime | None, now: datetime
) -> InviteProblem | None:
    """Why a stored invite cannot be used now, or None when it can."""
    if revoked_at is not None:
        return InviteProblem.REVOKED
    if expires_at <= now:
        return InviteProblem.EXPIRED
    if not multi_use and uses > 0:
        return InviteProblem.USED
    return None
