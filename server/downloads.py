"""Stored files sent back to a browser: one place decides how each kind is served."""

from __future__ import annotations

from pathlib import Path

from flask import Response, send_file

from server.models import Mission
from server.services import reply_scans


def reply_scan_response(mission: Mission, folder: Path) -> Response | None:
    """The stored scan of the mission's reply, or None when there is none.

    A PDF (which cannot be re-encoded) is a download, never rendered in our origin; nosniff
    keeps a browser from reading any scan as another type than the one stored.
    """
    found = reply_scans.scan_file(mission, folder)
    if found is None:
        return None
    path, mimetype = found
    response = send_file(
        path,
        mimetype=mimetype,
        as_attachment=mimetype == "application/pdf",
        download_name=f"reponse-mission-{mission.id}{path.suffix}",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
