"""Fixtures of the phone flows: a visit mission assigned to an investigator."""

from __future__ import annotations

from typing import Any

import pytest

from server.extensions import db
from server.models import Mission, User
from tests.browser.phone.helpers import SITE


@pytest.fixture
def visit(app: Any, factory: Any) -> tuple[Mission, User]:
    """A visit of a site in Rennes, assigned to a new investigator (committed, so the live
    server sees it)."""
    mission, investigator = factory.assigned_mission("visit", **SITE)
    db.session.commit()
    return mission, investigator
