"""Fixtures of the survey_schemas tests: small questionnaire documents built on demand."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from survey_schemas import Questionnaire, Referentiel, load_questionnaire, shipped_referentiel

Document = dict[str, Any]


def _small_document() -> Document:
    """A valid three-question phone questionnaire on Marianne v1, the base of the bad inputs."""
    return {
        "code": "essai-phone",
        "version": 1,
        "referentiel": {"code": "marianne", "version": 1},
        "channel": "phone",
        "title": "Essai",
        "questions": [
            {
                "id": "decroche",
                "type": "yes_no",
                "label": "Un agent a-t-il décroché ?",
                "required": True,
                "engagement": "E08",
                "scoring": {"rule": "points", "points": {"oui": 1, "non": 0}},
            },
            {
                "id": "sonneries",
                "type": "rings",
                "label": "Nombre de sonneries avant décroché",
                "required": True,
                "visible_if": 'decroche = "oui"',
                "constraints": {"max": 30},
                "engagement": "E08",
                "scoring": {"rule": "thresholds", "bands": [{"max": 5, "points": 2}]},
            },
            {
                "id": "politesse",
                "type": "yes_no_na",
                "label": "L’agent a-t-il salué ?",
                "visible_if": 'decroche = "oui"',
                "engagement": "E04",
                "scoring": {"rule": "points", "points": {"oui": 1, "non": 0}},
            },
        ],
    }


@pytest.fixture
def marianne() -> Referentiel:
    return shipped_referentiel("marianne", 1)


@pytest.fixture
def small_document() -> Callable[[], Document]:
    """A factory: each call returns a fresh copy that a test may mutate."""
    return lambda: copy.deepcopy(_small_document())


@pytest.fixture
def make_questionnaire(marianne: Referentiel) -> Callable[[list[Document]], Questionnaire]:
    """Build a Marianne phone questionnaire from a list of question documents."""

    def make(questions: list[Document]) -> Questionnaire:
        document = _small_document()
        document["questions"] = questions
        return load_questionnaire(document, marianne)

    return make
