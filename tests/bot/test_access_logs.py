"""The bot token never reaches the log: not in messages, exception texts or tracebacks."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, hide_tokens

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
FILE_URL = f"https://api.telegram.org/file/bot{TOKEN}/documents/file_7.xlsx"


class DownloadFailed(Exception):
    pass


def _download() -> None:
    raise DownloadFailed(f"Cannot connect to {FILE_URL}")


@pytest.mark.parametrize(
    "level",
    [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL],
)
def test_a_failed_download_leaves_no_token_in_the_log(level: int) -> None:
    logger = logging.getLogger(f"test.access.logs.{level}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    try:
        hide_tokens(TOKEN, logger=logger)
        try:
            _download()
        except DownloadFailed as error:
            logger.log(level, "download of %s failed: %s", FILE_URL, error, exc_info=True)
            logger.log(level, "again", exc_info=error, stack_info=True)
    finally:
        logger.removeHandler(handler)
    written = out.getvalue()
    assert "Traceback" in written
    assert "DownloadFailed" in written
    assert TOKEN not in written
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in written
    assert f"file/bot{REDACTED}/documents/file_7.xlsx" in written


def test_any_token_is_hidden_even_one_not_configured() -> None:
    logger = logging.getLogger("test.access.logs.other")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        hide_tokens("", logger=logger)
        hide_tokens("", logger=logger)  # twice: still one layer, still works
        logger.warning(
            "https://api.telegram.org/bot987654:ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/getMe"
        )
    finally:
        logger.removeHandler(handler)
    assert "ABCDEFGHIJ" not in out.getvalue()
    assert f"bot{REDACTED}/getMe" in out.getvalue()
