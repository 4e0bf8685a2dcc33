"""The coordinator's forms: uploading the frame file and asking for a sample draw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from server.services.sample_draws import ALLOCATIONS, DRAW_METHODS, DrawRequest
from server.web.coordinator.labels import (
    ALLOCATION_LABELS,
    DRAW_METHOD_LABELS,
    column_label,
    sentence,
)


class FrenchForm(FlaskForm):  # type: ignore[misc]
    """A form whose built-in messages (a number that is not one…) are WTForms' French ones.

    Flask-WTF's own translations need Flask-Babel, which we do not otherwise need.
    """

    class Meta:
        locales = ("fr_FR", "fr")

        def get_translations(self, form: Form) -> Any:
            return DefaultMeta.get_translations(self, form)  # type: ignore[arg-type]


class FrameUploadForm(FrenchForm):
    file = FileField(
        "Fichier de la base de sondage (CSV ou XLSX)",
        validators=[FileRequired("Choisissez le fichier CSV ou XLSX à importer.")],
    )


class CheckboxListField(SelectMultipleField):  # type: ignore[misc]
    """Several choices, shown as a list of checkboxes rather than a multiple select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_standard_deviations(text: str) -> dict[str, float]:
    """``stratum ; sd`` lines (decimal comma or point) into a dict; blank lines are skipped.

    The stratum is everything before the last ``;``, since a stratum label may hold any text.
    """
    values: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        stratum, separator, raw = line.rpartition(";")
        try:
            if not separator or not stratum.strip():
                raise ValueError
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            raise ValidationError(
                f"Ligne {number} : « strate ; écart-type » attendu, par exemple "
                "« Préfecture × Bretagne ; 1,8 »."
            ) from None
        values[stratum.strip()] = value
    return values


class DrawForm(FrenchForm):
    """What the coordinator asks for; the choices depend on the frame and the other campaigns."""

    size = IntegerField(
        "Taille de l’échantillon (sites)",
        default=600,
        validators=[
            InputRequired("Indiquez la taille de l’échantillon."),
            NumberRange(min=1, message="Au moins 1 site."),
        ],
    )
    strata = CheckboxListField("Strates (colonnes croisées)", default=["network", "region"])
    allocation = RadioField(
        "Allocation",
        default="proportional",
        choices=[SelectChoice(key, sentence(ALLOCATION_LABELS[key])) for key in ALLOCATIONS],
    )
    minimum = IntegerField(
        "Minimum par strate",
        default=2,
        validators=[
            InputRequired("Indiquez le minimum par strate."),
            NumberRange(min=0, message="Le minimum ne peut pas être négatif."),
        ],
    )
    sd = TextAreaField(
        "Écarts-types par strate (allocation de Neyman seulement)",
        description="Une strate par ligne : « Préfecture × Bretagne ; 1,8 ».",
        validators=[Optional()],
    )
    seed = IntegerField(
        "Graine du tirage aléatoire",
        description="Le même nombre avec la même base redonne le même échantillon.",
        validators=[InputRequired("Indiquez une graine (un nombre entier).")],
    )
    method = RadioField(
        "Méthode de tirage",
        default="srs",
        choices=[SelectChoice(key, sentence(DRAW_METHOD_LABELS[key])) for key in DRAW_METHODS],
    )
    order_by = SelectField(
        "Colonne d’ordre (tirage systématique ou proportionnel à la taille)", default=""
    )
    previous_draw = SelectField("Rotation : tirage précédent à recouvrir", default="")
    overlap = IntegerField(
        "Recouvrement visé (%)",
        validators=[Optional(), NumberRange(min=0, max=100, message="Entre 0 et 100 %%.")],
    )
    confirm = BooleanField("Remplacer le tirage actuel")
    preview = SubmitField("Prévisualiser l’allocation")
    submit_draw = SubmitField("Tirer l’échantillon")

    def set_choices(self, columns: Sequence[str], previous: Sequence[tuple[str, str]]) -> None:
        """Columns the frame holds, and the other campaigns' current draws for rotation."""
        self.strata.choices = [SelectChoice(c, column_label(c)) for c in columns]
        self.order_by.choices = [
            SelectChoice("", "Aucune (ordre des codes de site)"),
            *(SelectChoice(c, column_label(c)) for c in columns),
        ]
        self.previous_draw.choices = [
            SelectChoice("", "Pas de rotation"),
            *(SelectChoice(value, label) for value, label in previous),
        ]

    def validate_sd(self, field: TextAreaField) -> None:
        parse_standard_deviations(field.data or "")

    def validate(self, extra_validators: Any = None) -> bool:
        """Field checks, then the rotation pair: a previous draw and an overlap go together."""
        valid: bool = super().validate(extra_validators)
        if self.previous_draw.data and self.overlap.data is None and not self.overlap.errors:
            self.overlap.errors.append("Indiquez le recouvrement visé avec le tirage précédent.")
            valid = False
        if self.overlap.data is not None and not self.previous_draw.data:
            self.previous_draw.errors.append("Choisissez le tirage précédent à recouvrir.")
            valid = False
        return valid

    def draw_request(self) -> DrawRequest:
        """The validated values as the service's request."""
        rotation = bool(self.previous_draw.data)
        return DrawRequest(
            size=self.size.data,
            strata=tuple(self.strata.data or ()),
            allocation=self.allocation.data,
            minimum=self.minimum.data,
            seed=self.seed.data,
            draw=self.method.data,
            sd=parse_standard_deviations(self.sd.data or "") or None,
            order_by=self.order_by.data or None,
            overlap=self.overlap.data / 100 if rotation else None,
            previous_draw=int(self.previous_draw.data) if rotation else None,
        )
