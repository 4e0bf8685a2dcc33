"""What a case of the audit table is (a request, who sends it, the event it must leave), and
the valid bodies and files the cases send."""

from __future__ import annotations

import copy
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import survey_schemas
from server.models import Role
from tests.conftest import PASSWORD
from tests.server.api.test_reports_api import valid_answers
from tests.server.audit.world import World, now


@dataclass(frozen=True)
class Api:
    url: str
    json: dict[str, Any] | None = None
    #: multipart upload: (bytes, file name) in field ``file``
    upload: tuple[bytes, str] | None = None


@dataclass(frozen=True)
class Page:
    """The page showing the form, the form's action, and the fields changed from the shown."""

    page: str
    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    button: str | None = None
    #: Sent by a browser not signed in (the login form).
    anonymous: bool = False


@dataclass(frozen=True)
class Case:
    role: Role
    request: Callable[[World], Api | Page]
    action: str
    entity_type: str
    #: Keys ``details`` must hold: what changed.
    details: frozenset[str] = frozenset()


def _iso(days: float = 0) -> str:
    return (now() + timedelta(days=days)).isoformat()


def _letter(client_id: str | None = None) -> dict[str, Any]:
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "answers": valid_answers("marianne-letter"),
        "started_at": _iso(-0.03),
        "ended_at": _iso(-0.01),
    }


def _document(kind: str) -> dict[str, Any]:
    """Version 2 of a shipped document: a new version, so it is stored (and audited)."""
    shipped = (
        survey_schemas.shipped_referentiel("marianne", 1)
        if kind == "referentiel"
        else survey_schemas.shipped_questionnaire("marianne-phone", 1)
    )
    document = copy.deepcopy(dict(shipped.document))
    document["version"] = 2
    if kind == "questionnaire":
        document["title"] = "Appel mystère, version 2"
    return document


def _local(days: float) -> str:
    """A moment as a ``datetime-local`` field shows it (the site's zone: Europe/Paris)."""
    return (now() + timedelta(days=days)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _csv(text: str) -> tuple[bytes, str]:
    return text.encode("utf-8"), "fichier.csv"


FRAME = "site_id,name,network,region\nZ9,Mairie de Test,Préfecture,Bretagne\n"
INVESTIGATORS = (
    "Courriel;Nom;Commune;Latitude;Longitude;Capacité;Canaux\n"
    "anne@example.fr;Anne Martin;Rennes;48,11;-1,68;20;visite\n"
)
SCENARIOS = (
    "reseau;canal;titre;texte;actif\nSIP;phone;Prélèvement;Vous appelez pour votre taux.;oui\n"
)
NEW_INVESTIGATOR = {
    "email": "ines@example.fr",
    "name": "Inès Moreau",
    "password": PASSWORD,
    "home_commune": "Rennes",
    "home_latitude": 48.11,
    "home_longitude": -1.68,
    "capacity": 10,
    "channels": ["letter"],
}

PARIS = ZoneInfo("Europe/Paris")
M = "/api/v1/missions/<int:mission_id>"

CO = "/coordination"


def _file(data: tuple[bytes, str]) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data[0]), data[1]
