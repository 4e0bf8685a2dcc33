"""Definition documents and their typed objects: reading an upload, and rebuilding the
``survey_schemas`` object of a stored version.

Nothing here writes to the database. Rebuilt objects are cached by fingerprint, so validating
or scoring many reports against one stored version parses its document once per process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import survey_schemas
from server.models import Questionnaire, Referentiel
from server.services.errors import Invalid

#: Labels of the fixed answers of yes/no questions, as the investigator reads them.
YES_NO_LABELS = {"oui": "Oui", "non": "Non", "na": "Sans objet"}


# --- parsing ------------------------------------------------------------------------------


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def parse_document(raw: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object behind an upload, or ``Invalid`` saying in French what is wrong.

    ``NaN`` and ``Infinity`` are refused here: Python's ``json`` accepts them but they are not
    JSON, and the fingerprint (canonical JSON) cannot be computed with them.
    """
    if isinstance(raw, Mapping):
        try:
            json.dumps(raw, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise invalid([f"document : valeur non représentable en JSON ({error})"]) from None
        return dict(raw)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid(["document : le fichier n’est pas encodé en UTF-8"]) from None
    if not raw.strip():
        raise invalid(["document : le fichier est vide (un document JSON est attendu)"])
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise invalid(
            [f"document : JSON mal formé, ligne {error.lineno}, colonne {error.colno}"]
        ) from None
    except ValueError as error:
        raise invalid([f"document : « {error} » n’est pas une valeur JSON permise"]) from None
    except RecursionError:
        raise invalid(["document : imbrication trop profonde"]) from None
    if not isinstance(document, dict):
        raise invalid(["document : un objet JSON { … } est attendu"])
    return document


def invalid(messages: list[str] | tuple[str, ...]) -> Invalid:
    """A 422 whose ``errors.document`` lists every message, each already locating its
    question (``questions[3] (id "t_sonneries").scoring : …``)."""
    count = len(messages)
    summary = "Document refusé : " + (
        messages[0] if count == 1 else f"{count} problèmes, voir le détail."
    )
    return Invalid(summary, {"document": list(messages)})


def document_kind(document: Mapping[str, Any]) -> str:
    """``"questionnaire"`` or ``"referentiel"``, told apart by their mandatory lists, so one
    upload field (or one command) takes either."""
    if "questions" in document or "channel" in document:
        return "questionnaire"
    if "engagements" in document:
        return "referentiel"
    raise invalid(
        [
            "document : ni référentiel (pas de « engagements ») "
            "ni questionnaire (pas de « questions »)"
        ]
    )


# --- stored rows back to survey_schemas objects -------------------------------------------


@dataclass(frozen=True)
class _Stored:
    """A stored document keyed by its fingerprint alone, so ``lru_cache`` neither hashes nor
    compares the (large) content; the fingerprint is the SHA-256 of that very content."""

    fingerprint: str
    content: Mapping[str, Any] = field(compare=False, hash=False)


@lru_cache(maxsize=64)
def _referentiel_from(stored: _Stored) -> survey_schemas.Referentiel:
    model = survey_schemas.load_referentiel(stored.content)
    _check_fingerprint(model.fingerprint, stored.fingerprint)
    return model


@lru_cache(maxsize=256)
def _questionnaire_from(stored: _Stored, referentiel: _Stored) -> survey_schemas.Questionnaire:
    model = survey_schemas.load_questionnaire(
        stored.content, referentiel=_referentiel_from(referentiel)
    )
    _check_fingerprint(model.fingerprint, stored.fingerprint)
    return model


def _check_fingerprint(computed: str, stored: str) -> None:
    if computed != stored:  # edited behind the application's back: never score with it
        raise RuntimeError(f"stored definition altered: fingerprint {computed} != {stored}")


def referentiel_model(row: Referentiel) -> survey_schemas.Referentiel:
    """The ``survey_schemas`` object of a stored référentiel version (built once per process)."""
    return _referentiel_from(_Stored(row.fingerprint, row.content))


def questionnaire_model(row: Questionnaire) -> survey_schemas.Questionnaire:
    """The ``survey_schemas`` object of a stored questionnaire version, built against its
    stored référentiel: validating and scoring a report uses exactly the version it was filled
    with."""
    referentiel = row.referentiel
    return _questionnaire_from(
        _Stored(row.fingerprint, row.content),
        _Stored(referentiel.fingerprint, referentiel.content),
    )


def answer_choices(question: survey_schemas.Question) -> list[survey_schemas.Choice]:
    """The answers an investigator picks from, the fixed ones of yes/no questions included."""
    if question.type in ("yes_no", "yes_no_na"):
        return [
            survey_schemas.Choice(value=v, label=YES_NO_LABELS[v]) for v in question.answer_values
        ]
    return list(question.choices)


def check_document(
    raw: bytes | str | Mapping[str, Any], *, referentiel: bytes | None = None
) -> survey_schemas.Referentiel | survey_schemas.Questionnaire:
    """Check a document with no database (the ``validate`` command, before any upload).

    A questionnaire is checked against ``referentiel`` (a référentiel file) when given, else
    against the shipped référentiel it names. ``Invalid`` lists every problem.
    """
    document = parse_document(raw)
    try:
        if document_kind(document) == "referentiel":
            return survey_schemas.load_referentiel(document)
        base = survey_schemas.load_referentiel(parse_document(referentiel)) if referentiel else None
        return survey_schemas.load_questionnaire(document, referentiel=base)
    except survey_schemas.InvalidDefinition as error:
        raise invalid(error.errors) from None
