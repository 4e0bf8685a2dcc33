"""The coordinator's frame page: counts, uploading the ministry's file, the import report."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import Site, User
from server.services import campaigns
from tests.conftest import csrf_token_from

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

Login = Callable[..., tuple[FlaskClient, User]]

#: A file as ministries send them: Windows-1252, `;`, decimal commas, a quoted separator, a
#: blank line and bad rows. Physical line numbers are in the comments.
MESSY_FRAME = "\r\n".join(
    [
        "Code_Site;Nom;Réseau;Région;Latitude;Longitude;Fréquentation;Guichet",  # 1
        "S1;Préfecture d’Ille-et-Vilaine;Préfecture;Bretagne;48,11;-1,68;12500,5;A",  # 2
        "S2;Sous-préfecture de Saint-Malo;Sous-préfecture;Bretagne;48,65;-2,01;;B",  # 3
        ";Site sans code;Préfecture;Normandie;49,18;-0,37;100;C",  # 4: no site_id
        'S3;"Finances publiques; Caen";SIP;Normandie;49,18;-0,37;300;D',  # 5
        "S4;Trop de champs;SIP;Normandie;1;2;3;4;5",  # 6: one field too many
        "",  # 7: blank, skipped
        "S5;Latitude fausse;SIP;Occitanie;123,4;1,44;10;E",  # 8: latitude out of range
        "S1;Doublon;Préfecture;Bretagne;48;-1;5;F",  # 9: site_id seen on line 2
        "S6;Cœur de ville;France services;Occitanie;43,6;1,44;7;G",  # 10
        "S7;Taille négative;France services;Occitanie;43,6;1,44;-3;H",  # 11: negative size
    ]
).encode("cp1252")


@pytest.fixture
def campaign_id(app: Flask) -> int:
    with app.app_context():
        campaign = campaigns.create_campaign(
            db.session, name="Baromètre 2026", year=2026, referentiel_code="marianne", actor=None
        )
        db.session.commit()
        return int(campaign.id)


def upload(
    browser: FlaskClient,
    campaign_id: int,
    data: bytes,
    filename: str = "base.csv",
    *,
    csrf: bool = True,
):  # type: ignore[no-untyped-def]
    url = f"/coordination/campagnes/{campaign_id}/base"
    form: dict[str, object] = {"file": (io.BytesIO(data), filename)}
    if csrf:
        form["csrf_token"] = csrf_token_from(browser.get(url).get_data(as_text=True))
    return browser.post(url, data=form, content_type="multipart/form-data")


def site_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Site)) or 0)


def test_frame_page_shows_the_counts_and_an_upload_form(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get(f"/coordination/campagnes/{campaign_id}/base").get_data(as_text=True)
    assert "<strong>0</strong> sites dans la base de sondage" in html
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="file">Fichier de la base de sondage (CSV ou XLSX)</label>' in html
    assert 'aria-current="page">Base de sondage</a>' in html


def test_messy_file_is_imported_and_the_report_lists_the_rejected_lines(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    response = upload(browser, campaign_id, MESSY_FRAME)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 sites ajoutés, 0 mis à jour, 5 lignes rejetées." in " ".join(html.split())
    assert "Encodage détecté : Windows-1252" in html
    assert "séparateur : point-virgule (;)" in html
    rejected = [int(cell.split("</td>")[0]) for cell in html.split('<tr><td class="num">')[1:]]
    assert rejected == [4, 6, 8, 9, 11]
    assert "Identifiant « S1 » déjà présent ligne 2." in html
    assert "<strong>4</strong> sites dans la base de sondage" in html
    with app.app_context():
        s1 = db.session.scalar(select(Site).where(Site.code == "S1"))
        assert s1 is not None
        assert (s1.name, s1.latitude, s1.size) == ("Préfecture d’Ille-et-Vilaine", 48.11, 12500.5)
        assert s1.extra == {"Guichet": "A"}
        names = set(db.session.scalars(select(Site.name)))
    assert {"Finances publiques; Caen", "Cœur de ville"} <= names


def test_reimport_updates_known_sites(app: Flask, login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    upload(browser, campaign_id, MESSY_FRAME)
    html = upload(browser, campaign_id, MESSY_FRAME).get_data(as_text=True)
    assert "0 site ajouté, 4 mis à jour, 5 lignes rejetées." in " ".join(html.split())
    assert site_count(app) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"code;nom;commune\r\nS1;Mairie;Rennes\r\n", "reseau"),
    ],
    ids=["empty", "missing-columns"],
)
def test_a_file_refused_whole_says_why_and_writes_nothing(
    app: Flask, login_as: Login, campaign_id: int, data: bytes, message: str
) -> None:
    browser, _ = login_as("coordinator")
    response = upload(browser, campaign_id, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fichier refusé, rien n’a été importé." in html
    assert message in html
    assert site_count(app) == 0


def test_posting_without_a_file_asks_for_one(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    url = f"/coordination/campagnes/{campaign_id}/base"
    token = csrf_token_from(browser.get(url).get_data(as_text=True))
    response = browser.post(url, data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choisissez le fichier CSV ou XLSX à importer." in response.get_data(as_text=True)


def test_upload_without_csrf_token_is_refused(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    response = upload(browser, campaign_id, MESSY_FRAME, csrf=False)
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)
    assert site_count(app) == 0


def test_a_file_over_the_limit_is_413_and_writes_nothing(
    app: Flask, login_as: Login, campaign_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, _ = login_as("coordinator")
    token = csrf_token_from(
        browser.get(f"/coordination/campagnes/{campaign_id}/base").get_data(as_text=True)
    )
    # A small limit keeps the test's body in memory (a big one would spool to a temporary file).
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 512)
    big = MESSY_FRAME * 2
    response = browser.post(
        f"/coordination/campagnes/{campaign_id}/base",
        data={"csrf_token": token, "file": (io.BytesIO(big), "base.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Fichier trop volumineux" in response.get_data(as_text=True)
    assert site_count(app) == 0


def test_analyst_cannot_open_the_frame_page(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("analyst")
    response = browser.get(f"/coordination/campagnes/{campaign_id}/base")
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)


def test_admin_may_open_the_frame_page(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("admin")
    assert browser.get(f"/coordination/campagnes/{campaign_id}/base").status_code == 200


def test_unknown_campaign_is_a_french_404(login_as: Login) -> None:
    browser, _ = login_as("coordinator")
    response = browser.get("/coordination/campagnes/4242/base")
    assert response.status_code == 404
    assert "Campagne 4242 introuvable." in response.get_data(as_text=True)


def test_coordinator_home_links_each_campaign_to_its_frame_and_sample(
    login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get("/coordination/").get_data(as_text=True)
    assert f'href="/coordination/campagnes/{campaign_id}/base"' in html
    assert f'href="/coordination/campagnes/{campaign_id}/echantillon"' in html


def test_rejected_lines_name_their_site_id(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    html = upload(browser, campaign_id, MESSY_FRAME).get_data(as_text=True)
    assert '<th scope="col">Code du site</th>' in html
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="code">(.*?)</td>', html, flags=re.S
    )
    assert rows == [
        ("4", '<span class="muted">(vide)</span>'),
        ("6", "S4"),
        ("8", "S5"),
        ("9", "S1"),
        ("11", "S7"),
    ]
