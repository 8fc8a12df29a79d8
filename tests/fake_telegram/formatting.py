"""Text formatting the way the Bot API does it: parse_mode parsing and entity detection.

Telegram turns ``text`` + ``parse_mode`` into plain text plus a list of MessageEntity objects
(offsets and lengths in UTF-16 code units), trims surrounding whitespace and detects
commands, mentions, hashtags, URLs and e-mails by itself. The parsers below follow TDLib's
``parse_html``, ``parse_markdown_v2`` and ``parse_markdown`` closely enough that text which
Telegram rejects is rejected here too, with the same error descriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Entity = dict[str, Any]

HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
    "pre": "pre",
    "code": "code",
    "blockquote": "blockquote",
}
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!"


class EntityParseError(Exception):
    """Unparsable text; ``str(error)`` is Telegram's reason after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _char_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Accumulates plain text while tracking its length in UTF-16 code units."""

    parts: list[str]
    units: int = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.units += utf16_len(text) if not text.isascii() else len(text)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Open:
    tag: str
    entity_type: str
    offset: int  # UTF-16 units
    byte_offset: int
    argument: str = ""


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram-flavoured HTML; raises EntityParseError like the Bot API does."""
    out = _Builder([])
    entities: list[Entity] = []
    stack: list[_Open] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded, end = _decode_html_entity(text, i)
            if decoded is not None:
                out.add(decoded)
                i = end
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f"Unsupported HTML entity at byte offset {_byte_offset(text, i)} "
                    "(a bare '&' must be escaped as &amp;; the real Bot API keeps it as is, "
                    "this fake is strict to catch unescaped text)"
                )
        if c != "<":
            start = i
            i += 1
            while i < n and text[i] not in "<&":
                i += 1
            out.add(text[start:i])
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            i = _html_close_tag(text, i, begin, stack, entities, out)
        else:
            i = _html_open_tag(text, i, begin, stack, out)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return out.text(), entities


def _decode_html_entity(text: str, i: int) -> tuple[str | None, int]:
    n = len(text)
    end = i + 1
    decoded: str | None = None
    if end < n and text[end] == "#":
        end += 1
        base = 10
        if end < n and text[end] in "xX":
            base = 16
            end += 1
        start = end
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while end < n and text[end] in digits:
            end += 1
        if end == start:
            return None, i
        code = int(text[start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, i
        decoded = chr(code)
    else:
        start = end
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        decoded = _HTML_NAMED_ENTITIES.get(text[start:end])
        if decoded is None:
            return None, i
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def _html_open_tag(text: str, i: int, begin: int, stack: list[_Open], out: _Builder) -> int:
    n = len(text)
    i += 1
    name_start = i
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[name_start:i].lower()
    if tag not in HTML_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    attributes: dict[str, str] = {}
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            i += 1
            break
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attribute = text[name_start:i].lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] != "=":
            if tag == "blockquote" and attribute == "expandable":
                attributes[attribute] = ""
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        value_parts: list[str] = []
        if text[i] in "'\"":
            quote = text[i]
            i += 1
            while i < n and text[i] != quote:
                if text[i] == "&":
                    decoded, end = _decode_html_entity(text, i)
                    if decoded is not None:
                        value_parts.append(decoded)
                        i = end
                        continue
                value_parts.append(text[i])
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
        else:
            while i < n and not text[i].isspace() and text[i] != ">":
                value_parts.append(text[i])
                i += 1
        attributes[attribute] = "".join(value_parts)
    entity_type = HTML_TAGS[tag]
    argument = ""
    if tag == "a":
        argument = attributes.get("href", "")
    elif tag == "code":
        language = attributes.get("class", "")
        argument = language.removeprefix("language-") if language.startswith("language-") else ""
    elif tag == "span":
        if attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
    elif tag == "tg-emoji":
        argument = attributes.get("emoji-id", "")
    elif tag == "blockquote" and "expandable" in attributes:
        entity_type = "expandable_blockquote"
    stack.append(_Open(tag, entity_type, out.units, _byte_offset(text, begin), argument))
    return i


def _html_close_tag(
    text: str,
    i: int,
    begin: int,
    stack: list[_Open],
    entities: list[Entity],
    out: _Builder,
) -> int:
    n = len(text)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
    i += 2
    name_start = i
    while i < n and (text[i].isalpha() or text[i] == "-"):
        i += 1
    tag = text[name_start:i].lower()
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    i += 1
    opened = stack[-1]
    if tag != opened.tag:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
            f'expected "</{opened.tag}>", found "</{tag}>"'
        )
    stack.pop()
    length = out.units - opened.offset
    if length <= 0:
        return i
    entity: Entity = {"type": opened.entity_type, "offset": opened.offset, "length": length}
    if opened.entity_type == "text_link":
        if not opened.argument:
            return i
        user = re.fullmatch(r"tg://user\?id=(\d+)", opened.argument)
        if user:
            entity = {
                "type": "text_mention",
                "offset": opened.offset,
                "length": length,
                "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
            }
        else:
            entity["url"] = opened.argument
    elif opened.entity_type == "custom_emoji":
        if not opened.argument:
            return i
        entity["custom_emoji_id"] = opened.argument
    elif opened.entity_type == "code" and opened.argument:
        if stack and stack[-1].entity_type == "pre" and stack[-1].offset == opened.offset:
            stack[-1].argument = opened.argument
            return i
    elif opened.entity_type == "pre" and opened.argument:
        entity["language"] = opened.argument
    entities.append(entity)
    return i


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2; every reserved character outside an entity must be escaped."""
    out = _Builder([])
    entities: list[Entity] = []
    stack: list[_Open] = []
    n = len(text)
    i = 0
    quote_start: int | None = None
    while i < n:
        c = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if at_line_start and not stack:
            if c == ">":
                if quote_start is None:
                    quote_start = out.units
                i += 1
                continue
            if quote_start is not None:
                _close_quote(entities, quote_start, out.units)
                quote_start = None
        reserved = _MARKDOWN_V2_RESERVED
        if stack and stack[-1].entity_type in ("code", "pre"):
            reserved = "`"
        if c not in reserved:
            out.add(c)
            i += 1
            continue
        top = stack[-1].entity_type if stack else None
        nxt = text[i + 1] if i + 1 < n else ""
        nxt2 = text[i + 2] if i + 2 < n else ""
        is_end = (
            (top == "bold" and c == "*")
            or (top == "italic" and c == "_" and nxt != "_")
            or (top == "underline" and c == "_" and nxt == "_")
            or (top == "code" and c == "`")
            or (top == "pre" and c == "`" and nxt == "`" and nxt2 == "`")
            or (top in ("text_link", "custom_emoji") and c == "]")
            or (top == "strikethrough" and c == "~")
            or (top == "spoiler" and c == "|" and nxt == "|")
        )
        if not is_end:
            byte_offset = _byte_offset(text, i)
            argument = ""
            if c == "_" and nxt == "_":
                entity_type = "underline"
                i += 1
            elif c == "_":
                entity_type = "italic"
            elif c == "*":
                entity_type = "bold"
            elif c == "~":
                entity_type = "strikethrough"
            elif c == "|" and nxt == "|":
                entity_type = "spoiler"
                i += 1
            elif c == "[":
                entity_type = "text_link"
            elif c == "!" and nxt == "[":
                entity_type = "custom_emoji"
                i += 1
            elif c == "`" and nxt == "`" and nxt2 == "`":
                entity_type = "pre"
                i += 3
                line_end = text.find("\n", i)
                if line_end != -1 and " " not in text[i:line_end] and "`" not in text[i:line_end]:
                    argument = text[i:line_end]
                    i = line_end + 1
                stack.append(_Open("```", entity_type, out.units, byte_offset, argument))
                continue
            elif c == "`":
                entity_type = "code"
            else:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append(_Open(c, entity_type, out.units, byte_offset, argument))
            i += 1
            continue
        opened = stack.pop()
        i += 1
        if opened.entity_type in ("underline", "spoiler"):
            i += 1
        elif opened.entity_type == "pre":
            i += 2
        elif opened.entity_type in ("text_link", "custom_emoji"):
            if i < n and text[i] == "(":
                url_start = i + 1
                j = url_start
                url_parts: list[str] = []
                while j < n and text[j] != ")":
                    if text[j] == "\\" and j + 1 < n and 0 < ord(text[j + 1]) <= 126:
                        url_parts.append(text[j + 1])
                        j += 2
                        continue
                    url_parts.append(text[j])
                    j += 1
                if j >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_start)}"
                    )
                opened.argument = "".join(url_parts)
                i = j + 1
            elif opened.entity_type == "custom_emoji":
                raise EntityParseError(
                    f"Custom emoji entity must contain a tg://emoji URL at byte offset "
                    f"{opened.byte_offset}"
                )
        length = out.units - opened.offset
        if length <= 0:
            continue
        entity: Entity = {"type": opened.entity_type, "offset": opened.offset, "length": length}
        if opened.entity_type == "text_link":
            if not opened.argument:
                continue
            entity["url"] = opened.argument
        elif opened.entity_type == "custom_emoji":
            entity["custom_emoji_id"] = opened.argument.removeprefix("tg://emoji?id=")
        elif opened.entity_type == "pre" and opened.argument:
            entity["language"] = opened.argument
        entities.append(entity)
    if stack:
        raise EntityParseError(
            f"Can't find end of the entity starting at byte offset {stack[-1].byte_offset}"
        )
    if quote_start is not None:
        _close_quote(entities, quote_start, out.units)
    return out.text(), entities


