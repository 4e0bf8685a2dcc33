"""The demo campaign is built through the real services, and building it again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.demo.build import DEMO_PASSWORD, SAMPLE_SIZE, DemoReport, build_demo
from server.extensions import db
from server.models import (
    Campaign,
    Draw,
    InvestigatorProfile,
    Mission,
    Questionnaire,
    Role,
    SampledSite,
    Scenario,
    Site,
    User,
    Wave,
)
from tests.conftest import _empty_tables, csrf_token_from


def _counts() -> dict[str, object]:
    return {
        "users": db.session.scalar(select(func.count(User.id))),
        "investigators": db.session.scalar(
            select(func.count(User.id)).where(User.role == Role.INVESTIGATOR)
        ),
        "campaigns": sorted(db.session.scalars(select(Campaign.year))),
        "sites": dict(
            db.session.execute(
                select(Campaign.year, func.count(Site.id)).join(Site).group_by(Campaign.year)
            ).all()
        ),
        "draws": db.session.scalar(select(func.count(Draw.id))),
        "questionnaires": db.session.scalar(select(func.count(Questionnaire.id))),
        "sampled": db.session.scalar(select(func.count(SampledSite.id))),
        "waves": db.session.scalar(select(func.count(Wave.id))),
        "missions": db.session.scalar(select(func.count(Mission.id))),
        "scenarios": db.session.scalar(select(func.count(Scenario.id))),
        "assigned": db.session.scalar(
            select(func.count(Mission.id)).where(Mission.assignee_id.is_not(None))
        ),
        "prns": dict(db.session.execute(select(Site.code, Site.permanent_random_number)).all()),
    }


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Overrides the suite's per-test cleaning: the demo (15,000 missions) is built once for
    this module by ``demo`` and emptied after its last test."""
    return


@pytest.fixture(scope="module")
def demo(app: Flask) -> Iterator[DemoReport]:
    with app.app_context():
        report = build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
    yield report
    with app.app_context():
        db.session.remove()
        _empty_tables()


def test_demo_builds_once_and_is_safe_to_rebuild(app: Flask, demo: DemoReport) -> None:
    report = demo
    with app.app_context():
        first = _counts()
        build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
        assert _counts() == first
        current = db.session.scalar(
            select(Draw).join(Campaign).where(Campaign.year == 2026, Draw.is_current.is_(True))
        )
        assert current is not None
        assert len(current.sampled_sites) == SAMPLE_SIZE
        assert current.overlap_achieved  # rotated from last year's draw
    assert first["users"] == 43
    assert first["investigators"] == 40
    assert first["campaigns"] == [2025, 2026]
    assert 640 <= first["sites"][2026] <= 660  # type: ignore[index]
    assert first["sites"][2025] < first["sites"][2026]  # type: ignore[index]
    assert first["draws"] == 2
    assert first["questionnaires"] == 6  # five Marianne channels and one Services Publics+
    assert ("coordination@demo.barometre.fr", "coordinator") in report.accounts
    # The spring wave: 25 tests per sampled site, assigned; every active investigator has work.
    assert first["waves"] == 1
    assert first["missions"] == SAMPLE_SIZE * 25
    assert first["scenarios"] >= 7 * 5
    assert first["assigned"] >= 0.95 * SAMPLE_SIZE * 25  # type: ignore[operator]


def test_demo_investigators_have_missions_and_the_draw_is_locked(
    app: Flask, demo: DemoReport
) -> None:
    with app.app_context():
        loads = dict(
            db.session.execute(
                select(User.email, func.count(Mission.id))
                .join(Mission, Mission.assignee_id == User.id)
                .group_by(User.email)
            ).all()
        )
        active = db.session.scalars(
            select(User.email)
            .join(InvestigatorProfile)
            .where(InvestigatorProfile.active.is_(True), User.active.is_(True))
        ).all()
        wave = db.session.scalar(select(Wave))
        assert wave is not None
        assert wave.draw.locked_at is not None
    assert set(active) <= set(loads)
    assert min(loads[email] for email in active) > 0


def test_demo_coordinator_sees_the_frame_by_network(app: Flask, demo: DemoReport) -> None:
    browser = app.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    response = browser.post(
        "/login",
        data={
            "email": "coordination@demo.barometre.fr",
            "password": DEMO_PASSWORD,
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Baromètre 2026" in html
    for network in (
        "Préfecture",
        "Sous-préfecture",
        "Service des impôts des particuliers",
        "Tribunal judiciaire",
        "Bibliothèque universitaire",
        "France services",
    ):
        assert f'<th scope="row">{network}</th>' in html
    assert "<strong>37</strong> enquêteurs actifs sur 40" in html
