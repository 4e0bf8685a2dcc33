"""The drawn sites as a coordinator reads them: by pages of 50, in columns that fit the screen,
and in full in the CSV, with what fieldwork needs (address, email, phone, opening hours)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import User
from server.services import campaigns
from server.services.frame_import import import_frame
from server.web.coordinator.labels import opening_hours_text
from tests.server.web.test_coordinator_sample_pages import (
    frame_csv,
    page_url,
    parse_csv,
    post_form,
    squash,
)

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

Login = Callable[..., tuple[FlaskClient, User]]


@pytest.fixture
def make_campaign(app: Flask) -> Callable[..., int]:
    def make(data: bytes | None = None) -> int:
        with app.app_context():
            campaign = campaigns.create_campaign(
                db.session,
                name="Baromètre 2026",
                year=2026,
                referentiel_code="marianne",
                actor=None,
            )
            import_frame(
                db.session,
                campaign,
                frame_csv() if data is None else data,
                "base.csv",
                actor=None,
                max_bytes=10_000_000,
                prn_seed=2026,
            )
            db.session.commit()
            return int(campaign.id)

    return make


def site_rows(html: str) -> list[str]:
    """The body rows of the drawn-sites table."""
    table = html[html.index('<table class="table sites-table">') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


def header_cells(html: str) -> list[str]:
    table = html[html.index('<table class="table sites-table">') :]
    head = table[table.index("<thead>") : table.index("</thead>")]
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", head)
    ]


# --- pages ----------------------------------------------------------------------------------


def test_the_drawn_sites_come_fifty_to_a_page(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign, size=100).status_code == 302
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert "Sites 1–50 sur 100" in html
    assert len(site_rows(html)) == 50
    nav = html[html.index('<nav class="pagination"') :]
    nav = nav[: nav.index("</nav>")]
    assert 'aria-label="Pages des sites tirés"' in nav
    assert 'aria-current="page"><span class="visually-hidden">Page </span>1</a>' in nav
    assert f'href="{page_url(campaign)}?page=2#sites" rel="next"' in nav
    assert "Précédente" not in nav
    second = browser.get(page_url(campaign), query_string={"page": 2}).get_data(as_text=True)
    assert "Sites 51–100 sur 100" in second
    assert len(site_rows(second)) == 50
    assert set(site_rows(html)).isdisjoint(site_rows(second))
    assert 'rel="prev"' in second
    assert "Suivante" not in second


def test_page_links_keep_the_filters(login_as: Login, make_campaign: Callable[..., int]) -> None:
    campaign = make_campaign(frame_csv(count_per_stratum=40))
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign, size=270).status_code == 302  # 30 in each stratum
    html = browser.get(page_url(campaign), query_string={"network": "Préfecture"}).get_data(
        as_text=True
    )
    assert "Sites 1–50 sur 90 (filtrés)" in html
    assert "network=Pr%C3%A9fecture&amp;page=2#sites" in html
    page_two = browser.get(
        page_url(campaign), query_string={"network": "Préfecture", "page": 2}
    ).get_data(as_text=True)
    assert "Sites 51–90 sur 90 (filtrés)" in page_two
    assert len(site_rows(page_two)) == 40
    assert all("<td>Préfecture</td>" in row for row in site_rows(page_two))


@pytest.mark.parametrize(
    ("asked", "shown"), [("99", "Sites 51–100 sur 100"), ("abc", "Sites 1–50")]
)
def test_a_page_out_of_range_shows_the_nearest_one(
    login_as: Login, make_campaign: Callable[..., int], asked: str, shown: str
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    post_form(browser, campaign, size=100)
    response = browser.get(page_url(campaign), query_string={"page": asked})
    assert response.status_code == 200
    assert shown in response.get_data(as_text=True)


def test_the_csv_has_every_drawn_site_not_one_page(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    post_form(browser, campaign, size=100)
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert "Télécharger les 100 sites en CSV" in html
    rows = parse_csv(browser.get(f"{page_url(campaign)}.csv").data)
    assert len(rows) == 1 + 100


# --- columns --------------------------------------------------------------------------------


def test_the_table_keeps_the_columns_that_fit_a_desk_screen(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    post_form(browser, campaign, size=20)
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    # Réseau × Région strata add nothing to the Réseau and Région columns: no Strate column
    assert header_cells(html) == [
        "Code",
        "Nom",
        "Réseau",
        "Région",
        "Commune (département)",
        "Probabilité d’inclusion",
        "Poids",
    ]
    assert 'Ville 0 <span class="muted">(29)</span>' in squash(html)


def test_the_stratum_column_comes_back_when_it_says_more(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    post_form(browser, campaign, size=20, strata=["network", "department"])
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert "Strate" in header_cells(html)
    assert "<td>Préfecture × 29</td>" in html


# --- CSV for fieldwork -------------------------------------------------------------------------


CONTACT_FRAME = "\n".join(
    [
        "code_site;nom;reseau;region;adresse;code_postal;commune;courriel;telephone;horaires",
        "P35;Préfecture d’Ille-et-Vilaine;Préfecture;Bretagne;3 avenue de la Préfecture;"
        "35000;Rennes;accueil@ille-et-vilaine.gouv.fr;02 99 02 10 35;"
        '"lun-ven 08:30-12:00,13:30-16:30; sam 09:00-12:00"',
        "P56;Préfecture du Morbihan;Préfecture;Bretagne;24 place de la République;56000;Vannes;;;",
    ]
).encode()


def test_the_csv_carries_the_contacts_and_readable_opening_hours(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign(CONTACT_FRAME)
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign, size=2, strata=["network"], minimum=0).status_code == 302
    header, *rows = parse_csv(browser.get(f"{page_url(campaign)}.csv").data)
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    rennes = by_code["P35"]
    assert rennes["Adresse"] == "3 avenue de la Préfecture"
    assert rennes["Code postal"] == "35000"
    assert rennes["Courriel"] == "accueil@ille-et-vilaine.gouv.fr"
    assert rennes["Téléphone"] == "02 99 02 10 35"
    weekday = "08:30–12:00, 13:30–16:30"
    assert rennes["Horaires d’ouverture"] == (
        f"lun. {weekday} ; mar. {weekday} ; mer. {weekday} ; jeu. {weekday} ; "
        f"ven. {weekday} ; sam. 09:00–12:00"
    )
    vannes = by_code["P56"]
    assert (vannes["Courriel"], vannes["Téléphone"], vannes["Horaires d’ouverture"]) == ("", "", "")


@pytest.mark.parametrize(
    ("week", "text"),
    [
        (None, ""),
        ({}, ""),
        ({"2": [["14:00", "17:00"]]}, "mer. 14:00–17:00"),
        (
            {"6": [["10:00", "12:00"]], "0": [["08:00", "12:00"], ["13:00", "17:30"]]},
            "lun. 08:00–12:00, 13:00–17:30 ; dim. 10:00–12:00",
        ),
    ],
)
def test_opening_hours_read_as_french_text(
    week: dict[str, list[list[str]]] | None, text: str
) -> None:
    assert opening_hours_text(week) == text
