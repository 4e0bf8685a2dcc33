"""Validation and cleaning of a report's answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from survey_schemas import (
    InvalidAnswers,
    Questionnaire,
    clean_answers,
    shipped_questionnaire,
    validate_answers,
)

Document = dict[str, Any]
TODAY = date(2024, 6, 14)


def _q(qid: str, kind: str, **extra: Any) -> Document:
    return {"id": qid, "type": kind, "label": qid} | extra


@pytest.fixture
def every_type(make_questionnaire: Callable[[list[Document]], Questionnaire]) -> Questionnaire:
    """One optional question of each type, with typical constraints."""
    choices = [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]
    return make_questionnaire(
        [
            _q("yn", "yes_no"),
            _q("ynn", "yes_no_na"),
            _q("one", "single_choice", choices=choices),
            _q(
                "many",
                "multiple_choice",
                choices=[*choices, {"value": "aucun", "label": "Aucun", "exclusive": True}],
            ),
            _q("n", "integer", constraints={"min": 1, "max": 10}),
            _q("ring", "rings"),
            _q("wait", "duration_minutes"),
            _q("dec", "decimal"),
            _q("day", "date", constraints={"not_after_today": True}),
            _q("hour", "time"),
            _q("later", "time", constraints={"not_before": "hour"}),
            _q("moment", "datetime"),
            _q("note", "text", constraints={"max_length": 5, "pattern": "[a-z]+"}),
            _q("pics", "photo", constraints={"max_photos": 2}),
            _q("where", "position"),
        ]
    )


@pytest.mark.parametrize(
    ("question", "raw", "canonical"),
    [
        ("yn", "oui", "oui"),
        ("yn", " NON ", "non"),
        ("yn", True, "oui"),
        ("yn", False, "non"),
        ("ynn", "na", "na"),
        ("ynn", "N/A", "na"),
        ("one", " b", "b"),
        ("many", ["b", "a"], ["a", "b"]),
        ("n", 7, 7),
        ("n", "7", 7),
        ("n", 7.0, 7),
        ("ring", 0, 0),
        ("wait", "12", 12),
        ("dec", "3,5", 3.5),
        ("dec", 2, 2.0),
        ("day", "2024-06-14", "2024-06-14"),
        ("hour", "09:05:59", "09:05"),
        ("moment", "2024-06-14T09:05+02:00", "2024-06-14T09:05:00+02:00"),
        ("moment", "2024-06-14T07:05:00Z", "2024-06-14T07:05:00+00:00"),
        ("note", " abc ", "abc"),
        ("pics", "photo-1", ["photo-1"]),
        ("where", {"latitude": 48.85, "longitude": 2}, {"latitude": 48.85, "longitude": 2.0}),
        (
            "where",
            {"latitude": 0, "longitude": 0, "accuracy": 8},
            {"latitude": 0.0, "longitude": 0.0, "accuracy": 8.0},
        ),
    ],
)
def test_answer_is_cleaned_to_its_canonical_form(
    every_type: Questionnaire, question: str, raw: Any, canonical: Any
) -> None:
    assert clean_answers(every_type, {question: raw}, today=TODAY) == {question: canonical}


@pytest.mark.parametrize("empty", [None, "", [], {}, "   "])
def test_empty_values_mean_no_answer(every_type: Questionnaire, empty: Any) -> None:
    assert clean_answers(every_type, {"note": empty}, today=TODAY) == {}


@pytest.mark.parametrize(
    ("question", "raw", "expected"),
    [
        ("yn", "peut-être", "réponse « oui » ou « non » attendue"),
        ("yn", 1, "réponse « oui » ou « non » attendue"),
        ("ynn", "sans avis", "« na »"),
        ("one", "c", "choix inconnu 'c'"),
        ("many", "a", "une liste de choix est attendue"),
        ("many", ["a", "z"], "choix inconnu(s) : z"),
        ("many", ["a", "a"], "deux fois"),
        ("many", ["a", "aucun"], "« Aucun » ne peut pas être coché avec un autre choix"),
        ("n", "sept", "un nombre entier est attendu"),
        ("n", 2.5, "un nombre entier est attendu"),
        ("n", True, "un nombre entier est attendu"),
        ("n", 0, "doit être au moins 1"),
        ("n", 11, "doit être au plus 10"),
        ("ring", -1, "positif ou nul"),
        ("dec", "3,5,1", "un nombre est attendu"),
        ("dec", float("nan"), "un nombre est attendu"),
        ("day", "14/06/2024", "une date AAAA-MM-JJ est attendue"),
        ("day", "2024-02-30", "une date AAAA-MM-JJ est attendue"),
        ("day", "2024-06-15", "date dans le futur (après le 14/06/2024)"),
        ("hour", "25:00", "une heure HH:MM est attendue"),
        ("moment", "2024-06-14 09:05", "ISO 8601"),
        ("note", "abcdef", "au plus 5 caractères"),
        ("note", "ab1", "format"),
        ("note", 12, "un texte est attendu"),
        ("pics", ["p1", "p2", "p3"], "au plus 2 photo(s)"),
        ("pics", ["p1", "p1"], "deux fois"),
        ("where", {"latitude": 91, "longitude": 0}, "latitude entre -90 et 90"),
        ("where", {"lat": 1, "lon": 2}, "position"),
        ("where", "48.8 2.3", "position"),
    ],
)
def test_wrong_answer_is_refused(
    every_type: Questionnaire, question: str, raw: Any, expected: str
) -> None:
    errors = validate_answers(every_type, {question: raw}, today=TODAY)
    assert list(errors) == [question]
    assert expected in errors[question][0]


def test_time_before_the_one_it_follows_is_refused(every_type: Questionnaire) -> None:
    errors = validate_answers(every_type, {"hour": "10:00", "later": "09:59"}, today=TODAY)
    assert errors == {"later": ["ne peut pas précéder la réponse à « hour » (10:00)"]}


def test_unknown_question_is_refused(every_type: Questionnaire) -> None:
    errors = validate_answers(every_type, {"inconnue": "oui"}, today=TODAY)
    assert errors == {"inconnue": ["question inconnue dans ce questionnaire"]}


def test_answers_must_be_an_object(every_type: Questionnaire) -> None:
    assert "__all__" in validate_answers(every_type, ["oui"], today=TODAY)


def test_clean_answers_raises_with_the_errors(every_type: Questionnaire) -> None:
    with pytest.raises(InvalidAnswers) as info:
        clean_answers(every_type, {"n": 0}, today=TODAY)
    assert info.value.errors == {"n": ["doit être au moins 1"]}


@pytest.fixture
def small(small_document: Callable[[], Document]) -> Questionnaire:
    from survey_schemas import load_questionnaire

    return load_questionnaire(small_document())


def test_required_visible_question_must_be_answered(small: Questionnaire) -> None:
    errors = validate_answers(small, {"decroche": "oui"}, today=TODAY)
    assert errors == {"sonneries": ["réponse obligatoire"]}


def test_required_hidden_question_may_be_left_out(small: Questionnaire) -> None:
    assert validate_answers(small, {"decroche": "non"}, today=TODAY) == {}


def test_answer_to_hidden_question_is_refused_and_says_so(small: Questionnaire) -> None:
    errors = validate_answers(small, {"decroche": "non", "sonneries": 3}, today=TODAY)
    assert errors == {
        "sonneries": [
            'question masquée par sa condition (decroche = "oui") : '
            "aucune réponse ne doit être donnée"
        ]
    }


def test_dependant_of_a_wrong_answer_is_not_called_hidden(small: Questionnaire) -> None:
    errors = validate_answers(small, {"decroche": "peut-être", "sonneries": 3}, today=TODAY)
    assert list(errors) == ["decroche"]


VISIT = {
    "v_date_visite": "2024-06-14",
    "v_heure_arrivee": "10:00",
    "v_position": {"latitude": 48.85, "longitude": 2.35},
    "v_site_ouvert": "non",
    "v_horaires_affiches": "non",
    "v_signaletique_exterieure": "oui",
    "v_acces_fauteuil": "plain_pied",
    "v_place_pmr": "na",
    "v_heure_sortie": "10:05",
}


def test_shipped_visit_of_a_closed_site_is_valid() -> None:
    visit = shipped_questionnaire("marianne-visit", 1)
    assert validate_answers(visit, VISIT, today=TODAY) == {}


def test_visit_date_in_the_future_is_refused() -> None:
    visit = shipped_questionnaire("marianne-visit", 1)
    errors = validate_answers(visit, VISIT | {"v_date_visite": "2024-06-15"}, today=TODAY)
    assert errors == {"v_date_visite": ["date dans le futur (après le 14/06/2024)"]}


def test_reply_date_before_send_date_is_refused() -> None:
    letter = shipped_questionnaire("marianne-letter", 1)
    answers = {
        "l_date_envoi": "2024-03-04",
        "l_affranchissement": "lettre_verte",
        "l_adresse": "Préfecture, 1 place de la République",
        "l_reponse_recue": "oui",
        "l_date_reponse": "2024-03-01",
        "l_canal_reponse": "courrier",
        "l_reponse_fond": "complete",
        "l_sans_jargon": "oui",
        "l_signature": "oui",
        "l_coordonnees": "oui",
        "l_piece_reponse": ["scan-1"],
    }
    errors = validate_answers(letter, answers, today=TODAY)
    assert list(errors) == ["l_date_reponse"]
    assert errors["l_date_reponse"][0].startswith(
        "ne peut pas précéder la réponse à « Date d’envoi"
    )
