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

    def error_links(self) -> list[tuple[str, str, str]]:
        """``(anchor, label, message)`` of each field in error, in the form's order.

        The anchor is the element a click should reach: the input itself, or the first box
        of a list of radio buttons or checkboxes (the list has no focusable element).
        """
        links = []
        for field in self:
            if not field.errors or field.type == "CSRFTokenField":
                continue
            target = f"{field.id}-0" if isinstance(field.widget, ListWidget) else field.id
            links.extend((target, field.label.text, message) for message in field.errors)
        return links


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


#: Service error keys (``sample_draws``) → the form field they are about.
SERVICE_ERROR_FIELDS = {
    "strates": "strata",
    "ordre": "order_by",
    "allocation": "allocation",
    "draw": "method",
    "overlap": "overlap",
    "previous_draw": "previous_draw",
    "confirm": "confirm",
    "sd": "sd",
}


def standard_deviations_text(values: dict[str, float] | None) -> str:
    """The inverse of ``parse_standard_deviations``: one « strate ; écart-type » per line."""
    if not values:
        return ""
    return "\n".join(f"{h} ; {f'{v:g}'.replace('.', ',')}" for h, v in values.items())


class DrawForm(FrenchForm):
    """What the coordinator asks for; the choices depend on the frame and the other campaigns."""

    size = IntegerField(
        "Taille de l’échantillon (sites)",
        default=600,
        validators=[
            InputRequired("Indiquez la taille de l’échantillon."),
            NumberRange(min=1, message="Au moins 1 site."),
        ],
        invalid_value_message="Indiquez un nombre entier de sites, par exemple 600.",
    )
    strata = CheckboxListField(
        "Strates (colonnes croisées)",
        default=["network", "region"],
        invalid_choice_message="Colonne absente de la base : « %(value)s ».",
    )
    allocation = RadioField(
        "Allocation",
        default="proportional",
        choices=[SelectChoice(key, sentence(ALLOCATION_LABELS[key])) for key in ALLOCATIONS],
        invalid_choice_message="Choisissez une des allocations proposées.",
    )
    minimum = IntegerField(
        "Minimum par strate",
        default=2,
        validators=[
            InputRequired("Indiquez le minimum par strate."),
            NumberRange(min=0, message="Le minimum ne peut pas être négatif."),
        ],
        invalid_value_message="Indiquez un nombre entier de sites par strate.",
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
        invalid_value_message="La graine doit être un nombre entier, par exemple 2026.",
    )
    method = RadioField(
        "Méthode de tirage",
        default="srs",
        choices=[SelectChoice(key, sentence(DRAW_METHOD_LABELS[key])) for key in DRAW_METHODS],
        invalid_choice_message="Choisissez une des méthodes proposées.",
    )
    order_by = SelectField(
        "Colonne d’ordre (tirage systématique ou proportionnel à la taille)",
        default="",
        invalid_choice_message="Choisissez une colonne de la base.",
    )
    previous_draw = SelectField(
        "Rotation : tirage précédent à recouvrir",
        default="",
        invalid_choice_message="Choisissez un des tirages proposés.",
    )
    overlap = IntegerField(
        "Recouvrement visé (%)",
        validators=[Optional(), NumberRange(min=0, max=100, message="Entre 0 et 100 %%.")],
        invalid_value_message="Indiquez un pourcentage entier, entre 0 et 100.",
    )
    confirm = BooleanField("Remplacer le tirage actuel")
    preview = SubmitField("Prévisualiser l’allocation")
    submit_draw = SubmitField("Tirer l’échantillon")

    @staticmethod
    def defaults(parameters: dict[str, Any] | None, *, seed: int) -> dict[str, Any]:
        """The form's starting values: the current draw's parameters, when there is one.

        A new draw is most often the same design with one thing changed (a larger size, one
        more year of rotation), so it starts from what was asked last time. The seed is the
        exception: the campaign's year, since the same seed would give the same sample back.
        """
        if not parameters:
            return {"seed": seed}
        overlap = parameters.get("overlap")
        previous = parameters.get("previous_draw")
        return {
            "size": parameters.get("size"),
            "strata": list(parameters.get("strata") or []),
            "allocation": parameters.get("allocation"),
            "minimum": parameters.get("minimum"),
            "sd": standard_deviations_text(parameters.get("sd")),
            "seed": seed,
            "method": parameters.get("draw"),
            "order_by": parameters.get("order_by") or "",
            "previous_draw": str(previous) if previous else "",
            "overlap": round(overlap * 100) if overlap is not None else None,
        }

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
        """Field checks, then the pairs: rotation's draw and overlap, Neyman and its sd."""
        valid: bool = super().validate(extra_validators)
        if self.previous_draw.data and self.overlap.data is None and not self.overlap.errors:
            self.overlap.errors.append("Indiquez le recouvrement visé avec le tirage précédent.")
            valid = False
        if self.overlap.data is not None and not self.previous_draw.data:
            self.previous_draw.errors.append("Choisissez le tirage précédent à recouvrir.")
            valid = False
        if self.allocation.data == "neyman" and not (self.sd.data or "").strip():
            self.sd.errors.append(
                "L’allocation de Neyman demande l’écart-type de chaque strate : une ligne "
                "« strate ; écart-type » par strate."
            )
            valid = False
        return valid

    def add_service_errors(self, errors: dict[str, Any]) -> list[str]:
        """Put a service refusal's messages on the fields they name; return the others."""
        others: list[str] = []
        for key, messages in errors.items():
            texts = [messages] if isinstance(messages, str) else [str(m) for m in messages]
            name = SERVICE_ERROR_FIELDS.get(key)
            if name is None:
                others.extend(texts)
            else:
                self[name].errors = [*self[name].errors, *texts]
        return others

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
