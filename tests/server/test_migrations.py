"""The Alembic migrations build exactly the schema the models describe, on either engine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from server.app import MIGRATIONS_DIR
from server.extensions import db


def test_migrations_have_a_single_head(app: Flask) -> None:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrated_schema_equals_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_base_then_upgrade_again(app: Flask) -> None:
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(db.inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []


def test_questionnaire_code_is_copied_from_the_document_on_upgrade(app: Flask) -> None:
    """0002 adds the code column and fills it for questionnaires stored before it existed."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    with app.app_context():
        downgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO referentiels (id, code, version, name, content, fingerprint, "
                    "loaded_at) VALUES (1, 'marianne', 1, 'Marianne', '{}', 'f', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO questionnaires (id, referentiel_id, channel, version, title, "
                    "content, fingerprint, loaded_at) VALUES (1, 1, 'visit', 1, 'Visite', "
                    "'{\"code\": \"marianne-visit\"}', 'g', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(revision="0002")
        with db.engine.connect() as connection:
            code = connection.execute(text("SELECT code FROM questionnaires")).scalar_one()
        assert code == "marianne-visit"
        upgrade()


def test_upgrade_of_an_empty_database_stores_the_shipped_referentiels(app: Flask) -> None:
    """A fresh install can create a campaign at once: ``db upgrade`` leaves the shipped
    référentiels and questionnaires in place."""
    from flask_migrate import downgrade, upgrade

    from server.models import Questionnaire, Referentiel

    with app.app_context():
        downgrade(revision="base")
        upgrade()
        stored = {(r.code, r.version) for r in db.session.scalars(db.select(Referentiel))}
        channels = {q.channel for q in db.session.scalars(db.select(Questionnaire))}
        db.session.remove()
    assert {("marianne", 1), ("services-publics-plus", 1)} <= stored
    assert channels == {"visit", "phone", "email", "letter", "website"}
