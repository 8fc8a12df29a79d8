"""MAX updates as maxapi's pydantic models, and the checks a webhook receiver needs.

``parse_update`` never raises on what MAX sends: an update of a type maxapi does not know
(MAX adds types) or one it cannot read is logged and skipped (None), so one odd update
cannot stall the whole queue behind it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from maxapi.types.updates import UpdateUnionAdapter
from maxapi.types.updates.bot_added import BotAdded
from maxapi.types.updates.bot_removed import BotRemoved
from maxapi.types.updates.bot_started import BotStarted
from maxapi.types.updates.bot_stopped import BotStopped
from maxapi.types.updates.chat_title_changed import ChatTitleChanged
from maxapi.types.updates.dialog_cleared import DialogCleared
from maxapi.types.updates.dialog_muted import DialogMuted
from maxapi.types.updates.dialog_removed import DialogRemoved
from maxapi.types.updates.dialog_unmuted import DialogUnmuted
from maxapi.types.updates.message_callback import MessageCallback
from maxapi.types.updates.message_chat_created import MessageChatCreated
from maxapi.types.updates.message_created import MessageCreated
from maxapi.types.updates.message_edited import MessageEdited
from maxapi.types.updates.message_removed import MessageRemoved
from maxapi.types.updates.user_added import UserAdded
from maxapi.types.updates.user_removed import UserRemoved
from pydantic import ValidationError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"

MaxUpdate = (
    BotAdded
    | BotRemoved
    | BotStarted
    | BotStopped
    | ChatTitleChanged
    | DialogCleared
    | DialogMuted
    | DialogRemoved
    | DialogUnmuted
    | MessageCallback
    | MessageChatCreated
    | MessageCreated
    | MessageEdited
    | MessageRemoved
    | UserAdded
    | UserRemoved
)
_UPDATE_CLASSES = (
    BotAdded,
    BotRemoved,
    BotStarted,
    BotStopped,
    ChatTitleChanged,
    DialogCleared,
    DialogMuted,
    DialogRemoved,
    DialogUnmuted,
    MessageCallback,
    MessageChatCreated,
    MessageCreated,
    MessageEdited,
    MessageRemoved,
    UserAdded,
    UserRemoved,
)


def parse_update(raw: Any) -> MaxUpdate | None:
    """The update as maxapi's model; None (logged) for unknown types and malformed ones."""
    kind = raw.get("update_type") if isinstance(raw, Mapping) else None
    try:
        update = UpdateUnionAdapter.validate_python(raw)
    except ValidationError as error:
        log.warning(
            "skipping a MAX update maxapi cannot read (type %r): %s",
            kind,
            error.errors(include_url=False, include_input=False)[:3],
        )
        return None
    if isinstance(update, _UPDATE_CLASSES):
        return update
    log.warning("skipping a MAX update of unexpected class %s", type(update).__name__)
    return None


def webhook_secret_ok(headers: Mapping[str, str], secret: str) -> bool:
    """Whether a push carries our subscription's secret (compared in constant time)."""
    sent = headers.get(SECRET_HEADER)
    return sent is not None and hmac.compare_digest(sent.encode(), secret.encode())
