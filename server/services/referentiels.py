"""Référentiels and questionnaires: storing checked versions and finding them again.

``survey_schemas`` decides what a valid document is; this module stores each (code, version)
once, with its fingerprint, and refuses to let it change afterwards: reports keep the version
they were filled with, so a correction is always published as a new version (a new row), never
as an edit of an old one. Re-loading an identical version is harmless, which makes
``load_shipped`` safe to run at every deployment and every demo build.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

import survey_schemas
from server.models import Questionnaire, Referentiel, User
from server.services import audit
from server.services.definitions import (
    document_kind,
    invalid,
    parse_document,
    referentiel_model,
)
from server.services.errors import Conflict, NotFound

Row = TypeVar("Row", Referentiel, Questionnaire)

CHANGED_VERSION = "une version existante ne peut pas changer : publiez une nouvelle version"


@dataclass(frozen=True)
class LoadOutcome(Generic[Row]):
    """The stored row, and whether this load created it (False: identical version existed)."""

    row: Row
    created: bool


@dataclass
class ShippedOutcome:
    """What ``load_shipped`` did: keys of the rows created, and how many were already there."""

    created: list[str] = field(default_factory=list)
    unchanged: int = 0


def load_document(
    session: Session, raw: bytes | str | Mapping[str, Any], *, actor: User | None
) -> LoadOutcome[Referentiel] | LoadOutcome[Questionnaire]:
    """Store a référentiel or a questionnaire version, whichever the document is."""
    document = parse_document(raw)
    if document_kind(document) == "referentiel":
        return load_referentiel_document(session, document, actor=actor)
    return load_questionnaire_document(session, document, actor=actor)


# --- référentiels -------------------------------------------------------------------------


def load_referentiel_document(
    session: Session, raw: bytes | str | Mapping[str, Any], *, actor: User | None
) -> LoadOutcome[Referentiel]:
    """Check an uploaded référentiel and store it as a new version (flushed, not committed)."""
    document = parse_document(raw)
    try:
        model = survey_schemas.load_referentiel(document)
    except survey_schemas.InvalidDefinition as error:
        raise invalid(error.errors) from None
    return _store_referentiel(session, model, actor=actor, origin="upload")


def _store_referentiel(
    session: Session, model: survey_schemas.Referentiel, *, actor: User | None, origin: str
) -> LoadOutcome[Referentiel]:
    existing = session.scalar(
        select(Referentiel).where(
            Referentiel.code == model.code, Referentiel.version == model.version
        )
    )
    if existing is not None:
        outcome = LoadOutcome(_same_or_conflict(existing, model.fingerprint), created=False)
    else:
        row = Referentiel(
            code=model.code,
            version=model.version,
            name=model.name,
            content=copy.deepcopy(dict(model.document)),
            fingerprint=model.fingerprint,
        )
        _flush_new(session, row)
        outcome = LoadOutcome(row, created=True)
    audit.record(
        session,
        "referentiel.load",
        actor=actor,
        entity=outcome.row,
        code=model.code,
        version=model.version,
        fingerprint=model.fingerprint,
        created=outcome.created,
        origin=origin,
    )
    return outcome


def _same_or_conflict(existing: Row, fingerprint: str) -> Row:
    if existing.fingerprint != fingerprint:
        raise Conflict(
            f"{_describe(existing)} est déjà chargé avec un autre contenu : {CHANGED_VERSION}.",
            {"document": [CHANGED_VERSION]},
        )
    return existing


def _describe(row: Referentiel | Questionnaire) -> str:
    if isinstance(row, Referentiel):
        return f"Le référentiel {row.code} v{row.version}"
    return f"Le questionnaire {row.content.get('code')} v{row.version}"


def _flush_new(session: Session, row: Referentiel | Questionnaire) -> None:
    """Add and flush; a unique-constraint race with a concurrent upload becomes a 409."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "Cette version vient d’être chargée par une autre requête : rechargez la liste."
        ) from None


def get_referentiel(session: Session, referentiel_id: int) -> Referentiel:
    row = session.get(Referentiel, referentiel_id)
    if row is None:
        raise NotFound(f"Référentiel {referentiel_id} introuvable.")
    return row


def referentiels_query() -> Select[tuple[Referentiel]]:
    """All stored versions, by code then version (for listing and pagination)."""
    return select(Referentiel).order_by(Referentiel.code, Referentiel.version)


def list_referentiels(session: Session) -> list[Referentiel]:
    return list(session.scalars(referentiels_query()))


def find_referentiel(session: Session, code: str, version: int) -> Referentiel | None:
    return session.scalar(
        select(Referentiel).where(Referentiel.code == code, Referentiel.version == version)
    )


# --- questionnaires -----------------------------------------------------------------------


def _wanted_referentiel(document: Mapping[str, Any]) -> tuple[str, int] | None:
    """The (code, version) a questionnaire document names, if it names one in a usable form."""
    wanted = document.get("referentiel")
    if not isinstance(wanted, Mapping):
        return None
    code, version = wanted.get("code"), wanted.get("version")
    if not isinstance(code, str) or isinstance(version, bool):
        return None
    if isinstance(version, float) and math.isfinite(version) and version.is_integer():
        version = int(version)
    return (code, version) if isinstance(version, int) else None


