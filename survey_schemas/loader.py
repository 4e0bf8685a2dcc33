"""Loading référentiels and questionnaires from JSON: check, then build the typed objects.

Every document goes through the same two gates, the JSON Schema (shape) and the semantic checks
(meaning), whether it is a file shipped with the package or an upload on the server, so the two
can never disagree about what is valid.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

from survey_schemas.checks import questionnaire_errors, referentiel_errors
from survey_schemas.conditions import parse_condition
from survey_schemas.errors import InvalidDefinition
from survey_schemas.model import (
    Band,
    Choice,
    Constraints,
    DelayRule,
    Engagement,
    PointsRule,
    Question,
    Questionnaire,
    Referentiel,
    ScoringRule,
    Section,
    ThresholdRule,
)
from survey_schemas.schema_check import schema_errors

#: a path to a JSON file, the JSON text as bytes (an upload), or the already-parsed document
Source: TypeAlias = str | PathLike[str] | bytes | Mapping[str, Any]


def fingerprint(document: Mapping[str, Any]) -> str:
    """sha256 of the document's canonical JSON (sorted keys, no spaces, UTF-8).

    Key order and layout do not change it; any change of content does, so the server can refuse
    an upload that alters a (code, version) already stored. ``$schema`` is editor metadata and is
    left out.
    """
    content = {key: value for key, value in document.items() if key != "$schema"}
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_document(source: Source) -> dict[str, Any]:
    """The JSON object behind ``source``, as a private deep copy."""
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    try:
        if isinstance(source, bytes):
            document = json.loads(source.decode("utf-8"))
        else:
            document = json.loads(Path(source).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidDefinition(
            [f"JSON invalide, ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}"]
        ) from exc
    except UnicodeDecodeError as exc:
        raise InvalidDefinition(["le fichier n’est pas encodé en UTF-8"]) from exc
    if not isinstance(document, dict):
        raise InvalidDefinition(["document : un objet JSON est attendu"])
    return document


def load_referentiel(source: Source) -> Referentiel:
    """Check and build a référentiel; InvalidDefinition lists every problem found."""
    document = read_document(source)
    errors = schema_errors(document, "referentiel") or referentiel_errors(document)
    if errors:
        raise InvalidDefinition(errors)
    return Referentiel(
        code=document["code"],
        name=document["name"],
        version=document["version"],
        engagements=tuple(
            Engagement(
                code=item["code"],
                label=item["label"],
                description=item.get("description", ""),
                weight=float(item.get("weight", 1)),
            )
            for item in document["engagements"]
        ),
        required_level=float(document.get("required_level", 7)),
        excellence=float(document.get("excellence", 9)),
        fingerprint=fingerprint(document),
        document=document,
    )


def load_questionnaire(source: Source, referentiel: Referentiel | None = None) -> Questionnaire:
    """Check and build a questionnaire against its référentiel.

    Without ``referentiel``, the shipped one named by the document's (code, version) is used; the
    server passes the stored one for uploaded référentiels.
    """
    document = read_document(source)
    errors = schema_errors(document, "questionnaire")
    if errors:
        raise InvalidDefinition(errors)
    if referentiel is None:
        from survey_schemas.registry import shipped_referentiel  # here: registry imports loader

        wanted = document["referentiel"]
        try:
            referentiel = shipped_referentiel(wanted["code"], wanted["version"])
        except KeyError:
            raise InvalidDefinition(
                [f"referentiel : {wanted['code']} v{wanted['version']} inconnu"]
            ) from None
    errors = questionnaire_errors(document, referentiel)
    if errors:
        raise InvalidDefinition(errors)
    return Questionnaire(
        code=document["code"],
        version=document["version"],
        referentiel=(document["referentiel"]["code"], document["referentiel"]["version"]),
        channel=document["channel"],
        title=document["title"],
        description=document.get("description", ""),
        sections=tuple(
            Section(id=item["id"], title=item["title"], help=item.get("help", ""))
            for item in document.get("sections", [])
        ),
        questions=tuple(_question(item) for item in document["questions"]),
        fingerprint=fingerprint(document),
        document=document,
    )


def _question(item: Mapping[str, Any]) -> Question:
    source = item.get("visible_if")
    return Question(
        id=item["id"],
        type=item["type"],
        label=item["label"],
        help=item.get("help", ""),
        section=item.get("section"),
        required=item.get("required", False),
        choices=tuple(
            Choice(value=c["value"], label=c["label"], exclusive=c.get("exclusive", False))
            for c in item.get("choices", [])
        ),
        constraints=Constraints(**item.get("constraints", {})),
        visible_if=parse_condition(source) if source is not None else None,
        visible_if_source=source,
        engagement=item.get("engagement"),
        scoring=_scoring(item["scoring"]) if "scoring" in item else None,
    )


def _bands(items: list[Mapping[str, Any]]) -> tuple[Band, ...]:
    return tuple(Band(max=float(band["max"]), points=float(band["points"])) for band in items)


def _scoring(rule: Mapping[str, Any]) -> ScoringRule:
    if rule["rule"] == "points":
        return PointsRule(
            points={
                value: None if points is None else float(points)
                for value, points in rule["points"].items()
            }
        )
    if rule["rule"] == "thresholds":
        return ThresholdRule(bands=_bands(rule["bands"]), otherwise=float(rule.get("otherwise", 0)))
    return DelayRule(
        sent=rule["sent"], bands=_bands(rule["bands"]), otherwise=float(rule.get("otherwise", 0))
    )
