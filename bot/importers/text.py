"""Text clean-up shared by every reader: decoding, emphasis left over from pastes, header words."""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

from bot.importers.errors import DocumentError, Problem

_TAGS = re.compile(r"</?(?:b|strong|i|em|u|s|span|font|p|div)(?:\s[^<>]*)?>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MARKDOWN = re.compile(r"\*\*|__")
_SPACE = re.compile(r"\s+")
_INLINE_SPACE = re.compile(r"[^\S\n]+")


def clean(text: str) -> str:
    """A cell or paragraph without the emphasis a paste carries (`**…**`, `<b>…</b>`, `&nbsp;`),
    with spaces collapsed and line breaks kept (a responsible cell may list one party a line)."""
    if "<" in text:
        text = _TAGS.sub("", _BREAK.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    if "*" in text or "__" in text:
        text = _MARKDOWN.sub("", text)
    # "\v" is how Word hands over a line break inside a cell when a table is copied as text.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\v", "\n")
    lines = (_INLINE_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def one_line(text: str) -> str:
    """All whitespace, line breaks included, collapsed to single spaces."""
    return _SPACE.sub(" ", text).strip()


def header_word(text: str) -> str:
    """A column header reduced for loose matching: "№ п/п" -> "№ п/п", "Срок  исполнения:" ->
    "срок исполнения"."""
    return one_line(clean(text)).casefold().strip(" .:*")


def decode(path: Path, data: bytes) -> str:
    """Text as Russian offices save it: UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1251, which decodes any byte, so it comes last."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise DocumentError(path, Problem.UNREADABLE, detail=str(error)) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise DocumentError(path, Problem.UNREADABLE, detail="binary data, not text")
    return data.decode("cp1251", errors="replace")


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=error.strerror) from error
