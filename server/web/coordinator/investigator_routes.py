"""The investigators' pages: the list, a new account, a profile, (de)activation, file import."""

from __future__ import annotations

import math
from collections.abc import Mapping

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Mission, Role, User
from server.services import investigators
from server.services.errors import ServiceError
from server.services.investigator_import import REQUIRED, import_investigators
from server.services.mission_lifecycle import STATUS_LABELS
from server.web.coordinator.investigator_forms import (
    ActivationForm,
    InvestigatorCreateForm,
    InvestigatorImportForm,
    InvestigatorProfileForm,
)
from server.web.coordinator.labels import DELIMITER_LABELS, ENCODING_LABELS
from server.web.coordinator.routes import bp

PAGE_SIZE = 50
#: Rejected lines shown on the page; a file rejected line after line needs fixing, not reading.
MAX_REJECTIONS_SHOWN = 1000

Page = tuple[str, int]


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _put_errors(form: FlaskForm, errors: Mapping[str, list[str]]) -> None:
    """The service's messages next to their field; others above the form."""
    for name, messages in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
        else:
            form.form_errors.extend(messages)


@bp.route("/enqueteurs")
@page_roles(Role.COORDINATOR)
def investigators_list() -> str:
    statement = investigators.investigators_query()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, math.ceil((total or 0) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    people = list(
        db.session.scalars(statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).unique()
    )
    return render_template(
        "coordinator/investigators.html",
        people=people,
        loads=investigators.current_loads(db.session, [p.id for p in people]),
        total=total or 0,
        page=page,
        pages=pages,
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/enqueteurs/nouveau", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def investigator_new() -> Page | Response:
    form = InvestigatorCreateForm()
    if not form.is_submitted():
        return _form_page(form, None), 200
    if form.validate():
        try:
            user = investigators.create_investigator(
                db.session,
                email=form.email.data,
                password=form.password.data,
                actor=_actor(),
                **form.profile(),
            )
        except ServiceError as error:
            db.session.rollback()
            _put_errors(form, error.errors or {"": [error.message]})
        else:
            db.session.commit()
            flash(f"Enquêteur « {user.name} » créé.", "success")
            return redirect(url_for("coordinator.investigator_edit", user_id=user.id))
    return _form_page(form, None), 422


@bp.route("/enqueteurs/<int:user_id>", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def investigator_edit(user_id: int) -> Page | Response:
    user = investigators.get_investigator(db.session, user_id)
    form = InvestigatorProfileForm()
    if not form.is_submitted():
        form.fill(investigators.profile_values(user))
        return _form_page(form, user), 200
    if form.validate():
        try:
            investigators.update_investigator(db.session, user, form.profile(), actor=_actor())
        except ServiceError as error:
            db.session.rollback()
            _put_errors(form, error.errors or {"": [error.message]})
        else:
            db.session.commit()
            flash("Profil enregistré.", "success")
            return redirect(url_for("coordinator.investigator_edit", user_id=user.id))
    return _form_page(form, user), 422


def _form_page(form: InvestigatorProfileForm, user: User | None) -> str:
    return render_template(
        "coordinator/investigators_form.html",
        form=form,
        person=user,
        open_missions=investigators.open_missions(db.session, user) if user else [],
    )


@bp.route("/enqueteurs/<int:user_id>/activation", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def investigator_activation(user_id: int) -> Page:
    """Ask to confirm, then deactivate (missions taken back, listed) or reactivate."""
    user = investigators.get_investigator(db.session, user_id)
    active = investigators.profile_values(user)["active"]
    form = ActivationForm(action="reactivate" if not active else "deactivate")
    if not form.is_submitted():
        return _activation_page(user, form), 200
    if not form.validate():
        return _activation_page(user, form), 422
    wanted = form.action.data == "reactivate"
    if wanted == active:  # the form was sent twice: the state asked for is already there
        return _activation_page(user, form), 200
    outcome = investigators.update_investigator(
        db.session, user, {"active": wanted}, actor=_actor()
    )
    db.session.commit()
    released = outcome.released_missions
    return _activation_page(user, ActivationForm(formdata=None), released=released), 200


def _activation_page(
    user: User, form: ActivationForm, released: list[Mission] | None = None
) -> str:
    active = investigators.profile_values(user)["active"]
    form.action.data = "reactivate" if not active else "deactivate"
    return render_template(
        "coordinator/investigators_activation.html",
        person=user,
        active=active,
        form=form,
        released=released,
        open_missions=investigators.open_missions(db.session, user),
        status_labels=STATUS_LABELS,
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/enqueteurs/import", methods=["GET", "POST"])
@page_roles(Role.COORDINATOR)
def investigators_import() -> Page:
    """Upload the file; the report is rendered, not redirected to (it is not stored)."""
    form = InvestigatorImportForm()
    if not form.validate_on_submit():
        return _import_page(form), 422 if form.is_submitted() else 200
    upload = form.file.data
    try:
        outcome = import_investigators(
            db.session,
            upload.read(),
            upload.filename or "enqueteurs.csv",
            actor=_actor(),
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
    except ServiceError as error:  # the file is refused whole: Invalid (422), FileTooLarge (413)
        db.session.rollback()
        return _import_page(form, error=error), error.status
    db.session.commit()
    return _import_page(InvestigatorImportForm(formdata=None), outcome=outcome), 200


def _import_page(form: InvestigatorImportForm, **report: object) -> str:
    return render_template(
        "coordinator/investigators_import.html",
        form=form,
        outcome=report.get("outcome"),
        error=report.get("error"),
        required_columns=list(REQUIRED.values()),
        max_rejections=MAX_REJECTIONS_SHOWN,
        encoding_labels=ENCODING_LABELS,
        delimiter_labels=DELIMITER_LABELS,
        channel_labels=CHANNEL_LABELS,
    )
