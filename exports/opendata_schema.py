"""The columns of the open-data files: their Table Schema (type, French title and
description, constraints) and how each reads its value from the data."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from exports.barometer_data import BarometerData, Figure
from exports.workbook_labels import CHANNEL_LABELS, channel_label, channels_in_order
from exports.workbook_tables import site_channels

FORMULA_NOTE = (
    "Un texte commençant par = + - @, une tabulation ou un retour chariot est précédé d’une "
    "apostrophe, pour qu’un tableur ne l’exécute jamais : retirez-la pour retrouver le texte."
)
GRADE = {"minimum": 0, "maximum": 10}

# --- fields --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column: its Table Schema descriptor and how to read its value from a row object."""

    name: str
    type: str
    title: str
    description: str
    read: Callable[[Any], object]
    constraints: dict[str, object] = field(default_factory=dict)

    def descriptor(self) -> dict[str, object]:
        described: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
        }
        if self.constraints:
            described["constraints"] = self.constraints
        return described


def _text(name: str, title: str, description: str, read: Callable[[Any], object]) -> Field:
    return Field(name, "string", title, f"{description} {FORMULA_NOTE}", read)


def _grade(name: str, title: str, description: str, read: Callable[[Any], object]) -> Field:
    return Field(name, "number", title, description, read, dict(GRADE))


def _key_of(attribute: str, key: str) -> Callable[[Any], object]:
    """Reads ``row.<attribute>[key]`` (a grade of one engagement or channel), None if absent."""

    def read(row: Any) -> object:
        grades: dict[str, object] = getattr(row, attribute)
        return grades.get(key)

    return read


def site_fields(data: BarometerData) -> list[Field]:
    channels = site_channels(data.sites)
    return [
        Field(
            "site_code",
            "string",
            "Code du site",
            "Identifiant du site dans la base de sondage.",
            lambda s: s.code,
            {"required": True, "unique": True},
        ),
        _text("site_name", "Nom du site", "Nom du site.", lambda s: s.name),
        _text("network", "Réseau", "Réseau du site (préfecture, SIP…).", lambda s: s.network),
        _text("region", "Région", "Région du site.", lambda s: s.region),
        _text("department", "Département", "Code du département.", lambda s: s.department),
        _text("city", "Commune", "Commune du site.", lambda s: s.city),
        _text("stratum", "Strate", "Strate du plan de sondage.", lambda s: s.stratum),
        Field(
            "inclusion_probability",
            "number",
            "Probabilité d’inclusion",
            "Probabilité que le site soit tiré dans l’échantillon.",
            lambda s: s.inclusion_probability,
            {"minimum": 0, "maximum": 1},
        ),
        Field(
            "weight",
            "number",
            "Poids",
            "Poids de sondage : inverse de la probabilité d’inclusion.",
            lambda s: s.weight,
            {"minimum": 0},
        ),
        Field(
            "tests",
            "integer",
            "Tests approuvés",
            "Tests approuvés du site (0 : non-répondant, hors des estimations).",
            lambda s: s.tests,
            {"minimum": 0},
        ),
        _grade("grade", "Note /10", "Note du site sur 10 (vide sans test).", lambda s: s.grade),
        Field(
            "rank",
            "integer",
            "Rang",
            "Rang du site, 1 = meilleure note ; les ex æquo partagent un rang.",
            lambda s: s.rank,
            {"minimum": 1},
        ),
        *(
            _grade(
                f"grade_{code}",
                f"Note {code}",
                f"Note sur 10 de l’engagement {code} : {label}.",
                _key_of("engagement_grades", code),
            )
            for code, label in data.engagements
        ),
        *(
            _grade(
                f"grade_{channel}",
                f"Note {channel_label(channel).lower()}",
                f"Note sur 10 du site pour le canal « {channel_label(channel)} ».",
                _key_of("channel_grades", channel),
            )
            for channel in channels
        ),
    ]


def approved_test_fields(data: BarometerData, answers: Sequence[Field]) -> list[Field]:
    """The columns of ``tests.csv``: the test, its grades, then ``answers``."""
    channels = channels_in_order({*CHANNEL_LABELS, *(test.channel for test in data.tests)})
    names = ", ".join(f"{c} = {channel_label(c).lower()}" for c in channels)
    fixed = [
        Field(
            "test_id",
            "integer",
            "Identifiant du test",
            "Numéro du rapport de test approuvé.",
            lambda t: t.report_id,
            {"required": True, "unique": True},
        ),
        Field(
            "site_code",
            "string",
            "Code du site",
            "Site testé (voir sites.csv).",
            lambda t: t.site_code,
            {"required": True},
        ),
        _text("network", "Réseau", "Réseau du site.", lambda t: t.network),
        _text("region", "Région", "Région du site.", lambda t: t.region),
        Field(
            "channel",
            "string",
            "Canal",
            f"Canal du test : {names}.",
            lambda t: t.channel,
            {"required": True, "enum": channels},
        ),
        _text("wave", "Vague", "Vague de terrain.", lambda t: t.wave),
        Field("started_at", "datetime", "Début", "Début du test (UTC).", lambda t: t.started_at),
        Field("ended_at", "datetime", "Fin", "Fin du test (UTC).", lambda t: t.ended_at),
        _grade(
            "grade", "Note /10", "Note du test : moyenne de ses engagements.", lambda t: t.grade
        ),
        *(
            _grade(
                f"grade_{code}",
                f"Note {code}",
                f"Note sur 10 du test pour l’engagement {code} : {label}.",
                _key_of("engagement_grades", code),
            )
            for code, label in data.engagements
        ),
    ]
    taken = {f.name for f in fixed}
    renamed = [_renamed(f, f"reponse_{f.name}") if f.name in taken else f for f in answers]
    return fixed + renamed


