"""The admin's account changes in ``services.accounts``: rules, audit, and what they end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.models import AuditEvent, LoginThrottle, Role, User
from server.services import accounts
from server.services.errors import Conflict, Invalid
from tests.conftest import PASSWORD
from tests.factories import Factory


def events(session: Any, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_admin_creates_a_coordinator_audited_with_the_actor(
    session: Any, factory: Factory
) -> None:
    admin = factory.user(Role.ADMIN)
    user = accounts.create_account(
        session,
        email="Chloe@Example.fr",
        name="Chloé",
        password=PASSWORD,
        role=Role.COORDINATOR,
        actor=admin,
    )
    assert (user.email, user.role, user.active) == ("chloe@example.fr", Role.COORDINATOR, True)
    [event] = [e for e in events(session, "user.create") if e.entity_id == str(user.id)]
    assert event.actor_id == admin.id
    assert event.details == {"role": "coordinator"}


def test_an_investigator_is_not_created_from_the_accounts(session: Any, factory: Factory) -> None:
    with pytest.raises(Invalid, match="page « Enquêteurs »"):
        accounts.create_account(
            session,
            email="e@example.fr",
            name="E",
            password=PASSWORD,
            role=Role.INVESTIGATOR,
            actor=factory.user(Role.ADMIN),
        )


def test_a_short_password_is_refused_with_the_rule(session: Any, factory: Factory) -> None:
    user = factory.user(Role.ANALYST)
    short = "x" * (accounts.MIN_PASSWORD_LENGTH - 1)
    with pytest.raises(Invalid) as refused:
        accounts.reset_password(session, user, short, actor=factory.user(Role.ADMIN))
    assert str(accounts.MIN_PASSWORD_LENGTH) in refused.value.errors["password"][0]


def test_deactivation_revokes_the_tokens_and_bumps_the_session_version(
    session: Any, factory: Factory
) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.COORDINATOR)
    accounts.issue_token(session, user, ttl=timedelta(hours=1))
    accounts.issue_token(session, user, ttl=timedelta(hours=1))
    before = user.session_version
    assert accounts.deactivate_user(session, user, actor=admin) is True
    assert user.active is False
    assert user.session_version == before + 1
    assert all(t.revoked_at is not None for t in user.tokens)
    [event] = events(session, "user.deactivate")
    assert (event.actor_id, event.entity_type, event.entity_id) == (admin.id, "User", str(user.id))
    assert event.details == {"revoked_tokens": 2}


def test_deactivating_twice_changes_nothing_the_second_time(session: Any, factory: Factory) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.ANALYST)
    accounts.deactivate_user(session, user, actor=admin)
    assert accounts.deactivate_user(session, user, actor=admin) is False
    assert len(events(session, "user.deactivate")) == 1


def test_reactivation_lets_the_user_log_in_again(session: Any, factory: Factory) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.ANALYST)
    accounts.deactivate_user(session, user, actor=admin)
    assert accounts.reactivate_user(session, user, actor=admin) is True
    policy = accounts.ThrottlePolicy()
    assert accounts.authenticate(session, user.email, PASSWORD, policy=policy) is user
    assert events(session, "user.reactivate")[0].actor_id == admin.id


def test_an_admin_cannot_deactivate_nor_demote_themselves(session: Any, factory: Factory) -> None:
    admin = factory.user(Role.ADMIN)
    factory.user(Role.ADMIN)  # not the last admin: the refusal is about oneself
    with pytest.raises(Conflict, match="votre propre compte"):
        accounts.deactivate_user(session, admin, actor=admin)
    with pytest.raises(Conflict, match="votre propre compte"):
        accounts.change_role(session, admin, Role.ANALYST, actor=admin)
    assert (admin.active, admin.role) == (True, Role.ADMIN)


@pytest.mark.parametrize("change", ["deactivate", "demote"])
def test_the_last_active_admin_stays(session: Any, factory: Factory, change: str) -> None:
    """The CLI (no actor) or an admin deactivated meanwhile could otherwise leave none."""
    last = factory.user(Role.ADMIN)
    other = factory.user(Role.ADMIN)
    accounts.deactivate_user(session, other, actor=None)
    remove = {
        "deactivate": lambda: accounts.deactivate_user(session, last, actor=None),
        "demote": lambda: accounts.change_role(session, last, Role.COORDINATOR, actor=None),
    }[change]
    with pytest.raises(Conflict, match="dernier administrateur actif"):
        remove()
    assert (last.active, last.role) == (True, Role.ADMIN)


def test_a_role_change_is_audited_with_before_and_after(session: Any, factory: Factory) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.ANALYST)
    assert accounts.change_role(session, user, Role.COORDINATOR, actor=admin) is True
    [event] = events(session, "user.role_change")
    assert event.details == {"before": "analyst", "after": "coordinator"}
    assert accounts.change_role(session, user, Role.COORDINATOR, actor=admin) is False


@pytest.mark.parametrize("direction", ["to", "from"])
def test_the_investigator_role_is_neither_given_nor_taken_here(
    session: Any, factory: Factory, direction: str
) -> None:
    admin = factory.user(Role.ADMIN)
    if direction == "to":
        user, role = factory.user(Role.ANALYST), Role.INVESTIGATOR
    else:
        user, role = factory.investigator(), Role.COORDINATOR
    before = user.role
    with pytest.raises(Invalid, match="coordination"):
        accounts.change_role(session, user, role, actor=admin)
    assert user.role == before


def test_deactivating_an_investigator_turns_off_the_profile_too(
    session: Any, factory: Factory
) -> None:
    admin, person = factory.user(Role.ADMIN), factory.investigator()
    accounts.deactivate_user(session, person, actor=admin)
    assert person.investigator_profile is not None
    assert person.investigator_profile.active is False
    assert {e.action for e in session.scalars(select(AuditEvent))} >= {
        "investigator.deactivate",
        "user.deactivate",
    }
    accounts.reactivate_user(session, person, actor=admin)
    assert person.investigator_profile.active is True


def test_a_password_reset_ends_access_and_never_records_the_password(
    session: Any, factory: Factory
) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.ANALYST)
    accounts.issue_token(session, user, ttl=timedelta(hours=1))
    session.add(LoginThrottle(email=user.email, failures=7))
    session.flush()
    new = "un-tout-nouveau-mot-de-passe"
    assert accounts.reset_password(session, user, new, actor=admin) == 1
    policy = accounts.ThrottlePolicy()
    assert accounts.authenticate(session, user.email, new, policy=policy) is user
    [event] = events(session, "user.password_reset")
    assert (event.actor_id, event.entity_id) == (admin.id, str(user.id))
    assert new not in str(event.details)
    assert user.password_hash not in str(event.details)
    assert event.details == {"revoked_tokens": 1}


def test_update_user_applies_name_role_and_status(session: Any, factory: Factory) -> None:
    admin, user = factory.user(Role.ADMIN), factory.user(Role.ANALYST)
    accounts.update_user(
        session,
        user,
        {"name": " Léa Martin ", "role": "coordinator", "active": False},
        actor=admin,
    )
    assert (user.name, user.role, user.active) == ("Léa Martin", Role.COORDINATOR, False)
    stored = session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(user.id)))
    assert {"user.rename", "user.role_change", "user.deactivate"} <= set(stored)


def test_users_query_filters_by_role_and_status(session: Any, factory: Factory) -> None:
    factory.user(Role.ADMIN)
    analyst = factory.user(Role.ANALYST)
    off = factory.user(Role.ANALYST)
    accounts.deactivate_user(session, off, actor=None)
    found = session.scalars(accounts.users_query(role=Role.ANALYST, active=True)).all()
    assert found == [analyst]
    assert isinstance(found[0], User)
