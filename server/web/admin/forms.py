"""Forms of the admin pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class DefinitionUploadForm(FlaskForm):  # type: ignore[misc]
    """One file field for either kind of document: the service tells them apart."""

    document = FileField(
        "Fichier JSON du référentiel ou du questionnaire",
        validators=[
            FileRequired("Choisissez un fichier."),
            FileAllowed(["json"], "Un fichier .json est attendu."),
        ],
    )
