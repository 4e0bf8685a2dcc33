"""The API on the page session (the phone pages call it with no token to keep): reads need
the session only; writes also need the session's CSRF token in ``X-CSRFToken``; a request with
an ``Authorization`` header is judged by its token alone (``server/auth.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.extensions import db
from server.models import ApiToken, Mission, Report, User
from server.services import mission_lifecycle
from tests.conftest import PASSWORD
from tests.factories import Factory

Login = Callable[..., tuple[FlaskClient, User]]

CSRF_REFUSED = "Jeton CSRF absent ou périmé"


@pytest.fixture
def signed_in(login_as: Login, factory: Factory) -> tuple[FlaskClient, User, Mission]:
    """An investigator signed in through the login form, with one visit assigned."""
    browser, user = login_as("investigator")
    campaign = factory.campaign(2026)
    factory.site(campaign)
    mission = factory.mission(factory.wave(campaign, plan={"visit": 1}))
    mission_lifecycle.assign(db.session, mission, db.session.get(User, user.id), actor=None)
    db.session.commit()
    return browser, user, mission


def _url(mission: Mission) -> str:
    return f"/api/v1/missions/{mission.id}/report"


def _body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "answers": {"v_site_ouvert": "oui"},
        "started_at": (now - timedelta(minutes=30)).isoformat(),
        "ended_at": (now - timedelta(minutes=5)).isoformat(),
    }
    body.update(overrides)
    return body


def _reports() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Report)) or 0


def _csrf(browser: FlaskClient) -> str:
    """The CSRF token the phone pages read from ``GET /auth/me``."""
    me = browser.get("/api/v1/auth/me")
    assert me.status_code == 200, me.json
    token = me.json["csrf_token"]
    assert isinstance(token, str)
    assert token
    return token


def _bearer(client: FlaskClient, user: User) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


# --- reading ------------------------------------------------------------------------------


def test_the_session_reads_its_missions_and_who_it_is(
    signed_in: tuple[FlaskClient, User, Mission],
) -> None:
    browser, user, mission = signed_in
    missions = browser.get("/api/v1/me/missions")
    assert missions.status_code == 200, missions.json
    assert [item["id"] for item in missions.json] == [mission.id]
    one = browser.get(f"/api/v1/missions/{mission.id}")
    assert one.status_code == 200
    me = browser.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json["email"] == user.email
    assert me.json["role"] == "investigator"
    assert me.json["csrf_token"]


def test_a_bearer_token_gets_no_csrf_token(client: FlaskClient, factory: Factory) -> None:
    user = factory.investigator()
    db.session.commit()
    me = client.get("/api/v1/auth/me", headers=_bearer(client, user))
    assert me.status_code == 200
    assert me.json["csrf_token"] is None


def test_without_session_or_token_it_is_401(client: FlaskClient) -> None:
    for path in ("/api/v1/me/missions", "/api/v1/auth/me"):
        response = client.get(path)
        assert response.status_code == 401
        assert set(response.json) == {"code", "message", "errors"}


# --- writing ------------------------------------------------------------------------------


def test_a_session_write_without_the_csrf_header_is_403_and_stores_nothing(
    signed_in: tuple[FlaskClient, User, Mission],
) -> None:
    browser, _, mission = signed_in
    response = browser.put(_url(mission), json=_body())
    assert response.status_code == 403, response.json
    assert CSRF_REFUSED in response.json["message"]
    assert response.json["code"] == "forbidden"
    submit = browser.post(_url(mission) + "/submit", json=_body())
    assert submit.status_code == 403
    # Checked before the body is even read.
    garbage = browser.put(_url(mission), data=b"{pas du json", content_type="application/json")
    assert garbage.status_code == 403
    assert CSRF_REFUSED in garbage.json["message"]
    assert _reports() == 0


@pytest.mark.parametrize("token", ["", "pas-un-jeton", "IjEyMyI.ZZZ.abc"])
def test_a_session_write_with_a_wrong_csrf_token_is_403(
    signed_in: tuple[FlaskClient, User, Mission], token: str
) -> None:
    browser, _, mission = signed_in
    response = browser.put(_url(mission), json=_body(), headers={"X-CSRFToken": token})
    assert response.status_code == 403, response.json
    assert CSRF_REFUSED in response.json["message"]
    assert _reports() == 0


def test_the_csrf_token_of_another_session_is_refused(
    signed_in: tuple[FlaskClient, User, Mission], login_as: Login
) -> None:
    browser, _, mission = signed_in
    stranger, _ = login_as("investigator")
    response = browser.put(_url(mission), json=_body(), headers={"X-CSRFToken": _csrf(stranger)})
    assert response.status_code == 403
    assert CSRF_REFUSED in response.json["message"]
    assert _reports() == 0


def test_a_session_write_with_the_token_of_auth_me_is_saved(
    signed_in: tuple[FlaskClient, User, Mission],
) -> None:
    browser, user, mission = signed_in
    headers = {"X-CSRFToken": _csrf(browser)}
    body = _body()
    saved = browser.put(_url(mission), json=body, headers=headers)
    assert saved.status_code == 200, saved.json
    assert saved.json["version"] == 1
    assert saved.json["answers"] == {"v_site_ouvert": "oui"}
    assert saved.json["investigator_id"] == user.id
    # The same token serves every write of the session; reads need none.
    again = browser.put(
        _url(mission),
        json={**body, "answers": {"v_site_ouvert": "non"}, "base_version": 1},
        headers=headers,
    )
    assert again.status_code == 200, again.json
    assert again.json["version"] == 2
    assert browser.get(_url(mission)).json["answers"] == {"v_site_ouvert": "non"}
    assert _reports() == 1


def test_another_investigators_session_gets_a_404(
    signed_in: tuple[FlaskClient, User, Mission], login_as: Login
) -> None:
    _, _, mission = signed_in
    stranger, _ = login_as("investigator")
    headers = {"X-CSRFToken": _csrf(stranger)}
    assert stranger.get(f"/api/v1/missions/{mission.id}").status_code == 404
    refused = stranger.put(_url(mission), json=_body(), headers=headers)
    assert refused.status_code == 404
    assert refused.json["message"] == f"Mission {mission.id} introuvable."
    assert (
        stranger.post(_url(mission) + "/submit", json=_body(), headers=headers).status_code == 404
    )
    assert stranger.get("/api/v1/me/missions").json == []
    assert _reports() == 0


def test_a_bearer_token_writes_without_a_csrf_header(
    client: FlaskClient, signed_in: tuple[FlaskClient, User, Mission]
) -> None:
    _, user, mission = signed_in
    saved = client.put(_url(mission), json=_body(), headers=_bearer(client, user))
    assert saved.status_code == 200, saved.json
    assert _reports() == 1


@pytest.mark.parametrize("header", ["Bearer pas-un-jeton", "Bearer ", "Basic dXNlcjpwdw=="])
def test_a_bad_authorization_header_wins_over_a_valid_session(
    signed_in: tuple[FlaskClient, User, Mission], header: str
) -> None:
    browser, _, mission = signed_in
    token = _csrf(browser)
    for response in (
        browser.get("/api/v1/me/missions", headers={"Authorization": header}),
        browser.get("/api/v1/auth/me", headers={"Authorization": header}),
        browser.put(
            _url(mission), json=_body(), headers={"Authorization": header, "X-CSRFToken": token}
        ),
    ):
        assert response.status_code == 401, response.json
        assert set(response.json) == {"code", "message", "errors"}
    assert _reports() == 0
    # The session itself is still good.
    assert browser.get("/api/v1/me/missions").status_code == 200


def test_after_logout_the_session_calls_are_401(
    signed_in: tuple[FlaskClient, User, Mission],
) -> None:
    browser, _, mission = signed_in
    token = _csrf(browser)
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/api/v1/me/missions").status_code == 401
    assert browser.get("/api/v1/auth/me").status_code == 401
    response = browser.put(_url(mission), json=_body(), headers={"X-CSRFToken": token})
    assert response.status_code == 401
    assert "Authentification requise" in response.json["message"]
    assert _reports() == 0


def test_revoking_a_token_on_a_session_is_a_clear_refusal_never_a_500(
    signed_in: tuple[FlaskClient, User, Mission], client: FlaskClient
) -> None:
    browser, user, _ = signed_in
    headers = _bearer(client, user)  # a token of the same account, which must survive
    without = browser.delete("/api/v1/auth/token")
    assert without.status_code == 403
    assert CSRF_REFUSED in without.json["message"]
    refused = browser.delete("/api/v1/auth/token", headers={"X-CSRFToken": _csrf(browser)})
    assert refused.status_code == 400, refused.json
    assert set(refused.json) == {"code", "message", "errors"}
    assert "session" in refused.json["message"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert db.session.scalars(select(ApiToken)).one().revoked_at is None
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200


def test_a_coordinators_session_may_not_write_a_report_even_with_the_token(
    signed_in: tuple[FlaskClient, User, Mission], login_as: Login
) -> None:
    _, _, mission = signed_in
    coordinator, _ = login_as("coordinator")
    token = _csrf(coordinator)
    response = coordinator.put(_url(mission), json=_body(), headers={"X-CSRFToken": token})
    assert response.status_code == 403, response.json
    assert "Accès refusé : votre rôle" in response.json["message"]
    assert CSRF_REFUSED not in response.json["message"]
    submit = coordinator.post(
        _url(mission) + "/submit", json=_body(), headers={"X-CSRFToken": token}
    )
    assert submit.status_code == 403
    assert _reports() == 0
    # Reading is theirs, though (no report yet: 404).
    assert coordinator.get(f"/api/v1/missions/{mission.id}").status_code == 200
