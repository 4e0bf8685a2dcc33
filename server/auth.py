"""Who is asking: session login for pages, bearer tokens for the API, and role checks.

Admins may do everything; every other role is checked against the roles a view allows
(DESIGN.md §3.7). Refusals are 403 with a French message, never a redirect loop.

The API also accepts the session of the pages, so that the investigator's phone pages call it
with no token to keep: a write made that way must carry the session's CSRF token in the
``X-CSRFToken`` header (a cross-site page can send the cookie, never the header), and a
request with an ``Authorization`` header is judged by its token alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from server.extensions import db, login_manager
from server.models import ROLE_LABELS, Role, User
from server.services import accounts
from server.services.errors import AuthenticationFailed

F = TypeVar("F", bound=Callable[..., Any])

_API_USER = "barometre.api_user"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Set in the request's environ when the API user came from the page session.
SESSION_AUTH = "barometre.session_auth"


def init_app(app: Flask) -> None:
    accounts.set_hash_method(app.config["PASSWORD_HASH_METHOD"])
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user of a session cookie, or None (anonymous) when the account is inactive or the
    cookie predates a password reset or a deactivation (``User.get_id``): checked on every
    request, so an admin's change takes effect at the very next one."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def throttle_policy() -> accounts.ThrottlePolicy:
    """The login throttle configured for this app (pages and API share it)."""
    config = current_app.config
    return accounts.ThrottlePolicy(
        max_failures=config["LOGIN_MAX_FAILURES"], base_seconds=config["LOGIN_LOCKOUT_SECONDS"]
    )


def api_user() -> User:
    """The user behind the request's bearer token (cached for the request), or 401.

    Cached in the request's environ, not in ``g``: ``g`` lives as long as the app context,
    which a caller (a test, a CLI command) may hold across several requests.
    """
    cached = request.environ.get(_API_USER)
    if cached is not None:
        user: User = cached
        return user
    header = request.headers.get("Authorization", "")
    if not header and current_user.is_authenticated:
        return _session_user()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="Authentification requise : en-tête « Authorization: Bearer … ».")
    try:
        user = accounts.user_for_token(db.session, token.strip())
    except AuthenticationFailed as error:
        abort(401, description=error.message)
    request.environ[_API_USER] = user
    return user


def _session_user() -> User:
    """The signed-in user of the pages; a write must prove it comes from our own page."""
    if request.method not in _SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            abort(
                403,
                description=(
                    "Jeton CSRF absent ou périmé (en-tête « X-CSRFToken ») : rechargez la page."
                ),
            )
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    request.environ[_API_USER] = user
    request.environ[SESSION_AUTH] = True
    return user


def _refuse(user: User, roles: tuple[Role, ...]) -> None:
    allowed = ", ".join(ROLE_LABELS[r] for r in roles)
    abort(
        403,
        description=(
            f"Accès refusé : votre rôle ({ROLE_LABELS[user.role]}) ne permet pas cette action "
            f"(réservée à : {allowed})."
        ),
    )


def allowed(user: User, roles: tuple[Role, ...]) -> bool:
    return user.role == Role.ADMIN or user.role in roles


def api_roles(*roles: Role) -> Callable[[F], F]:
    """Decorate an API view: bearer token required, and one of ``roles`` (or admin)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = api_user()
            if roles and not allowed(user, roles):
                _refuse(user, roles)
            return view(*args, **kwargs)

        #: Read by the access tests, which walk every route of the URL map.
        wrapper.api_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def page_roles(*roles: Role) -> Callable[[F], F]:
    """Decorate a page: logged-in session required, and one of ``roles`` (or admin)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if roles and not allowed(current_user, roles):
                _refuse(current_user, roles)
            return view(*args, **kwargs)

        #: Read by the access tests, which walk every route of the URL map.
        wrapper.page_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
