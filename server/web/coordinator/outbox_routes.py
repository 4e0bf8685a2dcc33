"""The outbox: every message the application sends (reminders…), with where it stands.

Messages are written here first and sent by a job through SMTP; without an SMTP server
configured they stay here, pending, and this page is where a coordinator reads them. A
message whose delivery was interrupted after its last byte (``in_doubt``) is never re-sent
by the job: it is listed first, and the coordinator re-sends it or marks it sent.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as Redirect

from server.auth import page_roles
from server.extensions import db
from server.models import OutboxStatus, Role
from server.models.types import utcnow
from server.services import outbox_doubt
from server.services.outbox import IN_DOUBT_EXPLANATION, STATUS_LABELS, outbox_query
from server.web.coordinator.routes import bp
from server.web.coordinator.wave_routes import actor
from server.web.mission_text import local_text
from server.web.pagination import paginate_query, requested_page


def _status(asked: str | None) -> OutboxStatus | None:
    return OutboxStatus(asked) if asked in {s.value for s in OutboxStatus} else None


@bp.route("/courriels")
@page_roles(Role.COORDINATOR)
def outbox() -> str:
    status = _status(request.args.get("status", ""))
    return render_template(
        "coordinator/outbox.html",
        messages=paginate_query(outbox_query(status), requested_page()),
        in_doubt=db.session.scalars(outbox_query(OutboxStatus.IN_DOUBT)).all(),
        in_doubt_explanation=IN_DOUBT_EXPLANATION,
        status=status,
        statuses=list(OutboxStatus),
        status_labels=STATUS_LABELS,
        smtp_host=current_app.config.get("SMTP_HOST"),
        local_text=local_text,
    )


def _back() -> Redirect:
    status = _status(request.form.get("status"))
    return redirect(url_for("coordinator.outbox", status=status.value if status else None))


@bp.route("/courriels/<int:message_id>/renvoi", methods=["POST"])
@page_roles(Role.COORDINATOR)
def outbox_resend(message_id: int) -> Redirect:
    """The recipient did not get it: send it again at the next delivery."""
    message = outbox_doubt.resend(db.session, message_id, actor=actor(), now=utcnow())
    db.session.commit()
    flash(f"Message n° {message.id} remis en attente : il repartira au prochain envoi.", "success")
    return _back()


@bp.route("/courriels/<int:message_id>/envoye", methods=["POST"])
@page_roles(Role.COORDINATOR)
def outbox_mark_sent(message_id: int) -> Redirect:
    """The recipient got it: close it as sent, never to be sent again."""
    message = outbox_doubt.mark_sent(db.session, message_id, actor=actor(), now=utcnow())
    db.session.commit()
    flash(f"Message n° {message.id} marqué comme envoyé.", "success")
    return _back()
