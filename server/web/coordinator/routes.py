"""The coordinator's desk: campaigns, frame, investigators."""

from __future__ import annotations

from flask import Blueprint, render_template

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Role
from server.services import campaigns, investigators
from server.web.campaign_choice import chosen_campaign

bp = Blueprint("coordinator", __name__, url_prefix="/coordination", template_folder="templates")


@bp.route("/")
@page_roles(Role.COORDINATOR)
def home() -> str:
    available = campaigns.list_campaigns(db.session)
    campaign = chosen_campaign(available)
    summary = campaigns.frame_summary(db.session, campaign) if campaign else None
    people = investigators.list_investigators(db.session)
    return render_template(
        "coordinator/home.html",
        campaigns=available,
        campaign=campaign,
        summary=summary,
        investigators=people,
        active_count=sum(1 for p in people if p.investigator_profile.active),
        channel_labels=CHANNEL_LABELS,
    )
