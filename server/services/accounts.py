"""Accounts: creating users, checking passwords with a throttle, API bearer tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import ApiToken, LoginThrottle, Role, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import AuthenticationFailed, Conflict, Invalid, TooManyAttempts

MIN_PASSWORD_LENGTH = 10

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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.",
            {"password": [f"Au moins {MIN_PASSWORD_LENGTH} caractères."]},
        )
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
        audit.record(session, "user.login_failed", actor=user, email=email)
        raise AuthenticationFailed("Adresse électronique ou mot de passe incorrect.")
    if throttle is not None:
        session.delete(throttle)
    user.last_login_at = now
    audit.record(session, "user.login", actor=user)
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
    audit.record(session, "token.issue", actor=user, entity=token)
    return clear, token


def user_for_token(session: Session, clear: str, *, now: datetime | None = None) -> User:
    """The active user a bearer token belongs to; ``AuthenticationFailed`` otherwise."""
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    if token is None:
        raise AuthenticationFailed("Jeton d’accès inconnu.")
    if token.revoked_at is not None:
        raise AuthenticationFailed("Jeton d’accès révoqué.")
    if token.expires_at <= now:
        raise AuthenticationFailed("Jeton d’accès expiré ; demandez-en un nouveau.")
    if not token.user.active:
        raise AuthenticationFailed("Compte désactivé.")
    return token.user


def revoke_token(session: Session, clear: str, *, actor: User) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(clear)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, "token.revoke", actor=actor, entity=token)
