"""Accounts: creating users, checking passwords with a throttle, API bearer tokens, and the
admin's changes to an account (deactivation, reactivation, role, password reset).

Ending someone's access must work at the very next request: a deactivation or a password reset
bumps ``User.session_version`` (part of the id Flask-Login keeps in the session cookie, so an old
cookie no longer matches) and revokes every bearer token of the account.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import ApiToken, LoginThrottle, Role, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import (
    AuthenticationFailed,
    Conflict,
    Invalid,
    NotFound,
    TooManyAttempts,
)

MIN_PASSWORD_LENGTH = 12

#: werkzeug hash method for new passwords (``server.auth.init_app`` sets it from the config's
#: PASSWORD_HASH_METHOD: a process-wide policy, like the login manager's).
_hash_method = "scrypt"


def set_hash_method(method: str) -> None:
    global _hash_method
    _hash_method = method


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method)


#: Checked against when the e-mail is unknown, so that a wrong address costs the same time as a
#: wrong password and the response time does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    """The one password rule (``MIN_PASSWORD_LENGTH``), for every way a password is set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
            {"password": [f"Au moins {MIN_PASSWORD_LENGTH} caractères."]},
        )


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role,
    actor: User | None = None,
) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise Invalid("Adresse électronique invalide.", {"email": ["Adresse invalide."]})
    check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"Un compte existe déjà pour {email}.", {"email": ["Déjà utilisée."]})
    user = User(
        email=email,
        name=name.strip() or email,
        password_hash=hash_password(password),
        role=role,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.create", actor=actor, entity=user, role=role.value)
    return user


@dataclass(frozen=True)
class ThrottlePolicy:
    """After ``max_failures`` wrong passwords in a row the address is locked for
    ``base_seconds``, doubling with each further failure (capped at 15 minutes)."""

    max_failures: int = 5
    base_seconds: int = 30
    cap_seconds: int = 15 * 60

    def lockout(self, failures: int) -> timedelta | None:
        if failures < self.max_failures:
            return None
        seconds = self.base_seconds * 2 ** (failures - self.max_failures)
        return timedelta(seconds=min(seconds, self.cap_seconds))


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> User:
    """Return the active user with this e-mail and password, or raise.

    Raises ``TooManyAttempts`` while the address is locked, ``AuthenticationFailed`` with one
    message for every other failure (unknown address, wrong password, inactive account), so the
    answer does not tell which addresses have accounts.
    """
    now = now or utcnow()
    email = normalise_email(email)
    throttle = session.get(LoginThrottle, email)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        wait = math.ceil((throttle.locked_until - now).total_seconds())
        raise TooManyAttempts(
            f"Trop de tentatives de connexion. Réessayez dans {wait} secondes.", retry_after=wait
        )
    user = session.scalar(select(User).where(User.email == email))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        throttle = throttle or LoginThrottle(email=email, failures=0)
        throttle.failures += 1
        throttle.last_failure_at = now
        lock = policy.lockout(throttle.failures)
        throttle.locked_until = now + lock if lock else None
        session.add(throttle)
        audit.record(
            session,
            "user.login_failed",
            actor=user,
            entity=user,
            email=email,
            failures=throttle.failures,
        )
        raise AuthenticationFailed("Adresse électronique ou mot de passe incorrect.")
    if throttle is not None:
        session.delete(throttle)
    user.last_login_at = now
    audit.record(session, "user.login", actor=user, entity=user, at=now.isoformat())
    return user


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, user: User, *, ttl: timedelta, now: datetime | None = None
) -> tuple[str, ApiToken]:
    """Create a bearer token; the clear value is returned once and never stored."""
    now = now or utcnow()
    clear = secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=hash_token(clear), created_at=now, expires_at=now + ttl)
    session.add(token)
    session.flush()
    audit.record(
        session, "token.issue", actor=user, entity=token, expires_at=token.expires_at.isoformat()
    )
    return clear, token


def user_for_token(session: Session, clear: str, *, now: datetime | None = None) -> User:
    """The active user a bearer token belongs to; ``AuthenticationFailed`` otherwise."""
    now = now or utcnow()
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(clear))
        .options(joinedload(ApiToken.user))  # every API request: one query, not two
    )
    if token is None:
        raise AuthenticationFailed("Jeton d’accès inconnu.")
    if not token.user.active:  # said first: a new token would not help
        raise AuthenticationFailed("Compte désactivé : adressez-vous à un administrateur.")
    if token.revoked_at is not None:
        raise AuthenticationFailed("Jeton d’accès révoqué ; demandez-en un nouveau.")
    if token.expires_at <= now:
        raise AuthenticationFailed("Jeton d’accès expiré ; demandez-en un nouveau.")
    return token.user


def revoke_token(session: Session, clear: str, *, actor: User) -> None:
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(clear))
        .options(joinedload(ApiToken.user))  # every API request: one query, not two
    )
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, "token.revoke", actor=actor, entity=token)


# --- The admin's changes to an account ----------------------------------------------------------

#: Where investigators are made and their profile kept: an admin's role change cannot do it.
INVESTIGATOR_ROLE_REFUSAL = (
    "Le rôle enquêteur ne se donne ni ne se retire depuis la gestion des comptes : un enquêteur "
    "a un profil de terrain (commune, capacité, canaux) et des missions. Créez-le, ou désactivez-"
    "le, depuis la page « Enquêteurs » de la coordination."
)


def users_query(*, role: Role | None = None, active: bool | None = None) -> Select[tuple[User]]:
    """Accounts by name, optionally of one role or one status (the API paginates it)."""
    statement = select(User).order_by(User.name, User.id)
    if role is not None:
        statement = statement.where(User.role == role)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return statement


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Aucun compte n° {user_id}.")
    return user


