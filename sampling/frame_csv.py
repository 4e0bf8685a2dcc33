"""Reading the text of CSV frame files: encoding, separator and records with physical lines."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator

import charset_normalizer

from sampling import file_guards
from sampling.frame_model import FrameFormatError

DELIMITERS = (";", ",", "\t")
_SNIFF_BYTES = 64 * 1024


def decode(data: bytes) -> tuple[str, str]:
    """Decode the file and name the encoding used.

    Strict UTF-8 first (with or without BOM), since it almost never decodes text written in
    another encoding; then charset-normalizer judges whether the bytes are text in Windows-1252
    or Latin-1 at all, and Windows-1252 is preferred whenever it decodes, because it is what
    French Excel writes and it differs from Latin-1 only on characters such as ’ € œ.
    UTF-16 with a BOM (Excel's "texte Unicode") is accepted as a convenience.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data, "utf-8-sig"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if data.count(b"\x00") * 10 > len(data):
        raise FrameFormatError(
            "Le fichier contient de nombreux octets nuls : il semble encodé en UTF-16 sans "
            "marque d'ordre (BOM). Enregistrez-le en « CSV UTF-8 »."
        )
    best = charset_normalizer.from_bytes(data, cp_isolation=["cp1252", "latin_1"]).best()
    if best is None:
        raise FrameFormatError(
            "Impossible de lire le fichier : ce n'est pas du texte dans un encodage reconnu "
            "(UTF-8, Windows-1252 ou Latin-1)."
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise FrameFormatError(
            f"Le fichier annonce l'encodage {encoding.upper()} mais contient des octets "
            f"invalides (position {error.start})."
        ) from None


def _count_outside_quotes(line: str) -> dict[str, int]:
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return counts


def _first_line(text: str) -> str:
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return line
    return ""


def detect_delimiter(text: str) -> str:
    """Choose `;`, `,` or tab.

    csv.Sniffer (restricted to those three) is asked first, but its answer is kept only if the
    header line holds that separator, outside quotes, at least as often as any other: decimal
    commas in every data row can fool the sniffer, never the header. Otherwise the separator
    most frequent in the header wins (ties in the order `;`, `,`, tab).
    """
    counts = _count_outside_quotes(_first_line(text))
    best = max(DELIMITERS, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters="".join(DELIMITERS))
        candidate = sniffed.delimiter
    except csv.Error:
        candidate = best
    if counts.get(candidate, 0) > 0 and counts[candidate] == counts[best]:
        return candidate
    return best if counts[best] > 0 else ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, fields) for each non-blank record.

    Lines are physical: the reader is fed line by line (only CR, LF and CRLF end a line, unlike
    str.splitlines), so `line_num` counts each line of a quoted field spanning several. A record
    whose fields are all blank (an empty line, or `;;;` as Excel writes) is skipped.
    """
    reader = csv.reader(
        io.StringIO(text.removeprefix("\ufeff"), newline=""),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=False,
    )
    file_guards.check_line(physical_lines(text))
    end_of_previous = 0
    header: list[str] | None = None
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = end_of_previous + 1
            if "field larger than field limit" in str(error):
                limit = csv.field_size_limit()
                before = _fields_before_long_one(text, line, delimiter, limit)
                raise file_guards.field_too_long(line, header, before, limit) from None
            raise FrameFormatError(
                f"Ligne {line} illisible ({error}) : un guillemet ouvert n'est "
                "sans doute jamais fermé."
            ) from None
        start = end_of_previous + 1
        end_of_previous = reader.line_num
        long_field = next(
            (i for i, f in enumerate(fields) if len(f) > file_guards.MAX_FIELD_CHARS), None
        )
        if long_field is not None:
            raise file_guards.field_too_long(start, header, long_field)
        if any(field.strip() for field in fields):
            header = fields if header is None else header
            yield start, fields


def physical_lines(text: str) -> int:
    """How many lines the text has, ended by CR, LF or CRLF as the reader counts them: known
    before any parsing, so an endless file is refused at no cost."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (0 if text.endswith(("\n", "\r")) or not text else 1)


def _fields_before_long_one(text: str, line: int, delimiter: str, limit: int) -> int:
    """How many fields of the record starting at physical ``line`` end before the first one
    longer than ``limit`` (the csv module's, which refused it): the column to name.

    Run only once a record has been refused, so the file is scanned again from its start.
    """
    body = text.removeprefix("\ufeff")
    offset = 0
    for number, physical in enumerate(io.StringIO(body, newline=""), 1):
        if number == line:
            break
        offset += len(physical)
    fields, length, quoted = 0, 0, False
    for char in itertools.islice(body, offset, None):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == delimiter:
            fields, length = fields + 1, 0
            continue
        length += 1
        if length > limit:
            return fields
    return fields
