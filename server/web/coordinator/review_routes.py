"""Reviewing reports on the desk: a campaign's waves to review, a wave's review queue with
its automatic flags and bulk approval, one report's page (answers, evidence, photos, past
reviews, audit trail) with the decision form, the staff's view of a photo, and the comment
library. Analysts read the queue and the reports; every decision is the coordinator's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as Redirect

from server.auth import page_roles
from server.downloads import photo_response
from server.extensions import db
from server.models import CHANNEL_LABELS, Report, ReportStatus, Role, User, Wave
from server.services import (
    campaigns,
    photos,
    review,
    review_comments,
    review_queue,
    review_sheet,
    waves,
)
from server.services.errors import ServiceError
from server.services.report_lifecycle import STATUS_LABELS
from server.services.review_flags import FLAG_LABELS
from server.web.coordinator.review_forms import (
    BulkApproveForm,
    DecisionForm,
    ReviewCommentActivationForm,
    ReviewCommentForm,
)
from server.web.coordinator.routes import bp
from server.web.coordinator.wave_forms import put_service_errors
from server.web.coordinator.wave_routes import Rendered, actor, may_edit
from server.web.pagination import paginate, requested_page
from survey_schemas import CHANNELS

#: The queue's filters, as the query string names them.
FILTERS = ("status", "channel", "network", "region", "investigator", "flag")
#: Statuses the queue may show (drafts are never reviewed), in the order of the life cycle.
QUEUE_STATUSES = [s for s in ReportStatus if s != ReportStatus.DRAFT]
#: The filters bulk approval keeps (it always takes submitted reports without a flag).
BULK_FILTERS = ("channel", "network", "region", "investigator")


def _filters(source: Any = None) -> dict[str, str]:
    values = source if source is not None else request.args
    return {name: value for name in FILTERS if (value := values.get(name, "").strip())}


def _queue_filters(filters: dict[str, str], *, status: bool = True) -> review_queue.QueueFilters:
    person = filters.get("investigator", "")
    asked = filters.get("status", ReportStatus.SUBMITTED.value) if status else None
    return review_queue.QueueFilters(
        status=None if asked == "all" else asked,
        channel=filters.get("channel") or None,
        network=filters.get("network") or None,
        region=filters.get("region") or None,
        investigator_id=int(person) if person.isdigit() else None,
        flag=filters.get("flag") or None,
    )


# --- a campaign's waves to review --------------------------------------------------------------


@bp.route("/campagnes/<int:campaign_id>/revue")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def review_home(campaign_id: int) -> str:
    campaign = campaigns.get_campaign(db.session, campaign_id)
    return render_template(
        "coordinator/review_home.html",
        campaign=campaign,
        waves=db.session.scalars(waves.waves_query(campaign.id)).all(),
        counts=review_queue.status_counts(db.session, campaign.id),
        statuses=QUEUE_STATUSES,
        status_labels=STATUS_LABELS,
    )


# --- a wave's queue ----------------------------------------------------------------------------


def _queue_page(
    wave: Wave, *, bulk_form: BulkApproveForm | None = None, status: int = 200
) -> Rendered:
    filters = _filters()
    try:
        queue = review_queue.review_queue(db.session, wave, _queue_filters(filters), listing=True)
    except ServiceError as failure:  # an unknown status or flag in an edited address
        flash(failure.message, "error")
        filters = {}
        queue = review_queue.review_queue(db.session, wave, listing=True)
    networks, regions = review_queue.wave_places(db.session, wave)
    bulk = {k: v for k, v in filters.items() if k in BULK_FILTERS}
    return render_template(
        "coordinator/review_queue.html",
        wave=wave,
        campaign=wave.campaign,
        queue=queue,
        reports=paginate(queue.rows, requested_page()),
        filters=filters,
        networks=networks,
        regions=regions,
        people=review_queue.wave_investigators(db.session, wave),
        channels=CHANNELS,
        channel_labels=CHANNEL_LABELS,
        statuses=QUEUE_STATUSES,
        status_labels=STATUS_LABELS,
        flag_labels=FLAG_LABELS,
        local_text=review_sheet.local_text,
        bulk_form=bulk_form or BulkApproveForm(formdata=None, data=bulk),
        bulk_filters=bulk,
        can_edit=may_edit(),
    ), status


@bp.route("/vagues/<int:wave_id>/revue")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def review_wave(wave_id: int) -> Rendered:
    return _queue_page(waves.get_wave(db.session, wave_id))


@bp.route("/vagues/<int:wave_id>/revue/validation", methods=["POST"])
@page_roles(Role.COORDINATOR)
def review_bulk_approve(wave_id: int) -> Rendered | Redirect:
    """Approve the selection's submitted reports that carry no flag, each audited."""
    wave = waves.get_wave(db.session, wave_id)
    form = BulkApproveForm()
    chosen = {k: v for k, v in _filters(request.form).items() if k in BULK_FILTERS}
    back = url_for("coordinator.review_wave", wave_id=wave.id, **chosen)
    if not form.validate():
        flash(" ".join(form.confirm.errors) or "Formulaire refusé : rechargez la page.", "error")
        return redirect(back)
    try:
        outcome = review.approve_unflagged(
            db.session, wave, _queue_filters(chosen, status=False), actor=actor()
        )
    except ServiceError as failure:
        db.session.rollback()
        flash(failure.message, "error")
        return redirect(back)
    db.session.commit()
    done = outcome.as_dict()
    flash(
        f"{done['approved']} rapport(s) validé(s) ; {done['skipped_flagged']} laissé(s) à "
        f"relire pour leurs contrôles signalés"
        + (f", {done['skipped_decided']} revu(s) entre-temps." if done["skipped_decided"] else "."),
        "success",
    )
    return redirect(back)


