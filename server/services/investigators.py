"""Investigators: an account with the investigator role and its field profile.

One set of rules for every way in (API, coordinator pages, file import):
``investigator_profile.check_profile`` says what is wrong with a profile, field by field, in
French (re-exported here with the other profile helpers). Deactivating someone turns off both
their profile (the assignment ignores them) and their account (they can no longer log in nor
use their tokens), and takes back their open missions for reassignment.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session, joinedload

from server.models import (
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
from server.services.investigator_profile import (
    PROFILE_FIELDS,
    RELEASE_REASON,
    UNUSABLE_PASSWORD_PREFIX,
    check_name,
    check_profile,
    valid_email,
)
from survey_schemas import CHANNELS

_OPEN_MISSIONS = (MissionStatus.ASSIGNED, MissionStatus.OVERDUE)
#: Missions that count in an investigator's load in a wave still open.
_LOADED = (
    MissionStatus.ASSIGNED,
    MissionStatus.OVERDUE,
    MissionStatus.AWAITING_REPLY,
    MissionStatus.DONE,
)


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
    name = check_name(name, errors)
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
    audit.record(
        session, "investigator.create", actor=actor, entity=profile, email=email, active=active
    )
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
    clean["name"] = check_name(changes.get("name", current["name"]), errors)
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
    revoked = accounts.end_sessions(session, user)
    audit.record(
        session,
        "investigator.deactivate",
        actor=actor,
        entity=profile,
        released_missions=[m.id for m in released],
        revoked_tokens=revoked,
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
