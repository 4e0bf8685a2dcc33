"""The scheduler's job bodies: each idempotent, each tested on both sides of its time boundary."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from server.models import (
    Mission,
    MissionStatus,
    OutboxMessage,
    ReplyOutcome,
    ReportStatus,
    Wave,
    WaveStatus,
)
from server.services import mission_lifecycle, schedule
from tests.factories import aware

SECOND = timedelta(seconds=1)


def assigned(factory: Any, session: Any, **overrides: Any) -> Mission:
    """A mission of a new one-site wave, assigned to a new investigator."""
    mission = factory.mission(**overrides)
    mission_lifecycle.assign(session, mission, factory.investigator(), actor=None)
    session.flush()
    return mission


def awaiting_reply(factory: Any, session: Any, due: date, zone: str = "Europe/Paris") -> Mission:
    mission = assigned(factory, session, channel="email", time_zone=zone)
    mission_lifecycle.mark_request_sent(session, mission, aware(2026, 3, 9, 9), actor=None)
    mission.reply_due_on = due
    session.flush()
    return mission


def outbox_count(session: Any) -> int:
    return session.scalar(select(func.count()).select_from(OutboxMessage))


# --- reminders ---------------------------------------------------------------------------


def test_a_reminder_is_queued_once_however_often_the_job_runs(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)
    now = mission.window_start - timedelta(hours=47)

    first = schedule.send_reminders(session, now=now)
    second = schedule.send_reminders(session, now=now + timedelta(minutes=15))

    assert first == {"enqueued": 1, "already_queued": 0}
    assert second == {"enqueued": 0, "already_queued": 1}
    message = session.scalars(select(OutboxMessage)).one()
    assert message.key == f"reminder:mission:{mission.id}:user:{mission.assignee_id}"
    assert message.kind == "reminder"
    assert message.recipient == mission.assignee.email
    assert message.mission_id == mission.id


def test_no_reminder_before_the_lead_time(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)

    outcome = schedule.send_reminders(
        session, now=mission.window_start - timedelta(hours=48, seconds=1)
    )

    assert outcome == {"enqueued": 0, "already_queued": 0}
    assert outbox_count(session) == 0


def test_reminder_lead_time_is_a_parameter(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)
    now = mission.window_start - timedelta(hours=30)

    assert schedule.send_reminders(session, now=now, lead=timedelta(hours=24))["enqueued"] == 0
    assert schedule.send_reminders(session, now=now, lead=timedelta(hours=36))["enqueued"] == 1


def test_no_reminder_once_the_window_is_over(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)

    schedule.send_reminders(session, now=mission.window_end)

    assert outbox_count(session) == 0


def test_unassigned_missions_get_no_reminder(factory: Any, session: Any) -> None:
    mission = factory.mission()

    schedule.send_reminders(session, now=mission.window_start - timedelta(hours=1))

    assert outbox_count(session) == 0


def test_a_reassigned_mission_reminds_its_new_investigator(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)
    first_email = mission.assignee.email
    now = mission.window_start - timedelta(hours=1)
    schedule.send_reminders(session, now=now)
    newcomer = factory.investigator()
    mission_lifecycle.assign(session, mission, newcomer, actor=None)

    outcome = schedule.send_reminders(session, now=now)

    assert outcome["enqueued"] == 1
    recipients = sorted(m.recipient for m in session.scalars(select(OutboxMessage)))
    assert recipients == sorted([first_email, newcomer.email])


def test_the_reminder_says_site_channel_window_in_the_sites_zone_and_scenario(
    factory: Any, session: Any
) -> None:
    mission = assigned(
        factory,
        session,
        channel="phone",
        time_zone="Indian/Reunion",
        window_start=aware(2026, 3, 2, 5, 30),  # 09:30 at La Réunion (UTC+4)
        window_end=aware(2026, 3, 2, 6, 30),
        scenario="Vous appelez pour renouveler une carte grise.",
    )

    schedule.send_reminders(session, now=aware(2026, 3, 1, 12))

    message = session.scalars(select(OutboxMessage)).one()
    assert mission.site.name in message.subject
    assert f"Bonjour {mission.assignee.name}," in message.body
    assert f"Site : {mission.site.name}" in message.body
    assert "Canal : Appel" in message.body
    assert "Fenêtre : le lundi 2 mars 2026 de 09:30 à 10:30 (heure de La Réunion)" in message.body
    assert "Vous appelez pour renouveler une carte grise." in message.body
    assert f"Téléphone : {mission.site.phone}" in message.body


def test_a_window_over_several_days_names_both_ends() -> None:
    # The clocks go forward at 01:00 UTC on 29 March 2026: 01:30 CET, then 17:00 CEST.
    text = schedule.french_window(aware(2026, 3, 29, 0, 30), aware(2026, 3, 30, 15), "Europe/Paris")

    assert text == "du dimanche 29 mars 2026 à 01:30 au lundi 30 mars 2026 à 17:00 (heure de Paris)"


# --- overdue missions --------------------------------------------------------------------


def test_an_assigned_mission_is_overdue_only_after_its_window(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)

    before = schedule.flag_overdue(session, now=mission.window_end - SECOND)
    assert before == {"overdue": 0}
    assert mission.status == MissionStatus.ASSIGNED

    after = schedule.flag_overdue(session, now=mission.window_end + SECOND)
    assert after == {"overdue": 1}
    assert mission.status == MissionStatus.OVERDUE
    assert (
        mission
        in session.scalars(select(Mission).where(Mission.status.in_(mission_lifecycle.OPEN))).all()
    )  # listed for reassignment
    assert schedule.flag_overdue(session, now=mission.window_end + SECOND) == {"overdue": 0}


@pytest.mark.parametrize(
    "status",
    [ReportStatus.SUBMITTED, ReportStatus.APPROVED, ReportStatus.RETURNED, ReportStatus.REJECTED],
)
def test_a_handed_in_report_keeps_the_mission_from_being_overdue(
    factory: Any, session: Any, status: ReportStatus
) -> None:
    mission = assigned(factory, session)
    factory.report(mission, mission.assignee, status=status)

    assert schedule.flag_overdue(session, now=mission.window_end + SECOND) == {"overdue": 0}
    assert mission.status == MissionStatus.ASSIGNED


def test_a_draft_does_not_keep_the_mission_from_being_overdue(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)
    factory.report(mission, mission.assignee, status=ReportStatus.DRAFT)

    assert schedule.flag_overdue(session, now=mission.window_end + SECOND) == {"overdue": 1}


def test_only_assigned_missions_become_overdue(factory: Any, session: Any) -> None:
    mission = factory.mission()  # unassigned

    assert schedule.flag_overdue(session, now=mission.window_end + SECOND) == {"overdue": 0}
    assert mission.status == MissionStatus.UNASSIGNED


# --- missing replies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "last_moment"),
    [
        # 16 March 2026 ends at 23:00 UTC in Paris (UTC+1)…
        ("Europe/Paris", aware(2026, 3, 16, 23)),
        # …at 04:00 UTC on the 17th in Martinique (UTC−4), at 20:00 UTC at La Réunion (UTC+4).
        ("America/Martinique", aware(2026, 3, 17, 4)),
        ("Indian/Reunion", aware(2026, 3, 16, 20)),
    ],
)
def test_no_reply_is_recorded_once_the_deadline_day_is_over_locally(
    factory: Any, session: Any, zone: str, last_moment: datetime
) -> None:
    mission = awaiting_reply(factory, session, date(2026, 3, 16), zone)

    assert schedule.record_missing_replies(session, now=last_moment - SECOND) == {"no_reply": 0}
    assert mission.status == MissionStatus.AWAITING_REPLY

    assert schedule.record_missing_replies(session, now=last_moment) == {"no_reply": 1}
    assert mission.status == MissionStatus.DONE
    assert mission.reply_outcome == ReplyOutcome.NO_REPLY
    assert mission.done_at == last_moment
    assert schedule.record_missing_replies(session, now=last_moment) == {"no_reply": 0}


# --- closing waves -----------------------------------------------------------------------


def wave_of(mission: Mission, session: Any) -> Wave:
    return session.get(Wave, mission.wave_id)


def test_a_wave_closes_once_its_last_day_is_over(factory: Any, session: Any) -> None:
    mission = assigned(factory, session)  # visit: no reply deadline
    wave = wave_of(mission, session)
    end_of_last_day = aware(2026, 4, 24, 22)  # midnight in Paris (UTC+2 in April)
    assert wave.end == date(2026, 4, 24)

    assert schedule.close_finished_waves(session, now=end_of_last_day - SECOND) == {"closed": 0}
    assert wave.status == WaveStatus.OPEN

    assert schedule.close_finished_waves(session, now=end_of_last_day) == {"closed": 1}
    assert wave.status == WaveStatus.CLOSED
    assert wave.closed_at == end_of_last_day
    assert mission.status == MissionStatus.NOT_DONE
    assert schedule.close_finished_waves(session, now=end_of_last_day) == {"closed": 0}


def test_a_wave_waits_for_its_last_reply_deadline(factory: Any, session: Any) -> None:
    mission = awaiting_reply(factory, session, date(2026, 4, 30))
    wave = wave_of(mission, session)

    assert schedule.close_finished_waves(session, now=aware(2026, 4, 30, 21, 59)) == {"closed": 0}
    assert wave.status == WaveStatus.OPEN

    assert schedule.close_finished_waves(session, now=aware(2026, 4, 30, 22)) == {"closed": 1}
    assert wave.status == WaveStatus.CLOSED
    assert mission.reply_outcome == ReplyOutcome.NO_REPLY