def _close_quote(entities: list[Entity], start: int, end: int) -> None:
    if end > start:
        entities.append({"type": "blockquote", "offset": start, "length": end - start})


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, ``` `code` ```, ``[text](url)``)."""
    out = _Builder([])
    entities: list[Entity] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            line_end = text.find("\n", i)
            if line_end != -1 and " " not in text[i:line_end] and "`" not in text[i:line_end]:
                language = text[i:line_end]
                i = line_end + 1
        offset = out.units
        while i < n and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
            out.add(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = out.units - offset
        i += 1
        if is_pre:
            i += 2
        url = ""
        if c == "[" and i < n and text[i] == "(":
            close = text.find(")", i + 1)
            if close != -1:
                url = text[i + 1 : close]
                i = close + 1
        if length <= 0:
            continue
        entity_type = {"_": "italic", "*": "bold", "[": "text_link", "`": "code"}[c]
        if is_pre:
            entity_type = "pre"
        entity: Entity = {"type": entity_type, "offset": offset, "length": length}
        if entity_type == "text_link":
            if not url:
                continue
            entity["url"] = url
        if is_pre and language:
            entity["language"] = language
        entities.append(entity)
    return out.text(), entities


_AUTO_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"(?<![\w@/])https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url", "email", "text_mention"}


def detect_entities(text: str, explicit: list[Entity]) -> list[Entity]:
    """Add the entities Telegram detects by itself; returns all entities sorted like Telegram."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"]) for e in explicit if e["type"] in _NO_AUTO_INSIDE
    ]
    if any(marker in text for marker in ("/", "@", "#", "://")):
        offsets = _utf16_offsets(text)
        for entity_type, pattern in _AUTO_PATTERNS:
            for match in pattern.finditer(text):
                start = offsets(match.start())
                end = offsets(match.end())
                if any(start < b and a < end for a, b in taken):
                    continue
                taken.append((start, end))
                found.append({"type": entity_type, "offset": start, "length": end - start})
    if not found:
        return sort_entities(list(explicit))
    return sort_entities([*explicit, *found])


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _utf16_offsets(text: str) -> Any:
    if text.isascii() or utf16_len(text) == len(text):
        return lambda index: index
    prefix = [0]
    for char in text:
        prefix.append(prefix[-1] + _char_units(char))
    return prefix.__getitem__


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as Telegram does, shifting and clipping entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def format_text(
    text: str,
    parse_mode: str | None,
    entities: list[Entity] | None,
    *,
    strict_ampersand: bool = True,
) -> tuple[str, list[Entity]]:
    """Turn what the bot sent into what the chat shows: (plain text, entities).

    Explicit ``entities`` win over ``parse_mode``, as in the Bot API.
    """
    if entities is not None:
        plain, parsed = text, [dict(e) for e in entities]
    elif parse_mode is None or parse_mode == "":
        plain, parsed = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            plain, parsed = parse_html(text, strict_ampersand=strict_ampersand)
        elif mode == "markdownv2":
            plain, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, parsed = parse_markdown(text)
        else:
            raise UnsupportedParseMode(parse_mode)
    plain, parsed = trim(plain, parsed)
    return plain, detect_entities(plain, parsed)


class UnsupportedParseMode(Exception):
    pass
