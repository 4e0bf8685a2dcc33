"""The admin's account pages: the list (by role and status), a new account, and per account
its role, (de)activation with confirmation, and a password reset.

Every change is a POST answered by a redirect to the account's page with a French message
(POST-redirect-GET); a refused one shows the page again with the reason, in 4xx. The rules
(oneself, the last admin, the role investigator) are the service's: ``services.accounts``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from server.auth import page_roles
from server.extensions import db
from server.models import ROLE_LABELS, Role, User
from server.services import accounts
from server.services.errors import ServiceError
from server.web.admin.forms import (
    AccountActivationForm,
    AccountCreateForm,
    PasswordResetForm,
    RoleForm,
)
from server.web.admin.routes import bp
from server.web.pagination import paginate_query, requested_page

Page = tuple[str, int]
#: The list's status filter: the words in the address, and what they select.
STATUSES = {"actifs": True, "desactives": False}


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _put_errors(form: FlaskForm, error: ServiceError) -> None:
    """The service's messages next to their field; the others above the form."""
    placed = False
    for name, messages in error.errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


@bp.route("/comptes")
@page_roles(Role.ADMIN)
def accounts_list() -> str:
    role_value = request.args.get("role", "")
    role = Role(role_value) if role_value in {r.value for r in Role} else None
    status = request.args.get("statut", "")
    if status not in STATUSES:  # an unknown filter shows every account, not an error
        status = ""
    statement = accounts.users_query(role=role, active=STATUSES.get(status))
    filters = {k: v for k, v in (("role", role.value if role else ""), ("statut", status)) if v}
    return render_template(
        "admin/accounts.html",
        users=paginate_query(statement, requested_page()),
        filters=filters,
        roles=list(Role),
        statuses={"actifs": "Actifs", "desactives": "Désactivés"},
        role_labels=ROLE_LABELS,
    )


@bp.route("/comptes/nouveau", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def account_new() -> Page | Response:
    form = AccountCreateForm()
    if not form.is_submitted():
        return render_template("admin/account_new.html", form=form), 200
    if form.validate():
        try:
            user = accounts.create_account(
                db.session,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=Role(form.role.data),
                actor=_actor(),
            )
        except ServiceError as error:
            db.session.rollback()
            _put_errors(form, error)
        else:
            db.session.commit()
            flash(f"Compte de « {user.name} » créé ({ROLE_LABELS[user.role]}).", "success")
            return redirect(url_for("admin.account_detail", user_id=user.id))
    return render_template("admin/account_new.html", form=form), 422


@bp.route("/comptes/<int:user_id>")
@page_roles(Role.ADMIN)
def account_detail(user_id: int) -> str:
    user = accounts.get_user(db.session, user_id)
    return _account_page(user)[0]


def _account_page(
    user: User,
    *,
    role_form: RoleForm | None = None,
    password_form: PasswordResetForm | None = None,
    status: int = 200,
) -> Page:
    if role_form is None:
        role_form = RoleForm(formdata=None)
        if user.role != Role.INVESTIGATOR:
            role_form.role.data = user.role.value
    return render_template(
        "admin/account.html",
        person=user,
        role_form=role_form,
        password_form=password_form or PasswordResetForm(formdata=None),
        is_self=user.id == current_user.id,
        role_labels=ROLE_LABELS,
        investigator_refusal=accounts.INVESTIGATOR_ROLE_REFUSAL,
    ), status


@bp.route("/comptes/<int:user_id>/role", methods=["POST"])
@page_roles(Role.ADMIN)
def account_role(user_id: int) -> Page | Response:
    user = accounts.get_user(db.session, user_id)
    form = RoleForm()
    if not form.validate():
        return _account_page(user, role_form=form, status=422)
    try:
        changed = accounts.change_role(db.session, user, Role(form.role.data), actor=_actor())
    except ServiceError as error:
        db.session.rollback()
        _put_errors(form, error)
        return _account_page(user, role_form=form, status=error.status)
    db.session.commit()
    if changed:
        flash(f"{user.name} a désormais le rôle « {ROLE_LABELS[user.role]} ».", "success")
    else:
        flash(f"{user.name} avait déjà ce rôle : rien n’a changé.", "info")
    return redirect(url_for("admin.account_detail", user_id=user.id))


@bp.route("/comptes/<int:user_id>/mot-de-passe", methods=["POST"])
@page_roles(Role.ADMIN)
def account_password(user_id: int) -> Page | Response:
    user = accounts.get_user(db.session, user_id)
    form = PasswordResetForm()
    if not form.validate():
        return _account_page(user, password_form=form, status=422)
    is_self = user.id == current_user.id
    try:
        revoked = accounts.reset_password(db.session, user, form.password.data, actor=_actor())
    except ServiceError as error:
        db.session.rollback()
        _put_errors(form, error)
        return _account_page(user, password_form=form, status=error.status)
    db.session.commit()
    if is_self:
        flash("Votre mot de passe est changé : connectez-vous avec le nouveau.", "success")
        return redirect(url_for("auth.login"))
    flash(
        f"Mot de passe de {user.name} changé : transmettez-le-lui à part. Ses sessions sont "
        f"fermées et {revoked} jeton{'s' if revoked > 1 else ''} d’accès révoqué"
        f"{'s' if revoked > 1 else ''}.",
        "success",
    )
    return redirect(url_for("admin.account_detail", user_id=user.id))


@bp.route("/comptes/<int:user_id>/activation", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def account_activation(user_id: int) -> Page | Response:
    """Ask to confirm, then deactivate or reactivate; a form sent twice changes nothing."""
    user = accounts.get_user(db.session, user_id)
    form = AccountActivationForm()
    if not form.is_submitted():
        form.action.data = "deactivate" if user.active else "reactivate"
        return _activation_page(user, form), 200
    if not form.validate():
        return _activation_page(user, form), 422
    try:
        if form.action.data == "deactivate":
            changed = accounts.deactivate_user(db.session, user, actor=_actor())
            done = f"{user.name} est désactivé : ses sessions et ses jetons ne fonctionnent plus."
        else:
            changed = accounts.reactivate_user(db.session, user, actor=_actor())
            done = f"{user.name} est réactivé : il peut de nouveau se connecter."
    except ServiceError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _activation_page(user, form), error.status
    db.session.commit()
    flash(done if changed else "Rien n’a changé : le compte était déjà dans cet état.", "success")
    return redirect(url_for("admin.account_detail", user_id=user.id))


def _activation_page(user: User, form: AccountActivationForm) -> str:
    return render_template(
        "admin/account_activation.html",
        person=user,
        form=form,
        is_self=user.id == current_user.id,
    )
