"""The admin's desk: accounts."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from server.auth import page_roles
from server.extensions import db
from server.models import Referentiel, Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/")
@page_roles(Role.ADMIN)
def home() -> str:
    users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    referentiels = db.session.scalars(
        select(Referentiel).order_by(Referentiel.code, Referentiel.version)
    ).all()
    return render_template(
        "admin/home.html", users=users, by_role=by_role, referentiels=referentiels
    )