def load_questionnaire_document(
    session: Session, raw: bytes | str | Mapping[str, Any], *, actor: User | None
) -> LoadOutcome[Questionnaire]:
    """Check an uploaded questionnaire against the stored référentiel version it names, and
    store it as a new version (flushed, not committed).

    Only référentiels stored on this server count (never the shipped copies), so a
    questionnaire can never point at a version that reports cannot be scored with.
    """
    document = parse_document(raw)
    wanted = _wanted_referentiel(document)
    stored = find_referentiel(session, *wanted) if wanted else None
    if wanted is not None and stored is None:
        raise invalid(
            [
                f"referentiel : {wanted[0]} v{wanted[1]} n’est pas chargé sur ce serveur "
                "(chargez d’abord le référentiel)"
            ]
        )
    try:
        if stored is None:  # a malformed reference: the JSON Schema check names the problem
            survey_schemas.load_questionnaire(document)
            raise invalid(["referentiel : un objet {code, version} est attendu"])
        model = survey_schemas.load_questionnaire(document, referentiel=referentiel_model(stored))
    except survey_schemas.InvalidDefinition as error:
        raise invalid(error.errors) from None
    return _store_questionnaire(session, model, stored, actor=actor, origin="upload")


def _questionnaire_by_key(session: Session, code: str, version: int) -> Questionnaire | None:
    """The stored questionnaire with this (code, version)."""
    return session.scalar(
        select(Questionnaire).where(Questionnaire.code == code, Questionnaire.version == version)
    )


def _store_questionnaire(
    session: Session,
    model: survey_schemas.Questionnaire,
    referentiel: Referentiel,
    *,
    actor: User | None,
    origin: str,
) -> LoadOutcome[Questionnaire]:
    existing = _questionnaire_by_key(session, model.code, model.version)
    if existing is not None:
        outcome = LoadOutcome(_same_or_conflict(existing, model.fingerprint), created=False)
    else:
        occupied = session.scalar(
            select(Questionnaire).where(
                Questionnaire.referentiel_id == referentiel.id,
                Questionnaire.channel == model.channel,
                Questionnaire.version == model.version,
            )
        )
        if occupied is not None:
            raise Conflict(
                f"{_describe(occupied)} occupe déjà la version {model.version} du canal "
                f"« {model.channel} » de {referentiel.code} v{referentiel.version} : "
                "publiez une autre version.",
                {"document": ["version déjà prise pour ce référentiel et ce canal"]},
            )
        row = Questionnaire(
            referentiel=referentiel,
            code=model.code,
            channel=model.channel,
            version=model.version,
            title=model.title,
            content=copy.deepcopy(dict(model.document)),
            fingerprint=model.fingerprint,
        )
        _flush_new(session, row)
        outcome = LoadOutcome(row, created=True)
    audit.record(
        session,
        "questionnaire.load",
        actor=actor,
        entity=outcome.row,
        code=model.code,
        version=model.version,
        channel=model.channel,
        fingerprint=model.fingerprint,
        referentiel_id=referentiel.id,
        created=outcome.created,
        origin=origin,
    )
    return outcome


def get_questionnaire(session: Session, questionnaire_id: int) -> Questionnaire:
    row = session.get(
        Questionnaire, questionnaire_id, options=[joinedload(Questionnaire.referentiel)]
    )
    if row is None:
        raise NotFound(f"Questionnaire {questionnaire_id} introuvable.")
    return row


def questionnaires_query(
    channel: str | None = None, referentiel_id: int | None = None
) -> Select[tuple[Questionnaire]]:
    """Stored questionnaires, optionally of one channel or one référentiel version."""
    statement = (
        select(Questionnaire)
        .join(Questionnaire.referentiel)
        .options(joinedload(Questionnaire.referentiel))
        .order_by(
            Referentiel.code,
            Referentiel.version,
            Questionnaire.channel,
            Questionnaire.version,
            Questionnaire.id,
        )
    )
    if channel is not None:
        statement = statement.where(Questionnaire.channel == channel)
    if referentiel_id is not None:
        statement = statement.where(Questionnaire.referentiel_id == referentiel_id)
    return statement


def list_questionnaires(
    session: Session, *, channel: str | None = None, referentiel_id: int | None = None
) -> list[Questionnaire]:
    return list(session.scalars(questionnaires_query(channel, referentiel_id)).unique())


def questionnaire_for(
    session: Session, referentiel_code: str, referentiel_version: int, channel: str
) -> Questionnaire | None:
    """The latest stored questionnaire version of a channel for a référentiel version, or None
    when that channel has none (the caller decides whether that is an error)."""
    return session.scalar(
        select(Questionnaire)
        .join(Questionnaire.referentiel)
        .where(
            Referentiel.code == referentiel_code,
            Referentiel.version == referentiel_version,
            Questionnaire.channel == channel,
        )
        .order_by(Questionnaire.version.desc(), Questionnaire.id.desc())
        .limit(1)
    )


# --- shipped definitions ------------------------------------------------------------------


def load_shipped(session: Session, *, actor: User | None) -> ShippedOutcome:
    """Store every référentiel and questionnaire shipped with ``survey_schemas``; versions
    already stored identically are skipped, a changed one is a ``Conflict``."""
    outcome = ShippedOutcome()
    stored: dict[tuple[str, int], Referentiel] = {}
    for referentiel in survey_schemas.shipped_referentiels():
        loaded = _store_referentiel(session, referentiel, actor=actor, origin="shipped")
        stored[referentiel.key] = loaded.row
        _count(outcome, loaded, "referentiel", referentiel.key)
    for questionnaire in survey_schemas.shipped_questionnaires():
        row = stored[questionnaire.referentiel]
        loaded_q = _store_questionnaire(session, questionnaire, row, actor=actor, origin="shipped")
        _count(outcome, loaded_q, "questionnaire", questionnaire.key)
    return outcome


def _count(
    outcome: ShippedOutcome, loaded: LoadOutcome[Any], kind: str, key: tuple[str, int]
) -> None:
    if loaded.created:
        outcome.created.append(f"{kind} {key[0]} v{key[1]}")
    else:
        outcome.unchanged += 1
