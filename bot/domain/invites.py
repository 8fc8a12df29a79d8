"""Invite links: `https://t.me/<bot>?start=<token>`.

A token is 192 random bits in URL-safe base64 (32 characters: within Telegram's 64-character,
[A-Za-z0-9_-] limit for start parameters). Only its SHA-256 is stored, so the database cannot
hand out working links. An invite expires, and is single-use unless made multi-use.
"""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime

TOKEN_BYTES = 24
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
DEFAULT_TTL_DAYS = 14


class InviteProblem(enum.StrEnum):
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


def well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


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