def create_account(
    session: Session, *, email: str, name: str, password: str, role: Role, actor: User | None
) -> User:
    """An admin's new account of any role but investigator (who needs a profile: the
    coordinator's page or ``POST /investigators`` makes both)."""
    if role == Role.INVESTIGATOR:
        raise Invalid(INVESTIGATOR_ROLE_REFUSAL, {"role": [INVESTIGATOR_ROLE_REFUSAL]})
    return create_user(session, email=email, name=name, password=password, role=role, actor=actor)


def end_sessions(session: Session, user: User) -> int:
    """Make every open session of ``user`` stale and revoke their tokens; how many tokens.

    The session cookie holds ``get_id()``, which includes ``session_version``: once bumped,
    the user loader no longer recognises any cookie issued before.
    """
    user.session_version = (user.session_version or 0) + 1
    now = utcnow()
    live = [t for t in user.tokens if t.revoked_at is None]
    for token in live:
        token.revoked_at = now
    session.flush()
    return len(live)


def _refuse_self(user: User, actor: User | None, what: str) -> None:
    if actor is not None and actor.id == user.id:
        raise Conflict(
            f"Vous ne pouvez pas {what} votre propre compte : demandez-le à un autre "
            "administrateur."
        )


def _refuse_last_admin(session: Session, user: User, what: str) -> None:
    """An active admin must remain. Every active admin's row is locked, in id order (no
    deadlock), so two admins removing each other at the same time cannot both succeed: the
    second waits for the first, then sees it gone (PostgreSQL; SQLite writes one at a time)."""
    if user.role != Role.ADMIN or not user.active:
        return
    admins = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not [admin_id for admin_id in admins if admin_id != user.id]:
        raise Conflict(
            f"Impossible de {what} le dernier administrateur actif : nommez d’abord un autre "
            "administrateur."
        )


def deactivate_user(session: Session, user: User, *, actor: User | None) -> bool:
    """Switch the account off: no login, and its sessions and tokens stop at the next request.

    An investigator is deactivated as the coordinator's page does it (profile off, open
    missions taken back). Returns False when the account was already inactive (nothing done).
    """
    if not user.active:
        return False
    _refuse_self(user, actor, "désactiver")
    _refuse_last_admin(session, user, "désactiver")
    revoked = sum(1 for token in user.tokens if token.revoked_at is None)
    if user.investigator_profile is not None:
        # Imported here: the investigators service builds on this module.
        from server.services import investigators

        investigators.update_investigator(session, user, {"active": False}, actor=actor)
    user.active = False
    end_sessions(session, user)
    audit.record(session, "user.deactivate", actor=actor, entity=user, revoked_tokens=revoked)
    return True


def reactivate_user(session: Session, user: User, *, actor: User | None) -> bool:
    """Switch the account back on (old sessions and tokens stay dead: a new login is needed).
    Returns False when it was already active."""
    if user.active:
        return False
    if user.investigator_profile is not None:
        from server.services import investigators

        investigators.update_investigator(session, user, {"active": True}, actor=actor)
    user.active = True
    session.flush()
    audit.record(session, "user.reactivate", actor=actor, entity=user)
    return True


def change_role(session: Session, user: User, role: Role, *, actor: User | None) -> bool:
    """Give the account another role; refused to or from investigator (see
    ``INVESTIGATOR_ROLE_REFUSAL``), for oneself, and for the last active admin.
    Returns False when the role was already that one."""
    if role == user.role:
        return False
    if Role.INVESTIGATOR in (role, user.role):
        raise Invalid(INVESTIGATOR_ROLE_REFUSAL, {"role": [INVESTIGATOR_ROLE_REFUSAL]})
    if user.role == Role.ADMIN:
        _refuse_self(user, actor, "retirer le rôle administrateur à")
        _refuse_last_admin(session, user, "retirer le rôle administrateur à")
    before = user.role
    user.role = role
    session.flush()
    audit.record(
        session, "user.role_change", actor=actor, entity=user, before=before.value, after=role.value
    )
    return True


def rename_user(session: Session, user: User, name: str, *, actor: User | None) -> bool:
    name = name.strip()
    if not name:
        raise Invalid("Indiquez le nom.", {"name": ["Indiquez le nom."]})
    if name == user.name:
        return False
    before, user.name = user.name, name
    session.flush()
    audit.record(session, "user.rename", actor=actor, entity=user, before=before, after=name)
    return True


def update_user(
    session: Session, user: User, changes: dict[str, Any], *, actor: User | None
) -> User:
    """Apply the API's ``PATCH``: any of ``name``, ``role``, ``active`` (each audited once).
    The caller rolls back on an error, so a refused change leaves nothing half done."""
    if "name" in changes:
        rename_user(session, user, changes["name"], actor=actor)
    if "role" in changes:
        change_role(session, user, Role(changes["role"]), actor=actor)
    if changes.get("active") is False:
        deactivate_user(session, user, actor=actor)
    elif changes.get("active") is True:
        reactivate_user(session, user, actor=actor)
    return user


def reset_password(session: Session, user: User, password: str, *, actor: User | None) -> int:
    """Set a new password chosen by an admin; ends the user's sessions and revokes their
    tokens (returns how many). The audit says it happened, never the password."""
    check_password(password)
    user.password_hash = hash_password(password)
    revoked = end_sessions(session, user)
    throttle = session.get(LoginThrottle, user.email)
    if throttle is not None:  # the person locked out is the one the reset is for
        session.delete(throttle)
        session.flush()
    audit.record(session, "user.password_reset", actor=actor, entity=user, revoked_tokens=revoked)
    return revoked
