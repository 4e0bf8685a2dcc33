"""The coordinator's sample page: preview, draw and replace, read with filters, CSV, rotation."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import Draw, User
from server.services import campaigns, sample_draws
from server.services.frame_import import import_frame
from tests.conftest import csrf_token_from

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

Login = Callable[..., tuple[FlaskClient, User]]

NETWORKS = ("Préfecture", "Sous-préfecture", "Service des impôts des particuliers")
REGIONS = ("Bretagne", "Normandie", "Occitanie")


def frame_csv(count_per_stratum: int = 12, skip: int = 0) -> bytes:
    """9 strata (3 networks × 3 regions) of ``count_per_stratum`` sites, some left out."""
    lines = ["site_id,name,network,region,department,city,size"]
    for n, network in enumerate(NETWORKS):
        for r, region in enumerate(REGIONS):
            for i in range(count_per_stratum):
                if skip and i % skip == 0:
                    continue
                lines.append(
                    f"S{n}{r}-{i:03d},Site {n}{r}{i},{network},{region},{29 + r},"
                    f"Ville {r},{100 + 37 * i}"
                )
    return "\n".join(lines).encode()


@pytest.fixture
def new_campaign(app: Flask) -> Callable[..., int]:
    def make(year: int = 2026, data: bytes | None = None) -> int:
        with app.app_context():
            campaign = campaigns.create_campaign(
                db.session,
                name=f"Baromètre {year}",
                year=year,
                referentiel_code="marianne",
                actor=None,
            )
            if data is None:
                data = frame_csv()
            if data:
                import_frame(
                    db.session,
                    campaign,
                    data,
                    "base.csv",
                    actor=None,
                    max_bytes=10_000_000,
                    prn_seed=year,
                )
            db.session.commit()
            return int(campaign.id)

    return make


@pytest.fixture
def campaign_id(new_campaign: Callable[..., int]) -> int:
    return new_campaign()


def page_url(campaign_id: int) -> str:
    return f"/coordination/campagnes/{campaign_id}/echantillon"


def post_form(
    browser: FlaskClient, campaign_id: int, *, button: str = "submit_draw", **fields: Any
):  # type: ignore[no-untyped-def]
    html = browser.get(page_url(campaign_id)).get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": csrf_token_from(html),
        "size": 45,
        "strata": ["network", "region"],
        "allocation": "proportional",
        "minimum": 2,
        "seed": 7,
        "method": "srs",
        "order_by": "",
        "previous_draw": "",
        "overlap": "",
        "sd": "",
        button: "x",
    }
    data.update(fields)
    data = {key: value for key, value in data.items() if value is not None}
    return browser.post(page_url(campaign_id), data=data)


def squash(html: str) -> str:
    """Runs of layout whitespace as one space; keeps the narrow no-break spaces of numbers."""
    return re.sub(r"[ \t\r\n]+", " ", html)


def draws(app: Flask) -> list[Draw]:
    with app.app_context():
        return list(db.session.scalars(select(Draw).order_by(Draw.id)))


def test_empty_page_offers_the_form_with_defaults(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    html = browser.get(page_url(campaign_id)).get_data(as_text=True)
    assert 'id="size" min="1" name="size" required type="number" value="600"' in html
    assert 'id="seed" name="seed" required type="number" value="2026"' in html
    assert 'name="strata" type="checkbox" value="network"' in html
    assert '<label for="method-0">Aléatoire simple</label>' in html
    assert "Proportionnel à la taille" in html
    assert "Prévisualiser l’allocation" in html
    assert "Tirer l’échantillon" in html
    assert "Remplacer le tirage actuel" not in html  # no draw yet
    assert 'aria-current="page">Échantillon</a>' in html


def test_preview_shows_the_allocation_and_draws_nothing(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(browser, campaign_id, button="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Aperçu : rien n’a été tiré." in html
    assert "<caption>Allocation prévue</caption>" in html
    assert html.count('<th scope="row">Préfecture × Bretagne</th>') == 1
    assert '<td class="num">0,4167</td>' in html  # 5 of 12
    assert '<td class="num">2,40</td>' in html  # weight 12/5
    assert "Total (9 strates)" in html
    assert '<td class="num">108</td>' in html
    assert '<td class="num">45</td>' in html
    assert draws(app) == []


def test_draw_redirects_to_the_page_showing_the_current_draw(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, user = login_as("coordinator")
    response = post_form(browser, campaign_id)
    assert response.status_code == 302
    assert response.headers["Location"] == page_url(campaign_id)
    html = browser.get(page_url(campaign_id)).get_data(as_text=True)
    (draw,) = draws(app)
    assert f"Échantillon tiré : 45 sites (tirage n° {draw.id})." in html
    assert f"Tirage actuel (n° {draw.id})" in html
    text = squash(html)
    assert "<dt>Graine</dt><dd>7</dd>" in text
    assert "<dt>Strates</dt><dd>Réseau × Région</dd>" in text
    assert "<dt>Méthode de tirage</dt><dd>aléatoire simple</dd>" in text
    assert f"<dt>Tiré par</dt><dd>{user.name}, le " in text
    assert "<dt>Version du code</dt><dd>barometre" in text
    assert "non : il peut encore être remplacé" in text
    assert "Sites 1–45 sur 45" in text
    assert "Remplacer le tirage actuel" in html


def test_redraw_needs_the_confirmation_box(app: Flask, login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    post_form(browser, campaign_id)
    refused = post_form(browser, campaign_id, seed=8)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Cochez « Remplacer le tirage actuel » pour le remplacer" in html
    # the form keeps its values
    assert 'id="seed" name="seed" required type="number" value="8"' in html
    assert len(draws(app)) == 1
    replaced = post_form(browser, campaign_id, seed=8, confirm="y")
    assert replaced.status_code == 302
    first, second = draws(app)
    assert (first.is_current, second.is_current, second.seed) == (False, True, 8)


def test_a_locked_draw_cannot_be_replaced(app: Flask, login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    post_form(browser, campaign_id)
    with app.app_context():
        draw = db.session.scalar(select(Draw))
        sample_draws.lock_draw(db.session, draw, actor=None)
        db.session.commit()
    html = browser.get(page_url(campaign_id)).get_data(as_text=True)
    assert "une vague l’utilise, il ne peut plus être remplacé" in html
    refused = post_form(browser, campaign_id, confirm="y")
    assert refused.status_code == 409
    assert "verrouillé" in refused.get_data(as_text=True)


def test_filters_narrow_the_drawn_sites(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    post_form(browser, campaign_id)
    html = browser.get(page_url(campaign_id), query_string={"network": "Préfecture"}).get_data(
        as_text=True
    )
    assert "Sites 1–15 sur 15 (filtrés)" in html
    assert '<option value="Préfecture" selected>' in html
    assert "<td>Sous-préfecture</td>" not in html
    both = {"network": "Préfecture", "region": "Occitanie"}
    html = browser.get(page_url(campaign_id), query_string=both).get_data(as_text=True)
    assert "Sites 1–5 sur 5 (filtrés)" in html
    assert "network=Pr%C3%A9fecture&amp;region=Occitanie" in html  # the CSV link keeps them


def parse_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_csv_download_opens_right_in_french_excel(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    post_form(browser, campaign_id)
    response = browser.get(f"{page_url(campaign_id)}.csv", query_string={"region": "Bretagne"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="echantillon-2026.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = parse_csv(response.data)
    assert rows[0] == [
        "Code site",
        "Nom",
        "Réseau",
        "Région",
        "Département",
        "Commune",
        "Code postal",
        "Adresse",
        "Courriel",
        "Téléphone",
        "Horaires d’ouverture",
        "Strate",
        "Probabilité d’inclusion",
        "Poids",
    ]
    assert len(rows) == 1 + 15
    assert {row[3] for row in rows[1:]} == {"Bretagne"}
    first = rows[1]
    assert (first[4], first[5]) == ("29", "Ville 0")
    assert first[12].startswith("0,41666")
    assert first[13] == "2,4"


def test_csv_writes_formula_like_names_as_text(
    login_as: Login, new_campaign: Callable[..., int]
) -> None:
    data = "\n".join(
        [
            "site_id,name,network,region",
            'S1,"=HYPERLINK(""x"")",Préfecture,Bretagne',
            "S2,+33 1 23,Préfecture,Bretagne",
            "S3,Mairie,Préfecture,Bretagne",
        ]
    ).encode()
    campaign = new_campaign(2026, data)
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign, size=3, strata=["network"]).status_code == 302
    rows = parse_csv(browser.get(f"{page_url(campaign)}.csv").data)
    names = {row[0]: row[1] for row in rows[1:]}
    assert names == {"S1": '\'=HYPERLINK("x")', "S2": "'+33 1 23", "S3": "Mairie"}
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert "=HYPERLINK(&#34;x&#34;)" in html  # shown on the page as written, escaped


def test_csv_without_a_draw_is_404(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    response = browser.get(f"{page_url(campaign_id)}.csv")
    assert response.status_code == 404
    assert "Aucun échantillon" in response.get_data(as_text=True)


def test_rotation_from_last_years_draw_shows_the_overlap_achieved(
    app: Flask, login_as: Login, new_campaign: Callable[..., int]
) -> None:
    last_year = new_campaign(2025, frame_csv(count_per_stratum=30))
    this_year = new_campaign(2026, frame_csv(count_per_stratum=32, skip=7))
    browser, _ = login_as("coordinator")
    assert post_form(browser, last_year, size=90).status_code == 302
    (previous,) = draws(app)
    html = browser.get(page_url(this_year)).get_data(as_text=True)
    assert f'<option value="{previous.id}">Baromètre 2025 (2025) · tirage n° {previous.id}' in html
    response = post_form(
        browser, this_year, size=90, seed=99, previous_draw=previous.id, overlap=50
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    text = squash(browser.get(page_url(this_year)).get_data(as_text=True))
    assert f"depuis le tirage n° {previous.id}, recouvrement visé 50\u202f%" in text
    with app.app_context():
        campaign = campaigns.get_campaign(db.session, this_year)
        current = sample_draws.current_draw(db.session, campaign)
        assert current is not None
        summary = sample_draws.overlap_summary(current)
    assert summary is not None
    kept, target = summary
    # The overlap reached is random around the target (the shift is fixed so that every
    # site keeps π = n/N); the page must report it as it is.
    assert target == 45
    assert 0 <= kept <= 90
    assert f"atteint : <strong>{kept} sites repris sur {target} visés</strong>" in text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seed": ""}, "Indiquez une graine (un nombre entier)."),
        ({"seed": "abc"}, "La graine doit être un nombre entier, par exemple 2026."),
        ({"size": 0}, "Au moins 1 site."),
        ({"overlap": 50}, "Choisissez le tirage précédent à recouvrir."),
        ({"overlap": 150}, "Entre 0 et 100 %."),
        ({"allocation": "au-hasard"}, "Choisissez une des allocations proposées."),
        ({"strata": ["network", "couleur"]}, "Colonne absente de la base : « couleur »."),
        ({"allocation": "neyman"}, "L’allocation de Neyman demande l’écart-type de chaque strate"),
        ({"sd": "Préfecture × Bretagne"}, "Ligne 1 : « strate ; écart-type » attendu"),
    ],
)
def test_bad_values_are_reported_by_field(
    app: Flask, login_as: Login, campaign_id: int, fields: dict[str, Any], message: str
) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(browser, campaign_id, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Vérifiez les champs signalés." in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert draws(app) == []


def test_service_refusal_is_shown_with_the_form_kept(
    app: Flask, login_as: Login, campaign_id: int
) -> None:
    browser, _ = login_as("coordinator")
    response = post_form(browser, campaign_id, allocation="equal", size=44, minimum=10)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Allocation impossible : Le minimum de 10 par strate demande 90 sites" in html
    assert 'id="size" min="1" name="size" required type="number" value="44"' in html
    assert 'checked id="allocation-2" name="allocation" type="radio" value="equal"' in html
    assert draws(app) == []


def test_neyman_uses_the_standard_deviations_given(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    sd = "\n".join(
        f"{network} × {region} ; {'3,0' if network == 'Préfecture' else '1'}"
        for network in NETWORKS
        for region in REGIONS
    )
    response = post_form(browser, campaign_id, button="preview", allocation="neyman", sd=sd)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    row = squash(html).split('<th scope="row">Préfecture × Bretagne</th>')[1].split("</tr>")[0]
    assert row.startswith(' <td class="num">12</td> <td class="num">9</td>')  # sd 3 vs 1


def test_drawing_on_an_empty_frame_says_so(
    app: Flask, login_as: Login, new_campaign: Callable[..., int]
) -> None:
    campaign = new_campaign(2026, b"")
    browser, _ = login_as("coordinator")
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert "La base de sondage de cette campagne est vide" in html
    response = post_form(browser, campaign)
    assert response.status_code == 422
    assert "importez d’abord les sites" in response.get_data(as_text=True)


def test_draw_without_csrf_token_is_refused(app: Flask, login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("coordinator")
    response = browser.post(page_url(campaign_id), data={"size": 45, "seed": 1, "submit_draw": "x"})
    assert response.status_code == 400
    assert draws(app) == []


def test_analyst_gets_403_on_the_sample_page(login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("analyst")
    response = browser.get(page_url(campaign_id))
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)


def test_analyst_may_download_the_drawn_sample(login_as: Login, campaign_id: int) -> None:
    coordinator, _ = login_as("coordinator")
    assert post_form(coordinator, campaign_id).status_code == 302
    analyst, _ = login_as("analyst")
    response = analyst.get(page_url(campaign_id) + ".csv")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())


def test_admin_may_draw(app: Flask, login_as: Login, campaign_id: int) -> None:
    browser, _ = login_as("admin")
    assert post_form(browser, campaign_id).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Draw)) == 1
