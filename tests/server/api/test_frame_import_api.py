"""Uploading a campaign's frame: what is imported, what is rejected and why, nothing lost."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from server.extensions import db
from server.models import Site

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

HEADER = "code_site;nom;réseau;région;département;commune;latitude;longitude;fréquentation;horaires"
MESSY_FRAME = "\r\n".join(
    [
        HEADER,
        "PREF-035;Préfecture d’Ille-et-Vilaine;Préfecture;Bretagne;35;Rennes;48,1113;-1,6800;"
        "120000;lun-ven 08:30-12:00",
        ";Sans code;Préfecture;Bretagne;35;Rennes;48,1;-1,6;;",
        "SP-35-FOU;Sous-préfecture de Fougères;Sous-préfecture;Bretagne;35;Fougères;"
        "48,3524;-1,1987;;",
        "",
        'SP-35-RED;=HYPERLINK("http://x");Sous-préfecture;Bretagne;35;Redon;47,6514;-2,0843;9000;',
        "PREF-035;Doublon;Préfecture;Bretagne;35;Rennes;48,1;-1,6;;",
        "SIP-035;SIP de Rennes;Service des impôts des particuliers;Bretagne;35;Rennes;"
        "148,1;-1,68;;",
        "TJ-035;Tribunal judiciaire de Rennes;Tribunal judiciaire;Bretagne;35;Rennes;48,11;"
        "-1,67;beaucoup;",
    ]
).encode("cp1252")


@pytest.fixture
def coordinator(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("coordinator")


@pytest.fixture
def campaign_id(client: FlaskClient, coordinator: dict[str, str]) -> int:
    response = client.post(
        "/api/v1/campaigns", headers=coordinator, json={"name": "B2026", "year": 2026}
    )
    return int(response.get_json()["id"])


def upload(
    client: FlaskClient, headers: dict[str, str], campaign: int, data: bytes, name: str = "base.csv"
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/campaigns/{campaign}/sites/import",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_messy_french_export_imports_good_rows_and_names_bad_lines(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    response = upload(client, coordinator, campaign_id, MESSY_FRAME)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["imported"] == 3
    assert body["updated"] == 0
    assert [r["line"] for r in body["rejected"]] == [3, 7, 8, 9]
    assert [r["site_id"] for r in body["rejected"]] == [None, "PREF-035", "SIP-035", "TJ-035"]
    assert "ligne 2" in body["rejected"][1]["reason"]


def test_imported_sites_keep_text_verbatim_and_parse_hours(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    upload(client, coordinator, campaign_id, MESSY_FRAME)
    sites = client.get(f"/api/v1/campaigns/{campaign_id}/sites", headers=coordinator).get_json()
    by_code = {s["site_id"]: s for s in sites}
    assert by_code["SP-35-RED"]["name"] == '=HYPERLINK("http://x")'
    assert by_code["PREF-035"]["name"] == "Préfecture d’Ille-et-Vilaine"
    assert by_code["PREF-035"]["latitude"] == pytest.approx(48.1113)
    assert by_code["PREF-035"]["opening_hours"]["0"] == [["08:30", "12:00"]]


def test_reimport_updates_and_never_changes_the_permanent_random_number(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    upload(client, coordinator, campaign_id, MESSY_FRAME)
    with app.app_context():
        before = dict(db.session.execute(select(Site.code, Site.permanent_random_number)).all())
    renamed = MESSY_FRAME.replace(
        "Sous-préfecture de Fougères".encode("cp1252"),
        b"Sous-pr\xe9fecture de Foug\xe8res (nouveau nom)",
    )
    body = upload(client, coordinator, campaign_id, renamed).get_json()
    assert (body["imported"], body["updated"]) == (0, 3)
    with app.app_context():
        after = dict(db.session.execute(select(Site.code, Site.permanent_random_number)).all())
        name = db.session.scalar(select(Site.name).where(Site.code == "SP-35-FOU"))
    assert after == before
    assert name == "Sous-préfecture de Fougères (nouveau nom)"


def test_next_years_campaign_reuses_each_sites_permanent_random_number(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    upload(client, coordinator, campaign_id, MESSY_FRAME)
    next_year = client.post(
        "/api/v1/campaigns", headers=coordinator, json={"name": "B2027", "year": 2027}
    ).get_json()["id"]
    upload(client, coordinator, next_year, MESSY_FRAME)
    with app.app_context():
        rows = db.session.execute(
            select(Site.code, Site.campaign_id, Site.permanent_random_number)
        ).all()
    prns: dict[str, set[float]] = {}
    for code, _, prn in rows:
        prns.setdefault(code, set()).add(prn)
    assert len(rows) == 6
    assert all(len(values) == 1 for values in prns.values())


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "vide.csv", "vide"),
        (b"nom;reseau\nA;B\n", "base.csv", "site_id"),
        (b"PK\x03\x04 pas un classeur", "base.xlsx", ""),
    ],
)
def test_unreadable_files_are_refused_whole_with_nothing_written(
    app: Flask,
    client: FlaskClient,
    coordinator: dict[str, str],
    campaign_id: int,
    data: bytes,
    name: str,
    message: str,
) -> None:
    response = upload(client, coordinator, campaign_id, data, name)
    assert response.status_code == 422
    assert message in response.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(select(Site.id)) is None


def test_missing_file_field_is_a_422(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    response = client.post(
        f"/api/v1/campaigns/{campaign_id}/sites/import",
        headers=coordinator,
        data={},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]["files"]


def test_file_over_the_size_limit_is_a_clear_413(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    big = b"x" * (20 * 1024 * 1024 + 1)
    builder = EnvironBuilder(
        path=f"/api/v1/campaigns/{campaign_id}/sites/import",
        method="POST",
        headers=coordinator,
        data={"file": (io.BytesIO(big), "base.csv")},
    )
    environ = builder.get_environ()
    try:  # the builder spools the body to a temporary file: close it ourselves
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    assert "limite est de 20 Mo" in response.get_json()["message"]


def test_analyst_cannot_import(
    client: FlaskClient, token_for: Callable[..., dict[str, str]], campaign_id: int
) -> None:
    response = upload(client, token_for("analyst"), campaign_id, MESSY_FRAME)
    assert response.status_code == 403


def test_import_into_unknown_campaign_is_404(
    client: FlaskClient, coordinator: dict[str, str]
) -> None:
    assert upload(client, coordinator, 987654, MESSY_FRAME).status_code == 404


def test_sites_filter_by_network(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    upload(client, coordinator, campaign_id, MESSY_FRAME)
    response = client.get(
        f"/api/v1/campaigns/{campaign_id}/sites?network=Sous-préfecture", headers=coordinator
    )
    assert sorted(s["site_id"] for s in response.get_json()) == ["SP-35-FOU", "SP-35-RED"]


def test_cli_imports_a_file_and_lists_rejections(
    app: Flask, client: FlaskClient, coordinator: dict[str, str], campaign_id: int, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "base.csv"
    path.write_bytes(MESSY_FRAME)
    result = app.test_cli_runner().invoke(
        args=["frame", "import", str(path), "--campaign", str(campaign_id)]
    )
    assert result.exit_code == 0, result.output
    assert "3 sites ajoutés, 0 mis à jour, 4 lignes rejetées." in result.output
    assert "  ligne 3 : " in result.output


def test_empty_file_field_without_a_name_is_a_clear_400(
    client: FlaskClient, coordinator: dict[str, str], campaign_id: int
) -> None:
    response = upload(client, coordinator, campaign_id, b"", name="")
    assert response.status_code in (400, 422)
    body = response.get_json()
    assert "file" in body["message"] or "file" in str(body["errors"])


def test_cli_refuses_a_200_mb_file_by_its_size(app: Flask, campaign_id: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "enorme.csv"
    with path.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 1024 * 1024)
    result = app.test_cli_runner().invoke(
        args=["frame", "import", str(path), "--campaign", str(campaign_id)]
    )
    assert result.exit_code == 1
    assert "Le fichier fait 200,0 Mo, au-delà de la limite de 20,0 Mo." in result.output
