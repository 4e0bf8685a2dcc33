"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from server.auth import throttle_policy
from server.extensions import db
from server.services import accounts
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
    login_user(user)
    flash(f"Bienvenue, {user.name}.", "success")
    return redirect(_safe_next(request.args.get("next")) or home_url_for(user.role))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))
