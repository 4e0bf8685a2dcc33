"""The outbox: every message the application sends (reminders…), with where it stands.

Messages are written here first and sent by a job through SMTP; without an SMTP server
configured they stay here, pending, and this page is where a coordinator reads them.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from server.auth import page_roles
from server.models import OutboxStatus, Role
from server.services.outbox import STATUS_LABELS, outbox_query
from server.web.coordinator.routes import bp
from server.web.mission_text import local_text
from server.web.pagination import paginate_query, requested_page


@bp.route("/courriels")
@page_roles(Role.COORDINATOR)
def outbox() -> str:
    asked = request.args.get("status", "")
    status = OutboxStatus(asked) if asked in {s.value for s in OutboxStatus} else None
    return render_template(
        "coordinator/outbox.html",
        messages=paginate_query(outbox_query(status), requested_page()),
        status=status,
        statuses=list(OutboxStatus),
        status_labels=STATUS_LABELS,
        smtp_host=current_app.config.get("SMTP_HOST"),
        local_text=local_text,
    )
