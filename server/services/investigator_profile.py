"""An investigator's profile as people write it: channels, dates, places and loads, checked
field by field with French messages. One set of rules for every way in (API, coordinator
pages, file import)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from sampling.frame_columns import normalise_header
from server.models import CHANNEL_LABELS
from server.services import accounts
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


def check_name(name: str | None, errors: dict[str, list[str]]) -> str:
    text = (name or "").strip()
    if not text:
        errors["name"] = ["Nom obligatoire."]
    elif len(text) > 200:
        errors["name"] = ["Nom trop long (200 caractères au plus)."]
    return text