# --- one report --------------------------------------------------------------------------------


def _report_page(
    report: Report,
    *,
    form: DecisionForm | None = None,
    error: str | None = None,
    details: list[str] | None = None,
    status: int = 200,
) -> Rendered:
    mission = report.mission
    if form is None:
        form = DecisionForm(formdata=None, data={"version": report.version})
    form.set_choices(db.session.scalars(review_comments.comments_query()).all())
    trail = review.report_audit(db.session, report)
    return render_template(
        "coordinator/review_report.html",
        report=report,
        mission=mission,
        wave=mission.wave,
        campaign=mission.wave.campaign,
        site=mission.site,
        investigator=db.session.get(User, report.investigator_id),
        flags=review_queue.report_flags(db.session, report),
        sheet=review_sheet.report_sheet(db.session, report),
        trail=trail,
        names=review.actor_names(db.session, trail),
        audit_labels=review.AUDIT_LABELS,
        decision_labels=review.DECISION_LABELS,
        status_labels=STATUS_LABELS,
        channel_labels=CHANNEL_LABELS,
        local_text=review_sheet.local_text,
        form=form,
        error=error,
        error_details=details or [],
        decidable=report.status == ReportStatus.SUBMITTED,
        can_edit=may_edit(),
    ), status


@bp.route("/rapports/<int:report_id>")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def review_report(report_id: int) -> Rendered:
    return _report_page(review.get_report(db.session, report_id))


@bp.route("/rapports/<int:report_id>/decision", methods=["POST"])
@page_roles(Role.COORDINATOR)
def review_decide(report_id: int) -> Rendered | Redirect:
    """Record the decision, then on to the wave's next report to review."""
    report = review.get_report(db.session, report_id)
    form = DecisionForm()
    form.set_choices(db.session.scalars(review_comments.comments_query()).all())
    if not form.validate():
        return _report_page(report, form=form, error="Vérifiez les champs signalés.", status=422)
    try:
        comment = review_comments.compose(db.session, form.library_comment.data, form.comment.data)
        made = review.review(
            db.session,
            report,
            decision=form.chosen_decision(),
            comment=comment,
            actor=actor(),
            expected_version=form.version.data,
        )
        if form.save_to_library.data and (form.comment.data or "").strip():
            review_comments.remember(
                db.session, form.comment.data, decision=made.decision, actor=actor()
            )
    except ServiceError as failure:
        db.session.rollback()
        others = put_service_errors(form, failure.errors, {"text": "comment"})
        return _report_page(
            report, form=form, error=failure.message, details=others, status=failure.status
        )
    db.session.commit()
    label = STATUS_LABELS[report.status].lower()
    flash(f"Rapport n° {report.id} {label}.", "success")
    following = review_queue.next_to_review(db.session, report.mission.wave, report)
    if following is not None:
        return redirect(url_for("coordinator.review_report", report_id=following))
    flash("Plus aucun rapport à revoir dans cette vague.", "info")
    return redirect(url_for("coordinator.review_wave", wave_id=report.mission.wave_id))


@bp.route("/photos/<int:photo_id>")
@page_roles(Role.COORDINATOR, Role.ANALYST)
def review_photo(photo_id: int) -> Response:
    """A report's photo for staff (the stored copy, without its metadata)."""
    photo = photos.photo_for(db.session, photo_id, current_user)
    return photo_response(photo, Path(current_app.config["UPLOAD_FOLDER"]))


# --- the comment library -----------------------------------------------------------------------


def _library_page(
    form: ReviewCommentForm | None = None, *, error: str | None = None, status: int = 200
) -> Rendered:
    return render_template(
        "coordinator/review_comments.html",
        comments=db.session.scalars(review_comments.comments_query(active_only=False)).all(),
        form=form or ReviewCommentForm(formdata=None),
        activation_form=ReviewCommentActivationForm(formdata=None),
        decision_labels=review.DECISION_LABELS,
        error=error,
    ), status


@bp.route("/revue/commentaires", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def review_comments_library() -> Rendered | Redirect:
    form = ReviewCommentForm()
    if not form.is_submitted():
        return _library_page()
    if not form.validate():
        return _library_page(form, error="Vérifiez les champs signalés.", status=422)
    try:
        review_comments.add_comment(
            db.session, form.text.data, decision=form.decision.data or None, actor=actor()
        )
    except ServiceError as failure:
        db.session.rollback()
        put_service_errors(form, failure.errors)
        return _library_page(form, error=failure.message, status=failure.status)
    db.session.commit()
    flash("Commentaire ajouté à la bibliothèque.", "success")
    return redirect(url_for("coordinator.review_comments_library"))


@bp.route("/revue/commentaires/<int:comment_id>/activation", methods=["POST"])
@page_roles(Role.COORDINATOR)
def review_comment_activation(comment_id: int) -> Redirect:
    comment = review_comments.get_comment(db.session, comment_id)
    if ReviewCommentActivationForm().validate():
        review_comments.set_active(db.session, comment, not comment.active, actor=actor())
        db.session.commit()
        flash(f"Commentaire {'activé' if comment.active else 'désactivé'}.", "success")
    return redirect(url_for("coordinator.review_comments_library"))
