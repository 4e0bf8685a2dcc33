"""Scans of the replies sites send to letter (and email) tests: stored outside the static
folder, recognised by their content (PDF, JPEG or PNG), never by their name.

A scanned image is decoded and re-encoded like a photo (``photos.clean_image``): a
decompression bomb is refused before its pixels are decoded, and a file that is both a JPEG
and something else (a PDF hidden in a comment segment) is stored as the image alone, without
its metadata. A PDF cannot be cleaned that way: it is kept as received and always served as
a download, with its true type and ``nosniff`` (see the routes)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from server.models import Mission, User
from server.services import audit
from server.services.errors import Conflict, Invalid
from server.services.photos import MAX_PIXELS, TOO_LARGE, clean_image
from server.services.stored_files import write_atomically

#: File signatures accepted, and the extension the stored copy gets.
SIGNATURES = {b"%PDF-": ".pdf", b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}
MEDIA_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}


def _extension(data: bytes) -> str:
    for signature, extension in SIGNATURES.items():
        if data.startswith(signature):
            return extension
    raise Invalid(
        "Le fichier n’est ni un PDF, ni une image JPEG ou PNG : numérisez la réponse dans "
        "l’un de ces formats.",
        {"file": ["Format non reconnu."]},
    )


def _clean_scan(data: bytes) -> bytes:
    """The scanned image re-encoded from its pixels; 422 in the scan's words otherwise."""
    try:
        return clean_image(data).data
    except Invalid as error:
        if error.message == TOO_LARGE:
            raise Invalid(
                f"La numérisation est trop grande : au plus {MAX_PIXELS // 1_000_000} "
                "mégapixels. Numérisez la réponse à 300 points par pouce au plus.",
                {"file": ["Image trop grande."]},
            ) from None
        raise Invalid(
            "Le fichier se présente comme une image JPEG ou PNG mais ne se lit pas comme "
            "telle (abîmé, incomplet ou d’un autre type) : numérisez de nouveau la réponse.",
            {"file": ["Image illisible."]},
        ) from None


def store_reply_scan(
    session: Session, mission: Mission, data: bytes, *, folder: Path, actor: User
) -> Mission:
    """Attach a scan to a recorded reply; the same file again changes nothing."""
    if mission.reply_received_at is None:
        raise Conflict(
            "Enregistrez d’abord la réponse (date de réception), puis joignez sa numérisation.",
            {"received_at": ["Réponse non enregistrée."]},
        )
    if not data:
        raise Invalid("Le fichier est vide.", {"file": ["Vide."]})
    extension = _extension(data)
    digest = hashlib.sha256(data).hexdigest()
    stored = data if extension == ".pdf" else _clean_scan(data)
    relative = Path("replies") / f"mission-{mission.id}-{digest[:16]}{extension}"
    if mission.reply_scan_path == str(relative):
        return mission
    write_atomically(folder / relative, stored)
    before = mission.reply_scan_path
    mission.reply_scan_path = str(relative)
    audit.record(
        session,
        "mission.reply_scan",
        actor=actor,
        entity=mission,
        before=before,
        after=mission.reply_scan_path,
        sha256=digest,
        size=len(data),
        stored_size=len(stored),
    )
    return mission


def scan_file(mission: Mission, folder: Path) -> tuple[Path, str] | None:
    """The stored scan of a mission's reply and its media type, if there is one."""
    if not mission.reply_scan_path:
        return None
    path = folder / mission.reply_scan_path
    if not path.is_file():
        return None
    return path, MEDIA_TYPES.get(path.suffix, "application/octet-stream")
