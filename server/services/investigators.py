"""Investigators: an account with the investigator role and its field profile.

One set of rules for every way in (API, coordinator pages, file import): `check_profile` says
what is wrong with a profile, field by field, in French. Deactivating someone turns off both
their profile (the assignment ignores them) and their account (they can no longer log in nor
use their tokens), and takes back their open missions for reassignment.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session, joinedload

from sampling.frame_columns import normalise_header
from server.models import (
    CHANNEL_LABELS,
    InvestigatorProfile,
    Mission,
    MissionStatus,
    Role,
    User,
    Wave,
    WaveStatus,
)
from server.services import accounts, audit, mission_lifecycle
from server.services.errors import Conflict, Invalid, NotFound
from survey_schemas import CHANNELS

#: Profile attributes a coordinator may set (``name`` and ``active`` are handled beside them).
PROFILE_FIELDS = (
    "home_commune",
    "home_insee",
    "home_latitude",
    "home_longitude",
    "capacity",
    "visit_capacity",
    "channels",
    "unavailable_dates",
)
RELEASE_REASON = "Enquêteur désactivé : mission à réattribuer."
#: A stored hash werkzeug never matches (it has no ``$``): the account exists, but nobody can
#: log in with it until an administrator sets a password.
UNUSABLE_PASSWORD_PREFIX = "!unusable:"
#: Longest range of unavailable dates accepted in one go.
MAX_RANGE_DAYS = 366

_INSEE = re.compile(r"(?:\d{2}|2[AB])\d{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ITEM_SEPARATORS = re.compile(r"[\s,;|]+")
_RANGE = re.compile(r"\s*\.\.\s*")
#: Channels by their code, their French label and the words people write for them.
_CHANNEL_WORDS = {
    **{normalise_header(code): code for code in CHANNELS},
    **{normalise_header(label): code for code, label in CHANNEL_LABELS.items()},
    "visites": "visit",
    "appels": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mail": "email",
    "e_mail": "email",
    "courriels": "email",
    "lettre": "letter",
    "courriers": "letter",
    "site_web": "website",
    "web": "website",
    "internet": "website",
}
_OPEN_MISSIONS = (MissionStatus.ASSIGNED, MissionStatus.OVERDUE)
#: Missions that count in an investigator's load in a wave still open.
_LOADED = (
    MissionStatus.ASSIGNED,
    MissionStatus.OVERDUE,
    MissionStatus.AWAITING_REPLY,
    MissionStatus.DONE,
)


# --- Reading what people write --------------------------------------------------------------


def channel_list_text() -> str:
    """« visite, appel, courriel, courrier, site internet »: the channels as people name them."""
    return ", ".join(CHANNEL_LABELS[c].lower() for c in CHANNELS)


def parse_channels(text: str) -> tuple[list[str], list[str]]:
    """« Visite, appel » or « visit;phone » into channel codes, and the words not understood."""
    found: list[str] = []
    unknown: list[str] = []
    for word in re.split(r"[,;|/+\n]+", text):
        if not word.strip():
            continue
        code = _CHANNEL_WORDS.get(normalise_header(word))
        if code is None:
            unknown.append(word.strip())
        elif code not in found:
            found.append(code)
    return found, unknown


def _iso_date(text: str) -> date:
    """An ISO date; a spreadsheet's midnight date-time (« 2026-03-02T00:00:00 ») is one too."""
    return date.fromisoformat(text.removesuffix("T00:00:00").removesuffix(" 00:00:00"))


def parse_unavailable_dates(items: Iterable[str]) -> tuple[list[str], list[str]]:
    """Dates and ranges (« 2026-03-02..2026-03-06 ») into sorted ISO dates, and the errors.

    Each item may itself hold several dates or ranges separated by commas, semicolons or
    spaces, so a text field or a spreadsheet cell reads the same as a JSON list.
    """
    days: set[date] = set()
    errors: list[str] = []
    for item in items:
        for token in _ITEM_SEPARATORS.split(_RANGE.sub("..", item.strip())):
            if token:
                _add_dates(token, days, errors)
    return sorted(d.isoformat() for d in days), errors


