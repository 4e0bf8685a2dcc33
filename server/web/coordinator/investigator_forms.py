"""The coordinator's forms for investigators: profile, new account, activation, file import.

The forms check only what a browser can get wrong (a number that is not one); the profile's
rules are the service's (``services.investigator_profile.check_profile``), whose French messages the
routes put back next to their field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from sampling.frame_rows import parse_decimal
from server.models import CHANNEL_LABELS
from server.services import investigator_profile
from server.services.accounts import MIN_PASSWORD_LENGTH
from server.web.coordinator.forms import CheckboxListField, FrenchForm
from survey_schemas import CHANNELS


class DecimalField(Field):  # type: ignore[misc]
    """A number typed the French way (« 48,11 ») or with a point; empty is None."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data).replace(".", ",")

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_decimal(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError("Nombre attendu, en degrés décimaux (par exemple 48,1113).") from None


class InvestigatorProfileForm(FrenchForm):
    name = StringField(
        "Nom",
        validators=[
            InputRequired("Indiquez le nom."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    home_commune = StringField(
        "Commune de résidence",
        description="Aucun site de cette commune ne lui sera confié (il pourrait y être reconnu).",
    )
    home_insee = StringField(
        "Code INSEE de la commune (facultatif)",
        description="5 caractères : 2 chiffres (ou 2A, 2B) puis 3 chiffres, par exemple 35238.",
    )
    home_latitude = DecimalField("Latitude du domicile")
    home_longitude = DecimalField(
        "Longitude du domicile", description="Degrés décimaux, par exemple -1,6800."
    )
    capacity = IntegerField(
        "Capacité par vague",
        description="Nombre de tests au plus par vague, tous canaux (au moins 1).",
        validators=[Optional()],
    )
    visit_capacity = IntegerField(
        "Visites au plus par vague",
        description="0 pour qui ne fait que des tests à distance ; vide : la capacité.",
        validators=[Optional()],
    )
    channels = CheckboxListField(
        "Canaux pratiqués",
        choices=[SelectChoice(code, CHANNEL_LABELS[code]) for code in CHANNELS],
        default=list(CHANNELS),
    )
    unavailable_dates = TextAreaField(
        "Indisponibilités",
        description=(
            "Dates AAAA-MM-JJ ou périodes AAAA-MM-JJ..AAAA-MM-JJ, séparées par des virgules ou "
            "des retours à la ligne."
        ),
    )
    submit = SubmitField("Enregistrer")

    def fill(self, values: Mapping[str, Any]) -> None:
        """Show stored values (``services.investigators.profile_values``)."""
        for name in ("name", *investigator_profile.PROFILE_FIELDS):
            value = values[name]
            if name == "unavailable_dates":
                value = investigator_profile.format_unavailable_dates(value)
            self[name].data = value

    def profile(self) -> dict[str, Any]:
        """The values typed, named as the service names them."""
        values: dict[str, Any] = {
            name: self[name].data for name in investigator_profile.PROFILE_FIELDS
        }
        values["home_insee"] = (values["home_insee"] or "").strip() or None
        values["unavailable_dates"] = [values["unavailable_dates"] or ""]
        values["channels"] = list(values["channels"] or [])
        return {"name": self.name.data, **values}


class InvestigatorCreateForm(InvestigatorProfileForm):
    email = StringField(
        "Adresse électronique (identifiant de connexion)",
        validators=[InputRequired("Indiquez l’adresse électronique.")],
    )
    password = PasswordField(
        "Mot de passe initial",
        description=f"Au moins {MIN_PASSWORD_LENGTH} caractères ; à lui transmettre à part.",
        validators=[
            InputRequired("Choisissez un mot de passe."),
            Length(min=MIN_PASSWORD_LENGTH, message=f"Au moins {MIN_PASSWORD_LENGTH} caractères."),
        ],
    )
    submit = SubmitField("Créer l’enquêteur")

    def validate_email(self, field: StringField) -> None:
        if field.data and not investigator_profile.valid_email(field.data):
            raise ValidationError("Adresse électronique invalide.")


class ActivationForm(FrenchForm):
    """Confirms a deactivation or a reactivation; the action is named so a resubmitted form
    never flips the state back."""

    action = HiddenField(validators=[AnyOf(["deactivate", "reactivate"])])
    submit = SubmitField("Confirmer")


class InvestigatorImportForm(FrenchForm):
    file = FileField(
        "Fichier des enquêteurs (CSV ou XLSX)",
        validators=[FileRequired("Choisissez le fichier CSV ou XLSX à importer.")],
    )
