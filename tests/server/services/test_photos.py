"""Report photos: every file decoded, every stored copy re-encoded without location metadata,
the same photo never stored twice. Real files, made with Pillow (or byte by byte for the
PNG bomb, which Pillow would have to allocate in full to write)."""

from __future__ import annotations

import hashlib
import io
import json
import random
import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Mission, Photo, Report, ReportStatus, User
from server.services import mission_lifecycle, photos
from server.services.errors import Conflict, Invalid, NotFound
from tests.factories import Factory

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112

# --- files ------------------------------------------------------------------------------------


def noisy(size: tuple[int, int] = (96, 64), seed: int = 1) -> Image.Image:
    """An RGB picture of random pixels (no two seeds alike, and nothing compresses away)."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def gps_exif(orientation: int = 1, taken: str | None = "2026:03:05 10:15:00") -> Image.Exif:
    """EXIF as a phone writes it: where (GPS IFD), when (DateTimeOriginal), which way up."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 6.0, 36.0)
    gps[3] = "W"
    gps[4] = (1.0, 40.0, 48.0)
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[0x9003] = taken
    return exif


def jpeg_bytes(
    image: Image.Image | None = None, *, exif: Image.Exif | None = None, seed: int = 1
) -> bytes:
    buffer = io.BytesIO()
    (image or noisy(seed=seed)).save(buffer, "JPEG", quality=85, exif=exif or b"")
    return buffer.getvalue()


def png_bytes(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of ``width`` × ``height`` black pixels, a few KB long. Written chunk by
    chunk so that making it never holds the picture in memory."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# --- decoding and cleaning ------------------------------------------------------------------


def test_gps_and_all_exif_are_dropped_and_the_picture_stays_upright() -> None:
    # Orientation 6: the sensor's landscape picture is to be shown turned 90° clockwise.
    sensor = noisy((96, 64))
    data = jpeg_bytes(sensor, exif=gps_exif(orientation=6))
    assert reopen(data).getexif().get_ifd(GPS_IFD)  # the upload does carry a position
    clean = photos.clean_image(data)
    stored = reopen(clean.data)
    assert stored.format == "JPEG"
    assert clean.content_type == "image/jpeg"
    exif = stored.getexif()
    assert GPS_IFD not in exif
    assert not exif.get_ifd(GPS_IFD)
    assert len(exif) == 0  # no maker, no orientation (already applied), nothing
    assert "exif" not in stored.info
    assert "xmp" not in stored.info
    assert b"PhoneMaker" not in clean.data
    assert (clean.width, clean.height) == (64, 96) == stored.size  # turned upright
    assert clean.exif_taken_at == datetime(2026, 3, 5, 9, 15, tzinfo=UTC)  # Paris, winter


def test_exif_time_with_its_offset_and_in_the_site_zone() -> None:
    exif = gps_exif()
    exif.get_ifd(EXIF_IFD)[0x9011] = "-04:00"
    assert photos.clean_image(jpeg_bytes(exif=exif)).exif_taken_at == datetime(
        2026, 3, 5, 14, 15, tzinfo=UTC
    )
    reunion = photos.clean_image(jpeg_bytes(exif=gps_exif()), zone="Indian/Reunion")
    assert reunion.exif_taken_at == datetime(2026, 3, 5, 6, 15, tzinfo=UTC)
    assert photos.clean_image(jpeg_bytes(exif=gps_exif(taken=None))).exif_taken_at is None
    assert photos.clean_image(jpeg_bytes(exif=gps_exif(taken="garbage"))).exif_taken_at is None


def test_png_is_stored_as_png_without_exif_or_text_but_with_its_transparency() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "48.11N 1.68W chez moi")
    palette = noisy((40, 30)).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    data = png_bytes(palette, exif=gps_exif(), pnginfo=text, transparency=0)
    assert reopen(data).getexif().get_ifd(GPS_IFD)
    clean = photos.clean_image(data)
    stored = reopen(clean.data)
    assert stored.format == "PNG"
    assert clean.content_type == "image/png"
    assert not stored.getexif()
    assert b"chez moi" not in clean.data
    assert b"eXIf" not in clean.data
    assert stored.info.get("transparency") == 0
    assert stored.size == (40, 30)


