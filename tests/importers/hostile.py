"""Hostile files, made small and fast: shared by tests/cli/test_hostile_cli.py and
benchmarks/bench_hostile.py."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from tests.conftest import SMOLENSK_DOCX

ROADMAP_CSV = "№;Мероприятие;Срок;Ответственные\n"


def roadmap_csv(path: Path, rows: int, encoding: str = "utf-8") -> Path:
    lines = [ROADMAP_CSV] + [
        f"{n};Провести совещание № {n};до 28.04.2023;Отдел образования\n"
        for n in range(1, rows + 1)
    ]
    path.write_bytes("".join(lines).encode(encoding, errors="replace"))
    return path


def _replace_part(source: Path, target: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, data if info.filename == name else old.read(info))
    return target


def docx_bomb_forged(path: Path) -> Path:
    """A Word file whose document.xml says it inflates to 4 GB (its central directory lies)."""
    _replace_part(SMOLENSK_DOCX, path, "word/document.xml", b"<w:document/>" + b" " * 100_000)
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_length] == b"word/document.xml":
            struct.pack_into("<I", data, at + 24, 4_000_000_000)
            break
        at = data.rfind(b"PK\x01\x02", 0, at)
    path.write_bytes(bytes(data))
    return path


def docx_bomb_ratio(path: Path, megabytes: int = 64) -> Path:
    """A Word file with a part of zeros compressed 1000 : 1 (a 2 MB one inflates to 2 GB)."""
    _replace_part(SMOLENSK_DOCX, path, "word/document.xml", _read(SMOLENSK_DOCX))
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/image1.png", "w", force_zip64=True) as part,
    ):
        chunk = bytes(2**20)
        for _ in range(megabytes):
            part.write(chunk)
    return path


def _read(docx: Path) -> bytes:
    with zipfile.ZipFile(docx) as archive:
        return archive.read("word/document.xml")


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>\n"
)
XXE = '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def docx_with_doctype(path: Path, doctype: str = LAUGHS) -> Path:
    xml = _read(SMOLENSK_DOCX)
    body = xml[xml.index(b"?>") + 2 :] if xml.startswith(b"<?xml") else xml
    return _replace_part(SMOLENSK_DOCX, path, "word/document.xml", doctype.encode() + body)


def xlsx_rows(
    path: Path, rows: int, header: tuple[str, ...] = ("№", "Мероприятие", "Срок")
) -> Path:
    """A workbook of `rows` rows under `header`, its sheet XML written directly (fast)."""

    def cell(column: int, row: int, text: str) -> str:
        return f'<c r="{"ABCDEFG"[column]}{row}" t="inlineStr"><is><t>{text}</t></is></c>'

    lines = ['<row r="1">' + "".join(cell(i, 1, h) for i, h in enumerate(header)) + "</row>"]
    lines += [
        f'<row r="{n}">{cell(0, n, str(n - 1))}{cell(1, n, f"Задача {n}")}'
        f"{cell(2, n, '01.05.2023')}</row>"
        for n in range(2, rows + 2)
    ]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData>" + "".join(lines) + "</sheetData></worksheet>"
    )
    return _workbook(path, sheet)


def xlsx_with_doctype(path: Path, doctype: str) -> Path:
    sheet = (
        doctype + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return _workbook(path, sheet)


def _workbook(path: Path, sheet: str) -> Path:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
            '.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


YAML_ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "title: *i\n"
)
YAML_DEEP = "title: " + "[" * 100_000 + "]" * 100_000 + "\n"


def orgs_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write("name,kind\n")
        file.writelines(f"Школа № {n},school\n" for n in range(rows))
    return path


def orgs_chain(path: Path, levels: int) -> Path:
    lines = ["name,kind,parent", "Орган 0,authority,"]
    lines += [f"Орган {i},authority,Орган {i - 1}" for i in range(1, levels)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def mixed_encoding_csv(path: Path) -> Path:
    good = roadmap_csv(path, 3, "cp1251").read_bytes()
    path.write_bytes(good + "4;Ещё одно совещание;до 28.04.2023;Школы\n".encode())
    return path
