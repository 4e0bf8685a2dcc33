"""The admin's desk: accounts, and the référentiels and questionnaires in force.

Coordinators and analysts may read référentiels and questionnaires here too (they prepare and
explain the fieldwork); only admins publish a new version.
"""

from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

import survey_schemas
from server.api.referentiels import XLSX, xlsform_filename
from server.auth import page_roles
from server.extensions import db
from server.models import CHANNEL_LABELS, Questionnaire, Referentiel, Role, User
from server.services import definitions, referentiels
from server.services.errors import ServiceError
from server.web import questionnaire_text
from server.web.admin.forms import DefinitionUploadForm

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

READERS = (Role.COORDINATOR, Role.ANALYST)


@bp.route("/")
@page_roles(Role.ADMIN)
def home() -> str:
    users = db.session.scalars(select(User).order_by(User.role, User.name)).all()
    by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    referentiels = db.session.scalars(
        select(Referentiel).order_by(Referentiel.code, Referentiel.version)
    ).all()
    return render_template(
        "admin/home.html", users=users, by_role=by_role, referentiels=referentiels
    )


@bp.route("/referentiels")
@page_roles(*READERS)
def referentiel_list() -> str:
    return render_template(
        "admin/referentiels.html",
        referentiels=referentiels.list_referentiels(db.session),
        questionnaires=referentiels.list_questionnaires(db.session),
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/referentiels/<int:referentiel_id>")
@page_roles(*READERS)
def referentiel_detail(referentiel_id: int) -> str:
    row = referentiels.get_referentiel(db.session, referentiel_id)
    return render_template(
        "admin/referentiel.html",
        referentiel=row,
        model=definitions.referentiel_model(row),
        questionnaires=referentiels.list_questionnaires(db.session, referentiel_id=row.id),
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/questionnaires/<int:questionnaire_id>")
@page_roles(*READERS)
def questionnaire_detail(questionnaire_id: int) -> str:
    row = referentiels.get_questionnaire(db.session, questionnaire_id)
    model = definitions.questionnaire_model(row)
    return render_template(
        "admin/questionnaire.html",
        questionnaire=row,
        model=model,
        engagements={e.code: e for e in definitions.referentiel_model(row.referentiel).engagements},
        channel_labels=CHANNEL_LABELS,
        text=questionnaire_text,
        answer_choices=definitions.answer_choices,
    )


@bp.route("/questionnaires/<int:questionnaire_id>/xlsform")
@page_roles(*READERS)
def questionnaire_xlsform(questionnaire_id: int) -> Response:
    """The same XLSForm workbook as the API's, for a signed-in browser session.

    The API answers bearer tokens only, so a link to it from a page got a 401; the
    workbook and its file name come from the functions the API uses.
    """
    row = referentiels.get_questionnaire(db.session, questionnaire_id)
    workbook = survey_schemas.build_xlsform(definitions.questionnaire_model(row))
    return send_file(
        io.BytesIO(workbook),
        mimetype=XLSX,
        as_attachment=True,
        download_name=xlsform_filename(row),
    )


@bp.route("/referentiels/publier", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def publish() -> Response | tuple[str, int]:
    """Publish a new version; a refused file is shown again with every message."""
    form = DefinitionUploadForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("admin/publish.html", form=form, refusal=None), status
    try:
        outcome = referentiels.load_document(
            db.session, form.document.data.read(), actor=current_user._get_current_object()
        )
    except ServiceError as error:
        db.session.rollback()
        return render_template("admin/publish.html", form=form, refusal=error), error.status
    db.session.commit()
    row = outcome.row
    if isinstance(row, Questionnaire):
        name, target = row.title, url_for("admin.questionnaire_detail", questionnaire_id=row.id)
    else:
        name, target = row.name, url_for("admin.referentiel_detail", referentiel_id=row.id)
    if outcome.created:
        flash(f"Version {row.version} de « {name} » publiée.", "success")
    else:
        flash(
            f"La version {row.version} de « {name} » était déjà chargée, à l’identique : "
            "rien n’a changé.",
            "info",
        )
    return redirect(target)
