"""Which campaign a desk page shows: the one asked for in ``?campaign=``, else the latest."""

from __future__ import annotations

from flask import abort, request

from server.extensions import db
from server.models import Campaign
from server.services import campaigns


def chosen_campaign(available: list[Campaign]) -> Campaign | None:
    raw = request.args.get("campaign")
    if raw is None:
        return available[0] if available else None
    if not raw.isdigit():
        abort(400, description="Paramètre « campaign » invalide : un numéro est attendu.")
    return campaigns.get_campaign(db.session, int(raw))
