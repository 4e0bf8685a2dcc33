"""The sample form as a coordinator meets it: errors where the eye is, a new draw starting from
the current one, and every column named in French."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models import User
from server.services import campaigns, sample_draws
from server.services.frame_import import import_frame
from tests.server.web.test_coordinator_sample_pages import (
    NETWORKS,
    REGIONS,
    draws,
    frame_csv,
    page_url,
    post_form,
    squash,
)

#: Campaigns point at a stored référentiel, as a fresh install has them.
pytestmark = pytest.mark.usefixtures("shipped_referentiels")

Login = Callable[..., tuple[FlaskClient, User]]


@pytest.fixture
def make_campaign(app: Flask) -> Callable[..., int]:
    def make(year: int = 2026, data: bytes | None = None) -> int:
        with app.app_context():
            campaign = campaigns.create_campaign(
                db.session,
                name=f"Baromètre {year}",
                year=year,
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
                prn_seed=year,
            )
            db.session.commit()
            return int(campaign.id)

    return make


def parametres_section(html: str) -> str:
    """The « Nouveau tirage » card: from its opening tag to its end."""
    start = html.index('<section class="card" id="parametres"')
    return html[start : html.index("</section>", start)]


def input_tag(html: str, element_id: str) -> str:
    match = re.search(rf'<(input|select|textarea)[^>]* id="{element_id}"[^>]*>', html)
    assert match, f"no input with id {element_id}"
    return match.group(0)


# --- errors -------------------------------------------------------------------------------


def test_errors_are_listed_at_the_top_of_the_form_the_page_lands_on(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    response = post_form(browser, campaign, size=0, seed="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # the form posts to #parametres: the summary is inside that card, before the fields
    assert 'action="/coordination/campagnes/' in html
    assert '#parametres" novalidate>' in html
    card = parametres_section(html)
    assert card.index('class="error-summary"') < card.index("<form")
    assert 'class="error-summary"' not in html[: html.index('id="parametres"')]
    summary = card[card.index('class="error-summary"') : card.index("<form")]
    assert 'role="alert"' in summary
    assert "Vérifiez les champs signalés." in summary
    assert '<a href="#size">Taille de l’échantillon (sites) : Au moins 1 site.</a>' in summary
    assert '<a href="#seed">Graine du tirage aléatoire : Indiquez une graine' in summary


def test_fields_in_error_are_marked_and_described_by_their_message(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    html = post_form(browser, campaign, size=0).get_data(as_text=True)
    size = input_tag(html, "size")
    assert 'aria-invalid="true"' in size
    assert 'aria-describedby="size-error"' in size
    assert '<p class="field-error" id="size-error">Au moins 1 site.</p>' in html
    assert 'aria-invalid="true"' not in input_tag(html, "minimum")


def test_a_wrong_choice_marks_every_box_of_its_group(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    html = post_form(browser, campaign, allocation="au-hasard").get_data(as_text=True)
    assert '<a href="#allocation-0">Allocation : Choisissez une des allocations proposées.</a>' in (
        html
    )
    for index in range(3):
        box = input_tag(html, f"allocation-{index}")
        assert 'aria-invalid="true"' in box
        assert 'aria-describedby="allocation-error"' in box
    assert 'aria-describedby="allocation-error"' in html.split('id="allocation"')[0]  # fieldset


def test_a_redraw_without_confirmation_points_at_the_box_to_tick(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign).status_code == 302
    response = post_form(browser, campaign, seed=8)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    card = parametres_section(html)
    assert "Cochez « Remplacer le tirage actuel » pour le remplacer" in card
    assert '<a href="#confirm">Remplacer le tirage actuel : Cochez cette case' in card
    box = input_tag(html, "confirm")
    assert 'aria-invalid="true"' in box
    assert 'aria-describedby="confirm-error"' in box


def test_neyman_without_standard_deviations_is_asked_for_them_in_french(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    response = post_form(browser, campaign, button="preview", allocation="neyman")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#sd">Écarts-types par strate (allocation de Neyman seulement) : ' in html
    assert "(sd)" not in html
    assert 'aria-describedby="sd-hint sd-error"' in input_tag(html, "sd")


# --- a new draw starts from the current one ------------------------------------------------


def test_a_new_draw_starts_from_the_current_draws_parameters(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    campaign = make_campaign()
    browser, _ = login_as("coordinator")
    sd = "\n".join(f"{n} ; {'2,5' if n == 'Préfecture' else '1'}" for n in NETWORKS)
    drawn = post_form(
        browser,
        campaign,
        size=30,
        strata=["network"],
        allocation="neyman",
        sd=sd,
        minimum=3,
        seed=5,
        method="systematic",
        order_by="city",
    )
    assert drawn.status_code == 302, drawn.get_data(as_text=True)
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    assert 'value="30"' in input_tag(html, "size")
    assert 'value="3"' in input_tag(html, "minimum")
    assert "checked" in input_tag(html, "strata-0")  # Réseau
    assert "checked" not in input_tag(html, "strata-1")  # Région
    assert "checked" in input_tag(html, "allocation-1")  # Neyman
    assert "checked" in input_tag(html, "method-1")  # systematic
    assert '<option selected value="city">Commune</option>' in html
    assert "Préfecture ; 2,5\nSous-préfecture ; 1\n" in html
    # the seed is the campaign's year again: the same seed would give the same sample back
    assert 'value="2026"' in input_tag(html, "seed")
    assert "reprend les paramètres du tirage actuel" in html


def test_a_new_draw_keeps_the_rotation_of_the_current_one(
    app: Flask, login_as: Login, make_campaign: Callable[..., int]
) -> None:
    last_year = make_campaign(2025, frame_csv(count_per_stratum=30))
    this_year = make_campaign(2026, frame_csv(count_per_stratum=32, skip=7))
    browser, _ = login_as("coordinator")
    assert post_form(browser, last_year, size=90).status_code == 302
    (previous,) = draws(app)
    rotated = post_form(browser, this_year, size=90, previous_draw=previous.id, overlap=40)
    assert rotated.status_code == 302
    html = browser.get(page_url(this_year)).get_data(as_text=True)
    assert f'<option selected value="{previous.id}">Baromètre 2025 (2025)' in html
    assert 'value="40"' in input_tag(html, "overlap")
    # sent as it is, with the replacement ticked, the form draws again: the settings hold
    again = post_form(
        browser, this_year, size=90, previous_draw=previous.id, overlap=40, confirm="y"
    )
    assert again.status_code == 302


def test_the_rotation_source_stays_offered_after_it_was_replaced(
    app: Flask, login_as: Login, make_campaign: Callable[..., int]
) -> None:
    last_year = make_campaign(2025, frame_csv(count_per_stratum=30))
    this_year = make_campaign(2026, frame_csv(count_per_stratum=32))
    browser, _ = login_as("coordinator")
    post_form(browser, last_year, size=90)
    (previous,) = draws(app)
    assert (
        post_form(browser, this_year, size=90, previous_draw=previous.id, overlap=50).status_code
        == 302
    )
    assert post_form(browser, last_year, size=80, seed=3, confirm="y").status_code == 302
    html = browser.get(page_url(this_year)).get_data(as_text=True)
    assert f'<option selected value="{previous.id}">' in html
    assert "(remplacé depuis)" in html


# --- French names ---------------------------------------------------------------------------


def test_columns_are_named_in_french_in_the_form_and_the_draw(
    login_as: Login, make_campaign: Callable[..., int]
) -> None:
    lines = ["site_id,name,network,region,horaires,guichet_principal"]
    lines += [
        f"S{i},Site {i},{NETWORKS[i % 3]},{REGIONS[i % 2]},lun-ven 09:00-12:00,G{i % 2}"
        for i in range(30)
    ]
    campaign = make_campaign(2026, "\n".join(lines).encode())
    browser, _ = login_as("coordinator")
    html = browser.get(page_url(campaign)).get_data(as_text=True)
    labels = re.findall(r'<label for="strata-\d+">([^<]*)</label>', html)
    assert labels == [
        "Réseau",
        "Région",
        "Département",
        "Commune",
        "Code postal",
        "Guichet principal",
        "Horaires",
    ]
    assert ">horaires<" not in html
    assert ">network<" not in html
    preview = post_form(browser, campaign, button="preview", size=12, strata=["network", "region"])
    text = squash(preview.get_data(as_text=True))
    assert 'Strate <span class="muted">(Réseau × Région)</span>' in text
    assert post_form(browser, campaign, size=12).status_code == 302
    text = squash(browser.get(page_url(campaign)).get_data(as_text=True))
    assert "<dt>Strates</dt><dd>Réseau × Région</dd>" in text


def test_stratified_by_an_extra_column_the_draw_names_it_as_the_file_did(
    app: Flask, login_as: Login, make_campaign: Callable[..., int]
) -> None:
    lines = ["site_id,name,network,region,guichet_principal"]
    lines += [f"S{i},Site {i},{NETWORKS[0]},{REGIONS[0]},G{i % 2}" for i in range(20)]
    campaign = make_campaign(2026, "\n".join(lines).encode())
    browser, _ = login_as("coordinator")
    assert post_form(browser, campaign, size=6, strata=["guichet_principal"]).status_code == 302
    text = squash(browser.get(page_url(campaign)).get_data(as_text=True))
    assert "<dt>Strates</dt><dd>Guichet principal</dd>" in text
    with app.app_context():
        current = sample_draws.current_draw(
            db.session, campaigns.get_campaign(db.session, campaign)
        )
        assert current is not None
        assert current.parameters["strata"] == ["guichet_principal"]
