"""Fixtures of the hostile-file tests: a campaign, the coordinator's token and browser, and
counts of what an upload may have left behind."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from server.extensions import db
from server.models import AuditEvent, InvestigatorProfile, Site, User
from server.services import campaigns
from tests.conftest import csrf_token_from

Login = Callable[..., tuple[FlaskClient, User]]


@pytest.fixture
def campaign_id(app: Flask, shipped_referentiels: None) -> int:
    with app.app_context():
        campaign = campaigns.create_campaign(
            db.session, name="Baromètre 2026", year=2026, referentiel_code="marianne", actor=None
        )
        db.session.commit()
        return int(campaign.id)


@pytest.fixture
def coordinator(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("coordinator")


def _post(client: FlaskClient, url: str, form: dict[str, Any], headers: dict[str, str]) -> Any:
    """POST a multipart form; the builder spools a large body to a temporary file, which is
    closed here rather than left to the garbage collector (a warning, hence an error)."""
    builder = EnvironBuilder(path=url, method="POST", headers=headers, data=form)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def post_file(
    client: FlaskClient, url: str, data: bytes, name: str, headers: dict[str, str] | None = None
) -> Any:
    return _post(client, url, {"file": (io.BytesIO(data), name)}, headers or {})


def post_page_form(browser: FlaskClient, url: str, field: str, data: bytes, name: str) -> Any:
    form: dict[str, Any] = {field: (io.BytesIO(data), name)}
    form["csrf_token"] = csrf_token_from(browser.get(url).get_data(as_text=True))
    return _post(browser, url, form, {})


def page_text(response: Any) -> str:
    """The page as its reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def nothing_stored(app: Flask) -> bool:
    """No site, no investigator profile and no import recorded in the audit log."""
    with app.app_context():
        imports = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["frame.import", "investigator.import"]))
        )
    return count(app, Site) == 0 and count(app, InvestigatorProfile) == 0 and not imports
