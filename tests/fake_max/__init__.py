"""A fake MAX Bot API server for tests; see server.py."""

from tests.fake_max.server import (
    ApiError,
    CallbackAnswer,
    Download,
    FakeMax,
    MaxUser,
    MessageVersion,
    Request,
    SentMessage,
    StoredFile,
    Subscription,
    Violation,
    WebhookDelivery,
)

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Download",
    "FakeMax",
    "MaxUser",
    "MessageVersion",
    "Request",
    "SentMessage",
    "StoredFile",
    "Subscription",
    "Violation",
    "WebhookDelivery",
]
