"""Forms of the admin pages.

The password length is the service's rule (``accounts.check_password``), whose message the
routes put back next to the field: one rule, whatever the way in.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import AnyOf, EqualTo, InputRequired, Length

from server.models import ROLE_LABELS, Role
from server.services.accounts import MIN_PASSWORD_LENGTH
from server.web.coordinator.forms import FrenchForm

#: Roles an admin gives here; investigators are made with their profile by coordinators.
ADMIN_ROLE_CHOICES = [
    SelectChoice(role.value, ROLE_LABELS[role])
    for role in (Role.ADMIN, Role.COORDINATOR, Role.ANALYST)
]


class DefinitionUploadForm(FlaskForm):  # type: ignore[misc]
    """One file field for either kind of document: the service tells them apart."""

    document = FileField(
        "Fichier JSON du référentiel ou du questionnaire",
        validators=[
            FileRequired("Choisissez un fichier."),
            FileAllowed(["json"], "Un fichier .json est attendu."),
        ],
    )


class AccountCreateForm(FrenchForm):
    """A new account of any role but investigator (made on the coordinator's page)."""

    name = StringField(
        "Nom",
        validators=[
            InputRequired("Indiquez le nom."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    email = StringField(
        "Adresse électronique (identifiant de connexion)",
        validators=[InputRequired("Indiquez l’adresse électronique.")],
    )
    role = SelectField("Rôle", choices=ADMIN_ROLE_CHOICES, default=Role.ANALYST.value)
    password = PasswordField(
        "Mot de passe initial",
        description=f"Au moins {MIN_PASSWORD_LENGTH} caractères ; à transmettre à part.",
        validators=[InputRequired("Choisissez un mot de passe.")],
    )
    submit = SubmitField("Créer le compte")


class RoleForm(FrenchForm):
    role = SelectField("Nouveau rôle", choices=ADMIN_ROLE_CHOICES)
    submit = SubmitField("Changer le rôle")


class AccountActivationForm(FrenchForm):
    """Confirms a deactivation or a reactivation; the action is named so a form sent twice
    never flips the state back."""

    action = HiddenField(validators=[AnyOf(["deactivate", "reactivate"])])
    submit = SubmitField("Confirmer")


class PasswordResetForm(FrenchForm):
    password = PasswordField(
        "Nouveau mot de passe",
        description=(
            f"Au moins {MIN_PASSWORD_LENGTH} caractères ; à transmettre à la personne à part. "
            "Ses sessions ouvertes et ses jetons d’accès cessent aussitôt de fonctionner."
        ),
        validators=[InputRequired("Choisissez un mot de passe.")],
    )
    confirm = PasswordField(
        "Le même mot de passe, une seconde fois",
        validators=[
            InputRequired("Retapez le mot de passe."),
            EqualTo("password", "Les deux mots de passe diffèrent."),
        ],
    )
    submit = SubmitField("Changer le mot de passe")
