"""Two admins deactivating each other at the same moment: one succeeds, the other is refused
(the last active admin stays). PostgreSQL only: SQLite takes one writer at a time anyway,
while PostgreSQL runs both transactions at once and only the row locks keep one admin."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from flask import Flask

from server.extensions import db
from server.models import Role, User
from server.services import accounts
from server.services.errors import Conflict

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="concurrent transactions: PostgreSQL only"
)


def test_two_admins_removing_each_other_at_once_leave_one(
    app: Flask, make_user: Callable[..., User]
) -> None:
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    both_loaded = threading.Barrier(2, timeout=30)
    outcomes: dict[int, str] = {}

    def remove(target_id: int, actor_id: int) -> None:
        with app.app_context():
            target, actor = db.session.get(User, target_id), db.session.get(User, actor_id)
            assert target is not None
            assert actor is not None
            both_loaded.wait()  # each has read both admins as active before either writes
            try:
                accounts.deactivate_user(db.session, target, actor=actor)
                db.session.commit()
                outcomes[target_id] = "deactivated"
            except Conflict:
                db.session.rollback()
                outcomes[target_id] = "refused"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=remove, args=(first.id, second.id)),
        threading.Thread(target=remove, args=(second.id, first.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["deactivated", "refused"]
    with app.app_context():
        active = [u.id for u in db.session.scalars(db.select(User)) if u.active]
    assert len(active) == 1