def _renamed(original: Field, name: str) -> Field:
    """An answer column whose question id is already a column's name."""
    return replace(original, name=name, title=name)


# --- figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    campaign_id: int
    year: int
    view: str
    figure: Figure


def figure_rows(data: BarometerData) -> Iterator[FigureRow]:
    """This campaign's figures, its change on last year, then the earlier years' figures."""
    here = (data.campaign_id, data.year)
    yield FigureRow(*here, "national", data.national)
    yield FigureRow(*here, "share_at_least_7", data.share_at_least_7)
    for view, figures in (
        ("engagement", data.by_engagement),
        ("network", data.by_network),
        ("region", data.by_region),
        ("channel", data.by_channel),
    ):
        for figure in figures:
            yield FigureRow(*here, view, figure)
    change = data.change
    if change is not None:
        label = f"Évolution de la note nationale sur {change.previous_year}"
        figure = Figure(
            str(change.previous_year),
            label,
            change.estimate,
            change.se,
            change.ci_low,
            change.ci_high,
            change.shared_sites,
            change.df,
            change.flags,
            "change",
        )
        yield FigureRow(*here, "change", figure)
    for year in sorted(data.evolution, key=lambda year: year.year):
        if year.campaign_id != data.campaign_id:
            yield FigureRow(year.campaign_id, year.year, "national", year.national)
            yield FigureRow(year.campaign_id, year.year, "share_at_least_7", year.share_at_least_7)


def figure_fields(level: float) -> list[Field]:
    interval = f"{level * 100:g} %"
    views = ["national", "share_at_least_7", "engagement", "network", "region", "channel"]
    return [
        Field(
            "campaign_id", "integer", "Campagne", "Numéro de la campagne.", lambda r: r.campaign_id
        ),
        Field("year", "integer", "Année", "Année de la campagne.", lambda r: r.year),
        Field(
            "view",
            "string",
            "Vue",
            "national = note nationale ; share_at_least_7 = part des sites à 7/10 ou plus ; "
            "engagement, network, region, channel = note d’un engagement, d’un réseau, d’une "
            "région, d’un canal ; change = évolution de la note nationale sur une année "
            "antérieure (écart en points).",
            lambda r: r.view,
            {"required": True, "enum": [*views, "change"]},
        ),
        _text(
            "key", "Clé", "Code de l’engagement, du canal, nom du réseau…", lambda r: r.figure.key
        ),
        _text("label", "Libellé", "Libellé du chiffre.", lambda r: r.figure.label),
        Field(
            "kind",
            "string",
            "Nature",
            "mean = note moyenne /10 ; share = part entre 0 et 1 ; change = écart de notes.",
            lambda r: r.figure.kind,
            {"enum": ["mean", "share", "change"]},
        ),
        Field(
            "estimate", "number", "Estimation", "Estimation pondérée.", lambda r: r.figure.estimate
        ),
        Field("se", "number", "Erreur type", "Erreur type de l’estimation.", lambda r: r.figure.se),
        Field(
            "ci_low",
            "number",
            "IC bas",
            f"Borne basse de l’intervalle à {interval}.",
            lambda r: r.figure.ci_low,
        ),
        Field(
            "ci_high",
            "number",
            "IC haut",
            f"Borne haute de l’intervalle à {interval}.",
            lambda r: r.figure.ci_high,
        ),
        Field(
            "n",
            "integer",
            "Sites",
            "Sites répondants sur lesquels repose le chiffre (change : sites communs aux deux "
            "années).",
            lambda r: r.figure.n,
        ),
        Field(
            "df",
            "integer",
            "ddl",
            "Degrés de liberté de l’intervalle de Student.",
            lambda r: r.figure.df,
        ),
        Field(
            "flags",
            "string",
            "Alertes",
            "Codes séparés par des espaces : small_sample (moins de sites que le minimum), "
            "boundary_proportion (part de 0 ou 1), no_degrees_of_freedom (pas d’intervalle), "
            "lonely_stratum (strate à un seul site répondant), no_data (aucun test).",
            lambda r: " ".join(r.figure.flags),
        ),
    ]
