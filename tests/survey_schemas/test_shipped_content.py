"""The shipped référentiels and questionnaires: they load and cover DOMAIN.md §3's table."""

from __future__ import annotations

import pytest

from survey_schemas import (
    CHANNELS,
    Questionnaire,
    shipped_questionnaire,
    shipped_questionnaires,
    shipped_referentiel,
    shipped_referentiels,
)

#: DOMAIN.md §3: the channels that test each engagement of the Marianne référentiel
CHANNELS_OF_ENGAGEMENT = {
    "E01": ("website", "phone", "visit"),
    "E02": ("visit", "phone", "email"),
    "E03": ("visit", "website"),
    "E04": ("visit", "phone"),
    "E05": ("visit",),
    "E06": ("visit", "phone"),
    "E07": ("visit",),
    "E08": ("phone",),
    "E09": ("email",),
    "E10": ("letter",),
    "E11": ("website", "visit"),
}
#: sizes the brief asked for, as (at least, at most) questions
SIZES = {
    "visit": (30, 40),
    "phone": (13, 18),
    "email": (9, 12),
    "letter": (9, 12),
    "website": (10, 14),
}


def _marianne() -> list[Questionnaire]:
    return [q for q in shipped_questionnaires() if q.referentiel == ("marianne", 1)]


def test_two_referentiels_are_shipped() -> None:
    assert {r.key for r in shipped_referentiels()} == {
        ("marianne", 1),
        ("services-publics-plus", 1),
    }


def test_marianne_has_the_eleven_engagements() -> None:
    codes = [e.code for e in shipped_referentiel("marianne", 1).engagements]
    assert codes == [f"E{number:02d}" for number in range(1, 12)]


def test_marianne_thresholds() -> None:
    marianne = shipped_referentiel("marianne", 1)
    assert (marianne.required_level, marianne.excellence) == (7.0, 9.0)


def test_services_publics_plus_has_eight_engagements() -> None:
    codes = [e.code for e in shipped_referentiel("services-publics-plus", 1).engagements]
    assert codes == [f"SP{number:02d}" for number in range(1, 9)]


def test_a_services_publics_plus_questionnaire_loads_on_its_own_referentiel() -> None:
    phone = shipped_questionnaire("services-publics-plus-phone", 1)
    assert phone.referentiel == ("services-publics-plus", 1)
    assert set(phone.scored_engagements) <= {f"SP{n:02d}" for n in range(1, 9)}


def test_one_marianne_questionnaire_per_channel() -> None:
    assert sorted(q.channel for q in _marianne()) == sorted(CHANNELS)


@pytest.mark.parametrize(
    ("engagement", "channel"),
    [(code, channel) for code, channels in CHANNELS_OF_ENGAGEMENT.items() for channel in channels],
)
def test_each_engagement_channel_pair_has_a_scored_question(engagement: str, channel: str) -> None:
    questionnaire = next(q for q in _marianne() if q.channel == channel)
    assert engagement in questionnaire.scored_engagements


def test_all_eleven_engagements_are_covered() -> None:
    covered = {code for q in _marianne() for code in q.scored_engagements}
    assert covered == set(CHANNELS_OF_ENGAGEMENT)


@pytest.mark.parametrize("questionnaire", _marianne(), ids=lambda q: q.channel)
def test_questionnaire_size(questionnaire: Questionnaire) -> None:
    low, high = SIZES[questionnaire.channel]
    assert low <= len(questionnaire.questions) <= high


def test_visit_collects_evidence() -> None:
    visit = shipped_questionnaire("marianne-visit", 1)
    types = {q.id: q.type for q in visit.questions}
    assert types["v_heure_arrivee"] == types["v_heure_sortie"] == "time"
    assert types["v_photo_attente"] == types["v_photo_horaires"] == "photo"
    assert types["v_position"] == "position"


def test_email_and_letter_delays_are_five_and_fifteen_working_days() -> None:
    email = shipped_questionnaire("marianne-email", 1).question("m_date_reponse").scoring
    letter = shipped_questionnaire("marianne-letter", 1).question("l_date_reponse").scoring
    assert email is not None
    assert letter is not None
    assert [band.max for band in getattr(email, "bands", ())] == [5.0]
    assert [band.max for band in getattr(letter, "bands", ())] == [15.0]


@pytest.mark.parametrize("questionnaire", shipped_questionnaires(), ids=lambda q: q.code)
def test_labels_are_french_questions_or_measures(questionnaire: Questionnaire) -> None:
    for question in questionnaire.questions:
        assert question.label[0].isupper(), question.id
