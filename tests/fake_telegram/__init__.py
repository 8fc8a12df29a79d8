"""A fake Telegram Bot API server for tests; see server.py."""

from tests.fake_telegram.server import (
    ApiError,
    FakeChat,
    FakeTelegram,
    FakeUser,
    MessageVersion,
    Request,
    SentMessage,
    StoredFile,
    Violation,
)

__all__ = [
    "ApiError",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "MessageVersion",
    "Request",
    "SentMessage",
    "StoredFile",
    "Violation",
]
