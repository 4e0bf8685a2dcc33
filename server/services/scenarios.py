"""The scenario library: realistic requests per network and channel, edited by coordinators,
imported and exported as CSV (the same readers as frame files: encoding, separator, physical
line numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from exports.csv_safe import csv_bytes
from sampling.frame import open_records
from sampling.frame_columns import normalise_header
from sampling.frame_model import FrameFormatError, FrameTooLargeError
from server.models import CHANNEL_LABELS, Scenario, User
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound
from survey_schemas import CHANNELS

#: CSV header, in French (the file is for people), as exported and read back.
CSV_HEADER = ("reseau", "canal", "titre", "texte", "actif")
_ALIASES = {
    "reseau": "network",
    "network": "network",
    "canal": "channel",
    "channel": "channel",
    "titre": "title",
    "title": "title",
    "texte": "text",
    "text": "text",
    "scenario": "text",
    "actif": "active",
    "active": "active",
}
_CHANNEL_WORDS = {
    **{c: c for c in CHANNELS},
    **{normalise_header(label): code for code, label in CHANNEL_LABELS.items()},
    "appel_telephonique": "phone",
    "telephone": "phone",
    "mail": "email",
    "lettre": "letter",
    "site_web": "website",
    "site": "website",
}
_TRUE = {"", "oui", "o", "1", "vrai", "true", "yes", "x"}
_FALSE = {"non", "n", "0", "faux", "false", "no"}


def _check(network: str, channel: str, title: str, text: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not network.strip():
        errors["network"] = ["Réseau obligatoire."]
    if channel not in CHANNELS:
        errors["channel"] = [f"Canal inconnu « {channel} » (attendu : {', '.join(CHANNELS)})."]
    if not title.strip() or len(title.strip()) > 200:
        errors["title"] = ["Titre obligatoire, 200 caractères au plus."]
    if not text.strip():
        errors["text"] = ["Texte du scénario obligatoire."]
    return errors


def _duplicate(session: Session, network: str, channel: str, title: str) -> Scenario | None:
    return session.scalar(
        select(Scenario).where(
            Scenario.network == network, Scenario.channel == channel, Scenario.title == title
        )
    )


def create_scenario(
    session: Session,
    *,
    network: str,
    channel: str,
    title: str,
    text: str,
    active: bool = True,
    actor: User | None,
) -> Scenario:
    errors = _check(network, channel, title, text)
    if errors:
        raise Invalid("Scénario invalide.", errors)
    network, title = network.strip(), title.strip()
    if _duplicate(session, network, channel, title) is not None:
        raise Conflict(
            f"Un scénario « {title} » existe déjà pour {network} ({CHANNEL_LABELS[channel]}).",
            {"title": ["Déjà pris pour ce réseau et ce canal."]},
        )
    scenario = Scenario(
        network=network, channel=channel, title=title, text=text.strip(), active=active
    )
    session.add(scenario)
    session.flush()
    audit.record(session, "scenario.create", actor=actor, entity=scenario, title=title)
    return scenario


def update_scenario(
    session: Session, scenario: Scenario, changes: dict[str, Any], *, actor: User | None
) -> Scenario:
    before = {k: getattr(scenario, k) for k in ("network", "channel", "title", "text", "active")}
    after = {**before, **{k: v for k, v in changes.items() if k in before}}
    errors = _check(after["network"], after["channel"], after["title"], after["text"])
    if errors:
        raise Invalid("Scénario invalide.", errors)
    clash = _duplicate(session, after["network"].strip(), after["channel"], after["title"].strip())
    if clash is not None and clash.id != scenario.id:
        raise Conflict("Un autre scénario porte déjà ce titre pour ce réseau et ce canal.")
    for key, value in after.items():
        setattr(scenario, key, value.strip() if isinstance(value, str) else value)
    audit.record(
        session,
        "scenario.update",
        actor=actor,
        entity=scenario,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )
    return scenario


def get_scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise NotFound(f"Scénario {scenario_id} introuvable.")
    return scenario


def scenarios_query(
    network: str | None = None, channel: str | None = None
) -> Select[tuple[Scenario]]:
    statement = select(Scenario).order_by(Scenario.network, Scenario.channel, Scenario.title)
    if network:
        statement = statement.where(Scenario.network == network)
    if channel:
        statement = statement.where(Scenario.channel == channel)
    return statement


def export_csv(scenarios: Iterable[Scenario]) -> bytes:
    return csv_bytes(
        CSV_HEADER,
        (
            (s.network, CHANNEL_LABELS[s.channel], s.title, s.text, "oui" if s.active else "non")
            for s in scenarios
        ),
    )


@dataclass
class ImportOutcome:
    imported: int = 0
    updated: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = _ALIASES.get(normalise_header(title))
        if name and name not in positions:
            positions[name] = index
    missing = [n for n in ("network", "channel", "title", "text") if n not in positions]
    if missing:
        french = {"network": "reseau", "channel": "canal", "title": "titre", "text": "texte"}
        raise Invalid(
            "Colonnes obligatoires absentes : " + ", ".join(french[m] for m in missing) + ".",
            {"file": [f"Colonne manquante : {french[m]}" for m in missing]},
        )
    return positions


def import_csv(
    session: Session, data: bytes, filename: str, *, actor: User | None, max_bytes: int
) -> ImportOutcome:
    """Add new scenarios and update known ones (same network, channel and title); bad lines
    are rejected with their physical line number and a French reason, the rest is written."""
    try:
        records = open_records(data, filename, max_bytes=max_bytes)
        rows = list(records.rows)
    except (FrameFormatError, FrameTooLargeError) as error:
        raise Invalid(f"Fichier refusé : {error}", {"file": [str(error)]}) from None
    if not rows:
        raise Invalid("Fichier refusé : il n’a pas de ligne d’en-tête.", {"file": ["Vide."]})
    positions = _columns(rows[0][1])
    outcome = ImportOutcome()
    seen: dict[tuple[str, str, str], int] = {}
    for line, fields in rows[1:]:
        if not any(f.strip() for f in fields):
            continue

        def value(name: str, fields: list[str] = fields) -> str:
            index = positions.get(name)
            return fields[index].strip() if index is not None and index < len(fields) else ""

        channel = _CHANNEL_WORDS.get(normalise_header(value("channel")), value("channel"))
        active_text = normalise_header(value("active"))
        problems = _check(value("network"), channel, value("title"), value("text"))
        if active_text not in _TRUE | _FALSE:
            problems["active"] = [f"« actif » : oui ou non, pas « {value('active')} »."]
        key = (value("network"), channel, value("title"))
        if not problems and key in seen:
            problems["title"] = [f"même réseau, canal et titre qu’à la ligne {seen[key]}"]
        if problems:
            reason = " ; ".join(m for messages in problems.values() for m in messages)
            outcome.rejected.append({"line": line, "reason": reason})
            continue
        seen[key] = line
        existing = _duplicate(session, *key)
        if existing is None:
            created = Scenario(
                network=key[0],
                channel=channel,
                title=key[2],
                text=value("text"),
                active=active_text not in _FALSE,
            )
            session.add(created)
            session.flush()
            audit.record(
                session, "scenario.create", actor=actor, entity=created, title=key[2], line=line
            )
            outcome.imported += 1
        else:
            before = {"text": existing.text, "active": existing.active}
            existing.text = value("text")
            existing.active = active_text not in _FALSE
            after = {"text": existing.text, "active": existing.active}
            if after != before:
                audit.record(
                    session,
                    "scenario.update",
                    actor=actor,
                    entity=existing,
                    before={k: v for k, v in before.items() if after[k] != v},
                    after={k: v for k, v in after.items() if before[k] != v},
                    line=line,
                )
            outcome.updated += 1
    session.flush()
    audit.record(
        session,
        "scenario.import",
        actor=actor,
        filename=filename,
        imported=outcome.imported,
        updated=outcome.updated,
        rejected=len(outcome.rejected),
    )
    return outcome
