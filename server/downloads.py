"""Stored files sent back to a browser: one place decides how each kind is served, for the API
and the pages alike. ``X-Content-Type-Options: nosniff`` comes with every response
(``server/security.py``), so a browser never reads a stored file as another type."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_file

from server.models import Mission, Photo
from server.services import photos, reply_scans


def photo_response(photo: Photo, folder: Path) -> Response:
    """A report's stored (cleaned) photo, never kept by a browser or a proxy cache."""
    response = send_file(
        photos.photo_file(photo, folder),
        mimetype=photo.content_type,
        download_name=photo.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def reply_scan_response(mission: Mission, folder: Path) -> Response | None:
    """The stored scan of the mission's reply, or None when there is none.

    A PDF (which cannot be re-encoded) is a download, never rendered in our origin.
    """
    found = reply_scans.scan_file(mission, folder)
    if found is None:
        return None
    path, mimetype = found
    return send_file(
        path,
        mimetype=mimetype,
        as_attachment=mimetype == "application/pdf",
        download_name=f"reponse-mission-{mission.id}{path.suffix}",
    )
