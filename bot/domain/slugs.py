"""Short Latin names for roadmaps, so `--roadmap 319-od-2023` can be typed on any keyboard."""

from __future__ import annotations

import re

from bot.domain.model import Roadmap

# fmt: off
_LATIN = (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r",
    "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "_", "y", "_", "e", "iu", "ia",
)
# fmt: on
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, limit: int = 60) -> str:
    latin = "".join(_CYRILLIC.get(char, char) for char in text.casefold()).replace("_", "")
    return _NOT_SLUG.sub("-", latin).strip("-")[:limit].rstrip("-")


def roadmap_slug(roadmap: Roadmap) -> str:
    """`319-od-2023` from the order's number and year; else the first words of the title."""
    if roadmap.document_number:
        year = f" {roadmap.document_date.year}" if roadmap.document_date else ""
        slug = slugify(roadmap.document_number + year)
    else:
        slug = slugify(" ".join(roadmap.title.split()[:6]))
    return slug or "roadmap"
