"""What a failed MAX call means for the caller, without MAX's vocabulary.

Every error answer (``{"code", "message"}``), timeout and broken connection becomes one
of four outcomes:

- ``RetryLater(seconds)``: 429, 5xx, timeouts, network failures; try the same call again
  after ``seconds`` (see ``Backoff``). ``AttachmentNotReady`` is one of these.
- ``Gone(reason)``: the chat is out of reach for good (403 ``chat.denied``: the user stopped
  the bot; 404 ``chat.not.found``: no dialog, a bad id). Stop writing there.
- ``Refused(reason)``: any other 4xx; the request itself is wrong, and resending it
  unchanged will not help.
- ``AuthLost``: 401, the token is invalid or revoked; nothing will work until it is fixed.
"""

from __future__ import annotations


class MaxProblem(Exception):
    """A MAX call that did not succeed; ``status`` and ``code`` as MAX answered (0 and ""
    when no answer came)."""

    def __init__(self, reason: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.code = code


class RetryLater(MaxProblem):
    """Try again after ``seconds``."""

    def __init__(self, seconds: float, reason: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(reason, status=status, code=code)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"retry in {self.seconds:g} s: {self.reason}"


class AttachmentNotReady(RetryLater):
    """An uploaded file is still being processed and every quick retry failed."""


class Gone(MaxProblem):
    """The chat or user is out of reach for good (stopped the bot, no such dialog)."""


class Refused(MaxProblem):
    """MAX refused the request as made (bad parameters, not allowed, not found)."""


class AuthLost(MaxProblem):
    """The bot token is not accepted any more."""
