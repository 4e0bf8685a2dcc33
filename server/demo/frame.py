"""Demo site frame: about 650 plausible French public-service sites, deterministic from a seed.

Why: the demo and many tests need a frame that looks like what a ministry hands over (networks ×
regions, sizes, opening hours, French CSV habits) without shipping a real file. Places come from
``geography.json`` (real towns and coordinates); addresses, phones, e-mails, sizes are invented.

Determinism: every draw goes through ``random.Random.random()`` only: the algorithms behind
``choice``, ``shuffle``, ``sample`` and ``randint`` may change between Python versions, the stream
of ``random()`` for an integer seed does not. Standard library only.
"""

import csv
import itertools
import json
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

T = TypeVar("T")

FRAME_COLUMNS: Final = (
    "code_site",
    "nom",
    "reseau",
    "region",
    "departement",
    "commune",
    "code_postal",
    "adresse",
    "latitude",
    "longitude",
    "frequentation",
    "courriel",
    "telephone",
    "horaires",
)
NETWORKS: Final = (
    "Préfecture",
    "Sous-préfecture",
    "Service des impôts des particuliers",
    "Tribunal judiciaire",
    "DSDEN / Rectorat",
    "Bibliothèque universitaire",
    "France services",
)
PREFECTURE, SOUS_PREFECTURE, SIP, TRIBUNAL, EDUCATION, BU, FRANCE_SERVICES = NETWORKS

# How many sites of each kind are drawn (préfectures: all 101). Total 650, inside the barometer's
# historical ~600 and the 640–660 the demo aims for; ratios follow the brief, scaled down.
SITE_COUNTS: Final[Mapping[str, int]] = {
    "sous_prefectures": 157,
    "sip": 105,
    "tribunaux": 70,
    "dsden": 61,
    "rectorats": 10,
    "bu": 40,
    "france_services": 106,
}
MISSING_SIZE_RATE: Final = 0.03  # share of sites whose yearly visitors are unknown
OVERSEAS: Final = ("971", "972", "973", "974", "976")
_GEOGRAPHY_PATH: Final = Path(__file__).with_name("geography.json")


class DemoRandom:
    """Version-stable random helpers built only on ``random.Random.random()`` (see module doc)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def random(self) -> float:
        return self._rng.random()

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._rng.random()

    def randint(self, low: int, high: int) -> int:
        """Integer in [low, high], both ends included."""
        span = high - low + 1
        return low + min(int(self._rng.random() * span), span - 1)

    def chance(self, probability: float) -> bool:
        return self._rng.random() < probability

    def choice(self, items: Sequence[T]) -> T:
        if not items:
            raise IndexError("choice from an empty sequence")
        return items[self.randint(0, len(items) - 1)]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """k distinct items, in their original order (partial Fisher–Yates on indices)."""
        indices = list(range(len(items)))
        k = min(k, len(indices))
        for i in range(k):
            j = self.randint(i, len(indices) - 1)
            indices[i], indices[j] = indices[j], indices[i]
        return [items[i] for i in sorted(indices[:k])]

    def weighted_sample(self, items: Sequence[T], weights: Sequence[float], k: int) -> list[T]:
        """k distinct items drawn one by one with probability ∝ weight, in original order."""
        pool = list(range(len(items)))
        chosen: list[int] = []
        while pool and len(chosen) < k:
            target = self.random() * sum(weights[i] for i in pool)
            running = itertools.accumulate(weights[i] for i in pool)
            position = next((n for n, total in enumerate(running) if total > target), len(pool) - 1)
            chosen.append(pool.pop(position))
        return [items[i] for i in sorted(chosen)]


@dataclass(frozen=True)
class Town:
    """A real place from geography.json. ``large``: sous-préfecture town over ~25,000 people;
    ``tribunal``: seat of a real tribunal judiciaire, so that demo courts sit where courts are."""

    name: str
    postcode: str
    latitude: float
    longitude: float
    large: bool = False
    tribunal: bool = False
    address: str = ""


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    de_name: str  # "du Calvados", "de l’Ain": French needs the article to name its services
    region: str
    population: int
    prefecture: Town
    sous_prefectures: tuple[Town, ...]
    small_towns: tuple[Town, ...]


def load_geography() -> dict[str, Any]:
    """The raw geography document (regions, academies, departments), freshly parsed."""
    document: dict[str, Any] = json.loads(_GEOGRAPHY_PATH.read_text(encoding="utf-8"))
    return document


def _town(raw: Mapping[str, Any]) -> Town:
    """A Town from a JSON place; extra keys (university, domain, department) are left out."""
    return Town(**{key: raw[key] for key in Town.__dataclass_fields__ if key in raw})


def load_departments(geography: Mapping[str, Any] | None = None) -> list[Department]:
    """Typed view of the 101 departments, in official code order."""
    document = load_geography() if geography is None else geography
    places = ("sous_prefectures", "small_towns")
    return [
        Department(
            **{**d, "prefecture": _town(d["prefecture"])}
            | {key: tuple(map(_town, d[key])) for key in places}
        )
        for d in document["departments"]
    ]


def slug(text: str) -> str:
    """ASCII, lower-case, hyphenated form of a French name, for codes and e-mail addresses."""
    text = text.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"['’]", "", ascii_text.lower())
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def de_town(name: str) -> str:
    """French "of <town>": du Havre, des Andelys, d’Arles, de La Flèche."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    first = unicodedata.normalize("NFKD", name[:1])[:1].upper()
    return ("d’" if first in "AEIOUY" else "de ") + name


