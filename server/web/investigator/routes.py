"""The investigator's phone pages: their agenda, and one mission with its report form.

The pages carry everything the phone needs to work offline once opened (the mission, its
questionnaire with each condition as a parsed tree); answers never travel in the HTML: the
page script keeps them in IndexedDB and syncs them through the API (DESIGN.md §3.11).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Mission, Questionnaire, Report, Role
from server.services import agenda as agenda_service
from server.services.definitions import answer_choices, questionnaire_model
from server.services.mission_lifecycle import STATUS_LABELS
from server.services.mission_plan import REPLY_CHANNELS
from server.services.missions import mission_for
from server.services.report_lifecycle import STATUS_LABELS as REPORT_STATUS_LABELS
from server.web.coordinator.labels import opening_hours_text
from server.web.mission_text import local_text, window_text
from survey_schemas import condition_tree

bp = Blueprint("investigator", __name__, template_folder="templates")


@bp.route("/missions")
@page_roles(Role.INVESTIGATOR)
def missions() -> str:
    return render_template(
        "investigator/missions.html",
        groups=agenda_service.agenda(db.session, current_user),
        channel_labels=CHANNEL_LABELS,
        report_labels=REPORT_STATUS_LABELS,
        window_text=window_text,
    )


def _map_url(mission: Mission) -> str | None:
    site = mission.site
    if site is None or site.latitude is None or site.longitude is None:
        return None
    return (
        f"https://www.openstreetmap.org/?mlat={site.latitude:.6f}&mlon={site.longitude:.6f}"
        f"#map=17/{site.latitude:.6f}/{site.longitude:.6f}"
    )


def _page_data(mission: Mission, questionnaire: Any, row: Questionnaire | None) -> dict[str, Any]:
    """What the page script needs, as JSON: who, which mission, and each question's type,
    requirement, section and skip-logic tree (``survey_schemas.condition_tree``)."""
    data: dict[str, Any] = {
        "user_id": current_user.id,
        "mission_id": mission.id,
        "channel": mission.channel,
        "time_zone": mission.time_zone,
    }
    if row is None or questionnaire is None:
        return data
    return {
        **data,
        "questionnaire_id": row.id,
        "questionnaire_version": row.version,
        "takes_position": mission.channel == "visit",
        "questions": [
            {
                "id": question.id,
                "type": question.type,
                "label": question.label,
                "required": question.required,
                "section": question.section,
                "max_photos": question.constraints.max_photos,
                "visible_when": condition_tree(question.visible_if)
                if question.visible_if is not None
                else None,
            }
            for question in questionnaire.questions
        ],
    }


@bp.route("/missions/<int:mission_id>")
@page_roles(Role.INVESTIGATOR)
def mission(mission_id: int) -> str:
    """The mission (scenario, address, hours, map) and its report form; another's is 404."""
    mission = mission_for(db.session, mission_id, current_user)
    # A report keeps the questionnaire version it was started with, even if the mission's
    # moved on since: the form shows that version, the one the server validates against.
    started = db.session.scalar(
        select(Report.questionnaire_id)
        .where(Report.mission_id == mission.id, Report.investigator_id == current_user.id)
        .order_by(Report.id.desc())
        .limit(1)
    )
    questionnaire_id = started or mission.questionnaire_id
    row = db.session.get(Questionnaire, questionnaire_id) if questionnaire_id else None
    questionnaire = questionnaire_model(row) if row is not None else None
    sections: list[tuple[str | None, list[Any]]] = []
    if questionnaire is not None:
        titles = {section.id: section.title for section in questionnaire.sections}
        for question in questionnaire.questions:
            title = titles.get(question.section or "")
            if not sections or sections[-1][0] != title:
                sections.append((title, []))
            sections[-1][1].append((question, answer_choices(question)))
    return render_template(
        "investigator/mission.html",
        mission=mission,
        site=mission.site,
        window=window_text(mission),
        hours=opening_hours_text(mission.site.opening_hours),
        map_url=_map_url(mission),
        channel_label=CHANNEL_LABELS[mission.channel],
        status_label=STATUS_LABELS[mission.status],
        questionnaire=questionnaire,
        sections=sections,
        phone_data=_page_data(mission, questionnaire, row),
        takes_reply=mission.channel in REPLY_CHANNELS and mission.sent_at is not None,
        sent_text=local_text(mission.sent_at, mission.time_zone),
        reply_text=local_text(mission.reply_received_at, mission.time_zone),
    )
