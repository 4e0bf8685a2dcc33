"""The one file of a multipart upload (field ``file``), for the API's import routes."""

from __future__ import annotations

from flask import request
from flask_smorest import abort
from marshmallow import Schema, fields


class UploadSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)


class RejectionSchema(Schema):
    line = fields.Integer()
    reason = fields.String()
    #: The line's ``site_id`` when it had one (frame files), to find it in the spreadsheet.
    site_id = fields.String(allow_none=True)


def uploaded_file(default_name: str) -> tuple[bytes, str]:
    """The uploaded bytes and file name; 400 when nothing was sent at all (an empty file with a
    name goes on, so the importer can say it is empty)."""
    upload = request.files["file"]
    data = upload.read()
    if not data and not upload.filename:
        abort(400, message="Aucun fichier reçu dans le champ « file ».")
    return data, upload.filename or default_name