_GENERIC_STREETS: Final = (
    "rue de la République",
    "place du Général de Gaulle",
    "avenue Jean Jaurès",
    "boulevard Victor Hugo",
    "rue Pasteur",
    "rue Gambetta",
    "place de l’Hôtel de Ville",
    "rue du Maréchal Foch",
    "avenue de la Libération",
    "rue Carnot",
    "rue Nationale",
    "rue Jean Moulin",
    "avenue du 8 Mai 1945",
    "rue Victor Schœlcher",
    "cours Émile Zola",
)
_STREETS: Final[Mapping[str, tuple[str, ...]]] = {
    SOUS_PREFECTURE: ("rue de la Sous-Préfecture", "place de la Sous-Préfecture"),
    TRIBUNAL: ("place du Palais de Justice", "rue du Palais"),
    BU: ("avenue de l’Université", "allée du Campus", "rue des Facultés"),
    FRANCE_SERVICES: ("place de la Mairie", "rue de la Mairie", "place du Marché"),
}
# Weekly hours, variants separated by "|": préfectures open some afternoons only, France services
# on Saturday mornings, university libraries late and on weekends.
_HOURS: Final[Mapping[str, str]] = {
    PREFECTURE: "lun,mar,jeu,ven 08:30-12:00; mer 08:30-12:00,13:30-16:00"
    "|lun,mer,ven 08:45-12:00; mar,jeu 08:45-12:00,13:30-16:00"
    "|lun-jeu 09:00-12:30; ven 09:00-12:00,13:30-15:30",
    SOUS_PREFECTURE: "lun-ven 09:00-12:00|lun,mar,jeu,ven 08:30-12:00; mer 08:30-12:00,14:00-16:00",
    SIP: "lun-ven 08:30-12:00,13:30-16:00|lun,mar,jeu 08:45-12:00,13:30-16:00; mer,ven 08:45-12:00",
    TRIBUNAL: "lun-ven 08:30-12:00,13:30-17:00|lun-ven 09:00-12:00,14:00-17:00",
    EDUCATION: "lun-ven 09:00-12:00,14:00-17:00"
    "|lun-jeu 08:30-12:00,13:30-17:00; ven 08:30-12:00,13:30-16:00",
    BU: "lun-ven 08:00-22:00; sam 09:00-18:00|lun-ven 08:30-20:00; sam 09:00-13:00"
    "|lun-ven 08:00-19:00; sam 09:00-17:00; dim 13:00-19:00",
    FRANCE_SERVICES: "lun-ven 09:00-12:00,14:00-17:00; sam 09:00-12:00"
    "|lun,mar,jeu,ven 08:30-12:30,13:30-17:00; mer 08:30-12:30; sam 09:00-12:00"
    "|mar-ven 09:00-12:30,13:30-17:30; sam 09:00-12:00",
}
# Dialling zones: by department where it differs from the region (overseas, former Languedoc).
_PHONE_BY_DEPT: Final = {
    **dict.fromkeys(("11", "30", "34", "48", "66"), "04"),
    **{"971": "0590", "972": "0596", "973": "0594", "974": "0262", "976": "0269"},
}
_PHONE_ZONE: Final = {
    "Île-de-France": "01",
    "Bretagne": "02",
    "Normandie": "02",
    "Pays de la Loire": "02",
    "Centre-Val de Loire": "02",
    "Hauts-de-France": "03",
    "Grand Est": "03",
    "Bourgogne-Franche-Comté": "03",
    "Auvergne-Rhône-Alpes": "04",
    "Corse": "04",
    "Provence-Alpes-Côte d’Azur": "04",
    "Nouvelle-Aquitaine": "05",
    "Occitanie": "05",
}


