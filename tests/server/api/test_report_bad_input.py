"""Bad input from the phone, through the API: each refusal is a clear French error (JSON
``{code, message, errors}``, never a 500) and leaves nothing stored or changed.

Already tested elsewhere, so not repeated here: another investigator's mission (404), a
cancelled mission or closed wave with no report yet (409), a different payload submitted
again under the same client id (409), ``{not json`` (400) — ``test_reports_api.py``; a PDF
named ``photo.jpg``, a PNG decompression bomb, GPS EXIF dropped from the stored file —
``test_photos_api.py``; a form post without its CSRF token (400 page) —
``tests/server/web/test_pages.py``; a phone clock *ahead* — ``test_reports_api.py``.

Added here: answers from another questionnaire version, a closed wave under a returned
report, a phone clock 5 h *behind*, other malformed bodies, a 30 MB PDF "photo", the stored
file's own bytes without GPS, JSON too deep or too long for Python's parser (400), times
outside the plausible years (422) and a photo's question id that is no identifier (422).
"""

from __future__ import annotations

import copy
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.extensions import db
from server.models import (
    AuditEvent,
    Mission,
    MissionStatus,
    Photo,
    Questionnaire,
    Report,
    ReportStatus,
    User,
)
from server.services import mission_lifecycle, photos, referentiels, report_lifecycle, waves
from tests.factories import Factory
from tests.server.api.test_missions_api import _token
from tests.server.api.test_reports_api import valid_answers
from tests.server.services.test_photos import (
    EXIF_IFD,
    GPS_IFD,
    MINIMAL_PDF,
    gps_exif,
    jpeg_bytes,
    noisy,
    png_bytes,
    reopen,
)

#: A question the second version of the visit questionnaire adds, and one it drops.
ADDED = "v_accueil_numerique"
DROPPED = "v_observations"


@pytest.fixture
def uploads(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An upload folder of this test's own (the app's is shared by the whole session)."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path


@pytest.fixture
def visit(factory: Factory) -> tuple[Mission, User]:
    campaign = factory.campaign(2026)
    factory.site(campaign, department="35")
    mission = factory.mission(factory.wave(campaign, plan={"visit": 1}))
    investigator = factory.investigator()
    mission_lifecycle.assign(db.session, mission, investigator, actor=None)
    db.session.commit()
    return mission, investigator


