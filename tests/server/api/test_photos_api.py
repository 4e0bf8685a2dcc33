"""Report photos through the API: sent by the investigator from the phone, read back by them
and by staff; another investigator's mission or photo is 404. Real files, made with Pillow."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import AuditEvent, Mission, Photo, Report, ReportStatus, User
from server.services import mission_lifecycle
from tests.conftest import PASSWORD
from tests.factories import Factory
from tests.server.services.test_photos import (
    GPS_IFD,
    MINIMAL_PDF,
    gps_exif,
    jpeg_bytes,
    noisy,
    png_bomb,
    reopen,
)


def _token(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


@dataclass
class Fieldwork:
    mission: Mission
    investigator: User
    report: Report
    headers: dict[str, str]


@pytest.fixture
def fieldwork(client: FlaskClient, factory: Factory) -> Fieldwork:
    """A visit assigned to an investigator, who has saved a draft report."""
    mission, investigator = factory.assigned_mission("visit")
    report = factory.report(mission, investigator)
    db.session.commit()
    return Fieldwork(mission, investigator, report, _token(client, investigator))


def _send(
    client: FlaskClient,
    mission_id: int,
    headers: dict[str, str],
    data: bytes,
    filename: str = "photo.jpg",
    **fields: str,
) -> Any:
    return client.post(
        f"/api/v1/missions/{mission_id}/report/photos",
        headers=headers,
        data={"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def _photos() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Photo)) or 0


def test_a_photo_is_stored_without_its_position_and_sent_again_is_the_same(
    client: FlaskClient, fieldwork: Fieldwork, app: Flask
) -> None:
    data = jpeg_bytes(exif=gps_exif(orientation=6))
    digest = hashlib.sha256(data).hexdigest()
    response = _send(
        client,
        fieldwork.mission.id,
        fieldwork.headers,
        data,
        question_id="q_accueil",
        sha256=digest,
        taken_at="2026-03-05T10:20:00+01:00",
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["sha256"] == digest
    assert body["question_id"] == "q_accueil"
    assert body["content_type"] == "image/jpeg"
    assert (body["width"], body["height"]) == (64, 96)  # orientation applied
    assert body["taken_at"].startswith("2026-03-05T09:20:00")
    assert body["uploaded_at"]
    assert body["report_id"] == fieldwork.report.id
    assert set(body) >= {"id", "size_bytes", "url"}

    with client.get(body["url"], headers=fieldwork.headers) as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        stored = served.get_data()
    assert len(stored) == body["size_bytes"]
    picture = reopen(stored)
    assert GPS_IFD not in picture.getexif()
    assert not picture.getexif().get_ifd(GPS_IFD)
    assert picture.size == (64, 96)
    assert stored != data
    # Kept outside the static folder, under the report.
    row = db.session.get(Photo, body["id"])
    assert row.storage_path == f"photos/{fieldwork.report.id}/{digest}.jpg"
    assert app.static_folder is None or not row.storage_path.startswith(app.static_folder)

    again = _send(client, fieldwork.mission.id, fieldwork.headers, data, sha256=digest)
    assert again.status_code == 200, again.json
    assert again.json["id"] == body["id"]
    assert _photos() == 1

    other = _send(client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes(seed=7))
    assert other.status_code == 201
    assert other.json["id"] != body["id"]
    assert _photos() == 2
    uploads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "photo.upload").order_by(AuditEvent.id)
    ).all()
    assert [event.details["sha256"] for event in uploads] == [digest, other.json["sha256"]]


def test_a_pdf_named_photo_jpg_is_refused(client: FlaskClient, fieldwork: Fieldwork) -> None:
    response = _send(client, fieldwork.mission.id, fieldwork.headers, MINIMAL_PDF, "photo.jpg")
    assert response.status_code == 422
    assert "n’est pas une image" in response.json["message"]
    assert _photos() == 0


def test_polyglots_never_reach_the_disk_as_sent(client: FlaskClient, fieldwork: Fieldwork) -> None:
    pdf_first = _send(client, fieldwork.mission.id, fieldwork.headers, MINIMAL_PDF + jpeg_bytes())
    assert pdf_first.status_code == 422
    jpeg_first = _send(client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes() + MINIMAL_PDF)
    assert jpeg_first.status_code == 201  # a whole JPEG, with trailing bytes the decoder ignores
    with client.get(jpeg_first.json["url"], headers=fieldwork.headers) as served:
        stored = served.get_data()
    assert b"%PDF" not in stored
    assert reopen(stored).format == "JPEG"


def test_a_png_decompression_bomb_is_refused(client: FlaskClient, fieldwork: Fieldwork) -> None:
    """Memory and time are measured, not asserted, in tests/server/hostile/."""
    response = _send(client, fieldwork.mission.id, fieldwork.headers, png_bomb(), "bomb.png")
    assert response.status_code == 422
    assert "image est trop grande" in response.json["message"]
    assert _photos() == 0


def test_a_truncated_jpeg_is_refused(client: FlaskClient, fieldwork: Fieldwork) -> None:
    data = jpeg_bytes()
    response = _send(client, fieldwork.mission.id, fieldwork.headers, data[: len(data) // 2])
    assert response.status_code == 422
    assert "n’est pas une image" in response.json["message"]


def test_a_hash_mismatch_is_a_corrupted_upload(client: FlaskClient, fieldwork: Fieldwork) -> None:
    data = jpeg_bytes()
    wrong = hashlib.sha256(b"something else").hexdigest()
    response = _send(client, fieldwork.mission.id, fieldwork.headers, data, sha256=wrong)
    assert response.status_code == 422
    assert "sha256" in response.json["errors"]
    malformed = _send(client, fieldwork.mission.id, fieldwork.headers, data, sha256="abc")
    assert malformed.status_code == 422
    assert "sha256" in malformed.json["errors"]["form"]
    assert _photos() == 0


def test_a_time_without_zone_is_refused(client: FlaskClient, fieldwork: Fieldwork) -> None:
    response = _send(
        client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes(), taken_at="2026-03-05T10:20"
    )
    assert response.status_code == 422
    assert "taken_at" in response.json["errors"]["form"]


def test_no_file_is_400_and_a_file_above_the_limit_is_413(
    client: FlaskClient, fieldwork: Fieldwork, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    nothing = client.post(
        f"/api/v1/missions/{fieldwork.mission.id}/report/photos",
        headers=fieldwork.headers,
        data={"question_id": "q"},
        content_type="multipart/form-data",
    )
    assert nothing.status_code == 422  # the ``file`` field is required
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2_000)
    big = _send(client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes(noisy((200, 200))))
    assert big.status_code == 413
    assert big.json["code"] == "too_large"
    assert _photos() == 0


def test_another_investigators_mission_is_404(
    client: FlaskClient, factory: Factory, fieldwork: Fieldwork
) -> None:
    stranger = factory.investigator()
    db.session.commit()
    response = _send(client, fieldwork.mission.id, _token(client, stranger), jpeg_bytes())
    assert response.status_code == 404
    assert _photos() == 0


def test_analysts_may_not_send_photos(
    client: FlaskClient, token_for: Any, fieldwork: Fieldwork
) -> None:
    response = _send(client, fieldwork.mission.id, token_for("analyst"), jpeg_bytes())
    assert response.status_code == 403
    unsigned = _send(client, fieldwork.mission.id, {}, jpeg_bytes())
    assert unsigned.status_code == 401


def test_without_a_report_or_once_it_is_sent_it_is_409(
    client: FlaskClient, factory: Factory, fieldwork: Fieldwork
) -> None:
    # A second mission of the same investigator, with no report yet.
    campaign = factory.campaign(2027)
    factory.site(campaign)
    bare = factory.mission(factory.wave(campaign, plan={"visit": 1}))
    mission_lifecycle.assign(db.session, bare, fieldwork.investigator, actor=None)
    db.session.commit()
    none = _send(client, bare.id, fieldwork.headers, jpeg_bytes())
    assert none.status_code == 409
    assert "Aucun rapport" in none.json["message"]

    kept = jpeg_bytes(seed=3)
    assert _send(client, fieldwork.mission.id, fieldwork.headers, kept).status_code == 201
    db.session.get(Report, fieldwork.report.id).status = ReportStatus.SUBMITTED
    db.session.commit()
    sent = _send(client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes(seed=4))
    assert sent.status_code == 409
    assert "ne peut plus recevoir de photos" in sent.json["message"]
    retry = _send(client, fieldwork.mission.id, fieldwork.headers, kept)
    assert retry.status_code == 200  # the retry of a photo stored before the submit
    assert _photos() == 1


def test_who_may_read_a_photo(
    client: FlaskClient, factory: Factory, token_for: Any, fieldwork: Fieldwork
) -> None:
    created = _send(client, fieldwork.mission.id, fieldwork.headers, jpeg_bytes())
    assert created.status_code == 201
    url = created.json["url"]
    with client.get(url, headers=token_for("coordinator")) as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
        assert reopen(served.get_data()).format == "JPEG"
    with client.get(url, headers=token_for("analyst")) as served:
        assert served.status_code == 200
    with client.get(url, headers=token_for("admin")) as served:
        assert served.status_code == 200
    stranger = factory.investigator()
    db.session.commit()
    with client.get(url, headers=_token(client, stranger)) as refused:
        assert refused.status_code == 404
        assert refused.is_json
        assert b"\xff\xd8" not in refused.get_data()
    with client.get("/api/v1/photos/999999", headers=fieldwork.headers) as missing:
        assert missing.status_code == 404
    with client.get(url) as unsigned:
        assert unsigned.status_code == 401
