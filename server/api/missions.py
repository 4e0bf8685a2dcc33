"""One mission: reading it, reassigning it by hand, and the request and reply of an email or
letter test. Investigators reach only their own missions (another's is 404)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from server.api.blueprint import Blueprint
from server.api.fieldwork_schemas import (
    MissionAssignSchema,
    MissionSchema,
    ReplySchema,
    RequestSentSchema,
)
from server.api.pagination import paginate
from server.api.uploads import UploadSchema
from server.auth import api_roles, api_user
from server.downloads import reply_scan_response
from server.extensions import db
from server.models import Mission, Role, User
from server.services import assignments, missions, replies, reply_scans
from server.services.errors import NotFound

blp = Blueprint("missions_api", __name__, url_prefix="/api/v1", description="Missions")

FIELD = (Role.COORDINATOR, Role.INVESTIGATOR)


@blp.route("/me/missions")
class MyMissions(MethodView):
    @api_roles(Role.INVESTIGATOR)
    @blp.response(200, MissionSchema(many=True))
    @blp.paginate(page_size=100, max_page_size=500)
    def get(self, pagination_parameters: PaginationParameters) -> list[Any]:
        """The signed-in investigator's open missions, soonest first."""
        return paginate(missions.my_missions_query(api_user()), pagination_parameters)


@blp.route("/missions/<int:mission_id>")
class MissionById(MethodView):
    @api_roles(Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR)
    @blp.response(200, MissionSchema)
    def get(self, mission_id: int) -> Mission:
        """One mission (an investigator's own only)."""
        return missions.mission_for(db.session, mission_id, api_user())


@blp.route("/missions/<int:mission_id>/assign")
class MissionAssign(MethodView):
    @api_roles(Role.COORDINATOR)
    @blp.arguments(MissionAssignSchema)
    @blp.response(200, MissionSchema)
    def post(self, data: dict[str, Any], mission_id: int) -> Mission:
        """Reassign by hand. Every rule is checked again: a broken one is a 409 naming it
        (``errors.rule``) unless ``force`` is true; a forced move is audited."""
        actor = api_user()
        mission = missions.mission_for(db.session, mission_id, actor)
        investigator = db.session.get(User, data["investigator_id"])
        if investigator is None or investigator.investigator_profile is None:
            raise NotFound(f"Enquêteur {data['investigator_id']} introuvable.")
        assignments.reassign_mission(
            db.session, mission, investigator, actor=actor, force=data["force"]
        )
        db.session.commit()
        return mission


@blp.route("/missions/<int:mission_id>/sent")
class MissionRequestSent(MethodView):
    @api_roles(*FIELD)
    @blp.arguments(RequestSentSchema)
    @blp.response(200, MissionSchema)
    def post(self, data: dict[str, Any], mission_id: int) -> Mission:
        """Record when the email or letter left; its reply is then awaited until its
        deadline (working days of the site's department). The same time again is a no-op."""
        actor = api_user()
        mission = missions.mission_for(db.session, mission_id, actor)
        replies.record_request_sent(db.session, mission, data["sent_at"], actor=actor)
        db.session.commit()
        return mission


@blp.route("/missions/<int:mission_id>/reply")
class MissionReply(MethodView):
    @api_roles(*FIELD)
    @blp.arguments(ReplySchema)
    @blp.response(200, MissionSchema)
    def post(self, data: dict[str, Any], mission_id: int) -> Mission:
        """Record the site's reply to an email or letter; a second recording is a 409
        unless ``correction`` is true (audited with the values before and after)."""
        actor = api_user()
        mission = missions.mission_for(db.session, mission_id, actor)
        replies.record_reply(
            db.session,
            mission,
            received_at=data["received_at"],
            text=data["text"],
            actor=actor,
            correction=data["correction"],
        )
        db.session.commit()
        return mission


@blp.route("/missions/<int:mission_id>/reply/scan")
class MissionReplyScan(MethodView):
    @api_roles(*FIELD)
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, MissionSchema)
    def post(self, files: dict[str, Any], mission_id: int) -> Mission:
        """Attach the scan of a recorded reply (multipart ``file``: PDF, JPEG or PNG,
        recognised by its content)."""
        actor = api_user()
        mission = missions.mission_for(db.session, mission_id, actor)
        reply_scans.store_reply_scan(
            db.session, mission, request.files["file"].read(), folder=_uploads(), actor=actor
        )
        db.session.commit()
        return mission

    @api_roles(Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, mission_id: int) -> Response:
        """The scan of the reply, to its investigator and to staff only."""
        mission = missions.mission_for(db.session, mission_id, api_user())
        response = reply_scan_response(mission, _uploads())
        if response is None:
            raise NotFound("Aucune numérisation pour la réponse de cette mission.")
        return response


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])