@pytest.fixture
def production_errors(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer as production does (the testing profile re-raises what a handler misses)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def _url(mission: Mission, submit: bool = False) -> str:
    return f"/api/v1/missions/{mission.id}/report" + ("/submit" if submit else "")


def _body(answers: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "answers": dict(valid_answers("marianne-visit") if answers is None else answers),
        "started_at": (now - timedelta(minutes=40)).isoformat(),
        "ended_at": (now - timedelta(minutes=5)).isoformat(),
        "position": {"latitude": 48.11, "longitude": -1.68, "accuracy_m": 15.0},
    }
    body.update(overrides)
    return body


def _count(model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _assert_error(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.get_data()[:500])
    assert response.is_json
    body: dict[str, Any] = response.json
    assert set(body) == {"code", "message", "errors"}
    assert body["message"]
    return body


# --- a questionnaire version that does not match ------------------------------------------


def _second_version(mission: Mission) -> Questionnaire:
    """Version 2 of the mission's questionnaire: one question added, one dropped."""
    first = db.session.get(Questionnaire, mission.questionnaire_id)
    document = copy.deepcopy(first.content)
    document["version"] = first.version + 1
    document["questions"] = [q for q in document["questions"] if q["id"] != DROPPED]
    document["questions"].append(
        {
            "id": ADDED,
            "section": "fin",
            "type": "yes_no",
            "label": "Une borne numérique d’accueil était-elle disponible ?",
            "required": False,
        }
    )
    row = referentiels.load_questionnaire_document(db.session, document, actor=None).row
    db.session.commit()
    return row


def test_an_answer_to_a_question_of_another_version_is_422_naming_it(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    _second_version(mission)  # exists on the server; the mission still has version 1
    for submit in (False, True):
        answers = {**valid_answers("marianne-visit"), ADDED: "oui"}
        refused = client.open(
            _url(mission, submit),
            method="POST" if submit else "PUT",
            json=_body(answers=answers),
            headers=headers,
        )
        body = _assert_error(refused, 422)
        assert ADDED in body["errors"]["answers"]
        assert "question inconnue" in body["errors"]["answers"][ADDED][0]
        if not submit:
            assert body["message"] == (
                f"Réponse refusée à la question « {ADDED} » : question inconnue dans ce "
                "questionnaire."
            )
    assert _count(Report) == 0
    assert db.session.get(Mission, mission.id).status == MissionStatus.ASSIGNED


def test_a_draft_keeps_its_own_version_when_the_missions_questionnaire_changes(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    first_id = mission.questionnaire_id
    body = _body(answers={"v_site_ouvert": "oui", DROPPED: "Draft sur la version 1."})
    saved = client.put(_url(mission), json=body, headers=headers)
    assert saved.status_code == 200, saved.json
    assert saved.json["questionnaire_id"] == first_id
    # The mission is moved to version 2 under the existing draft.
    second = _second_version(mission)
    db.session.get(Mission, mission.id).questionnaire_id = second.id
    db.session.commit()

    tampered = {**body, "answers": {**body["answers"], ADDED: "oui"}, "base_version": 1}
    refused = client.put(_url(mission), json=tampered, headers=headers)
    errors = _assert_error(refused, 422)["errors"]["answers"]
    assert set(errors) == {ADDED}
    db.session.expire_all()
    report = db.session.scalars(select(Report)).one()
    assert (report.version, report.questionnaire_id) == (1, first_id)
    assert report.answers == {"v_site_ouvert": "oui", DROPPED: "Draft sur la version 1."}

    # Version 1's own questions are still the report's, including the one version 2 dropped.
    answers = {**valid_answers("marianne-visit"), DROPPED: "Toujours la version 1."}
    submitted = client.post(
        _url(mission, True), json={**body, "answers": answers, "base_version": 1}, headers=headers
    )
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["questionnaire_id"] == first_id
    assert submitted.json["answers"][DROPPED] == "Toujours la version 1."
    assert submitted.json["scores"]


def test_a_new_report_on_version_2_refuses_what_only_version_1_asked(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    second = _second_version(mission)
    db.session.get(Mission, mission.id).questionnaire_id = second.id
    db.session.commit()
    refused = client.put(
        _url(mission), json=_body(answers={DROPPED: "texte"}), headers=_token(client, investigator)
    )
    assert set(_assert_error(refused, 422)["errors"]["answers"]) == {DROPPED}
    assert _count(Report) == 0


# --- a closed wave under an existing report -----------------------------------------------


def test_a_returned_report_can_no_longer_be_corrected_once_the_wave_closed(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    body = _body()
    assert client.post(_url(mission, True), json=body, headers=headers).status_code == 200
    report = db.session.scalars(select(Report)).one()
    report_lifecycle.return_for_correction(db.session, report, actor=None, comment="Précisez.")
    waves.close_wave(db.session, db.session.get(Mission, mission.id).wave, actor=None)
    db.session.commit()
    events = _count(AuditEvent)

    corrected = {**body, "answers": {**body["answers"], DROPPED: "Correction."}}
    for submit in (False, True):
        refused = client.open(
            _url(mission, submit),
            method="POST" if submit else "PUT",
            json={**corrected, "base_version": report.version},
            headers=headers,
        )
        error = _assert_error(refused, 409)
        assert "est close" in error["message"]
        assert error["errors"] == {"wave": ["closed"]}
    db.session.expire_all()
    stored = db.session.scalars(select(Report)).one()
    assert stored.status == ReportStatus.RETURNED
    assert stored.answers.get(DROPPED) != "Correction."
    assert _count(AuditEvent) == events


# --- the phone's clock --------------------------------------------------------------------


def test_a_phone_clock_five_hours_behind_is_corrected(
    client: FlaskClient, visit: tuple[Mission, User]
) -> None:
    """``clock_offset_seconds`` = phone − server (``check_evidence``): −5 h here, and the times
    are stored as phone time − offset, so on the server's clock."""
    mission, investigator = visit
    headers = _token(client, investigator)
    now = datetime.now(UTC).replace(microsecond=0)
    behind = timedelta(hours=5)
    body = _body(
        started_at=(now - behind - timedelta(minutes=40)).isoformat(),
        ended_at=(now - behind - timedelta(minutes=5)).isoformat(),
        client_time=(now - behind).isoformat(),
    )
    saved = client.put(_url(mission), json=body, headers=headers)
    assert saved.status_code == 200, saved.json
    assert saved.json["clock_offset_seconds"] == pytest.approx(-5 * 3600, abs=60)
    started = datetime.fromisoformat(saved.json["started_at"])
    ended = datetime.fromisoformat(saved.json["ended_at"])
    assert abs(started - (now - timedelta(minutes=40))) < timedelta(minutes=1)
    assert abs(ended - (now - timedelta(minutes=5))) < timedelta(minutes=1)
    db.session.expire_all()
    row = db.session.scalars(select(Report)).one()
    assert row.clock_offset_seconds == pytest.approx(-18000, abs=60)
    assert abs(row.ended_at - (now - timedelta(minutes=5))) < timedelta(minutes=1)

    # A replay sent a little later (another offset measured) is the same content.
    later = {**body, "client_time": (now - behind + timedelta(seconds=40)).isoformat()}
    replay = client.put(_url(mission), json=later, headers=headers)
    assert replay.status_code == 200
    assert replay.json["version"] == 1
    submitted = client.post(_url(mission, True), json=later, headers=headers)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"
    # Without the phone's clock the same times would have been taken as they are.
    assert datetime.fromisoformat(submitted.json["ended_at"]) > now - timedelta(minutes=10)
    assert _count(Report) == 1


# --- malformed bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "statuses"),
    [
        pytest.param(b"[]", "application/json", (422,), id="array"),
        pytest.param(b'"rapport"', "application/json", (422,), id="string"),
        pytest.param(b"null", "application/json", (422,), id="null"),
        pytest.param(b"", "application/json", (400, 422), id="empty"),
        pytest.param(b'{"client_id": "\xff\xfe"}', "application/json", (400,), id="not-utf8"),
        pytest.param(b'{"client_id": "x", }', "application/json", (400,), id="trailing-comma"),
        pytest.param(
            b'{"client_id": "%s"}' % str(uuid.uuid4()).encode(),
            "text/plain",
            (422,),
            id="not-declared-json",
        ),
        pytest.param(
            b'{"client_id": "%s", "position": {"latitude": NaN, "longitude": 0}}'
            % str(uuid.uuid4()).encode(),
            "application/json",
            (422,),
            id="nan-latitude",
        ),
        pytest.param(
            b'{"client_id": "%s", "answers": {"v_attente_minutes": Infinity}}'
            % str(uuid.uuid4()).encode(),
            "application/json",
            (422,),
            id="infinite-answer",
        ),
        pytest.param(
            b'{"client_id": "%s", "base_version": 1e400}' % str(uuid.uuid4()).encode(),
            "application/json",
            (422,),
            id="huge-float-version",
        ),
    ],
)
def test_malformed_bodies_are_clear_errors(
    client: FlaskClient,
    visit: tuple[Mission, User],
    data: bytes,
    content_type: str,
    statuses: tuple[int, ...],
) -> None:
    mission, investigator = visit
    headers = _token(client, investigator)
    for submit in (False, True):
        response = client.open(
            _url(mission, submit),
            method="POST" if submit else "PUT",
            data=data,
            content_type=content_type,
            headers=headers,
        )
        _assert_error(response, *statuses)
    assert _count(Report) == 0


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested"),
        pytest.param(b"1" * 5000, id="digits"),
    ],
)
def test_json_the_parser_cannot_hold_is_a_400_not_a_500(
    client: FlaskClient, visit: tuple[Mission, User], production_errors: None, answer: bytes
) -> None:
    mission, investigator = visit
    data = b'{"client_id": "%s", "answers": {"v_nombre_agents": %s}}' % (
        str(uuid.uuid4()).encode(),
        answer,
    )
    response = client.put(
        _url(mission),
        data=data,
        content_type="application/json",
        headers=_token(client, investigator),
    )
    _assert_error(response, 400, 422)
    assert _count(Report) == 0


@pytest.mark.parametrize(
    "times",
    [
        pytest.param(
            {
                "client_time": "9999-12-31T23:59:59+00:00",
                "started_at": "0001-01-01T00:00:00+00:00",
                "ended_at": "0001-01-01T00:10:00+00:00",
            },
            id="clock-in-year-9999",
        ),
        pytest.param(
            {
                "client_time": "0001-01-01T00:00:00+00:00",
                "started_at": "9999-12-31T00:00:00+00:00",
                "ended_at": "9999-12-31T00:10:00+00:00",
            },
            id="clock-in-year-1",
        ),
        pytest.param({"started_at": "0001-01-01T00:00:00+14:00"}, id="start-before-year-1-utc"),
        pytest.param({"ended_at": "0001-01-01T00:00:00+14:00"}, id="end-before-year-1-utc"),
    ],
)
def test_times_out_of_range_are_422_not_500(
    client: FlaskClient,
    visit: tuple[Mission, User],
    production_errors: None,
    times: dict[str, str],
) -> None:
    mission, investigator = visit
    body = {"client_id": str(uuid.uuid4()), "answers": {}, **times}
    response = client.put(_url(mission), json=body, headers=_token(client, investigator))
    errors = _assert_error(response, 422)["errors"]
    assert set(errors) & {"client_time", "started_at", "ended_at", "json"}
    assert _count(Report) == 0


# --- photos -------------------------------------------------------------------------------


@pytest.fixture
def draft(factory: Factory, client: FlaskClient) -> tuple[Mission, Report, dict[str, str]]:
    mission, investigator = factory.assigned_mission("visit")
    report = factory.report(mission, investigator)
    db.session.commit()
    return mission, report, _token(client, investigator)


def _send(
    client: FlaskClient,
    mission: Mission,
    headers: dict[str, str],
    data: bytes,
    filename: str = "photo.jpg",
    **fields: str,
) -> Any:
    """Post a multipart upload encoded in memory: the test client would spool a large body to
    a temporary file it never closes."""
    upload = FileStorage(io.BytesIO(data), filename=filename, content_type="image/jpeg")
    boundary, body = encode_multipart({"file": upload, **fields})
    return client.post(
        f"/api/v1/missions/{mission.id}/report/photos",
        headers=headers,
        data=body,
        content_type=f'multipart/form-data; boundary="{boundary}"',
    )


def test_a_30_mb_pdf_photo_is_refused_before_anything_is_decoded(
    app: Flask,
    client: FlaskClient,
    draft: tuple[Mission, Report, dict[str, str]],
    uploads: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mission, _, headers = draft
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 20 * 1024 * 1024  # UPLOAD_MAX_MB's default
    decoded: list[int] = []
    monkeypatch.setattr(photos, "clean_image", lambda data, **_: decoded.append(len(data)))
    pdf = MINIMAL_PDF + b"%" + b"0" * (30 * 1024 * 1024)
    started = time.perf_counter()
    response = _send(client, mission, headers, pdf, "photo.jpg", question_id="v_photo_attente")
    elapsed = time.perf_counter() - started
    body = _assert_error(response, 413)
    assert body["code"] == "too_large"
    assert body["message"] == "Fichier trop volumineux : la limite est de 20 Mo."
    assert decoded == []
    assert elapsed < 5
    assert _count(Photo) == 0
    assert not [path for path in uploads.rglob("*") if path.is_file()]


def test_a_photo_under_the_limit_that_is_a_pdf_is_422_and_leaves_no_file(
    client: FlaskClient, draft: tuple[Mission, Report, dict[str, str]], uploads: Path
) -> None:
    mission, _, headers = draft
    pdf = MINIMAL_PDF + b"%" + b"0" * (2 * 1024 * 1024)
    body = _assert_error(_send(client, mission, headers, pdf, "IMG_0001.JPG"), 422)
    assert "n’est pas une image" in body["message"]
    assert _count(Photo) == 0
    assert not [path for path in uploads.rglob("*") if path.is_file()]


def test_the_stored_file_on_disk_has_no_gps(
    client: FlaskClient, draft: tuple[Mission, Report, dict[str, str]], uploads: Path
) -> None:
    """``test_photos_api.py`` reads the copy the API serves; here the file itself, for a PNG
    whose position is in an eXIf chunk."""
    mission, report, headers = draft
    data = png_bytes(noisy((40, 30)), exif=gps_exif())
    assert reopen(data).getexif().get_ifd(GPS_IFD)
    response = _send(client, mission, headers, data, "photo.png")
    assert response.status_code == 201, response.json
    row = db.session.get(Photo, response.json["id"])
    stored = uploads / row.storage_path
    assert stored.is_file()
    with Image.open(stored) as picture:
        picture.load()
        assert picture.format == "PNG"
        assert not picture.getexif().get_ifd(GPS_IFD)
        assert "exif" not in picture.info
    assert b"eXIf" not in stored.read_bytes()
    assert stored.parent == uploads / "photos" / str(report.id)


@pytest.mark.parametrize("where", ["form", "exif"])
def test_a_photo_time_out_of_range_is_no_500(
    client: FlaskClient,
    draft: tuple[Mission, Report, dict[str, str]],
    uploads: Path,
    production_errors: None,
    where: str,
) -> None:
    mission, _, headers = draft
    if where == "form":
        response = _send(
            client, mission, headers, jpeg_bytes(), taken_at="9999-12-31T23:59:59-14:00"
        )
        _assert_error(response, 422)
        assert "taken_at" in str(response.json["errors"])
        assert _count(Photo) == 0
    else:
        # "A camera's clock is a hint, never a reason to refuse a photo" (photos.py).
        exif = gps_exif(taken="9999:12:31 23:59:59")
        exif.get_ifd(EXIF_IFD)[0x9011] = "-14:00"
        # An implausible camera clock is dropped, not trusted and not refused.
        assert photos.clean_image(jpeg_bytes(exif=exif)).exif_taken_at is None
        response = _send(client, mission, headers, jpeg_bytes(exif=exif))
        assert response.status_code == 201, response.get_data()[:300]


def test_a_photo_question_id_with_a_nul_byte_is_422(
    client: FlaskClient,
    draft: tuple[Mission, Report, dict[str, str]],
    uploads: Path,
    production_errors: None,
) -> None:
    mission, _, headers = draft
    response = _send(client, mission, headers, jpeg_bytes(), question_id="v_photo\x00attente")
    body = _assert_error(response, 422)
    assert "question_id" in str(body["errors"])
    assert _count(Photo) == 0
