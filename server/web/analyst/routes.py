"""The analyst's desk: campaigns and their frames, read-only."""

from __future__ import annotations

from flask import Blueprint, render_template

from server.auth import page_roles
from server.extensions import db
from server.models import Role
from server.services import campaigns
from server.web.campaign_choice import chosen_campaign

bp = Blueprint("analyst", __name__, url_prefix="/analyse", template_folder="templates")


@bp.route("/")
@page_roles(Role.ANALYST, Role.COORDINATOR)
def home() -> str:
    available = campaigns.list_campaigns(db.session)
    campaign = chosen_campaign(available)
    summary = campaigns.frame_summary(db.session, campaign) if campaign else None
    return render_template(
        "analyst/home.html", campaigns=available, campaign=campaign, summary=summary
    )
