"""Waves of fieldwork: open one on the drawn sample, assign it, follow it, close it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import func, select

from server.api.blueprint import Blueprint
from server.api.fieldwork_schemas import (
    AssignResultSchema,
    MissionFilterSchema,
    MissionSchema,
    WaveCreateSchema,
    WaveSchema,
)
from server.api.pagination import paginate
from server.auth import api_roles, api_user
from server.extensions import db
from server.models import Mission, MissionStatus, Role, Wave
from server.services import assignments, campaigns, missions, wave_progress, waves

blp = Blueprint("waves_api", __name__, url_prefix="/api/v1", description="Vagues et missions")

READERS = (Role.COORDINATOR, Role.ANALYST)


def _with_progress(wave: Wave) -> Wave:
    """The wave with its mission count and progress, as ``GET /waves/{id}`` shows it."""
    progress = wave_progress.wave_progress(db.session, wave)
    wave.progress = {  # type: ignore[attr-defined]
        "total": wave_progress.overall(db.session, wave).as_dict(),
        **{key: [row.as_dict() for row in rows] for key, rows in progress.items()},
    }
    wave.mission_count = db.session.scalar(  # type: ignore[attr-defined]
        select(func.count()).select_from(Mission).where(Mission.wave_id == wave.id)
    )
    return wave


@blp.route("/campaigns/<int:campaign_id>/waves")
class CampaignWaves(MethodView):
    @api_roles(*READERS)
    @blp.response(200, WaveSchema(many=True))
    @blp.paginate(page_size=50, max_page_size=200)
    def get(self, campaign_id: int, pagination_parameters: PaginationParameters) -> list[Any]:
        """The campaign's waves, latest first."""
        campaigns.get_campaign(db.session, campaign_id)
        return paginate(waves.waves_query(campaign_id), pagination_parameters)

    @api_roles(Role.COORDINATOR)
    @blp.arguments(WaveCreateSchema)
    @blp.response(201, WaveSchema)
    def post(self, data: dict[str, Any], campaign_id: int) -> Wave:
        """Open a wave on the campaign's current draw (which it locks) and generate its
        missions: visits in opening hours, calls spread over days and hours, emails and
        letters with their reply deadline in working days."""
        campaign = campaigns.get_campaign(db.session, campaign_id)
        wave = waves.open_wave(db.session, campaign, waves.WaveRequest(**data), actor=api_user())
        db.session.commit()
        return _with_progress(wave)


@blp.route("/waves/<int:wave_id>")
class WaveById(MethodView):
    @api_roles(*READERS)
    @blp.response(200, WaveSchema)
    def get(self, wave_id: int) -> Wave:
        """The wave with its progress by channel, network and region."""
        return _with_progress(waves.get_wave(db.session, wave_id))


@blp.route("/waves/<int:wave_id>/assign")
class WaveAssign(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.response(200, AssignResultSchema)
    def post(self, wave_id: int) -> dict[str, Any]:
        """Assign the wave's missions to investigators (min-cost flow); missions already
        started stay where they are. Lists what could not be assigned, with the rule."""
        wave = waves.get_wave(db.session, wave_id)
        run = assignments.assign_wave(db.session, wave, actor=api_user())
        db.session.commit()
        unassignable = db.session.execute(
            select(Mission.id, Mission.reason, Mission.rule)
            .where(Mission.wave_id == wave.id, Mission.status == MissionStatus.UNASSIGNED)
            .order_by(Mission.id)
        ).all()
        return {
            "run_id": run.id,
            "assigned": run.assigned,
            "kept": run.kept,
            "unassignable": [
                {"mission_id": i, "reason": reason or "", "rule": rule or ""}
                for i, reason, rule in unassignable
            ],
            "total_km": run.total_km,
            "mean_km": run.mean_km,
            "solve_seconds": run.solve_seconds,
            "fairness": run.fairness,
            "loads": run.loads,
            "blocked_by_rule": run.blocked_by_rule,
        }


@blp.route("/waves/<int:wave_id>/missions")
class WaveMissions(MethodView):
    @api_roles(*READERS)
    @blp.arguments(MissionFilterSchema, location="query")
    @blp.response(200, MissionSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(
        self, filters: dict[str, Any], wave_id: int, pagination_parameters: PaginationParameters
    ) -> list[Any]:
        """The wave's missions, filterable by channel, status, network, region, assignee,
        blocking rule and site (code or name)."""
        wave = waves.get_wave(db.session, wave_id)
        return paginate(missions.missions_query(wave, **filters), pagination_parameters)


@blp.route("/waves/<int:wave_id>/close")
class WaveClose(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.response(200, WaveSchema)
    def post(self, wave_id: int) -> Wave:
        """Close the wave: open missions closed as not done, awaited replies as not received."""
        wave = waves.get_wave(db.session, wave_id)
        waves.close_wave(db.session, wave, actor=api_user())
        db.session.commit()
        return _with_progress(wave)
