"""The review pages' forms: one decision, bulk approval, and the comment library.

As elsewhere on the desk, the forms check what a browser can get wrong; the rules (a comment
to return or reject, only a submitted report, the version read) are ``services.review``'s,
whose messages the routes put back next to their field.
"""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from server.models import ReviewComment, ReviewDecision
from server.services.review import DECISION_LABELS, MAX_COMMENT
from server.web.coordinator.forms import FrenchForm

_COMMENT_LENGTH = Length(max=MAX_COMMENT, message=f"{MAX_COMMENT} caractères au plus.")


class DecisionForm(FrenchForm):
    decision = RadioField(
        "Décision",
        choices=[SelectChoice(d.value, label) for d, label in DECISION_LABELS.items()],
        validators=[InputRequired("Choisissez une décision.")],
        invalid_choice_message="Choisissez une des décisions proposées.",
    )
    library_comment = SelectField(
        "Commentaire de la bibliothèque",
        description="Placé avant votre commentaire, s’il y en a un.",
        coerce=lambda value: int(value) if value not in (None, "") else None,
        validators=[Optional()],
    )
    comment = TextAreaField(
        "Commentaire pour l’enquêteur",
        description="Requis pour renvoyer ou rejeter : l’enquêteur le lit sur son téléphone.",
        validators=[_COMMENT_LENGTH],
    )
    save_to_library = BooleanField("Ajouter ce commentaire à la bibliothèque")
    #: The report version the page showed: a report sent again since is not decided unread.
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField("Enregistrer la décision")

    def set_choices(self, comments: Sequence[ReviewComment]) -> None:
        self.library_comment.choices = [
            SelectChoice("", "Aucun"),
            *(SelectChoice(str(c.id), _choice_label(c)) for c in comments),
        ]

    def chosen_decision(self) -> ReviewDecision:
        return ReviewDecision(self.decision.data)


def _choice_label(comment: ReviewComment) -> str:
    text = comment.text if len(comment.text) <= 90 else comment.text[:89].rstrip() + "…"
    if comment.decision is None:
        return text
    return f"{DECISION_LABELS[comment.decision]} — {text}"


class BulkApproveForm(FrenchForm):
    """The queue's filters (hidden, as shown) and a confirmation."""

    channel = HiddenField()
    network = HiddenField()
    region = HiddenField()
    investigator = HiddenField()
    confirm = BooleanField(
        "Je confirme : valider chacun des rapports envoyés sans contrôle signalé de cette "
        "sélection (chaque validation est consignée au journal)"
    )
    submit = SubmitField("Valider les rapports sans contrôle signalé")

    def validate_confirm(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError("Cochez cette case pour valider les rapports.")


class ReviewCommentForm(FrenchForm):
    text = TextAreaField(
        "Texte du commentaire",
        validators=[InputRequired("Écrivez le commentaire."), _COMMENT_LENGTH],
    )
    decision = SelectField(
        "Pour la décision",
        choices=[
            SelectChoice("", "Toutes"),
            *(SelectChoice(d.value, label) for d, label in DECISION_LABELS.items()),
        ],
        validators=[Optional()],
    )
    submit = SubmitField("Ajouter à la bibliothèque")


class ReviewCommentActivationForm(FrenchForm):
    submit = SubmitField("Changer")
