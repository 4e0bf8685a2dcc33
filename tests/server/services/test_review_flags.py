"""The automatic quality flags: each rule on a crafted case, and its absence on a clean one;
then the flags of a wave gathered from the database (photos, free texts, questionnaires)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.extensions import db
from server.models import Photo, ReportStatus
from server.services.review_flags import (
    Flag,
    FlagSettings,
    PhotoAnswer,
    ReportFacts,
    evaluate,
    far_from_site,
    implausible_duration,
    missing_evidence,
    outside_opening_hours,
)
from server.services.review_flags_across import normalise_text
from server.services.review_queue import wave_flags
from tests.factories import OFFICE_HOURS, Factory

SETTINGS = FlagSettings()
#: Tuesday 3 March 2026, 09:00 in Paris (UTC+1).
TUESDAY_9H = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
RENNES = (48.11, -1.68)
VITRE = (48.1244, -1.2081)  # about 35 km east of Rennes


def visit(report_id: int = 1, **overrides: Any) -> ReportFacts:
    """A clean visit: 20 minutes in opening hours, at the site, by investigator 10."""
    values: dict[str, Any] = {
        "report_id": report_id,
        "investigator_id": 10,
        "channel": "visit",
        "status": "submitted",
        "site_id": 100,
        "site_name": "Préfecture de Rennes",
        "started_at": TUESDAY_9H,
        "ended_at": TUESDAY_9H + timedelta(minutes=20),
        "latitude": RENNES[0],
        "longitude": RENNES[1],
        "accuracy_m": 12.0,
        "site_latitude": RENNES[0],
        "site_longitude": RENNES[1],
        "opening_hours": OFFICE_HOURS,
    }
    values.update(overrides)
    return ReportFacts(**values)


def codes(flags: list[Flag]) -> list[str]:
    return [flag.code for flag in flags]


def flags_of(*reports: ReportFacts, twins: dict[int, Any] | None = None) -> dict[int, list[str]]:
    found = evaluate(reports, reports, twins or {}, SETTINGS)
    return {report_id: codes(flags) for report_id, flags in found.items()}


def test_a_clean_visit_has_no_flag() -> None:
    assert flags_of(visit()) == {1: []}


# --- far from the site ------------------------------------------------------------------------


def test_a_visit_reported_a_kilometre_away_is_far_from_the_site() -> None:
    flag = far_from_site(visit(latitude=48.12), SETTINGS)
    assert flag is not None
    assert flag.code == "far_from_site"
    assert "1\u202f11" in flag.message  # about 1,112 m
    assert "précision ± 12 m" in flag.message
    assert "500 m" in flag.message


def test_a_position_within_the_distance_is_not_far() -> None:
    assert far_from_site(visit(latitude=48.113), SETTINGS) is None  # about 330 m


def test_the_distance_is_a_setting() -> None:
    assert far_from_site(visit(latitude=48.113), FlagSettings(max_distance_m=200)) is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {"channel": "phone"},
        {"latitude": None, "longitude": None, "location_declined": True},
        {"site_latitude": None, "site_longitude": None},
    ],
)
def test_no_distance_without_a_visit_position_and_site_coordinates(
    overrides: dict[str, Any],
) -> None:
    assert far_from_site(visit(**{"latitude": 49.0, **overrides}), SETTINGS) is None


# --- opening hours ----------------------------------------------------------------------------


def test_a_visit_over_the_lunch_break_is_outside_opening_hours() -> None:
    start = datetime(2026, 3, 3, 11, 10, tzinfo=UTC)  # 12:10 in Paris
    flag = outside_opening_hours(
        visit(started_at=start, ended_at=start + timedelta(minutes=30)), SETTINGS
    )
    assert flag is not None
    assert "mardi 03/03/2026 de 12:10 à 12:40" in flag.message
    assert "08:30–12:00, 13:30–16:30" in flag.message


def test_a_visit_on_a_closed_day_is_outside_opening_hours() -> None:
    saturday = TUESDAY_9H + timedelta(days=4)
    flag = outside_opening_hours(
        visit(started_at=saturday, ended_at=saturday + timedelta(minutes=20)), SETTINGS
    )
    assert flag is not None
    assert "fermé le samedi" in flag.message


def test_a_few_minutes_before_opening_are_allowed() -> None:
    start = datetime(2026, 3, 3, 7, 27, tzinfo=UTC)  # 08:27, opens at 08:30
    facts = visit(started_at=start, ended_at=start + timedelta(minutes=20))
    assert outside_opening_hours(facts, SETTINGS) is None
    assert outside_opening_hours(facts, FlagSettings(hours_grace=timedelta(0))) is not None


def test_opening_hours_are_read_in_the_sites_time_zone() -> None:
    reunion = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 09:00 in La Réunion, 06:00 in Paris
    facts = visit(started_at=reunion, ended_at=reunion + timedelta(minutes=20))
    assert outside_opening_hours(replace(facts, time_zone="Indian/Reunion"), SETTINGS) is None
    assert outside_opening_hours(facts, SETTINGS) is not None


def test_unknown_opening_hours_give_no_flag() -> None:
    sunday = TUESDAY_9H - timedelta(days=2)
    facts = visit(started_at=sunday, ended_at=sunday + timedelta(minutes=20), opening_hours=None)
    assert outside_opening_hours(facts, SETTINGS) is None


# --- duration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "minutes", "expected"),
    [
        ("visit", 3, "Visite de 3 min : moins de 5 min"),
        ("visit", 240, "Visite de 4 h 00 : plus de 3 h 00"),
        ("visit", 30, None),
        ("phone", 0.5, "Appel de 30 s : moins de 1 min"),
        ("phone", 10, None),
        ("email", 0.1, None),
    ],
)
def test_implausible_durations(channel: str, minutes: float, expected: str | None) -> None:
    facts = visit(channel=channel, ended_at=TUESDAY_9H + timedelta(minutes=minutes))
    flag = implausible_duration(facts, SETTINGS)
    if expected is None:
        assert flag is None
    else:
        assert flag is not None
        assert flag.message.startswith(expected)


# --- missing evidence -------------------------------------------------------------------------


def test_a_visit_without_times_nor_position_misses_evidence() -> None:
    facts = visit(started_at=None, ended_at=None, latitude=None, longitude=None)
    flag = missing_evidence(facts, SETTINGS)
    assert flag is not None
    assert "heure de début" in flag.message
    assert "heure de fin" in flag.message
    assert "position" in flag.message


def test_a_declined_position_is_not_missing() -> None:
    facts = visit(latitude=None, longitude=None, location_declined=True)
    assert missing_evidence(facts, SETTINGS) is None


def test_a_photo_answer_without_its_stored_photo_misses_evidence() -> None:
    answer = PhotoAnswer("Photos de l’espace d’attente", ("a" * 64, "17"))
    flag = missing_evidence(visit(photos=(answer,), stored_photos=frozenset({"17"})), SETTINGS)
    assert flag is not None
    assert "1 photo sur 2 non reçue pour « Photos de l’espace d’attente »" in flag.message
    stored = frozenset({"a" * 64, "17"})
    assert missing_evidence(visit(photos=(answer,), stored_photos=stored), SETTINGS) is None


def test_an_email_needs_no_times() -> None:
    assert (
        missing_evidence(visit(channel="email", started_at=None, ended_at=None), SETTINGS) is None
    )


# --- two visits too close ---------------------------------------------------------------------


def test_two_visits_35_km_apart_ten_minutes_apart_are_too_close() -> None:
    first = visit(1)
    second = visit(
        2,
        site_id=200,
        site_name="Sous-préfecture de Vitré",
        site_latitude=VITRE[0],
        site_longitude=VITRE[1],
        latitude=VITRE[0],
        longitude=VITRE[1],
        started_at=first.ended_at + timedelta(minutes=10),
        ended_at=first.ended_at + timedelta(minutes=30),
    )
    found = evaluate([first, second], [first, second], {}, SETTINGS)
    assert codes(found[1]) == ["too_close_in_time"]
    assert codes(found[2]) == ["too_close_in_time"]
    assert "rapport n° 2, Sous-préfecture de Vitré" in found[1][0].message
    assert "10 min entre les deux pour 35" in found[1][0].message
    assert "à 50 km/h" in found[1][0].message


def test_visits_far_enough_apart_in_time_are_not_too_close() -> None:
    first = visit(1)
    later = first.ended_at + timedelta(hours=2)
    second = visit(2, site_id=200, site_latitude=VITRE[0], site_longitude=VITRE[1])
    second = replace(second, latitude=VITRE[0], longitude=VITRE[1])
    second = replace(second, started_at=later, ended_at=later + timedelta(minutes=20))
    assert flags_of(first, second) == {1: [], 2: []}


def test_overlapping_visits_are_too_close_even_on_one_site() -> None:
    first = visit(1)
    second = visit(2, started_at=TUESDAY_9H + timedelta(minutes=10))
    second = replace(second, ended_at=TUESDAY_9H + timedelta(minutes=40))
    found = evaluate([first, second], [first, second], {}, SETTINGS)
    assert "se chevauchent" in found[1][0].message


def test_visits_of_two_investigators_are_never_too_close() -> None:
    first = visit(1)
    second = visit(2, investigator_id=11, started_at=TUESDAY_9H + timedelta(minutes=5))
    assert flags_of(first, second) == {1: [], 2: []}


# --- duplicates -------------------------------------------------------------------------------


def test_the_same_photo_in_another_report_is_a_duplicate() -> None:
    sha = hashlib.sha256(b"photo").hexdigest()
    found = evaluate([visit(1)], [visit(1)], {1: {sha: [7, 9]}}, SETTINGS)
    assert codes(found[1]) == ["duplicate_photo"]
    assert sha[:12] in found[1][0].message
    assert "rapports n° 7, n° 9" in found[1][0].message


def test_the_same_free_text_normalised_is_a_duplicate() -> None:
    first = visit(1, free_texts=("Accueil courtois, attente dans le calme.",))
    second = visit(2, investigator_id=11, free_texts=("  accueil COURTOIS attente dans le calme ",))
    found = evaluate([first, second], [first, second], {}, SETTINGS)
    assert codes(found[1]) == ["duplicate_text"]
    assert "« Accueil courtois, attente dans le calme. » aussi dans le rapport n° 2" in (
        found[1][0].message
    )
    assert codes(found[2]) == ["duplicate_text"]


@pytest.mark.parametrize(
    ("one", "other"),
    [("RAS, rien à signaler.", "RAS, rien à signaler."), ("Accueil courtois.", "Accueil froid.")],
)
def test_short_or_different_texts_are_not_duplicates(one: str, other: str) -> None:
    first = visit(1, free_texts=(one,))
    second = visit(2, investigator_id=11, free_texts=(other,))
    assert flags_of(first, second) == {1: [], 2: []}


def test_normalised_text_drops_case_accents_and_punctuation() -> None:
    assert normalise_text("  Élève, «attente»\n très   LONGUE ! ") == "eleve attente tres longue"


# --- investigator effect ----------------------------------------------------------------------


def graded(report_id: int, investigator: int, site: int, grade: float) -> ReportFacts:
    day = TUESDAY_9H + timedelta(days=report_id)
    return visit(
        report_id,
        investigator_id=investigator,
        site_id=site,
        grade=grade,
        opening_hours=None,
        started_at=day,
        ended_at=day + timedelta(minutes=20),
    )


def test_an_investigator_far_from_the_others_on_three_shared_sites_is_flagged() -> None:
    reports = [graded(1 + 3 * i, 10, 100 + i, 9.0) for i in range(3)]
    reports += [graded(2 + 3 * i, 11, 100 + i, 5.0) for i in range(3)]
    reports += [graded(3 + 3 * i, 12, 100 + i, 5.0) for i in range(3)]
    found = evaluate(reports, reports, {}, SETTINGS)
    flagged = {r.investigator_id for r in reports if codes(found[r.report_id])}
    assert flagged == {10}
    message = found[1][0].message
    assert "4,0 points au-dessus" in message
    assert "3 sites et canaux en commun" in message


def test_two_shared_sites_are_not_enough_for_an_investigator_effect() -> None:
    reports = [graded(1 + 2 * i, 10, 100 + i, 9.0) for i in range(2)]
    reports += [graded(2 + 2 * i, 11, 100 + i, 3.0) for i in range(2)]
    assert all(not flags for flags in flags_of(*reports).values())


# --- order ------------------------------------------------------------------------------------


def test_flags_come_in_a_stable_order() -> None:
    facts = visit(latitude=48.2, started_at=TUESDAY_9H - timedelta(days=2))
    facts = replace(facts, ended_at=facts.started_at + timedelta(minutes=2))  # type: ignore[operator]
    assert flags_of(facts)[1] == ["far_from_site", "outside_opening_hours", "implausible_duration"]


# --- from the database ------------------------------------------------------------------------


def _photo(report_id: int, data: bytes, question_id: str = "v_photo_attente") -> Photo:
    sha = hashlib.sha256(data).hexdigest()
    photo = Photo(
        report_id=report_id,
        question_id=question_id,
        filename="p.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        sha256=sha,
        storage_path=f"photos/{report_id}/{sha}.jpg",
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def test_wave_flags_read_photos_texts_and_questionnaires(factory: Factory) -> None:
    campaign = factory.campaign()
    factory.sites(campaign, 3)
    wave = factory.wave(campaign)
    missions = sorted(wave.missions, key=lambda m: m.id)
    people = [factory.investigator() for _ in missions]
    text = "Salle d’attente bondée en fin de matinée, borne en panne."
    reports = []
    for day, (mission, person) in enumerate(zip(missions, people, strict=True)):
        start = TUESDAY_9H + timedelta(days=day)
        reports.append(
            factory.report(
                mission,
                person,
                status=ReportStatus.SUBMITTED,
                questionnaire_id=mission.questionnaire_id,
                started_at=start,
                ended_at=start + timedelta(minutes=25),
                latitude=48.11,
                longitude=-1.68,
                answers={"v_observations": text, "t_numero": "02 99 00 00 00"},
            )
        )
    shared = _photo(reports[0].id, b"same bytes")
    _photo(reports[1].id, b"same bytes")
    reports[2].answers = {"v_photo_attente": [str(shared.id), "b" * 64]}
    db.session.flush()

    found = {rid: codes(flags) for rid, flags in wave_flags(db.session, wave).items()}

    assert found[reports[0].id] == ["duplicate_photo", "duplicate_text"]
    assert found[reports[1].id] == ["duplicate_photo", "duplicate_text"]
    assert found[reports[2].id] == ["missing_evidence"]


def test_drafts_are_neither_flagged_nor_compared(factory: Factory) -> None:
    campaign = factory.campaign()
    factory.sites(campaign, 2)
    wave = factory.wave(campaign)
    first, second = sorted(wave.missions, key=lambda m: m.id)
    person = factory.investigator()
    draft = factory.report(first, person, status=ReportStatus.DRAFT)
    sent = factory.report(
        second,
        person,
        status=ReportStatus.SUBMITTED,
        started_at=TUESDAY_9H,
        ended_at=TUESDAY_9H + timedelta(minutes=20),
        latitude=48.11,
        longitude=-1.68,
    )
    _photo(draft.id, b"shared")
    _photo(sent.id, b"shared")
    assert wave_flags(db.session, wave) == {sent.id: []}
