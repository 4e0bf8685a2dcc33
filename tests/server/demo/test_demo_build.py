"""The demo campaign is built through the real services, and building it again changes nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from server.demo.build import DEMO_PASSWORD, SAMPLE_SIZE, build_demo
from server.extensions import db
from server.models import Campaign, Draw, Questionnaire, Role, SampledSite, Site, User
from tests.conftest import csrf_token_from


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
        "prns": dict(db.session.execute(select(Site.code, Site.permanent_random_number)).all()),
    }


def test_demo_builds_once_and_is_safe_to_rebuild(app: Flask) -> None:
    with app.app_context():
        report = build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
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


def test_demo_coordinator_sees_the_frame_by_network(app: Flask) -> None:
    with app.app_context():
        build_demo(db.session, progress=lambda _message: None)
        db.session.commit()
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
