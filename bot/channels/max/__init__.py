"""The MAX messenger's Bot API (platform-api2.max.ru): a wire client, no dialogue."""

from bot.channels.max.api import DEFAULT_BASE_URL, Backoff, MaxApi, Uploaded
from bot.channels.max.errors import (
    AttachmentNotReady,
    AuthLost,
    Gone,
    MaxProblem,
    Refused,
    RetryLater,
)
from bot.channels.max.keyboard import CallbackButton, Keyboard, LinkButton
from bot.channels.max.transport import MaxTransport
from bot.channels.max.updates import MaxUpdate, parse_update, webhook_secret_ok

__all__ = [
    "DEFAULT_BASE_URL",
    "AttachmentNotReady",
    "AuthLost",
    "Backoff",
    "CallbackButton",
    "Gone",
    "Keyboard",
    "LinkButton",
    "MaxApi",
    "MaxProblem",
    "MaxTransport",
    "MaxUpdate",
    "Refused",
    "RetryLater",
    "Uploaded",
    "parse_update",
    "webhook_secret_ok",
]
