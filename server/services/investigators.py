"""Investigators: an account with the investigator role and its field profile."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from server.models import InvestigatorProfile, Role, User
from server.services import accounts, audit
from server.services.errors import Invalid
from survey_schemas import CHANNELS


def create_investigator(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    home_commune: str,
    home_latitude: float,
    home_longitude: float,
    capacity: int,
    channels: Sequence[str],
    active: bool = True,
    actor: User | None,
) -> User:
    errors: dict[str, list[str]] = {}
    if not -90 <= home_latitude <= 90:
        errors["home_latitude"] = ["Latitude hors de [-90, 90]."]
    if not -180 <= home_longitude <= 180:
        errors["home_longitude"] = ["Longitude hors de [-180, 180]."]
    if capacity < 0:
        errors["capacity"] = ["La capacité ne peut pas être négative."]
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        errors["channels"] = [f"Canal inconnu : {', '.join(unknown)} (attendu : {CHANNELS})."]
    if not home_commune.strip():
        errors["home_commune"] = ["Commune de résidence obligatoire."]
    if errors:
        raise Invalid("Profil d’enquêteur invalide.", errors)
    user = accounts.create_user(
        session, email=email, name=name, password=password, role=Role.INVESTIGATOR, actor=actor
    )
    profile = InvestigatorProfile(
        user=user,
        home_commune=home_commune.strip(),
        home_latitude=home_latitude,
        home_longitude=home_longitude,
        capacity=capacity,
        channels=[c for c in CHANNELS if c in set(channels)],
        active=active,
    )
    session.add(profile)
    session.flush()
    audit.record(session, "investigator.create", actor=actor, entity=profile)
    return user


def investigators_query() -> Select[tuple[User]]:
    """Investigator accounts with their profile loaded, by name (paginated by the API)."""
    return (
        select(User)
        .join(InvestigatorProfile)
        .options(joinedload(User.investigator_profile))
        .order_by(User.name, User.id)
    )


def list_investigators(session: Session) -> list[User]:
    return list(session.scalars(investigators_query()))
