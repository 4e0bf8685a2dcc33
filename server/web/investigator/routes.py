"""The investigator's phone pages: their missions."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Role
from server.services.missions import my_missions_query

bp = Blueprint("investigator", __name__, template_folder="templates")


@bp.route("/missions")
@page_roles(Role.INVESTIGATOR)
def missions() -> str:
    rows = db.session.scalars(my_missions_query(current_user)).unique().all()
    return render_template(
        "investigator/missions.html", missions=rows, channel_labels=CHANNEL_LABELS
    )
