"""Importing investigators from a spreadsheet (CSV or XLSX), one person per line.

The file is read as frame files are (DESIGN.md §3.3: encodings, separators, physical line
numbers, headers matched without case or accents, French or English), by the same readers in
``sampling.frame``. Each line is checked by the profile rules of ``services.investigators``;
a bad line is listed with its number and a French reason, the good ones are written together.
A known e-mail updates its investigator (only the columns the file has); a new one creates an
account without a usable password, which an administrator must set before the first login.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sampling.frame import FrameFormatError, FrameTooLargeError, fit_width, open_records
from sampling.frame_columns import ColumnMap, map_columns, normalise_header
from sampling.frame_model import Rejection
from sampling.frame_rows import parse_decimal
from server.models import InvestigatorProfile, Mission, Role, User
from server.services import accounts, audit, investigator_profile, investigators
from server.services.errors import Invalid
from server.services.frame_import import FileTooLarge
from survey_schemas import CHANNELS

#: Columns and the normalised headers that designate them, English or French.
ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "courriel", "e_mail", "mail"),
    "name": ("name", "nom"),
    "home_commune": ("home_commune", "commune"),
    "home_insee": ("home_insee", "code_insee", "insee"),
    "home_latitude": ("home_latitude", "latitude"),
    "home_longitude": ("home_longitude", "longitude"),
    "capacity": ("capacity", "capacite"),
    "visit_capacity": ("visit_capacity", "visites_max"),
    "channels": ("channels", "canaux"),
    "unavailable_dates": ("unavailable", "unavailable_dates", "indisponibilites"),
    "active": ("active", "actif"),
}
#: Columns without which the file is refused as a whole, as shown to users.
REQUIRED: dict[str, str] = {
    "email": "courriel (ou email)",
    "name": "nom (ou name)",
    "home_commune": "commune (ou home_commune)",
    "home_latitude": "latitude (ou home_latitude)",
    "home_longitude": "longitude (ou home_longitude)",
    "capacity": "capacite (ou capacity)",
}
_YES = {"oui", "o", "vrai", "true", "yes", "y", "1", "x", "actif", "active"}
_NO = {"non", "n", "faux", "false", "no", "0", "inactif", "inactive"}


@dataclass
class InvestigatorImportOutcome:
    imported: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    #: E-mails of the accounts created without a usable password.
    password_reset_needed: list[str] = field(default_factory=list)
    #: Open missions taken back from people the file deactivated.
    released_missions: list[Mission] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def released_mission_ids(self) -> list[int]:
        return [m.id for m in self.released_missions]


@dataclass
class _Row:
    line: int
    email: str
    #: The values the line gives: ``name``, profile fields and ``active``, typed.
    values: dict[str, Any]


def _integer(text: str, label: str, reasons: list[str]) -> int | None:
    try:
        value = parse_decimal(text)
    except ValueError:
        value = -1.5
    if value is None:
        return None
    if not value.is_integer() or value < 0:
        reasons.append(f"{label} invalide : « {text.strip()} » n’est pas un nombre entier positif.")
        return None
    return int(value)


def _coordinate(text: str, label: str, reasons: list[str]) -> float | None:
    try:
        return parse_decimal(text)
    except ValueError:
        reasons.append(f"{label} invalide : « {text.strip()} » n’est pas un nombre.")
        return None


def _active(text: str, reasons: list[str]) -> bool | None:
    word = normalise_header(text)
    if not word:
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    reasons.append(f"Colonne actif : « {text.strip()} » non comprise (oui ou non attendu).")
    return None


def _insee(text: str) -> str | None:
    """The INSEE code as written; four digits are a code whose leading 0 a spreadsheet lost."""
    code = text.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code or None


def _parse(cells: Mapping[str, str], reasons: list[str]) -> tuple[dict[str, Any], set[str]]:
    """The line's values, typed, and the fields that could not be read (said in ``reasons``)."""
    unreadable: set[str] = set()

    def read(name: str, parse: Any, *args: str) -> Any:
        before = len(reasons)
        value = parse(cells[name], *args, reasons)
        if len(reasons) > before:
            unreadable.add(name)
        return value

    values: dict[str, Any] = {
        "name": cells["name"].strip(),
        "home_commune": cells["home_commune"].strip(),
        "home_latitude": read("home_latitude", _coordinate, "Latitude"),
        "home_longitude": read("home_longitude", _coordinate, "Longitude"),
        "capacity": read("capacity", _integer, "Capacité"),
    }
    if "home_insee" in cells:
        values["home_insee"] = _insee(cells["home_insee"])
    if "visit_capacity" in cells and cells["visit_capacity"].strip():
        values["visit_capacity"] = read("visit_capacity", _integer, "Visites max")
    if "channels" in cells and cells["channels"].strip():
        channels, unknown = investigator_profile.parse_channels(cells["channels"])
        if unknown:
            unreadable.add("channels")
            reasons.append(
                f"Canal inconnu : {', '.join(f'« {w} »' for w in unknown)} (attendus : "
                f"{investigator_profile.channel_list_text()})."
            )
        values["channels"] = channels
    if "unavailable_dates" in cells:
        values["unavailable_dates"] = [cells["unavailable_dates"]]
    if "active" in cells:
        active = read("active", _active)
        if active is not None:
            values["active"] = active
    return values, unreadable


