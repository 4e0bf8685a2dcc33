"""Hostile pictures through the real upload paths: a decompression bomb, PDF/JPEG polyglots and
a position hidden in EXIF or XMP, as a report photo and as the scan of a reply."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, PngImagePlugin

from server.extensions import db
from server.models import Mission, Photo, Report, User
from server.services import replies
from tests.conftest import PASSWORD
from tests.factories import Factory
from tests.server.hostile import files
from tests.server.hostile.conftest import Login, count, page_text, post_file
from tests.server.services.test_photos import GPS_IFD, gps_exif, noisy

#: An XMP packet with the position, as phones and editors write it.
XMP_WITH_POSITION = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="48,6.6N" exif:GPSLongitude="1,40.8W"/></rdf:RDF></x:xmpmeta>'
)


def _token(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def _stored_files(app: Flask, folder: str) -> set[Path]:
    """The files under the upload folder's ``folder`` (shared by the session's tests: each
    test compares what it finds before and after)."""
    root = Path(app.config["UPLOAD_FOLDER"]) / folder
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@dataclass
class Visit:
    mission: Mission
    report: Report
    headers: dict[str, str]


@pytest.fixture
def visit(client: FlaskClient, factory: Factory) -> Visit:
    """A visit with a draft report whose position the investigator declared."""
    mission, investigator = factory.assigned_mission("visit")
    report = factory.report(
        mission, investigator, latitude=47.2184, longitude=-1.5536, position_accuracy_m=12.0
    )
    db.session.commit()
    return Visit(mission, report, _token(client, investigator))


def _photo_url(visit: Visit) -> str:
    return f"/api/v1/missions/{visit.mission.id}/report/photos"


def test_a_png_declaring_50000_by_50000_pixels_is_refused_as_a_photo(
    app: Flask, client: FlaskClient, visit: Visit
) -> None:
    bomb = files.png_header_bomb()
    assert len(bomb) < 300_000
    before = _stored_files(app, "photos")
    response = post_file(client, _photo_url(visit), bomb, "photo.png", visit.headers)
    assert response.status_code == 422, response.json
    assert response.json["message"].startswith("L’image est trop grande : au plus 50 mégapixels.")
    assert count(app, Photo) == 0
    assert _stored_files(app, "photos") == before


def test_a_jpeg_pdf_polyglot_photo_is_stored_as_a_re_encoded_image_only(
    app: Flask, client: FlaskClient, visit: Visit
) -> None:
    polyglot = files.jpeg_pdf_polyglot(noisy(seed=7))
    assert b"%PDF-1.4" in polyglot[:1024]  # what a PDF reader looks for
    before = _stored_files(app, "photos")
    response = post_file(client, _photo_url(visit), polyglot, "photo.jpg", visit.headers)
    assert response.status_code == 201, response.json
    (stored,) = _stored_files(app, "photos") - before
    kept = stored.read_bytes()
    assert b"%PDF" not in kept
    assert kept != polyglot
    assert Image.open(io.BytesIO(kept)).format == "JPEG"


@pytest.mark.parametrize("kind", ["PNG", "WEBP", "JPEG"])
def test_a_photo_with_gps_in_exif_and_xmp_is_stored_without_it_and_the_declared_position_kept(
    app: Flask, client: FlaskClient, visit: Visit, kind: str
) -> None:
    buffer = io.BytesIO()
    if kind == "PNG":  # Pillow writes a PNG's XMP as the iTXt chunk Adobe defines
        text = PngImagePlugin.PngInfo()
        text.add_itxt("XML:com.adobe.xmp", XMP_WITH_POSITION.decode())
        noisy(seed=11).save(buffer, kind, exif=gps_exif(), pnginfo=text)
    else:
        noisy(seed=11).save(buffer, kind, exif=gps_exif(), xmp=XMP_WITH_POSITION)
    sent = buffer.getvalue()
    before = _stored_files(app, "photos")
    with Image.open(io.BytesIO(sent)) as original:  # the file really carries both
        assert original.getexif().get_ifd(GPS_IFD)
        assert b"GPSLatitude" in sent
    response = post_file(client, _photo_url(visit), sent, f"photo.{kind.lower()}", visit.headers)
    assert response.status_code == 201, response.json
    (stored,) = _stored_files(app, "photos") - before
    kept = stored.read_bytes()
    assert b"GPSLatitude" not in kept
    assert b"xmpmeta" not in kept
    with Image.open(io.BytesIO(kept)) as picture:
        assert picture.format == kind
        assert not picture.getexif().get_ifd(GPS_IFD)
        assert GPS_IFD not in picture.getexif()
        assert "xmp" not in picture.info
    db.session.expire_all()
    report = db.session.get(Report, visit.report.id)
    assert (report.latitude, report.longitude, report.position_accuracy_m) == (
        47.2184,
        -1.5536,
        12.0,
    )


# --- reply scans --------------------------------------------------------------------------


@pytest.fixture
def letter(client: FlaskClient, factory: Factory) -> tuple[Mission, dict[str, str]]:
    """An email test whose reply has been recorded: it may now receive its scan."""
    mission, investigator = factory.assigned_mission("email", department="57")
    now = datetime.now(UTC)
    replies.record_request_sent(db.session, mission, now - timedelta(days=3), actor=investigator)
    replies.record_reply(
        db.session, mission, received_at=now - timedelta(days=1), text=None, actor=investigator
    )
    db.session.commit()
    return mission, _token(client, investigator)


def _scan_url(mission: Mission) -> str:
    return f"/api/v1/missions/{mission.id}/reply/scan"


def _scan_path(mission_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(Mission, mission_id).reply_scan_path


def test_a_png_bomb_as_a_reply_scan_is_refused_and_nothing_kept(
    app: Flask, client: FlaskClient, letter: tuple[Mission, dict[str, str]]
) -> None:
    mission, headers = letter
    before = _stored_files(app, "replies")
    response = post_file(client, _scan_url(mission), files.png_header_bomb(), "scan.png", headers)
    assert response.status_code == 422, response.json
    assert response.json["message"].startswith("La numérisation est trop grande : au plus 50")
    assert _scan_path(mission.id) is None
    assert _stored_files(app, "replies") == before


def test_a_png_bomb_as_a_reply_scan_is_refused_on_the_mission_page(
    app: Flask, login_as: Login, letter: tuple[Mission, dict[str, str]]
) -> None:
    from tests.conftest import csrf_token_from

    mission, _ = letter
    before = _stored_files(app, "replies")
    browser, _ = login_as("coordinator")
    page = f"/coordination/missions/{mission.id}"
    received = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    form: dict[str, Any] = {
        "received_at": received,
        "record": "x",
        "correction": "y",
        "scan": (io.BytesIO(files.png_header_bomb()), "scan.png"),
        "csrf_token": csrf_token_from(browser.get(page).get_data(as_text=True)),
    }
    response = browser.post(f"{page}/reponse", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "La numérisation est trop grande" in page_text(response)
    assert _scan_path(mission.id) is None
    assert _stored_files(app, "replies") == before


def test_a_jpeg_pdf_polyglot_scan_is_kept_as_the_image_alone(
    app: Flask, client: FlaskClient, token_for: Any, letter: tuple[Mission, dict[str, str]]
) -> None:
    mission, headers = letter
    polyglot = files.jpeg_pdf_polyglot(noisy(seed=3))
    response = post_file(client, _scan_url(mission), polyglot, "scan.pdf", headers)
    assert response.status_code == 200, response.json
    assert _scan_path(mission.id).endswith(".jpg")
    with client.get(_scan_url(mission), headers=token_for("coordinator")) as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert b"%PDF" not in served.data
        assert Image.open(io.BytesIO(served.data)).format == "JPEG"


def test_a_pdf_jpeg_polyglot_scan_is_served_as_a_pdf_download_never_sniffed(
    app: Flask,
    client: FlaskClient,
    token_for: Any,
    login_as: Login,
    letter: tuple[Mission, dict[str, str]],
) -> None:
    mission, headers = letter
    polyglot = files.pdf_jpeg_polyglot(noisy(seed=5))
    assert b"\xff\xd8\xff" in polyglot  # a whole JPEG rides inside
    response = post_file(client, _scan_url(mission), polyglot, "scan.jpg", headers)
    assert response.status_code == 200, response.json
    assert _scan_path(mission.id).endswith(".pdf")
    browser, _ = login_as("coordinator")
    for served in (
        client.get(_scan_url(mission), headers=token_for("coordinator")),
        browser.get(f"/coordination/missions/{mission.id}/reponse/numerisation"),
    ):
        with served:
            assert served.status_code == 200
            assert served.mimetype == "application/pdf"
            assert served.headers["X-Content-Type-Options"] == "nosniff"
            assert served.headers["Content-Disposition"].startswith("attachment;")
            assert f"reponse-mission-{mission.id}.pdf" in served.headers["Content-Disposition"]
            assert served.data == polyglot


def test_a_tiny_png_declaring_49_megapixels_is_refused_before_decoding(
    app: Flask, client: FlaskClient, visit: Visit
) -> None:
    """Under the pixel limit, but 107 bytes cannot hold 49 megapixels: Pillow would pad the
    missing rows (280 MB, 4 s); it is refused from its header."""
    hollow = files.png_header_bomb(7_000, 7_000)
    assert len(hollow) < 200
    before = _stored_files(app, "photos")
    response = post_file(client, _photo_url(visit), hollow, "photo.png", visit.headers)
    assert response.status_code == 422, response.json
    assert response.json["message"].startswith("L’image annonce 7000 × 7000 pixels dans un fichier")
    assert "Renvoyez la photo d’origine" in response.json["message"]
    assert count(app, Photo) == 0
    assert _stored_files(app, "photos") == before


def test_a_flat_scan_of_a_blank_a4_page_is_still_accepted(
    client: FlaskClient, letter: tuple[Mission, dict[str, str]]
) -> None:
    """The densest honest file: a 1-bit, 300 dpi white A4 page (8.7 Mpx in ~1.4 kB)."""
    mission, headers = letter
    buffer = io.BytesIO()
    Image.new("1", (2480, 3508), 1).save(buffer, "PNG", optimize=True)
    page = buffer.getvalue()
    assert 2480 * 3508 / len(page) > 1_000  # far denser than any photo
    response = post_file(client, _scan_url(mission), page, "scan.png", headers)
    assert response.status_code == 200, response.json
