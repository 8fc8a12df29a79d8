"""Logs that never carry the bot token, whatever writes them and at whatever level.

The token travels inside Telegram's URLs (`https://api.telegram.org/bot<token>/...`,
`.../file/bot<token>/<path>`), so it turns up in a failed download's exception text and in
its traceback, not only in messages we write. A filter on the message alone misses both: the
redaction is applied to the whole formatted record — message, traceback, stack — by wrapping
the formatter of every root handler.
"""

from __future__ import annotations

import logging
import re

REDACTED = "<BOT_TOKEN>"

# A Telegram bot token: the bot's numeric id, a colon, 35-odd URL-safe characters; in URLs
# it follows "bot". Any such token is hidden, not only ours (a second bot, a test token).
TOKEN_PATTERN = re.compile(r"(?<![A-Za-z0-9_-])(bot)?\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The text with every bot token (and each of `secrets`) replaced by <BOT_TOKEN>."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return TOKEN_PATTERN.sub(lambda m: (m.group(1) or "") + REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats as `inner` does, then hides tokens in the result (traceback included)."""

    def __init__(self, inner: logging.Formatter | None, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        # exc_text is cached on the record and shared by every handler: formatted afresh
        # here and redacted in the output, the raw traceback is never what a handler writes.
        return redact(self.inner.format(record), self.secrets)

    def formatException(self, ei: object) -> str:  # noqa: N802 (logging's name)
        return redact(self.inner.formatException(ei), self.secrets)  # type: ignore[arg-type]


def hide_tokens(*secrets: str, logger: logging.Logger | None = None) -> None:
    """Wrap the formatter of each handler of `logger` (the root by default) so that no token
    reaches the log. Call after logging is configured; calling twice does no harm."""
    for handler in (logger or logging.getLogger()).handlers:
        current = handler.formatter
        if isinstance(current, RedactingFormatter):
            current = current.inner
        handler.setFormatter(RedactingFormatter(current, secrets))
