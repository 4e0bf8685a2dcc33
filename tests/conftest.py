"""Fixtures shared by the server tests: an app on a migrated database, clients, accounts.

The database is SQLite in a temporary file by default; ``TEST_DATABASE_URL`` points the same
suite at PostgreSQL (``scripts/test`` does both). The schema is built once per session by the
Alembic migrations themselves, and every table is emptied after each test, which also works
for tests that go through a live server thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import text

from server.app import create_app
from server.extensions import db
from server.models import Role, User
from server.services import accounts, results_cache, review_flags_cache

PASSWORD = "mot-de-passe-solide"


def pytest_report_header() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return f"database engine: {'postgresql' if url else 'sqlite'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    application = create_app(
        {
            "ENV_PROFILE": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
            "LOGIN_LOCKOUT_SECONDS": 30,
        }
    )

    @application.teardown_request
    def _forget_login(_error: BaseException | None) -> None:
        # Flask-Login caches the user in ``g``, which lives as long as the app context; tests
        # hold one open (``session``, ``factory``) across the requests of several clients.
        g.pop("_login_user", None)
        # Flask-WTF caches the signed CSRF token there too: a second browser of the same
        # test would get the first one's.
        g.pop("csrf_token", None)

    with application.app_context():
        _drop_everything()
        upgrade()
        _empty_tables()
    yield application
    with application.app_context():
        db.engine.dispose()


def _drop_everything() -> None:
    """Leave an empty database, whatever an earlier run left (a kept PostgreSQL, say)."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        _empty_tables()
    # The next test reuses the ids: figures cached for this one's campaign 1 are not its.
    results_cache.app_cache(application).clear()
    review_flags_cache.cache().clear()


def _empty_tables() -> None:
    """Every test starts from empty tables (the migration's shipped référentiels included:
    tests that need them ask for ``shipped_referentiels`` or use the factory)."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield db.session


@pytest.fixture
def factory(session: Any) -> Any:
    """The test factory (``tests/factories.py``) bound to the app's session."""
    from tests.factories import Factory

    return Factory(session)


@pytest.fixture
def shipped_referentiels(app: Flask) -> None:
    """Store the shipped référentiels, as ``barometre db upgrade`` leaves them on a fresh
    install (every table is emptied after each test)."""
    from server.services import referentiels

    with app.app_context():
        referentiels.load_shipped(db.session, actor=None)
        db.session.commit()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create and commit an account; returns it detached-safe (expire_on_commit off)."""
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.COORDINATOR, **overrides: Any) -> User:
        role = Role(role)
        n = next(counter)
        with app.app_context():
            user = accounts.create_user(
                db.session,
                email=overrides.pop("email", f"{role.value}{n}@example.fr"),
                name=overrides.pop("name", f"{role.value.capitalize()} {n}"),
                password=overrides.pop("password", PASSWORD),
                role=role,
            )
            for key, value in overrides.items():
                setattr(user, key, value)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def token_for(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """Headers with a bearer token for a new account of ``role``."""

    def headers(role: Role | str = Role.COORDINATOR, **overrides: Any) -> dict[str, str]:
        user = make_user(role, **overrides)
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}

    return headers


def csrf_token_from(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def sign_in(app: Flask, user: User, password: str = PASSWORD) -> FlaskClient:
    """A new test browser signed in as ``user`` through the real login form."""
    browser = app.test_client()
    page = browser.get("/login")
    response = browser.post(
        "/login",
        data={
            "email": user.email,
            "password": password,
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def login_as(app: Flask, make_user: Callable[..., User]) -> Callable[..., tuple[FlaskClient, User]]:
    """A test client signed in through the real login form as a new ``role`` account."""

    def login(role: Role | str = Role.COORDINATOR, **overrides: Any) -> tuple[FlaskClient, User]:
        user = make_user(role, **overrides)
        return sign_in(app, user), user

    return login
