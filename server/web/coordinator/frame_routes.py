"""The frame page: what the campaign's base holds, and importing the ministry's file into it."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from server.auth import page_roles
from server.extensions import db
from server.models import Campaign, Role
from server.services import campaigns
from server.services.errors import ServiceError
from server.services.frame_import import ImportOutcome, import_frame
from server.web.coordinator.forms import FrameUploadForm
from server.web.coordinator.labels import DELIMITER_LABELS, ENCODING_LABELS, column_label
from server.web.coordinator.routes import bp

#: Rejected lines shown on the page; a file rejected line after line needs fixing, not reading.
MAX_REJECTIONS_SHOWN = 1000


def _page(
    campaign: Campaign,
    form: FrameUploadForm,
    *,
    outcome: ImportOutcome | None = None,
    error: ServiceError | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "coordinator/frame.html",
        campaign=campaign,
        form=form,
        summary=campaigns.frame_summary(db.session, campaign),
        outcome=outcome,
        error=error,
        max_rejections=MAX_REJECTIONS_SHOWN,
        encoding_labels=ENCODING_LABELS,
        delimiter_labels=DELIMITER_LABELS,
        column_label=column_label,
    ), status


@bp.route("/campagnes/<int:campaign_id>/base", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def frame(campaign_id: int) -> tuple[str, int]:
    """Show the frame; on upload, import the file and report what was added, updated, refused.

    The report is rendered, not redirected to: it lives only in this answer (rejected lines
    are not stored), and reloading would not re-import since browsers ask before re-posting.
    """
    campaign = campaigns.get_campaign(db.session, campaign_id)
    form = FrameUploadForm()
    if not form.validate_on_submit():
        return _page(campaign, form, status=422 if form.is_submitted() else 200)
    upload = form.file.data
    try:
        outcome = import_frame(
            db.session,
            campaign,
            upload.read(),
            upload.filename or "base.csv",
            actor=current_user._get_current_object(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
    except ServiceError as error:  # the file is refused whole: Invalid (422), FileTooLarge (413)
        db.session.rollback()
        return _page(campaign, form, error=error, status=error.status)
    db.session.commit()
    return _page(campaign, FrameUploadForm(formdata=None), outcome=outcome)
