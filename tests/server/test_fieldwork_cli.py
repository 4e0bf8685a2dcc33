"""``barometre wave open|assign|close`` and ``barometre investigators import``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.extensions import db
from server.models import Mission, MissionStatus, Wave, WaveStatus
from tests.factories import Factory


def _campaign(factory: Factory) -> int:
    campaign = factory.campaign(2026)
    factory.sites(campaign, 3)
    factory.draw(campaign)
    db.session.commit()
    return int(campaign.id)


def test_open_assign_and_close_a_wave(runner: Any, factory: Factory) -> None:
    campaign_id = _campaign(factory)
    factory.investigator(home_commune="Vitré")
    db.session.commit()
    opened = runner.invoke(
        args=[
            "wave",
            "open",
            "--campaign",
            str(campaign_id),
            "--name",
            "Printemps",
            "--start",
            "2026-03-02",
            "--end",
            "2026-04-24",
            "--plan",
            '{"visit": 1, "phone": 2}',
        ]
    )
    assert opened.exit_code == 0, opened.output
    assert "9 missions" in opened.output
    wave_id = db.session.scalar(select(Wave.id))
    assigned = runner.invoke(args=["wave", "assign", str(wave_id)])
    assert assigned.exit_code == 0, assigned.output
    assert "9 missions attribuées" in assigned.output
    closed = runner.invoke(args=["wave", "close", str(wave_id)])
    assert closed.exit_code == 0, closed.output
    assert "9 missions non réalisées" in closed.output
    db.session.expire_all()
    assert db.session.get(Wave, wave_id).status == WaveStatus.CLOSED
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Mission)
            .where(Mission.status == MissionStatus.NOT_DONE)
        )
        == 9
    )


def test_bad_wave_options_are_clear_errors(runner: Any, factory: Factory) -> None:
    campaign_id = _campaign(factory)
    base = ["wave", "open", "--campaign", str(campaign_id), "--name", "V"]
    dates = ["--start", "2026-03-02", "--end", "2026-04-24"]
    bad_date = runner.invoke(args=[*base, "--start", "2/3/26", "--end", "2026-04-24"])
    assert bad_date.exit_code == 2
    assert "AAAA-MM-JJ" in bad_date.output
    bad_json = runner.invoke(args=[*base, *dates, "--plan", "{visit: 2"])
    assert bad_json.exit_code == 2
    assert "JSON mal formé" in bad_json.output
    negative = runner.invoke(args=[*base, *dates, "--plan", '{"visit": -2}'])
    assert negative.exit_code == 1
    assert "plan.default" in negative.output
    unknown = runner.invoke(args=["wave", "assign", "999"])
    assert unknown.exit_code == 1
    assert "Vague 999 introuvable" in unknown.output
    assert db.session.scalar(select(Wave.id)) is None


def test_investigators_import_reports_rejected_lines(runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "enqueteurs.csv"
    path.write_text(
        "courriel;nom;commune;latitude;longitude;capacite;visites_max;canaux\n"
        "a@exemple.fr;Anne;Rennes;48,11;-1,68;100;20;visite, appel\n"
        "b@exemple.fr;Bruno;Brest;;-4,48;100;20;appel\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["investigators", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 enquêteurs ajoutés" in result.output
    assert "ligne 3" in result.output
