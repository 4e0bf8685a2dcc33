"""Photos attached to a report by its investigator (DESIGN.md §3.5, §3.11).

Every file is decoded with Pillow, whatever its name or declared type: only a real JPEG, PNG or
WebP image is kept, and what is stored is never the file received but a copy re-encoded from
its pixels, upright, without EXIF, XMP or text chunks (so without the GPS position a phone
writes there). The SHA-256 of the bytes received identifies the photo: the same photo sent
again after a lost connection is recognised and never stored twice.

Stored under ``UPLOAD_FOLDER/photos/<report id>/<sha256>.<ext>``, outside the static folder,
and served only through the API, to the investigator who took it and to staff.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageFile, ImageOps
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from server.models import Mission, Photo, Report, ReportStatus, User
from server.models.types import PLAUSIBLE_MOMENTS
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound
from server.services.mission_plan import site_time_zone
from server.services.missions import STAFF
from server.services.reports import check_writable_mission
from server.services.stored_files import write_atomically

#: Largest picture accepted, in pixels: a 50-megapixel phone camera's. Pillow warns above this
#: and refuses above twice this, *before* decoding anything; both are a 422 here.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
#: Most pixels a file may declare per byte it holds. Deflate inflates at most 1032 times and
#: the densest PNG has 1 bit a pixel, so a whole PNG stays under ~8,300 pixels a byte, a JPEG
#: far below. Above, the data is missing and Pillow pads it: a 107-byte PNG declaring
#: 7000 × 7000 pixels cost 280 MB and 4 s to "decode" (tests/server/hostile/). Only a
#: lossless WebP of one flat colour goes further, and that is no photo.
MAX_PIXELS_PER_BYTE = 10_000
#: A truncated file is refused, never half-decoded (Pillow's default, stated here on purpose).
ImageFile.LOAD_TRUNCATED_IMAGES = False

#: The decoders tried; no other Pillow plugin ever sees an uploaded file.
FORMATS = ("JPEG", "PNG", "WEBP")
#: Pillow format → (format stored, extension, media type).
OUTPUTS = {
    "JPEG": ("JPEG", ".jpg", "image/jpeg"),
    "PNG": ("PNG", ".png", "image/png"),
    "WEBP": ("WEBP", ".webp", "image/webp"),
}
JPEG_QUALITY = 90
#: Reports whose photos may still change.
EDITABLE = frozenset({ReportStatus.DRAFT, ReportStatus.RETURNED})

#: EXIF tags read for ``taken_at`` (the Exif sub-IFD).
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011

NOT_AN_IMAGE = (
    "Le fichier n’est pas une image JPEG, PNG ou WebP lisible (fichier d’un autre type, "
    "abîmé ou incomplet) : reprenez la photo ou renvoyez-la."
)
TOO_LARGE = (
    f"L’image est trop grande : au plus {MAX_PIXELS // 1_000_000} mégapixels. "
    "Réduisez la résolution de l’appareil photo."
)


@dataclass(frozen=True)
class CleanImage:
    """A decoded upload, re-encoded without its metadata."""

    data: bytes
    extension: str
    content_type: str
    width: int
    height: int
    #: When the camera says the picture was taken (EXIF DateTimeOriginal), if it says so.
    exif_taken_at: datetime | None


def clean_image(data: bytes, *, zone: str = "Europe/Paris") -> CleanImage:
    """Decode ``data`` fully and re-encode it upright, without metadata; 422 when it is not a
    whole JPEG, PNG or WebP image, or one too large to decode safely.

    ``zone`` is where an EXIF time without offset was read (the site's time zone).
    """
    if not data:
        raise Invalid("Le fichier est vide.", {"file": ["Vide."]})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # verify() checks the structure (PNG chunk CRCs…) without decoding; it leaves the
            # image unusable, so the file is opened a second time to be decoded for real.
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                _check_size(probe, len(data))
                probe.verify()
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                _check_size(image, len(data))
                image.load()  # every pixel: a truncated file raises here
                source_format = image.format or ""
                taken_at = _exif_taken_at(image, zone)
                upright = ImageOps.exif_transpose(image)
                return _encode(upright, source_format, taken_at)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(TOO_LARGE, {"file": ["Image trop grande."]}) from None
    except Invalid:
        raise
    except Exception as error:
        # UnidentifiedImageError: no decoder knows it; OSError: truncated or broken data;
        # SyntaxError: a broken PNG chunk. A malformed file may trip a decoder in any other
        # way too: it is still the sender's file that is wrong, never a 500.
        raise Invalid(NOT_AN_IMAGE, {"file": ["Ce n’est pas une image."]}) from error


def _check_size(image: Image.Image, file_bytes: int) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise Invalid(NOT_AN_IMAGE, {"file": ["Ce n’est pas une image."]})
    if width * height > MAX_PIXELS:
        raise Invalid(TOO_LARGE, {"file": ["Image trop grande."]})
    if width * height > MAX_PIXELS_PER_BYTE * file_bytes:
        raise Invalid(
            f"L’image annonce {width} × {height} pixels dans un fichier de {file_bytes} octets : "
            "aucune image complète n’est aussi compressée, il lui manque ses données. "
            "Renvoyez la photo d’origine.",
            {"file": ["Image incomplète."]},
        )


def _exif_taken_at(image: Image.Image, zone: str) -> datetime | None:
    """EXIF DateTimeOriginal, with its OffsetTimeOriginal or else in ``zone``; None if absent
    or unreadable (a camera's clock is a hint, never a reason to refuse a photo)."""
    try:
        ifd = image.getexif().get_ifd(_EXIF_IFD)
        raw = ifd.get(_DATE_TIME_ORIGINAL)
        if not isinstance(raw, str):
            return None
        taken = datetime.strptime(raw.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
        offset = ifd.get(_OFFSET_TIME_ORIGINAL)
        if isinstance(offset, str) and offset.strip():
            moment = datetime.fromisoformat(f"{taken.isoformat()}{offset.strip()}")
        else:
            moment = taken.replace(tzinfo=ZoneInfo(zone))
        earliest, latest = PLAUSIBLE_MOMENTS
        return moment if earliest <= moment < latest else None
    except Exception:  # any unreadable EXIF simply gives no time
        return None


def _encode(image: Image.Image, source_format: str, taken_at: datetime | None) -> CleanImage:
    stored_format, extension, content_type = OUTPUTS[source_format]
    # Only what rendering needs survives: the colour profile and (PNG) palette transparency.
    # EXIF (GPS, serial numbers…), XMP, comments and text chunks are all left behind.
    keep = ("icc_profile", "transparency") if stored_format == "PNG" else ("icc_profile",)
    info = {key: image.info[key] for key in keep if image.info.get(key) is not None}
    image.info = {}
    options: dict[str, object] = dict(info)
    if stored_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif stored_format == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        options.update(quality=JPEG_QUALITY)
    buffer = io.BytesIO()
    image.save(buffer, format=stored_format, **options)
    return CleanImage(
        data=buffer.getvalue(),
        extension=extension,
        content_type=content_type,
        width=image.width,
        height=image.height,
        exif_taken_at=taken_at,
    )


def current_report(session: Session, mission: Mission, investigator: User) -> Report:
    """The investigator's latest report of the mission; 409 when there is none yet."""
    report = session.scalars(
        select(Report)
        .where(Report.mission_id == mission.id, Report.investigator_id == investigator.id)
        .order_by(Report.id.desc())
        .limit(1)
    ).first()
    if report is None:
        raise Conflict(
            "Aucun rapport en cours pour cette mission : enregistrez d’abord le questionnaire "
            "(brouillon), puis joignez les photos.",
            {"report": ["Aucun rapport."]},
        )
    return report


def store_photo(
    session: Session,
    mission: Mission,
    data: bytes,
    *,
    folder: Path,
    actor: User,
    filename: str | None = None,
    question_id: str | None = None,
    sha256: str | None = None,
    taken_at: datetime | None = None,
) -> tuple[Photo, bool]:
    """Attach a photo to the actor's current report of ``mission``; returns it and whether it
    was created. The same bytes again for the same report return the stored photo.

    ``sha256`` is what the phone computed: a different hash of the bytes received means the
    upload was corrupted (422).
    """
    if not data:
        raise Invalid("Le fichier est vide.", {"file": ["Vide."]})
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and sha256.lower() != digest:
        raise Invalid(
            "Le fichier reçu ne correspond pas à l’empreinte SHA-256 envoyée : il a été abîmé "
            "en route. Renvoyez la photo.",
            {"sha256": [f"Empreinte du fichier reçu : {digest}."]},
        )
    check_writable_mission(mission, actor)
    report = current_report(session, mission, actor)
    existing = _stored(session, report, digest)
    if existing is not None:
        # A retry of a photo already stored changes nothing, even once the report is sent.
        return existing, False
    if report.status not in EDITABLE:
        raise Conflict(
            f"Le rapport n° {report.id} est « {report.status.value} » : il ne peut plus "
            "recevoir de photos.",
            {"status": [report.status.value]},
        )
    site = mission.sampled_site.site if mission.sampled_site is not None else None
    clean = clean_image(data, zone=site_time_zone(site.department if site else None))
    relative = Path("photos") / str(report.id) / f"{digest}{clean.extension}"
    write_atomically(folder / relative, clean.data)
    photo = Photo(
        report=report,
        question_id=question_id or None,
        filename=_display_name(filename, digest, clean.extension),
        content_type=clean.content_type,
        size_bytes=len(clean.data),
        sha256=digest,
        storage_path=relative.as_posix(),
        taken_at=taken_at or clean.exif_taken_at,
        width=clean.width,
        height=clean.height,
    )
    session.add(photo)
    try:
        session.flush()
    except IntegrityError:
        # The same photo sent twice at once: the other request stored it; a retry gets it.
        raise Conflict(
            "Cette photo vient d’être reçue par une autre requête : renvoyez-la pour "
            "obtenir la photo enregistrée."
        ) from None
    audit.record(
        session,
        "photo.upload",
        actor=actor,
        entity=photo,
        report_id=report.id,
        sha256=digest,
        size=len(data),
        stored_size=len(clean.data),
        question_id=photo.question_id,
    )
    return photo, True


def _stored(session: Session, report: Report, digest: str) -> Photo | None:
    return session.scalars(
        select(Photo).where(Photo.report_id == report.id, Photo.sha256 == digest)
    ).first()


def _display_name(filename: str | None, digest: str, extension: str) -> str:
    stem = Path(secure_filename(filename or "")).stem[:100]
    return f"{stem or digest[:16]}{extension}"


def photo_for(session: Session, photo_id: int, user: User) -> Photo:
    """The photo, if ``user`` may see it: staff, or the investigator of its report (anyone
    else gets 404, as if it did not exist)."""
    photo = session.get(Photo, photo_id)
    if photo is None or (user.role not in STAFF and photo.report.investigator_id != user.id):
        raise NotFound(f"Photo {photo_id} introuvable.")
    return photo


def photo_file(photo: Photo, folder: Path) -> Path:
    """Where the stored copy of ``photo`` is; 404 if the file has gone."""
    path = folder / photo.storage_path
    if not path.is_file():
        raise NotFound(f"Le fichier de la photo {photo.id} est introuvable.")
    return path
