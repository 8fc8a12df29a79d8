"""Text clean-up shared by every reader: decoding, emphasis left over from pastes, header words."""

from __future__ import annotations

import codecs
import html
import re
from pathlib import Path

from bot.importers.errors import DocumentError, Problem
from bot.importers.limits import too_big

_TAGS = re.compile(r"</?(?:b|strong|i|em|u|s|span|font|p|div)(?:\s[^<>]*)?>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MARKDOWN = re.compile(r"\*\*|__")
_SPACE = re.compile(r"\s+")
_INLINE_SPACE = re.compile(r"[^\S\n]+")


# Control characters (NUL and the like; the whitespace ones are collapsed below instead) and the
# bidirectional overrides and isolates that turn a title around in the messenger.
_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def strip_controls(text: str) -> str:
    """Text without control characters and bidi overrides: what reaches a chat is what it says."""
    return _CONTROLS.sub("", text)


def clean(text: str) -> str:
    """A cell or paragraph without the emphasis a paste carries (`**…**`, `<b>…</b>`, `&nbsp;`),
    with spaces collapsed and line breaks kept (a responsible cell may list one party a line),
    and no control or bidi-override characters."""
    text = strip_controls(text)
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


# Frequent lowercase Russian letters: text in the right single-byte encoding is full of them.
_FREQUENT = frozenset("оеаинтсрвлкмдпуяыь")
_LEGACY = ("cp1251", "koi8_r", "cp866")
_LEGACY_NAMES = {"koi8_r": "KOI8-R", "cp866": "CP866 (DOS)"}


def _refuse(path: Path, detail: str, row: int | None = None) -> DocumentError:
    return DocumentError(path, Problem.UNREADABLE, row=row, detail=detail)


def _legacy(path: Path, sample: bytes) -> None:
    """Refuse KOI8-R and CP866: they decode without error as Windows-1251, into nonsense."""
    scores = {
        name: sum(char in _FREQUENT for char in sample.decode(name, errors="replace"))
        for name in _LEGACY
    }
    best = max(_LEGACY, key=lambda name: scores[name])
    if best != "cp1251" and scores[best] > scores["cp1251"]:
        raise _refuse(
            path,
            f"кодировка {_LEGACY_NAMES[best]}; сохраните файл в UTF-8 или Windows-1251 "
            f"(looks like {_LEGACY_NAMES[best]}: save it as UTF-8 or Windows-1251)",
        )


def _binary(path: Path, head: bytes) -> DocumentError:
    """Zero bytes: UTF-16 without a byte-order mark when they fall on every other byte."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) * 8 > len(head) and min(even, odd) * 10 < max(even, odd):
        return _refuse(
            path,
            "UTF-16 без метки порядка байтов; сохраните файл в UTF-8 "
            "(UTF-16 without a byte-order mark: save it as UTF-8)",
        )
    return _refuse(path, "binary data, not text")


class Lines:
    """Lines of a text file in UTF-8 or Windows-1251, decoded one by one; a file in both is
    refused at the first line that differs (it would import as mojibake), naming it."""

    def __init__(self, path: Path, head: bytes) -> None:
        self.path = path
        self.head = head
        self.utf8: bool | None = None  # unknown while the lines are ASCII
        self.since = 0
        if head.count(0) * 8 > len(head):  # a stray NUL is stripped later, not text is this
            raise _binary(path, head)

    def decode(self, raw: bytes, number: int) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text, utf8 = raw.decode("utf-8"), True
        except UnicodeDecodeError:
            if b"\x00" in raw:  # neither UTF-8 nor text
                raise _refuse(self.path, "binary data, not text", row=number) from None
            text, utf8 = raw.decode("cp1251", errors="replace"), False
        if self.utf8 is None:
            if not utf8:
                _legacy(self.path, self.head)
            self.utf8, self.since = utf8, number
        elif utf8 != self.utf8:
            found, first = ("UTF-8", "Windows-1251") if utf8 else ("Windows-1251", "UTF-8")
            raise _refuse(
                self.path,
                f"строка в {found}, а строка {self.since} в {first}: кодировки смешаны "
                f"(mixed encodings: {found} here, {first} in row {self.since})",
                row=number,
            )
        return text


def decode(path: Path, data: bytes) -> str:
    """Text as Russian offices save it: UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1251; not a mixture, and not KOI8-R, CP866 or UTF-16 without a BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise DocumentError(path, Problem.UNREADABLE, detail=str(error)) from error
    head = data[:65536]
    if head.count(0) * 8 > len(head):  # UTF-16 without a BOM decodes as UTF-8 full of NULs
        raise _binary(path, head)
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise _binary(path, head)
    lines = Lines(path, head)
    return "".join(
        lines.decode(raw, number) for number, raw in enumerate(data.splitlines(True), start=1)
    )


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes; more than `limit` of them is refused before any is read."""
    try:
        if limit is not None:
            size = path.stat().st_size
            if size > limit:
                raise too_big(path, size, limit)
        return path.read_bytes()
    except OSError as error:
        raise DocumentError(path, Problem.UNREADABLE, detail=error.strerror) from error
