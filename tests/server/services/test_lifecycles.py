"""Every allowed and every refused transition of a mission and of a report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from server.models import AuditEvent, Mission, MissionStatus, Report, ReportStatus
from server.services import mission_lifecycle as ml
from server.services import report_lifecycle as rl
from server.services.errors import Conflict
from tests.factories import Factory

M = MissionStatus
SENT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)

#: transition name → (call, statuses it accepts, status it leads to, channel it needs)
MISSION_TRANSITIONS: dict[str, tuple[Callable[..., None], set[M], M, str]] = {
    "assign": (
        lambda s, m, who: ml.assign(s, m, who, actor=None),
        {M.UNASSIGNED, M.ASSIGNED, M.OVERDUE},
        M.ASSIGNED,
        "visit",
    ),
    "unassign": (
        lambda s, m, who: ml.unassign(s, m, actor=None, reason="r", rule="capacity"),
        {M.UNASSIGNED, M.ASSIGNED, M.OVERDUE},
        M.UNASSIGNED,
        "visit",
    ),
    "mark_overdue": (
        lambda s, m, who: ml.mark_overdue(s, m, actor=None),
        {M.ASSIGNED},
        M.OVERDUE,
        "visit",
    ),
    "mark_request_sent": (
        lambda s, m, who: ml.mark_request_sent(s, m, SENT, actor=None),
        {M.ASSIGNED, M.OVERDUE},
        M.AWAITING_REPLY,
        "email",
    ),
    "mark_done (visit)": (
        lambda s, m, who: ml.mark_done(s, m, actor=None),
        {M.ASSIGNED, M.OVERDUE},
        M.DONE,
        "visit",
    ),
    "mark_done (letter)": (
        lambda s, m, who: ml.mark_done(s, m, actor=None),
        {M.AWAITING_REPLY},
        M.DONE,
        "letter",
    ),
    "record_no_reply": (
        lambda s, m, who: ml.record_no_reply(s, m, actor=None),
        {M.AWAITING_REPLY},
        M.DONE,
        "email",
    ),
    "cancel": (
        lambda s, m, who: ml.cancel(s, m, actor=None, reason="site fermé"),
        {M.UNASSIGNED, M.ASSIGNED, M.OVERDUE},
        M.CANCELLED,
        "visit",
    ),
    "close_as_not_done": (
        lambda s, m, who: ml.close_as_not_done(s, m, actor=None),
        {M.UNASSIGNED, M.ASSIGNED, M.OVERDUE},
        M.NOT_DONE,
        "visit",
    ),
}
CASES = [
    (name, start, start in accepted)
    for name, (_, accepted, _, _) in MISSION_TRANSITIONS.items()
    for start in M
]


@pytest.fixture
def make_mission(factory: Factory, session: Any) -> Callable[[str, M], Mission]:
    def make(channel: str, status: M) -> Mission:
        campaign = factory.campaign(2026)
        factory.site(campaign)
        mission = factory.mission(factory.wave(campaign, plan={channel: 1}))
        mission.status = status
        session.flush()
        return mission

    return make


@pytest.mark.parametrize(
    ("transition", "start", "allowed"), CASES, ids=[f"{n}-{s.value}" for n, s, _ in CASES]
)
def test_mission_transition(
    session: Any,
    factory: Factory,
    make_mission: Callable[[str, M], Mission],
    transition: str,
    start: M,
    allowed: bool,
) -> None:
    call, _, target, channel = MISSION_TRANSITIONS[transition]
    mission = make_mission(channel, start)
    investigator = factory.investigator()
    if allowed:
        call(session, mission, investigator)
        assert mission.status == target
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "Mission")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None
        assert (event.details["before"], event.details["after"]) == (start.value, target.value)
    else:
        with pytest.raises(Conflict, match="impossible de"):
            call(session, mission, investigator)
        assert mission.status == start


def test_only_emails_and_letters_await_a_reply(
    session: Any, make_mission: Callable[[str, M], Mission]
) -> None:
    mission = make_mission("phone", M.ASSIGNED)
    with pytest.raises(Conflict, match="seul un courriel ou un courrier"):
        ml.mark_request_sent(session, mission, SENT, actor=None)


R = ReportStatus
REPORT_TRANSITIONS: dict[str, tuple[Callable[..., None], set[R], R]] = {
    "submit": (lambda s, r: rl.submit(s, r, actor=None), {R.DRAFT, R.RETURNED}, R.SUBMITTED),
    "approve": (lambda s, r: rl.approve(s, r, actor=None), {R.SUBMITTED}, R.APPROVED),
    "return": (
        lambda s, r: rl.return_for_correction(s, r, actor=None, comment="Photo floue"),
        {R.SUBMITTED},
        R.RETURNED,
    ),
    "reject": (
        lambda s, r: rl.reject(s, r, actor=None, comment="Hors site"),
        {R.SUBMITTED},
        R.REJECTED,
    ),
}
REPORT_CASES = [
    (name, start, start in accepted)
    for name, (_, accepted, _) in REPORT_TRANSITIONS.items()
    for start in R
]


@pytest.mark.parametrize(
    ("transition", "start", "allowed"),
    REPORT_CASES,
    ids=[f"{n}-{s.value}" for n, s, _ in REPORT_CASES],
)
def test_report_transition(
    session: Any,
    factory: Factory,
    make_mission: Callable[[str, M], Mission],
    transition: str,
    start: R,
    allowed: bool,
) -> None:
    call, _, target = REPORT_TRANSITIONS[transition]
    report: Report = factory.report(
        make_mission("visit", M.DONE), factory.investigator(), status=start
    )
    if allowed:
        call(session, report)
        assert report.status == target
    else:
        with pytest.raises(Conflict, match="impossible de"):
            call(session, report)
        assert report.status == start


def test_the_two_status_lists_share_no_state() -> None:
    """DESIGN.md §3.10: neither enum repeats the other's states."""
    assert not {m.value for m in MissionStatus} & {r.value for r in ReportStatus}
