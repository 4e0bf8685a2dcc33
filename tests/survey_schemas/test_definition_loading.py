"""Loading référentiels and questionnaires: JSON Schema, semantic checks, versions, fingerprint."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from survey_schemas import (
    InvalidDefinition,
    Referentiel,
    fingerprint,
    load_questionnaire,
    load_referentiel,
)

Document = dict[str, Any]
Mutation = Callable[[Document], None]


def _set(path: list[str | int], value: Any) -> Mutation:
    def mutate(document: Document) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


def _append(question: Document) -> Mutation:
    return lambda document: document["questions"].append(question)


TEXT_SCORED = {
    "id": "remarque",
    "type": "text",
    "label": "Remarque",
    "engagement": "E04",
    "scoring": {"rule": "points", "points": {"oui": 1}},
}

BAD_QUESTIONNAIRES: list[tuple[str, Mutation, str]] = [
    (
        "malformed condition",
        _set(["questions", 1, "visible_if"], 'decroche = = "oui"'),
        'questions[1] (id "sonneries").visible_if : condition invalide, position 12',
    ),
    (
        "forward condition",
        _set(["questions", 1, "visible_if"], 'politesse = "oui"'),
        "« politesse », qui vient après cette question",
    ),
    (
        "cyclic condition",
        _set(["questions", 0, "visible_if"], 'politesse = "oui"'),
        "dépendance circulaire : decroche → politesse → decroche",
    ),
    (
        "self reference",
        _set(["questions", 0, "visible_if"], 'decroche = "oui"'),
        "dépendance circulaire : la question dépend d’elle-même",
    ),
    (
        "unknown question in condition",
        _set(["questions", 1, "visible_if"], 'inconnue = "oui"'),
        "question « inconnue » inconnue",
    ),
    (
        "unknown engagement code",
        _set(["questions", 2, "engagement"], "E99"),
        'questions[2] (id "politesse").engagement : engagement « E99 » inconnu',
    ),
    (
        "duplicate question id",
        _set(["questions", 2, "id"], "decroche"),
        "identifiant en double : déjà utilisé par questions[0]",
    ),
    (
        "scoring rule on free text",
        _append(TEXT_SCORED),
        "une question de type « text » ne peut pas être notée",
    ),
    (
        "choice missing from scoring rule",
        _set(["questions", 0, "scoring", "points"], {"oui": 1}),
        "choix « non » absent de la règle de notation",
    ),
    (
        "unknown value in scoring rule",
        _set(["questions", 0, "scoring", "points"], {"oui": 1, "non": 0, "peut_etre": 1}),
        "valeur « peut_etre » inconnue",
    ),
    (
        "scoring without engagement",
        lambda document: document["questions"][0].pop("engagement"),
        "une question notée doit indiquer son engagement",
    ),
    (
        "rule unfit for the type",
        _set(["questions", 1, "scoring"], {"rule": "points", "points": {"oui": 1}}),
        "règle « points » impossible pour le type « rings »",
    ),
    (
        "no possible points",
        _set(["questions", 0, "scoring", "points"], {"oui": 0, "non": 0}),
        "aucun point possible",
    ),
    (
        "bands not increasing",
        _set(
            ["questions", 1, "scoring", "bands"], [{"max": 5, "points": 1}, {"max": 3, "points": 2}]
        ),
        "strictement croissants",
    ),
    (
        "order comparison on a choice question",
        _set(["questions", 1, "visible_if"], 'decroche > "oui"'),
        "question à choix",
    ),
    (
        "literal that is not a possible answer",
        _set(["questions", 1, "visible_if"], 'decroche = "peut-être"'),
        "n’est pas une réponse possible de « decroche »",
    ),
    (
        "text compared with a number question",
        _set(["questions", 2, "visible_if"], 'sonneries = "cinq"'),
        "est numérique",
    ),
    (
        "constraint unfit for the type",
        _set(["questions", 0, "constraints"], {"max_photos": 2}),
        "la contrainte « max_photos » ne s’applique pas au type « yes_no »",
    ),
    (
        "min above max",
        _set(["questions", 1, "constraints"], {"min": 9, "max": 3}),
        "min (9) supérieur à max (3)",
    ),
    (
        "unknown field",
        _set(["questions", 0, "colour"], "bleu"),
        'questions[0] (id "decroche") : champ inconnu : « colour »',
    ),
    (
        "missing label",
        lambda document: document["questions"][1].pop("label"),
        'questions[1] (id "sonneries") : champ obligatoire manquant : « label »',
    ),
    (
        "unknown type",
        _set(["questions", 0, "type"], "boolean"),
        'questions[0] (id "decroche").type : valeur "boolean" non permise',
    ),
    (
        "unknown channel",
        _set(["channel"], "fax"),
        'channel : valeur "fax" non permise',
    ),
    (
        "bad question id",
        _set(["questions", 0, "id"], "Décroché"),
        "ne respecte pas le format attendu",
    ),
    (
        "choice question without choices",
        _set(["questions", 0, "type"], "single_choice"),
        "une question « single_choice » doit avoir des choix",
    ),
    (
        "other référentiel version",
        _set(["referentiel", "version"], 2),
        "le questionnaire vise le référentiel marianne v2",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in BAD_QUESTIONNAIRES],
)
def test_bad_questionnaire_is_refused_with_located_french_message(
    small_document: Callable[[], Document],
    marianne: Referentiel,
    mutate: Mutation,
    expected: str,
) -> None:
    document = small_document()
    mutate(document)
    with pytest.raises(InvalidDefinition) as info:
        load_questionnaire(document, marianne)
    assert any(expected in error for error in info.value.errors), info.value.errors


def test_small_questionnaire_loads(small_document: Callable[[], Document]) -> None:
    questionnaire = load_questionnaire(small_document())
    assert questionnaire.key == ("essai-phone", 1)
    assert questionnaire.referentiel == ("marianne", 1)
    assert questionnaire.scored_engagements == ("E08", "E04")


def test_every_error_is_reported_at_once(
    small_document: Callable[[], Document], marianne: Referentiel
) -> None:
    document = small_document()
    document["questions"][2]["engagement"] = "E99"
    document["questions"][1]["visible_if"] = "decroche ="
    with pytest.raises(InvalidDefinition) as info:
        load_questionnaire(document, marianne)
    assert len(info.value.errors) == 2


def test_unknown_referentiel_is_refused(small_document: Callable[[], Document]) -> None:
    document = small_document()
    document["referentiel"] = {"code": "inconnu", "version": 1}
    with pytest.raises(InvalidDefinition, match="inconnu v1 inconnu"):
        load_questionnaire(document)


def test_loads_from_path_and_bytes(small_document: Callable[[], Document], tmp_path: Path) -> None:
    path = tmp_path / "essai.v1.json"
    path.write_text(json.dumps(small_document()), encoding="utf-8")
    from_path = load_questionnaire(path)
    from_bytes = load_questionnaire(path.read_bytes())
    assert from_path == from_bytes


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(InvalidDefinition, match="JSON invalide, ligne 2, colonne 1"):
        load_referentiel(b'{"code": "x",\n}')


def test_fingerprint_ignores_key_order_and_layout(small_document: Callable[[], Document]) -> None:
    document = small_document()
    reordered = json.loads(json.dumps(document, sort_keys=True, indent=4))
    assert fingerprint(reordered) == fingerprint(document)


def test_fingerprint_changes_with_content(small_document: Callable[[], Document]) -> None:
    document = small_document()
    before = load_questionnaire(document).fingerprint
    document["questions"][0]["label"] = "Un agent a-t-il répondu ?"
    assert load_questionnaire(document).fingerprint != before


def test_fingerprint_is_sha256_hex(marianne: Referentiel) -> None:
    assert len(marianne.fingerprint) == 64
    assert marianne.fingerprint == fingerprint(marianne.document)


def _referentiel() -> Document:
    return {
        "code": "essai",
        "name": "Essai",
        "version": 3,
        "engagements": [{"code": "A1", "label": "Accueil"}, {"code": "A2", "label": "Délais"}],
    }


def test_referentiel_defaults() -> None:
    referentiel = load_referentiel(_referentiel())
    assert referentiel.key == ("essai", 3)
    assert (referentiel.required_level, referentiel.excellence) == (7.0, 9.0)
    assert referentiel.weights == {"A1": 1.0, "A2": 1.0}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"engagements": [{"code": "A1", "label": "x"}, {"code": "A1", "label": "y"}]},
            "en double",
        ),
        ({"required_level": 8, "excellence": 6}, "excellence"),
        ({"version": 0}, "version : doit être supérieur ou égal à 1"),
        ({"engagements": []}, "au moins 1 élément"),
        ({"engagements": [{"code": "A1", "label": "x", "weight": -1}]}, "weight : doit être"),
        ({"engagements": [{"code": "A1", "label": "x", "weight": 0}]}, "poids positif"),
        ({"name": 12}, "name : texte attendu, trouvé nombre"),
    ],
)
def test_bad_referentiel_is_refused(change: Document, expected: str) -> None:
    document = _referentiel() | change
    with pytest.raises(InvalidDefinition) as info:
        load_referentiel(document)
    assert any(expected in error for error in info.value.errors), info.value.errors


def test_referentiel_engagement_lookup(marianne: Referentiel) -> None:
    assert marianne.engagement("E07").label == "Temps d’attente au guichet"
    with pytest.raises(KeyError):
        marianne.engagement("E12")
