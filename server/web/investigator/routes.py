"""The investigator's phone pages: their missions."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Mission, MissionStatus, Role, SampledSite

bp = Blueprint("investigator", __name__, template_folder="templates")

#: Missions still to play or to follow up, as the investigator sees them.
OPEN_STATUSES = (MissionStatus.ASSIGNED, MissionStatus.OVERDUE, MissionStatus.AWAITING_REPLY)


@bp.route("/missions")
@page_roles(Role.INVESTIGATOR)
def missions() -> str:
    rows = db.session.scalars(
        select(Mission)
        .where(Mission.assignee_id == current_user.id, Mission.status.in_(OPEN_STATUSES))
        .options(joinedload(Mission.sampled_site).joinedload(SampledSite.site))
        .order_by(Mission.window_start, Mission.id)
    ).all()
    return render_template(
        "investigator/missions.html", missions=rows, channel_labels=CHANNEL_LABELS
    )