def test_webp_is_decoded_and_stored_clean() -> None:
    buffer = io.BytesIO()
    noisy((50, 40)).save(buffer, "WEBP", exif=gps_exif().tobytes())
    clean = photos.clean_image(buffer.getvalue())
    stored = reopen(clean.data)
    assert stored.format == "WEBP"
    assert clean.content_type == "image/webp"
    assert not stored.getexif()
    assert b"PhoneMaker" not in clean.data


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(MINIMAL_PDF, id="pdf"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", id="gif"),
        pytest.param(b"\xff\xd8\xff\xe0 not really a jpeg", id="jpeg-signature-only"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        # A PDF whose body carries a whole JPEG: no decoder of ours starts with %PDF.
        pytest.param(MINIMAL_PDF + jpeg_bytes(), id="pdf-then-jpeg"),
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_image_is_refused(data: bytes) -> None:
    with pytest.raises(Invalid, match="n’est pas une image"):
        photos.clean_image(data)


def test_a_jpeg_with_a_pdf_appended_is_accepted_but_only_its_pixels_are_kept() -> None:
    # The JPEG decoder stops at the end-of-image marker, so this file *is* a whole picture
    # (phones append things there too: Samsung and Google "motion photos" append a video).
    # Refusing it would refuse real photos; what is stored is re-encoded from the pixels, so
    # the PDF never reaches the disk.
    picture = jpeg_bytes()
    polyglot = picture + MINIMAL_PDF
    clean = photos.clean_image(polyglot)
    assert b"%PDF" not in clean.data
    assert clean.data != picture
    assert clean.data.startswith(b"\xff\xd8\xff")
    assert clean.data.endswith(b"\xff\xd9")
    assert reopen(clean.data).size == (96, 64)


def test_a_truncated_jpeg_or_png_is_refused() -> None:
    picture = jpeg_bytes()
    with pytest.raises(Invalid, match="n’est pas une image"):
        photos.clean_image(picture[: len(picture) // 2])
    png = png_bytes(noisy())
    with pytest.raises(Invalid, match="n’est pas une image"):
        photos.clean_image(png[: len(png) - 200])


def test_a_png_whose_checksum_is_wrong_is_refused() -> None:
    png = bytearray(png_bytes(noisy()))
    png[60] ^= 0xFF  # inside the first IDAT chunk
    with pytest.raises(Invalid, match="n’est pas une image"):
        photos.clean_image(bytes(png))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(Invalid, match="vide"):
        photos.clean_image(b"")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(20_000, 20_000, id="400-megapixels-pillow-error"),
        pytest.param(8_000, 8_000, id="64-megapixels-pillow-warning"),
    ],
)
def test_a_png_decompression_bomb_is_refused_at_once(
    width: int, height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = png_bomb(width, height)
    assert len(bomb) < 100_000
    with monkeypatch.context() as patch:  # it is a real PNG of that size
        patch.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(io.BytesIO(bomb)) as header_only:
            assert header_only.size == (width, height)
    with pytest.raises(Invalid, match="image est trop grande"):  # before decoding: see hostile/
        photos.clean_image(bomb)


def test_refusing_a_bomb_takes_little_memory(tmp_path: Path) -> None:
    """Measured in a fresh process, whose peak memory is its own: the 400-megapixel bomb
    (50 MB as 1-bit pixels, 1.2 GB as RGB) is refused before any pixel is decoded."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb())
    script = f"""
import json, resource
from pathlib import Path
from server.services import photos
from server.services.errors import Invalid
data = Path({str(bomb)!r}).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    photos.clean_image(data)
    refused = False
except Invalid:
    refused = True
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"refused": refused, "grown_kb": after - before}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["refused"]
    assert outcome["grown_kb"] < 10_000  # under 10 MB (Linux reports kilobytes)


# --- storing ------------------------------------------------------------------------------


@pytest.fixture
def drafted(factory: Factory) -> tuple[Mission, User, Report]:
    mission, investigator = factory.assigned_mission("visit")
    report = factory.report(mission, investigator)
    return mission, investigator, report


def test_a_photo_is_stored_clean_under_its_report_and_audited(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, report = drafted
    data = jpeg_bytes(exif=gps_exif(orientation=6))
    digest = hashlib.sha256(data).hexdigest()
    photo, created = photos.store_photo(
        db.session,
        mission,
        data,
        folder=tmp_path,
        actor=investigator,
        filename="../../IMG_0001.JPG",
        question_id="q_waiting_area",
        sha256=digest.upper(),
    )
    assert created
    assert photo.report_id == report.id
    assert photo.sha256 == digest
    assert photo.storage_path == f"photos/{report.id}/{digest}.jpg"
    assert photo.filename == "IMG_0001.jpg"
    assert photo.question_id == "q_waiting_area"
    assert (photo.width, photo.height) == (64, 96)
    assert photo.taken_at == datetime(2026, 3, 5, 9, 15, tzinfo=UTC)  # from EXIF
    stored = (tmp_path / photo.storage_path).read_bytes()
    assert photo.size_bytes == len(stored)
    assert stored != data
    assert not reopen(stored).getexif()
    assert list((tmp_path / "photos" / str(report.id)).iterdir()) == [tmp_path / photo.storage_path]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "photo.upload")).one()
    assert event.actor_id == investigator.id
    assert event.details["report_id"] == report.id
    assert event.details["sha256"] == digest
    assert event.details["size"] == len(data)


def test_the_form_time_wins_over_exif(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, _ = drafted
    taken = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    photo, _ = photos.store_photo(
        db.session,
        mission,
        jpeg_bytes(exif=gps_exif()),
        folder=tmp_path,
        actor=investigator,
        taken_at=taken,
    )
    assert photo.taken_at == taken


def test_the_same_photo_again_is_the_stored_one_and_a_different_one_is_new(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, report = drafted
    data = jpeg_bytes(seed=1)
    first, created = photos.store_photo(
        db.session, mission, data, folder=tmp_path, actor=investigator
    )
    again, created_again = photos.store_photo(
        db.session, mission, data, folder=tmp_path, actor=investigator
    )
    assert created
    assert not created_again
    assert again.id == first.id
    other, created_other = photos.store_photo(
        db.session, mission, jpeg_bytes(seed=2), folder=tmp_path, actor=investigator
    )
    assert created_other
    assert other.id != first.id
    count = db.session.scalar(select(func.count()).where(Photo.report_id == report.id))
    assert count == 2
    uploads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "photo.upload"))
    assert len(uploads.all()) == 2


def test_a_hash_that_does_not_match_the_bytes_is_a_corrupted_upload(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, _ = drafted
    data = jpeg_bytes()
    with pytest.raises(Invalid, match="empreinte") as refused:
        photos.store_photo(
            db.session,
            mission,
            data,
            folder=tmp_path,
            actor=investigator,
            sha256=hashlib.sha256(data + b"x").hexdigest(),
        )
    assert hashlib.sha256(data).hexdigest() in refused.value.errors["sha256"][0]
    assert not (tmp_path / "photos").exists()


def test_no_report_or_a_read_only_one_is_a_conflict(
    factory: Factory, drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, report = drafted
    stranger = factory.investigator()
    with pytest.raises(NotFound):  # not their mission: as if it did not exist
        photos.store_photo(db.session, mission, jpeg_bytes(), folder=tmp_path, actor=stranger)
    sent = jpeg_bytes(seed=1)
    photos.store_photo(db.session, mission, sent, folder=tmp_path, actor=investigator)
    for status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED, ReportStatus.REJECTED):
        report.status = status
        with pytest.raises(Conflict, match="ne peut plus"):
            photos.store_photo(
                db.session, mission, jpeg_bytes(seed=9), folder=tmp_path, actor=investigator
            )
        # A retry of a photo stored before the report was sent is still its success.
        _, created = photos.store_photo(
            db.session, mission, sent, folder=tmp_path, actor=investigator
        )
        assert not created
    report.status = ReportStatus.RETURNED
    _, created = photos.store_photo(
        db.session, mission, jpeg_bytes(seed=9), folder=tmp_path, actor=investigator
    )
    assert created


def test_refused_files_leave_nothing_behind(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, _ = drafted
    for data in (MINIMAL_PDF, png_bomb(), jpeg_bytes()[:500]):
        with pytest.raises(Invalid):
            photos.store_photo(db.session, mission, data, folder=tmp_path, actor=investigator)
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert not (tmp_path / "photos").exists()


def test_a_closed_wave_or_a_cancelled_mission_takes_no_photo(
    drafted: tuple[Mission, User, Report], tmp_path: Path
) -> None:
    mission, investigator, _ = drafted
    mission_lifecycle.cancel(db.session, mission, actor=None, reason="site fermé")
    with pytest.raises(Conflict, match="ne reçoit plus de rapport"):
        photos.store_photo(db.session, mission, jpeg_bytes(), folder=tmp_path, actor=investigator)