def _phone(rng: DemoRandom, dept: Department) -> str:
    """Ten digits: "02 31 45 67 89" in metropolitan France, "0590 45 67 89" overseas."""
    zone = _PHONE_BY_DEPT.get(dept.code) or _PHONE_ZONE[dept.region]
    pairs = [rng.randint(10, 99)] + [rng.randint(0, 99) for _ in range(4 - len(zone) // 2)]
    return " ".join([zone, *(f"{pair:02d}" for pair in pairs)])


def _jitter(rng: DemoRandom, lat: float, lon: float, max_km: float = 1.2) -> tuple[float, float]:
    """Move a point by at most ``max_km`` so that sites in one town do not share coordinates."""
    distance = max_km * math.sqrt(rng.random())
    angle = 2 * math.pi * rng.random()
    dlat = distance * math.cos(angle) / 111.32
    dlon = distance * math.sin(angle) / (111.32 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


class _FrameBuilder:
    """Accumulates rows, keeps site codes unique, owns the random stream."""

    def __init__(self, seed: int) -> None:
        self.rng = DemoRandom(seed)
        self.rows: list[dict[str, str]] = []
        self._codes: set[str] = set()

    def add(
        self,
        code: str,
        nom: str,
        network: str,
        dept: Department,
        town: Town,
        courriel: str,
        size: tuple[int, int],
        address: str = "",
    ) -> None:
        rng = self.rng
        base, n = code.upper(), 2
        while code.upper() in self._codes:
            code, n = f"{base}-{n}", n + 1
        self._codes.add(code.upper())
        if not address:
            streets = _STREETS.get(network, ()) + _GENERIC_STREETS
            address = f"{rng.randint(1, 60)} {rng.choice(streets)}"
        lat, lon = _jitter(rng, town.latitude, town.longitude)
        visitors = "" if rng.chance(MISSING_SIZE_RATE) else str(10 * round(rng.uniform(*size) / 10))
        self.rows.append(
            {
                "code_site": code.upper(),
                "nom": nom,
                "reseau": network,
                "region": dept.region,
                "departement": dept.code,
                "commune": town.name,
                "code_postal": town.postcode,
                "adresse": address,
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "frequentation": visitors,
                "courriel": courriel,
                "telephone": _phone(rng, dept),
                "horaires": rng.choice(_HOURS[network].split("|")),
            }
        )


# Préfecture visitors by department population class: (population below, visitor range).
_PREFECTURE_SIZES: Final = (
    (250_000, (40_000, 80_000)),
    (600_000, (60_000, 120_000)),
    (1_200_000, (100_000, 180_000)),
    (10**12, (160_000, 250_000)),
)


def generate_demo_frame(seed: int = 2026) -> list[dict[str, str]]:
    """About 650 sites (rows keyed by ``FRAME_COLUMNS``), identical for identical seeds."""
    geography = load_geography()
    departments = load_departments(geography)
    by_code = {d.code: d for d in departments}
    b = _FrameBuilder(seed)
    rng = b.rng

    for d in departments:
        nom = "Préfecture de police de Paris" if d.code == "75" else f"Préfecture {d.de_name}"
        b.add(
            f"PREF-{d.code.zfill(3)}",
            nom,
            PREFECTURE,
            d,
            d.prefecture,
            f"pref-accueil@{slug(d.name)}.gouv.fr",
            next(size for limit, size in _PREFECTURE_SIZES if d.population < limit),
            d.prefecture.address,
        )

    sub = [(d, t) for d in departments for t in d.sous_prefectures]
    for d, t in rng.sample(sub, SITE_COUNTS["sous_prefectures"]):
        b.add(
            f"SPREF-{d.code.zfill(3)}-{slug(t.name)}",
            f"Sous-préfecture {de_town(t.name)}",
            SOUS_PREFECTURE,
            d,
            t,
            f"sp-{slug(t.name)}@{slug(d.name)}.gouv.fr",
            (5_000, 40_000),
        )

    # SIPs: in every chef-lieu (several in big departments: "Lyon 1", "Lyon 2"…) and large towns.
    sips = [
        (d, d.prefecture, f" {n}" if offices > 1 else "", 3.0 if n == 1 else 1.5)
        for d in departments
        for offices in [1 + sum(d.population >= p for p in (800_000, 1_200_000, 2_000_000))]
        for n in range(1, offices + 1)
    ] + [(d, t, "", 1.0) for d, t in sub if t.large]
    for d, t, number, _ in rng.weighted_sample(sips, [s[3] for s in sips], SITE_COUNTS["sip"]):
        label = t.name + number
        b.add(
            f"SIP-{d.code.zfill(3)}-{slug(label)}",
            f"{SIP} {de_town(label)}",
            SIP,
            d,
            t,
            f"sip.{slug(label)}@dgfip.finances.gouv.fr",
            (10_000, 80_000),
        )

    courts = [(d, t) for d, t in [(d, d.prefecture) for d in departments] + sub if t.tribunal]
    court_weights = [2.0 if t is d.prefecture else 1.0 for d, t in courts]
    for d, t in rng.weighted_sample(courts, court_weights, SITE_COUNTS["tribunaux"]):
        b.add(
            f"TJ-{d.code.zfill(3)}-{slug(t.name)}",
            f"{TRIBUNAL} {de_town(t.name)}",
            TRIBUNAL,
            d,
            t,
            f"accueil.tj-{slug(t.name)}@justice.fr",
            (5_000, 60_000),
        )

    academy_of = {code: a for a in geography["academies"] for code in a["departments"]}
    # Overseas departments and Paris are académies themselves: no separate DSDEN.
    dsden = [d for d in departments if d.code not in OVERSEAS and d.code != "75"]
    for d in rng.sample(dsden, SITE_COUNTS["dsden"]):
        b.add(
            f"DSDEN-{d.code.zfill(3)}",
            f"Direction des services départementaux de l’Éducation nationale {d.de_name}",
            EDUCATION,
            d,
            d.prefecture,
            f"ce.dsden{d.code.lower()}@ac-{academy_of[d.code]['slug']}.fr",
            (2_000, 15_000),
        )
    for a in rng.sample(geography["academies"], SITE_COUNTS["rectorats"]):
        label = str(a["label"])
        b.add(
            f"RECT-{slug(a['slug'])}",
            f"Rectorat de l’{label[0].lower()}{label[1:]}",
            EDUCATION,
            by_code[a["seat"]["department"]],
            _town(a["seat"]),
            f"ce.rectorat@ac-{a['slug']}.fr",
            (2_000, 15_000),
        )

    universities = [u for r in geography["regions"] for u in r["universities"]]
    for u in rng.sample(universities, SITE_COUNTS["bu"]):
        d, t = by_code[u["department"]], _town(u)
        b.add(
            f"BU-{d.code.zfill(3)}-{slug(t.name)}",
            f"{BU} {de_town(t.name)} — {u['university']}",
            BU,
            d,
            t,
            f"bu-{slug(t.name)}@{u['domain']}",
            (50_000, 600_000),
        )

    places = [(d, t) for d in departments for t in d.small_towns] + sub
    place_weights = [1.0] * (len(places) - len(sub)) + [0.35] * len(sub)
    for d, t in rng.weighted_sample(places, place_weights, SITE_COUNTS["france_services"]):
        b.add(
            f"FS-{d.code.zfill(3)}-{slug(t.name)}",
            f"{FRANCE_SERVICES} {t.name}",
            FRANCE_SERVICES,
            d,
            t,
            f"fs.{slug(t.name)}@france-services.gouv.fr",
            (1_000, 8_000),
        )
    return b.rows


_DECIMAL_COLUMNS: Final = ("latitude", "longitude", "frequentation")


def write_frame_csv(
    rows: Iterable[Mapping[str, str]], path: str | Path, *, french_excel: bool = False
) -> None:
    """Write rows under ``FRAME_COLUMNS`` (other keys are ignored).

    Default: UTF-8, ``,``. ``french_excel=True`` mimics a ministry's Excel export: Windows-1252,
    ``;`` separators, decimal commas, CRLF; characters outside cp1252 raise UnicodeEncodeError
    rather than being silently altered. The importer must read both.
    """
    encoding, delimiter = ("cp1252", ";") if french_excel else ("utf-8", ",")
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(FRAME_COLUMNS)
        for row in rows:
            values = [row.get(column, "") for column in FRAME_COLUMNS]
            if french_excel:
                values = [
                    v.replace(".", ",") if c in _DECIMAL_COLUMNS else v
                    for c, v in zip(FRAME_COLUMNS, values, strict=True)
                ]
            writer.writerow(values)
