"""Grades of one test (score_test) and of one site (site_grades), computed by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from survey_schemas import (
    InvalidAnswers,
    Questionnaire,
    load_questionnaire,
    score_test,
    shipped_questionnaire,
    site_grades,
)

Document = dict[str, Any]
CLOSED = date(2025, 2, 28)


@pytest.fixture
def small(small_document: Callable[[], Document]) -> Questionnaire:
    return load_questionnaire(small_document())


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # answered (1/1) in 3 rings (2/2): E08 3/3; greeted (1/1)
        ({"decroche": "oui", "sonneries": 3, "politesse": "oui"}, {"E08": 10.0, "E04": 10.0}),
        # answered (1/1) in 7 rings (0/2): E08 1/3 → 3.33; not greeted 0/1
        ({"decroche": "oui", "sonneries": 7, "politesse": "non"}, {"E08": 10 / 3, "E04": 0.0}),
        # greeting N/A: E04 leaves both points and possible → no data
        ({"decroche": "oui", "sonneries": 5, "politesse": "na"}, {"E08": 10.0, "E04": None}),
        # not answered: E08 0/1; the hidden questions are not applicable
        ({"decroche": "non"}, {"E08": 0.0, "E04": None}),
    ],
)
def test_score_small_questionnaire(
    small: Questionnaire, answers: Document, expected: dict[str, float | None]
) -> None:
    assert score_test(small, answers) == pytest.approx(expected)


def test_score_refuses_invalid_answers(small: Questionnaire) -> None:
    with pytest.raises(InvalidAnswers):
        score_test(small, {"decroche": "peut-être"})


EMAIL = {
    "m_date_envoi": "2024-12-20",
    "m_adresse": "accueil@prefecture.gouv.fr",
    "m_accuse_reception": "oui",
    "m_reponse_recue": "oui",
    "m_date_reponse": "2024-12-31",
    "m_reponse_fond": "partielle",
    "m_sans_jargon": "oui",
    "m_signature": "non",
    "m_coordonnees": "oui",
    "m_orientation": "competent",
    "m_piece_reponse": ["capture-1"],
}


@pytest.mark.parametrize(
    ("department", "expected_e09"),
    [
        # Fri 20 Dec → Tue 31 Dec 2024: 23, 24, 26, 27, 30, 31 = 6 working days > 5 → delay 0/3;
        # receipt 1/1, substance 1/2, no jargon 1/1, unsigned 0/1, contacts 1/1 → 4/9
        (None, 10 * 4 / 9),
        # in Moselle 26 December is off: 5 working days ≤ 5 → delay 3/3 → 7/9
        ("57", 10 * 7 / 9),
    ],
)
def test_email_delay_counts_working_days_of_the_department(
    department: str | None, expected_e09: float
) -> None:
    grades = score_test(shipped_questionnaire("marianne-email", 1), EMAIL, department=department)
    assert grades == pytest.approx({"E09": expected_e09, "E02": 10.0})


NO_REPLY = {
    "m_date_envoi": "2024-12-20",
    "m_adresse": "accueil@prefecture.gouv.fr",
    "m_reponse_recue": "non",
}


def test_missing_reply_scores_zero_once_the_wave_is_closed() -> None:
    grades = score_test(shipped_questionnaire("marianne-email", 1), NO_REPLY, wave_closed_on=CLOSED)
    # delay 0/3 and nothing else applies: E09 0; orientation hidden: E02 no data
    assert grades == {"E09": 0.0, "E02": None}


def test_missing_reply_is_pending_while_the_wave_is_open() -> None:
    grades = score_test(shipped_questionnaire("marianne-email", 1), NO_REPLY)
    assert grades == {"E09": None, "E02": None}


def test_letter_across_christmas_in_moselle() -> None:
    # Mon 16 Dec 2024 → Mon 6 Jan 2025 = 13 working days nationally, 12 in Moselle: ≤ 15 either
    # way → delay 3/3; complete 2/2, clear 1/1, signed 1/1, contacts 0/1 → E10 = 7/8
    answers = {
        "l_date_envoi": "2024-12-16",
        "l_affranchissement": "lettre_verte",
        "l_adresse": "Sous-préfecture de Sarreguemines",
        "l_reponse_recue": "oui",
        "l_date_reponse": "2025-01-06",
        "l_canal_reponse": "courrier",
        "l_reponse_fond": "complete",
        "l_sans_jargon": "oui",
        "l_signature": "oui",
        "l_coordonnees": "non",
        "l_piece_reponse": ["scan-1"],
    }
    letter = shipped_questionnaire("marianne-letter", 1)
    assert score_test(letter, answers, department="57") == pytest.approx({"E10": 10 * 7 / 8})


def test_website_multiple_choice_points_add_up() -> None:
    # E03: PMR info published 1/1, two of four elements described 2/4 → 3/5 = 6
    answers = {
        "w_date_consultation": "2024-06-14",
        "w_adresse_page": "https://www.moselle.gouv.fr/accueil",
        "w_horaires_publies": "oui",
        "w_horaires_a_jour": "non",
        "w_adresse_publiee": "oui",
        "w_telephone_publie": "oui",
        "w_plan_acces": "non",
        "w_info_pmr": "oui",
        "w_elements_pmr": ["entree", "guichet"],
        "w_resultats_publies": "non",
        "w_captures": ["c1"],
    }
    grades = score_test(shipped_questionnaire("marianne-website", 1), answers)
    # E01: 3 of 5 yes → 6; E11: results not published 0/1 → 0
    assert grades == pytest.approx({"E01": 6.0, "E03": 6.0, "E11": 0.0})


def test_site_grades_mean_per_engagement_and_equal_weights() -> None:
    tests: list[dict[str, float | None]] = [
        {"E04": 10.0, "E08": 5.0},
        {"E04": 6.0, "E08": None},
        {"E04": None, "E09": None},
    ]
    means, overall = site_grades(tests)
    # E04 (10 + 6) / 2 = 8; E08 5; E09 no data; overall (8 + 5) / 2 = 6.5
    assert means == {"E04": 8.0, "E08": 5.0, "E09": None}
    assert overall == 6.5


def test_site_grades_weighted() -> None:
    # (3 × 8 + 1 × 4) / 4 = 7
    _, overall = site_grades([{"E04": 8.0, "E08": 4.0}], weights={"E04": 3, "E08": 1})
    assert overall == 7.0


def test_site_without_data_has_no_grade() -> None:
    assert site_grades([{"E04": None}]) == ({"E04": None}, None)


@pytest.mark.parametrize(
    ("weights", "message"),
    [({"E04": 1}, "pas de poids pour l’engagement E08"), ({"E04": 1, "E08": -1}, "négatif")],
)
def test_site_grades_refuses_bad_weights(weights: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        site_grades([{"E04": 8.0, "E08": 4.0}], weights=weights)
