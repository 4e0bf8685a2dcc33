"""Hostile files, built in the tests: small on disk, ruinous for a careless reader.

Nothing here is a mock: each function returns the bytes an attacker would send, and a reader
without the guards really would inflate, expand or decode them.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook
from PIL import Image

FRAME_HEADER = ["site_id", "name", "network", "region"]
_UNIT = 16 * 1024 * 1024  # bytes of filler one deflate unit inflates to
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def frame_workbook(rows: int = 2) -> bytes:
    """A genuine frame workbook (openpyxl), the base every hostile one is built on."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(FRAME_HEADER)
    for number in range(1, rows + 1):
        sheet.append([f"S{number}", f"Site {number}", "Préfecture", "Bretagne"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _deflate(data: bytes, *, final: bool) -> bytes:
    """Raw deflate of ``data``, byte-aligned and self-contained (no reference before it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH
    )


def deflate_bomb(prefix: bytes, filler_bytes: int, suffix: bytes) -> tuple[bytes, int, int]:
    """A raw deflate stream inflating to ``prefix``, ``filler_bytes`` × ``x``, ``suffix``:
    (compressed, CRC-32, inflated size).

    One 16 MB unit is compressed once (with a full flush, so it stands alone) and repeated:
    a gigabyte costs about 1 MB (deflate's best ratio is 1 : 1032) and a few milliseconds.
    """
    units = -(-filler_bytes // _UNIT)
    unit = b"x" * _UNIT
    crc = zlib.crc32(prefix)
    for _ in range(units):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(suffix, crc)
    body = _deflate(prefix, final=False) + _deflate(unit, final=False) * units
    return body + _deflate(suffix, final=True), crc, len(prefix) + units * _UNIT + len(suffix)


def members_of(workbook: bytes) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zip_archive(
    members: dict[str, bytes],
    raw: dict[str, tuple[bytes, int, int]] | None = None,
    *,
    declared: dict[str, int] | None = None,
) -> bytes:
    """A ZIP written field by field: ``members`` deflated here, ``raw`` given already deflated
    as (compressed, CRC-32, size), and ``declared`` sizes overriding the true ones (a liar)."""
    entries = {
        name: (_deflate(data, final=True), zlib.crc32(data), len(data))
        for name, data in members.items()
    }
    entries.update(raw or {})
    out, central = io.BytesIO(), io.BytesIO()
    for name, (compressed, crc, size) in entries.items():
        size = (declared or {}).get(name, size)
        encoded, offset = name.encode(), out.tell()
        out.write(
            _LOCAL.pack(0x04034B50, 20, 0, 8, 0, 0x21, crc, len(compressed), size, len(encoded), 0)
        )
        out.write(encoded + compressed)
        central.write(
            _CENTRAL.pack(
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(compressed),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    out.write(central.getvalue())
    out.write(
        _END.pack(0x06054B50, 0, 0, len(entries), len(entries), len(central.getvalue()), start, 0)
    )
    return out.getvalue()


@functools.cache
def sheet_bomb(filler_bytes: int) -> bytes:
    """A frame workbook whose cell B2 (the first site's name) holds ``filler_bytes``
    characters: the XML parser gathers a cell's text whole, so an unguarded read needs that
    much memory and more (a Python string of it, then the cell's copy)."""
    members = members_of(frame_workbook())
    sheet = members.pop("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"Site 1</t>")
    bomb = deflate_bomb(head, filler_bytes, b"</t>" + tail)
    return zip_archive(members, {"xl/worksheets/sheet1.xml": bomb})


def xml_bomb_workbook(document: bytes, part: str = "xl/sharedStrings.xml") -> bytes:
    """A frame workbook whose ``part`` is replaced by ``document`` (entities, DTD…)."""
    members = members_of(frame_workbook())
    members[part] = document
    return zip_archive(members)


def billion_laughs(levels: int = 10, padding: int = 0) -> bytes:
    """The classic entity bomb: ten levels of ten references inflate to 10¹⁰ « lol »; the
    ``padding`` (a comment) pushes the DTD past a reader's first look."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, levels)
    ]
    comment = f"<!--{' ' * padding}-->" if padding else ""
    return (
        f'<?xml version="1.0"?>{comment}<!DOCTYPE sst [{"".join(entities)}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1"><si><t>&lol{levels - 1};</t></si></sst>'
    ).encode()


def external_entity(target: Path) -> bytes:
    """An XXE: an entity that would read ``target`` from the server's disk into a cell."""
    return (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY leak SYSTEM "file://{target}">]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&leak;</t></si></sst>'
    ).encode()


def csv_lines(path: Path, lines: int) -> Path:
    """A frame CSV of ``lines`` lines (header included), written in a stream to ``path``."""

    def rows() -> Iterator[str]:
        yield ";".join(FRAME_HEADER) + "\n"
        for number in range(1, lines):
            yield f"S{number};n;r;g\n"

    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.writelines(rows())
    return path


def csv_long_field(characters: int) -> bytes:
    """A frame CSV whose line 3, column 2 (``name``) holds ``characters`` characters."""
    long_name = "a" * characters
    return f'{";".join(FRAME_HEADER)}\nS1;Court;r;g\nS2;"{long_name}";r;g\nS3;Court;r;g\n'.encode()


def png_header_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` RGBA pixels (10 GB decoded), with
    one row of real data: a reader that decodes before it checks the size is lost."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\x00" * (width * 4), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def jpeg_pdf_polyglot(picture: Image.Image) -> bytes:
    """A JPEG with a PDF in a comment segment right after SOI: image viewers show the picture,
    PDF readers (which look for ``%PDF`` in the first kilobyte) open the document."""
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    jpeg = buffer.getvalue()
    comment = b"\xff\xfe" + struct.pack(">H", len(MINIMAL_PDF) + 2) + MINIMAL_PDF
    return jpeg[:2] + comment + jpeg[2:]


def pdf_jpeg_polyglot(picture: Image.Image) -> bytes:
    """A PDF carrying a whole JPEG after its header: the reverse polyglot."""
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return MINIMAL_PDF[:9] + b"%" + buffer.getvalue() + b"\n" + MINIMAL_PDF[9:]
