"""Photos of a report: the investigator sends them from the phone, staff and the investigator
read them back. Every file is decoded and stored re-encoded without its location metadata
(``server/services/photos.py``); another investigator's photo or mission is 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from server.api.blueprint import Blueprint
from server.api.schemas import moment
from server.api.uploads import UploadSchema, uploaded_file
from server.auth import api_roles, api_user
from server.downloads import photo_response
from server.extensions import db
from server.models import Photo, Role
from server.services import missions, photos

blp = Blueprint("photos_api", __name__, url_prefix="/api/v1", description="Photos des rapports")


class PhotoFormSchema(Schema):
    """The form fields sent with the file. The ``file`` itself is read by ``UploadSchema``
    (files location, where it is required); it is declared here so that the OpenAPI
    document shows one multipart body with every field."""

    file = fields.Raw(
        load_default=None,
        metadata={"type": "string", "format": "binary", "description": "La photo (requise)."},
    )
    #: The photo question it answers, if any.
    question_id = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[a-z][a-z0-9_]{0,63}$", error="Identifiant de question invalide."
        ),
    )
    #: SHA-256 of the file as the phone computed it: a mismatch means a corrupted upload.
    sha256 = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 chiffres hexadécimaux."),
    )
    taken_at = moment(load_default=None)


class PhotoSchema(Schema):
    id = fields.Integer()
    report_id = fields.Integer()
    sha256 = fields.String()
    question_id = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    taken_at = fields.DateTime(allow_none=True)
    uploaded_at = fields.DateTime()
    url = fields.Function(lambda photo: f"/api/v1/photos/{photo.id}")


@blp.route("/missions/<int:mission_id>/report/photos")
class ReportPhotos(MethodView):
    @api_roles(Role.INVESTIGATOR)
    @blp.arguments(UploadSchema, location="files")
    @blp.arguments(PhotoFormSchema, location="form", content_type="multipart/form-data")
    @blp.response(201, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="Cette photo était déjà enregistrée.")
    def post(
        self, _files: dict[str, Any], form: dict[str, Any], mission_id: int
    ) -> tuple[Photo, int]:
        """Attach a photo (multipart ``file``: JPEG, PNG or WebP, decoded to be sure) to the
        current draft or returned report of the mission. The same photo again (same SHA-256)
        is a 200 with the stored one; ``sha256`` sent by the phone must match the bytes
        received (422 otherwise). The stored copy is re-encoded without EXIF (no GPS)."""
        actor = api_user()
        mission = missions.mission_for(db.session, mission_id, actor)
        data, filename = uploaded_file("photo")
        photo, created = photos.store_photo(
            db.session,
            mission,
            data,
            folder=_uploads(),
            actor=actor,
            filename=filename,
            question_id=form["question_id"],
            sha256=form["sha256"],
            taken_at=form["taken_at"],
        )
        db.session.commit()
        return photo, 201 if created else 200


@blp.route("/photos/<int:photo_id>")
class PhotoById(MethodView):
    @api_roles(Role.COORDINATOR, Role.ANALYST, Role.INVESTIGATOR)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="image/jpeg")
    def get(self, photo_id: int) -> Response:
        """The stored (cleaned) photo, to the investigator who took it and to staff only."""
        photo = photos.photo_for(db.session, photo_id, api_user())
        return photo_response(photo, _uploads())


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])
