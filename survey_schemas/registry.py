"""The référentiels and questionnaires shipped with the package (``data/``).

They are read and checked once per process; a broken shipped file fails loudly at first use
(and in the test suite), never silently.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from survey_schemas.loader import load_questionnaire, load_referentiel
from survey_schemas.model import Questionnaire, Referentiel


def _json_files(folder: Traversable) -> list[Traversable]:
    """Every ``*.json`` below ``folder``, sorted by name for a stable order."""
    found: list[Traversable] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            found.extend(_json_files(entry))
        elif entry.name.endswith(".json"):
            found.append(entry)
    return found


@cache
def shipped_referentiels() -> tuple[Referentiel, ...]:
    """The référentiels under ``data/referentiels/``: Marianne v1 and Services Publics+ v1."""
    folder = files("survey_schemas").joinpath("data/referentiels")
    return tuple(load_referentiel(entry.read_bytes()) for entry in _json_files(folder))


def shipped_referentiel(code: str, version: int) -> Referentiel:
    """The shipped référentiel with this (code, version); KeyError if there is none."""
    for referentiel in shipped_referentiels():
        if referentiel.key == (code, version):
            return referentiel
    raise KeyError((code, version))


@cache
def shipped_questionnaires() -> tuple[Questionnaire, ...]:
    """The questionnaires under ``data/questionnaires/``, each checked against its référentiel."""
    folder = files("survey_schemas").joinpath("data/questionnaires")
    return tuple(load_questionnaire(entry.read_bytes()) for entry in _json_files(folder))


def shipped_questionnaire(code: str, version: int) -> Questionnaire:
    """The shipped questionnaire with this (code, version); KeyError if there is none."""
    for questionnaire in shipped_questionnaires():
        if questionnaire.key == (code, version):
            return questionnaire
    raise KeyError((code, version))