def _add_dates(token: str, days: set[date], errors: list[str]) -> None:
    first, dots, last = token.partition("..")
    try:
        start = _iso_date(first)
        end = _iso_date(last) if dots else start
    except ValueError:
        errors.append(
            f"Date d’indisponibilité invalide : « {token} » (attendu AAAA-MM-JJ, ou une "
            "période AAAA-MM-JJ..AAAA-MM-JJ)."
        )
        return
    if end < start:
        errors.append(f"Période « {token} » à l’envers : la fin précède le début.")
    elif (end - start).days >= MAX_RANGE_DAYS:
        errors.append(f"Période « {token} » trop longue (plus d’un an) : désactivez plutôt.")
    else:
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))


def format_unavailable_dates(dates: Sequence[str]) -> str:
    """Stored dates as the text a person edits: consecutive days become one range."""
    spans: list[list[date]] = []
    for day in sorted({_iso_date(d) for d in dates}):
        if spans and day - spans[-1][1] == timedelta(days=1):
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return ", ".join(
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in spans
    )


def valid_email(email: str) -> bool:
    return _EMAIL.fullmatch(accounts.normalise_email(email)) is not None


# --- Checking a profile ----------------------------------------------------------------------


def _check_place(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    commune = (values.get("home_commune") or "").strip()
    if not commune:
        errors["home_commune"] = ["Commune de résidence obligatoire."]
    elif len(commune) > 200:
        errors["home_commune"] = ["Nom de commune trop long (200 caractères au plus)."]
    values["home_commune"] = commune
    insee = (values.get("home_insee") or "").strip().upper() or None
    if insee is not None and not _INSEE.fullmatch(insee):
        errors["home_insee"] = [
            f"Code INSEE invalide : « {insee} » (5 caractères : 2 chiffres, ou 2A/2B pour la "
            "Corse, puis 3 chiffres)."
        ]
    values["home_insee"] = insee
    for name, label, bound in (
        ("home_latitude", "Latitude", 90),
        ("home_longitude", "Longitude", 180),
    ):
        value = values.get(name)
        if value is None:
            errors[name] = [
                f"Coordonnées du domicile obligatoires : {label.lower()} manquante (elle sert "
                "à calculer les trajets des visites)."
            ]
        elif not -bound <= value <= bound:
            errors[name] = [f"{label} hors de l’intervalle [-{bound}, {bound}] : {value}."]


def _check_load(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    capacity = values.get("capacity")
    if capacity is None:
        errors["capacity"] = ["Capacité par vague obligatoire (nombre de tests, au moins 1)."]
    elif capacity == 0:
        errors["capacity"] = [
            "Capacité nulle refusée : une personne qui ne peut prendre aucune mission doit être "
            "désactivée, pas enregistrée avec une capacité de 0."
        ]
    elif capacity < 0:
        errors["capacity"] = ["La capacité doit être un nombre entier positif (au moins 1)."]
    visits = values.get("visit_capacity")
    if visits is None:
        values["visit_capacity"] = visits = capacity
    if visits is not None and visits < 0:
        errors["visit_capacity"] = ["Le maximum de visites ne peut pas être négatif (0 permis)."]
    elif visits is not None and capacity is not None and visits > capacity:
        errors["visit_capacity"] = [
            f"Le maximum de visites par vague ({visits}) dépasse la capacité ({capacity})."
        ]


def _check_skills(values: dict[str, Any], errors: dict[str, list[str]]) -> None:
    channels = list(values.get("channels") or ())
    unknown = sorted({c for c in channels if c not in CHANNELS})
    if unknown:
        errors["channels"] = [
            f"Canal inconnu : {', '.join(unknown)} (attendus : {', '.join(CHANNELS)})."
        ]
    elif not channels:
        errors["channels"] = [
            "Choisissez au moins un canal ; une personne qui ne peut en pratiquer aucun doit "
            "être désactivée."
        ]
    values["channels"] = [c for c in CHANNELS if c in set(channels)]
    dates, date_errors = parse_unavailable_dates(values.get("unavailable_dates") or ())
    if date_errors:
        errors["unavailable_dates"] = date_errors
    values["unavailable_dates"] = dates


def check_profile(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A complete profile made tidy (trimmed, channels in order, dates expanded) and its errors.

    An empty error dict means the profile may be stored; messages are French, by field.
    """
    clean = {name: values.get(name) for name in PROFILE_FIELDS}
    errors: dict[str, list[str]] = {}
    _check_place(clean, errors)
    _check_load(clean, errors)
    _check_skills(clean, errors)
    return clean, errors


def _check_name(name: str | None, errors: dict[str, list[str]]) -> str:
    text = (name or "").strip()
    if not text:
        errors["name"] = ["Nom obligatoire."]
    elif len(text) > 200:
        errors["name"] = ["Nom trop long (200 caractères au plus)."]
    return text


# --- Creating, reading, changing ---------------------------------------------------------------


def _account_without_password(session: Session, email: str, name: str, actor: User | None) -> User:
    """An investigator account nobody can log in to yet (imports: an admin sets the password)."""
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"Un compte existe déjà pour {email}.", {"email": ["Déjà utilisée."]})
    user = User(
        email=email,
        name=name,
        password_hash=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(16),
        role=Role.INVESTIGATOR,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        actor=actor,
        entity=user,
        role=Role.INVESTIGATOR.value,
        password_reset_needed=True,
    )
    return user


def create_investigator(
    session: Session,
    *,
    email: str,
    name: str,
    password: str | None,
    home_commune: str,
    home_latitude: float | None,
    home_longitude: float | None,
    capacity: int | None,
    channels: Sequence[str] = CHANNELS,
    visit_capacity: int | None = None,
    home_insee: str | None = None,
    unavailable_dates: Sequence[str] = (),
    active: bool = True,
    actor: User | None,
) -> User:
    """Create the account (role investigator) and its profile; flushed, not committed.

    ``password=None`` leaves the account without a usable password (file imports).
    """
    clean, errors = check_profile(
        {
            "home_commune": home_commune,
            "home_insee": home_insee,
            "home_latitude": home_latitude,
            "home_longitude": home_longitude,
            "capacity": capacity,
            "visit_capacity": visit_capacity,
            "channels": channels,
            "unavailable_dates": unavailable_dates,
        }
    )
    name = _check_name(name, errors)
    email = accounts.normalise_email(email)
    if not valid_email(email):
        errors["email"] = [f"Adresse électronique invalide : « {email} »."]
    if errors:
        raise Invalid("Profil d’enquêteur invalide.", errors)
    if password is None:
        user = _account_without_password(session, email, name, actor)
    else:
        user = accounts.create_user(
            session, email=email, name=name, password=password, role=Role.INVESTIGATOR, actor=actor
        )
    user.active = active
    profile = InvestigatorProfile(user=user, active=active, **clean)
    session.add(profile)
    session.flush()
    audit.record(session, "investigator.create", actor=actor, entity=profile)
    return user


def investigators_query(
    *, active: bool | None = None, channel: str | None = None
) -> Select[tuple[User]]:
    """Investigator accounts with their profile loaded, by name (paginated by the API)."""
    statement = (
        select(User)
        .join(InvestigatorProfile)
        .options(joinedload(User.investigator_profile))
        .order_by(User.name, User.id)
    )
    if active is not None:
        statement = statement.where(InvestigatorProfile.active.is_(active))
    if channel is not None:
        # Channels are a JSON list of fixed codes: matching the quoted code in its text works
        # the same on SQLite and PostgreSQL (``json``, not ``jsonb``, keeps the text written).
        text = cast(InvestigatorProfile.channels, String)
        statement = statement.where(text.like(f'%"{channel}"%'))
    return statement


def list_investigators(session: Session) -> list[User]:
    return list(session.scalars(investigators_query()).unique())


def get_investigator(session: Session, user_id: int) -> User:
    """The investigator account ``user_id`` with its profile, or NotFound."""
    user = session.get(User, user_id)
    if user is None or user.investigator_profile is None:
        raise NotFound(f"Enquêteur n° {user_id} introuvable.")
    return user


def profile_values(user: User) -> dict[str, Any]:
    """What a coordinator may change, as stored (for forms and before/after audits)."""
    profile = user.investigator_profile
    assert profile is not None
    values = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    values["channels"] = list(profile.channels)
    values["unavailable_dates"] = list(profile.unavailable_dates or [])
    return {"name": user.name, **values, "active": profile.active and user.active}


def update_errors(user: User, changes: Mapping[str, Any]) -> dict[str, list[str]]:
    """What would be wrong with ``user``'s profile once ``changes`` are made (empty: none)."""
    return _merged(user, changes)[1]


def _merged(user: User, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    current = profile_values(user)
    clean, errors = check_profile(
        {name: changes.get(name, current[name]) for name in PROFILE_FIELDS}
    )
    clean["name"] = _check_name(changes.get("name", current["name"]), errors)
    return clean, errors


@dataclass
class UpdateOutcome:
    user: User
    #: Open missions taken back because the person was deactivated, to reassign.
    released_missions: list[Mission] = field(default_factory=list)


def update_investigator(
    session: Session, user: User, changes: Mapping[str, Any], *, actor: User | None
) -> UpdateOutcome:
    """Change the name, profile fields or ``active`` given in ``changes`` (others unchanged).

    Audited with the values before and after; ``active: False`` deactivates (see `deactivate`).
    """
    clean, errors = _merged(user, changes)
    if errors:
        raise Invalid("Profil d’enquêteur invalide.", errors)
    profile = user.investigator_profile
    assert profile is not None
    before_values = profile_values(user)
    user.name = clean.pop("name")
    for name, value in clean.items():
        setattr(profile, name, value)
    outcome = UpdateOutcome(user)
    wanted = changes.get("active")
    if wanted is False and (profile.active or user.active):
        outcome.released_missions = deactivate(session, user, actor=actor)
    elif wanted is True and not (profile.active and user.active):
        reactivate(session, user, actor=actor)
    after_values = profile_values(user)
    changed = [k for k in after_values if after_values[k] != before_values[k]]
    if changed:
        audit.record(
            session,
            "investigator.update",
            actor=actor,
            entity=profile,
            before={k: before_values[k] for k in changed},
            after={k: after_values[k] for k in changed},
        )
    session.flush()
    return outcome


def open_missions(session: Session, user: User) -> list[Mission]:
    """Missions assigned to ``user`` and not yet played (assigned or overdue)."""
    return list(
        session.scalars(
            select(Mission)
            .where(Mission.assignee_id == user.id, Mission.status.in_(_OPEN_MISSIONS))
            .order_by(Mission.id)
        )
    )


def deactivate(session: Session, user: User, *, actor: User | None) -> list[Mission]:
    """Turn off the profile and the account, and take back the open missions (returned)."""
    profile = user.investigator_profile
    assert profile is not None
    released = open_missions(session, user)
    for mission in released:
        mission_lifecycle.unassign(session, mission, actor=actor, reason=RELEASE_REASON, rule=None)
    profile.active = False
    user.active = False
    audit.record(
        session,
        "investigator.deactivate",
        actor=actor,
        entity=profile,
        released_missions=[m.id for m in released],
    )
    session.flush()
    return released


def reactivate(session: Session, user: User, *, actor: User | None) -> None:
    """Turn the profile and the account back on (missions taken back stay with whoever has them)."""
    profile = user.investigator_profile
    assert profile is not None
    profile.active = True
    user.active = True
    audit.record(session, "investigator.reactivate", actor=actor, entity=profile)
    session.flush()


def current_loads(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    """Missions each person holds in waves still open (played ones included)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(Mission.assignee_id, func.count())
        .join(Wave, Mission.wave_id == Wave.id)
        .where(
            Wave.status == WaveStatus.OPEN,
            Mission.assignee_id.in_(list(user_ids)),
            Mission.status.in_(_LOADED),
        )
        .group_by(Mission.assignee_id)
    )
    return {int(user_id): int(count) for user_id, count in rows}
