"""Signing in and out.

The session is Flask's signed cookie. Signing in starts it afresh, so nothing from before
(a CSRF token an attacker planted, a ``next``, flashed messages) survives into the signed-in
session. Signing out empties it, and bumps ``User.session_version``: the user loader only
accepts a cookie carrying the current version, so a copy of the cookie taken before sign-out
(the cookie is valid as far as its signature goes) no longer signs anyone in, on the pages nor
on the API (which accepts the page session). The price: signing out on one browser signs the
account out of its other browsers too, as a password reset does.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from server.auth import throttle_policy
from server.extensions import db
from server.models import User
from server.services import accounts, audit
from server.services.errors import AuthenticationFailed, TooManyAttempts
from server.web import home_url_for
from server.web.auth.forms import LoginForm

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only local paths: an attacker's link must not bounce a user off-site after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user.role))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    try:
        user = accounts.authenticate(
            db.session, form.email.data, form.password.data, policy=throttle_policy()
        )
    except TooManyAttempts as error:
        db.session.commit()
        form.form_errors.append(error.message)
        return render_template("auth/login.html", form=form), 429
    except AuthenticationFailed as error:
        db.session.commit()
        form.form_errors.append(error.message)
        return render_template("auth/login.html", form=form), 401
    db.session.commit()
    session.clear()
    login_user(user)
    flash(f"Bienvenue, {user.name}.", "success")
    return redirect(_safe_next(request.args.get("next")) or home_url_for(user.role))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        _end_page_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


def _end_page_sessions(user: User) -> None:
    """Every session cookie issued to ``user`` so far stops matching (see the module's
    docstring). Bearer tokens are left alone: a script's token is not a browser's session."""
    user.session_version = (user.session_version or 0) + 1
    audit.record(db.session, "user.logout", actor=user, entity=user)
    db.session.commit()
