"""What a phone's save costs the database, in statements: every one is a round trip under load
(benchmarks/load.py measures the time), so the count is pinned where it cannot drift unseen."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from server.extensions import db
from server.models import Questionnaire
from server.services import accounts
from tests.factories import Factory
from tests.server.api.test_reports_api import valid_answers
from tests.server.perf.test_query_counts import _counting

#: A first save: token and account (one query), mission with its site and wave, the report by
#: its client id, the report of the mission under another id, questionnaire with référentiel,
#: savepoint, insert, release, audit, and the reviews the answer shows.
FIRST_SAVE = 11
#: The same save replayed: read, compare, answer; nothing written.
REPLAYED_SAVE = 6


def test_a_save_and_its_replay_cost_a_fixed_number_of_statements(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    mission, investigator = factory.assigned_mission("visit")
    code = db.session.scalar(
        select(Questionnaire.code).where(Questionnaire.id == mission.questionnaire_id)
    )
    token, _row = accounts.issue_token(db.session, investigator, ttl=timedelta(hours=1))
    db.session.commit()
    body = {"client_id": str(uuid.uuid4()), "answers": valid_answers(str(code))}
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/missions/{mission.id}/report"

    with _counting(app) as statements:
        first = client.put(url, json=body, headers=headers)
    assert first.status_code == 200, first.get_json()
    saved = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(saved) <= FIRST_SAVE, "\n".join(saved)

    with _counting(app) as statements:
        again = client.put(url, json={**body, "base_version": 1}, headers=headers)
    assert again.status_code == 200, again.get_json()
    replayed = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(replayed) <= REPLAYED_SAVE, "\n".join(replayed)
