"""``barometre referentiels``: validate a file offline, load one, load the shipped ones."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import survey_schemas
from server.extensions import db
from server.models import Questionnaire, Referentiel

SHIPPED = Path(survey_schemas.__file__).parent / "data"


def write(tmp_path: Path, name: str, document: dict[str, Any] | str) -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def shipped_document(code: str) -> dict[str, Any]:
    return copy.deepcopy(dict(survey_schemas.shipped_questionnaire(code, 1).document))


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)))


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["referentiels", "--help"], "Référentiels et questionnaires"),
        (["referentiels", "validate", "--help"], "sans base de données"),
        (["referentiels", "load", "--help"], "Enregistrer une nouvelle version"),
        (["referentiels", "load-shipped", "--help"], "livrés avec l’application"),
    ],
)
def test_help_is_in_french(app: Flask, args: list[str], phrase: str) -> None:
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0
    assert phrase in " ".join(result.output.split())


def test_validate_a_good_questionnaire_prints_one_line(app: Flask) -> None:
    path = SHIPPED / "questionnaires" / "marianne" / "visit.v1.json"
    result = app.test_cli_runner().invoke(args=["referentiels", "validate", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Questionnaire marianne-visit v1 valide : canal visit, ")


def test_validate_a_good_referentiel(app: Flask) -> None:
    path = SHIPPED / "referentiels" / "marianne.v1.json"
    result = app.test_cli_runner().invoke(args=["referentiels", "validate", str(path)])
    assert result.exit_code == 0
    assert result.output.startswith("Référentiel marianne v1 valide : 11 engagements")


def test_validate_lists_every_error_and_exits_1(app: Flask, tmp_path: Path) -> None:
    document = shipped_document("marianne-phone")
    document["questions"][3]["engagement"] = "E99"
    document["questions"][4]["id"] = "t_decroche"
    result = app.test_cli_runner().invoke(
        args=["referentiels", "validate", str(write(tmp_path, "q.json", document))]
    )
    assert result.exit_code == 1
    assert 'questions[3] (id "t_decroche").engagement : engagement « E99 » inconnu' in (
        result.output
    )
    assert "identifiant en double" in result.output


def test_validate_malformed_json_exits_1(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["referentiels", "validate", str(write(tmp_path, "q.json", '{"code": '))]
    )
    assert result.exit_code == 1
    assert "JSON mal formé, ligne 1" in result.output


def test_validate_a_questionnaire_against_a_new_referentiel_file(
    app: Flask, tmp_path: Path
) -> None:
    referentiel = copy.deepcopy(dict(survey_schemas.shipped_referentiel("marianne", 1).document))
    referentiel["version"] = 2
    questionnaire = shipped_document("marianne-phone")
    questionnaire["referentiel"]["version"] = 2
    path = write(tmp_path, "q.json", questionnaire)
    runner = app.test_cli_runner()
    alone = runner.invoke(args=["referentiels", "validate", str(path)])
    assert alone.exit_code == 1
    assert "marianne v2 inconnu" in alone.output
    with_file = runner.invoke(
        args=[
            "referentiels",
            "validate",
            str(path),
            "--referentiel",
            str(write(tmp_path, "r.json", referentiel)),
        ]
    )
    assert with_file.exit_code == 0, with_file.output


def test_validate_needs_no_database(tmp_path: Path) -> None:
    database = tmp_path / "absent" / "nowhere.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "BAROMETRE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    path = SHIPPED / "questionnaires" / "marianne" / "phone.v1.json"
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "referentiels", "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Questionnaire marianne-phone v1 valide" in result.stdout
    assert not database.parent.exists()


def test_load_shipped_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["referentiels", "load-shipped"])
    assert first.exit_code == 0, first.output
    assert "8 versions enregistrées, 0 déjà chargées." in first.output
    second = runner.invoke(args=["referentiels", "load-shipped"])
    assert "0 versions enregistrées, 8 déjà chargées." in second.output
    assert (count(app, Referentiel), count(app, Questionnaire)) == (2, 6)


def test_load_a_file_then_again(app: Flask) -> None:
    runner = app.test_cli_runner()
    path = SHIPPED / "referentiels" / "marianne.v1.json"
    first = runner.invoke(args=["referentiels", "load", str(path)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("marianne v1 : enregistré (n° ")
    second = runner.invoke(args=["referentiels", "load", str(path)])
    assert second.output.startswith("marianne v1 : déjà chargé à l’identique")
    assert count(app, Referentiel) == 1


def test_load_refuses_a_questionnaire_whose_referentiel_is_not_stored(app: Flask) -> None:
    path = SHIPPED / "questionnaires" / "marianne" / "phone.v1.json"
    result = app.test_cli_runner().invoke(args=["referentiels", "load", str(path)])
    assert result.exit_code == 1
    assert "marianne v1 n’est pas chargé sur ce serveur" in result.output
    assert count(app, Questionnaire) == 0


def test_load_shipped_refuses_a_changed_stored_version(app: Flask, tmp_path: Path) -> None:
    changed = copy.deepcopy(dict(survey_schemas.shipped_referentiel("marianne", 1).document))
    changed["name"] = "Marianne modifiée sans changer de version"
    runner = app.test_cli_runner()
    assert (
        runner.invoke(
            args=["referentiels", "load", str(write(tmp_path, "r.json", changed))]
        ).exit_code
        == 0
    )
    result = runner.invoke(args=["referentiels", "load-shipped"])
    assert result.exit_code == 1
    assert "publiez une nouvelle version" in result.output
    assert count(app, Questionnaire) == 0