class _Reader:
    """Checks lines one at a time, remembering the e-mails already seen in the file."""

    def __init__(self, columns: ColumnMap, *, check_nul: bool) -> None:
        self.known = columns.known
        self.check_nul = check_nul
        self.first_line_of: dict[str, int] = {}

    def read(self, line: int, fields: Sequence[str]) -> _Row | Rejection:
        if self.check_nul and any("\x00" in value for value in fields):
            return Rejection(line, "La ligne contient un caractère nul (octet 0) : fichier abîmé ?")
        cells = {
            name: fields[index] if index < len(fields) else "" for name, index in self.known.items()
        }
        reasons: list[str] = []
        email = accounts.normalise_email(cells["email"])
        if not email:
            reasons.append("Adresse électronique (courriel) vide.")
        elif not investigator_profile.valid_email(email):
            reasons.append(f"Adresse électronique invalide : « {cells['email'].strip()} ».")
        elif email in self.first_line_of:
            reasons.append(f"Adresse « {email} » déjà présente ligne {self.first_line_of[email]}.")
        else:
            self.first_line_of[email] = line
        values, unreadable = _parse(cells, reasons)
        if reasons:  # say at once what else is wrong, as the profile rules see the line
            for name, messages in _new_errors(values).items():
                if name not in unreadable:
                    reasons.extend(messages)
            return Rejection(line, " ".join(reasons))
        return _Row(line, email, values)


def read_investigators(
    data: bytes, filename: str, *, max_bytes: int
) -> tuple[list[_Row], list[Rejection], str | None, str | None]:
    """Read the file: readable rows, rejected lines, encoding and separator (CSV)."""
    records = open_records(data, filename, max_bytes=max_bytes)
    header = next(records.rows, None)
    if header is None:
        raise FrameFormatError("Le fichier ne contient aucune ligne (ni en-tête, ni enquêteur).")
    columns = map_columns(header[1], ALIASES, REQUIRED)
    reader = _Reader(columns, check_nul=records.nul)
    width = len(columns.columns)
    rows: list[_Row] = []
    rejected: list[Rejection] = []
    for line, fields in records.rows:
        fitted = fit_width(line, fields, width, csv_rows=records.csv_rows)
        outcome = fitted if isinstance(fitted, Rejection) else reader.read(line, fitted)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
        else:
            rows.append(outcome)
    if not rows and not rejected:
        raise FrameFormatError("Le fichier ne contient que l’en-tête : aucun enquêteur à importer.")
    return rows, rejected, records.encoding, records.delimiter


def _reason(errors: Mapping[str, list[str]]) -> str:
    return " ".join(message for messages in errors.values() for message in messages)


def _existing(session: Session, emails: Sequence[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(emails), 500):
        chunk = list(emails[start : start + 500])
        for user in session.scalars(select(User).where(User.email.in_(chunk))):
            found[user.email] = user
    return found


def _new_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A new person's values: every channel when the file names none (as the API does)."""
    return {"channels": list(CHANNELS), **values}


def _new_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    errors = investigator_profile.check_profile(_new_values(values))[1]
    if not values["name"]:
        errors["name"] = ["Nom vide."]
    return errors


def import_investigators(
    session: Session, data: bytes, filename: str, *, actor: User | None, max_bytes: int
) -> InvestigatorImportOutcome:
    """Read ``data`` and write its good lines (flushed, not committed; the caller commits).

    Every line is checked, against the file and the accounts already stored, before anything
    is written, so a refused line never leaves half a person behind.
    """
    try:
        rows, rejected, encoding, delimiter = read_investigators(
            data, filename, max_bytes=max_bytes
        )
    except FrameTooLargeError as error:
        raise FileTooLarge(str(error)) from None
    except FrameFormatError as error:
        raise Invalid(str(error), {"file": [str(error)]}) from None
    outcome = InvestigatorImportOutcome(rejected=rejected, encoding=encoding, delimiter=delimiter)
    existing = _existing(session, [row.email for row in rows])
    creations: list[_Row] = []
    updates: list[tuple[_Row, User]] = []
    for row in rows:
        user = existing.get(row.email)
        if user is not None and user.role != Role.INVESTIGATOR:
            errors = {
                "email": [
                    f"L’adresse {row.email} appartient à un compte « {user.role.label} », "
                    "pas à un enquêteur : elle ne peut pas être importée ici."
                ]
            }
        elif user is not None and user.investigator_profile is not None:
            errors = investigators.update_errors(user, row.values)
        else:
            errors = _new_errors(row.values)
        if errors:
            outcome.rejected.append(Rejection(row.line, _reason(errors)))
        elif user is not None and user.investigator_profile is not None:
            updates.append((row, user))
        else:
            creations.append(row)
    outcome.rejected.sort(key=lambda r: r.line)
    for row, user in updates:
        changed = investigators.update_investigator(session, user, row.values, actor=actor)
        outcome.released_missions.extend(changed.released_missions)
    outcome.updated = len(updates)
    for row in creations:
        _create(session, row, existing.get(row.email), actor=actor, outcome=outcome)
    session.flush()
    audit.record(
        session,
        "investigator.import",
        actor=actor,
        filename=filename,
        imported=outcome.imported,
        updated=outcome.updated,
        rejected=len(outcome.rejected),
    )
    return outcome


def _create(
    session: Session,
    row: _Row,
    account: User | None,
    *,
    actor: User | None,
    outcome: InvestigatorImportOutcome,
) -> None:
    """A new person; or a profile for an investigator account that had none (an update)."""
    values = _new_values(row.values)
    active = values.pop("active", True)
    if account is not None:  # an investigator account created by an admin, without profile
        clean = investigator_profile.check_profile(values)[0]
        account.name = values["name"]
        account.active = active
        session.add(InvestigatorProfile(user=account, active=active, **clean))
        audit.record(session, "investigator.create", actor=actor, entity=account)
        outcome.updated += 1
        return
    investigators.create_investigator(
        session, email=row.email, password=None, active=active, actor=actor, **values
    )
    outcome.imported += 1
    outcome.password_reset_needed.append(row.email)
