"""Limits that keep a hostile upload (zip bomb, XML entities, endless CSV) within fixed memory
and time, checked before the expensive work starts.

Every file reader of the frame and of the investigators' list goes through here, so a limit is
stated once and every refusal says the same thing. The limits are generous for real files:
a frame of 100,000 sites (the benchmarks' largest) is half of ``MAX_LINES``, and its XLSX
inflates to about 70 MB, a third of ``MAX_UNCOMPRESSED_BYTES``.

Why declared sizes are enough for a ZIP: Python's ``zipfile`` (which openpyxl reads through)
never returns more bytes for a member than the central directory declares, and fails on the
CRC when a member would inflate further; so summing the declared sizes bounds what any reader
can ever inflate, and a bomb is refused before a single byte is decompressed.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

from sampling.frame_model import FrameFormatError, FrameTooLargeError

#: Most lines (CSV) or rows (XLSX) read from a file; beyond, the file is refused whole rather
#: than read in part (half a frame would be a wrong sampling frame). Reading holds every site
#: in memory, about 1.3 kB each (measured: 300,000 sites, 400 MB), so this also caps memory;
#: it is twice the benchmarks' largest frame and seventy times France services' network.
MAX_LINES = 200_000
#: Most members in a workbook archive: Excel writes about 10 to 30.
MAX_ARCHIVE_MEMBERS = 1_000
#: Most bytes all members of a workbook archive may inflate to, as declared.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Longest field of a CSV record, in characters: the csv module's own default limit, checked
#: by us as well because that limit is process-wide and a library may raise it (frictionless
#: does, on import).
MAX_FIELD_CHARS = 131_072
#: How far into an XML part a document type declaration may hide (it must precede the root).
_PROLOGUE_BYTES = 4096
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _thousands(count: int) -> str:
    """``500 000`` as French writes it (narrow no-break space)."""
    return f"{count:,}".replace(",", "\u202f")


def _megabytes(count: int) -> str:
    return f"{count / 1_048_576:.0f}"


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, never more than ``max_bytes`` + 1 of them: enough for the size check
    to refuse a file too large, whatever ``stat`` says (a device or a pipe reports 0 bytes and
    may never end, as ``/dev/zero`` does)."""
    with path.open("rb") as stream:
        return stream.read(max_bytes + 1)


def check_line(line: int) -> None:
    """Refuse a file whose physical ``line`` is past the limit (``MAX_LINES``, read at each
    call so that a deployment, or a test, may change it)."""
    max_lines = MAX_LINES
    if line > max_lines:
        raise FrameTooLargeError(
            f"Le fichier compte plus de {_thousands(max_lines)} lignes, la limite d'un import : "
            "découpez-le en plusieurs fichiers (par réseau ou par région) et importez-les "
            "l'un après l'autre."
        )


def field_too_long(
    line: int, header: Sequence[str] | None, fields_before: int, limit: int = MAX_FIELD_CHARS
) -> FrameFormatError:
    """The refusal of a CSV record holding a field longer than ``limit`` characters.

    ``fields_before`` is how many fields of the record were complete before the long one.
    """
    column = fields_before + 1
    name = f" (« {header[column - 1]} »)" if header and column <= len(header) else ""
    return FrameFormatError(
        f"Ligne {line}, colonne {column}{name} : le champ dépasse "
        f"{_thousands(limit)} caractères. Un guillemet ouvert et jamais fermé "
        "en est souvent la cause ; sinon raccourcissez ce champ."
    )


def _as_utf8(prologue: bytes) -> bytes:
    """The prologue in UTF-8, so a declaration written in UTF-16 (which XML allows) shows."""
    if prologue.startswith((b"\xff\xfe", b"\xfe\xff")):
        return prologue.decode("utf-16", errors="ignore").encode("utf-8")
    if prologue[:1] == b"\x00":
        return prologue.decode("utf-16-be", errors="ignore").encode("utf-8")
    if prologue[1:2] == b"\x00":
        return prologue.decode("utf-16-le", errors="ignore").encode("utf-8")
    return prologue


def check_workbook_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose archive could exhaust memory or hides XML entities, before
    anything is inflated: too many members, too many bytes declared, or a DTD in an XML part.

    A nested archive (an embedded object) is never opened by the reader; its declared size
    counts toward the total like any other member.
    """
    members = archive.infolist()
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise FrameTooLargeError(
            f"Le classeur contient {_thousands(len(members))} éléments (au plus "
            f"{_thousands(MAX_ARCHIVE_MEMBERS)}) : ce n'est pas un classeur ordinaire. "
            "Enregistrez-le de nouveau depuis votre tableur ou envoyez un CSV."
        )
    inflated = sum(member.file_size for member in members)
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise FrameTooLargeError(
            f"Le classeur se décompresse en {_megabytes(inflated)} Mo, au-delà de la limite de "
            f"{_megabytes(MAX_UNCOMPRESSED_BYTES)} Mo : découpez-le en plusieurs fichiers ou "
            "envoyez un CSV."
        )
    for member in members:
        if member.filename.lower().endswith(_XML_SUFFIXES):
            with archive.open(member) as part:
                prologue = _as_utf8(part.read(_PROLOGUE_BYTES))
            if b"<!DOCTYPE" in prologue or b"<!ENTITY" in prologue:
                raise FrameFormatError(
                    f"Le classeur contient des déclarations XML interdites (DTD ou entités, dans "
                    f"« {member.filename} ») : un tableur n'en écrit jamais. Enregistrez-le de "
                    "nouveau depuis votre tableur ou envoyez un CSV."
                )
