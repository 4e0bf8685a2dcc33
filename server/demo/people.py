"""Demo investigators and staff accounts, deterministic from a seed.

Why: test assignment weighs travel distance from an investigator's home, capacity, channels and
the home-commune lockout, so the demo needs investigators spread over the whole country
(overseas included, where sites can only be visited by someone living there), a few who only
work remotely and a few inactive accounts. Homes are real towns from ``geography.json``. Same
random discipline as ``frame.py``: only ``random.Random.random()``, through ``DemoRandom``.
"""

from typing import Final, TypedDict

from server.demo.frame import OVERSEAS, DemoRandom, Department, Town, load_departments
from survey_schemas import CHANNELS

ALL_CHANNELS: Final = CHANNELS
REMOTE_CHANNELS: Final = tuple(c for c in CHANNELS if c != "visit")
DEMO_EMAIL_DOMAIN: Final = "demo.barometre.fr"


class StaffMember(TypedDict):
    email: str
    name: str
    role: str  # coordinator, analyst or admin (DOMAIN.md §2)


DEMO_STAFF: Final[tuple[StaffMember, ...]] = (
    {"email": "coordination@demo.barometre.fr", "name": "Claire Martin", "role": "coordinator"},
    {"email": "analyse@demo.barometre.fr", "name": "Julien Lefèvre", "role": "analyst"},
    {"email": "admin@demo.barometre.fr", "name": "Nadia Benali", "role": "admin"},
)

_FIRST_NAMES: Final = (
    "Camille",
    "Léa",
    "Hugo",
    "Mohamed",
    "Nadia",
    "Thomas",
    "Chloé",
    "Yasmine",
    "Julien",
    "Fatou",
    "Kévin",
    "Inès",
    "Mathieu",
    "Sophie",
    "Karim",
    "Élodie",
    "Nicolas",
    "Amandine",
    "Mamadou",
    "Aurélie",
    "Théo",
    "Manon",
    "Lucas",
    "Sarah",
    "Antoine",
    "Aïcha",
    "Jean-Pierre",
    "Marie-Laure",
    "Loïc",
    "Maëlle",
    "Youssef",
    "Céline",
    "Guillaume",
    "Samia",
    "Pierre",
    "Hélène",
    "Olivier",
    "Nathalie",
    "Rémi",
    "Marine",
    "Éric",
    "Isabelle",
    "Djibril",
    "Ophélie",
    "Linh",
    "Gaëlle",
    "François",
    "Zoé",
    "Bastien",
    "Leïla",
    "Anaïs",
    "Sébastien",
    "Agnès",
    "Noémie",
    "Cédric",
)
_LAST_NAMES: Final = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Perrin",
    "Morin",
    "Clément",
    "Gauthier",
    "Fontaine",
    "Chevalier",
    "Nguyen",
    "Diallo",
    "Haddad",
    "Kerbrat",
    "Le Gall",
    "Etcheverry",
    "Santoni",
    "Schmitt",
    "Bouchard",
    "Traoré",
    "Benhamou",
    "Ferreira",
    "Da Silva",
    "Lemoine",
    "Brunet",
    "Carpentier",
    "Ozturk",
    "Pham",
)
# Overseas investigators live there: surnames common in those departments.
_OVERSEAS_LAST_NAMES: Final = {
    "971": ("Jean-Baptiste", "Lubin", "Bélénus", "Gustave"),
    "972": ("Céleste", "Joseph-Angélique", "Larcher", "Marie-Sainte"),
    "973": ("Pinas", "Lama", "Edwige", "Horth"),
    "974": ("Payet", "Hoarau", "Grondin", "Técher"),
    "976": ("Abdallah", "Madi", "Attoumani", "Ahamada"),
}
_OVERSEAS_SHARE: Final = 3 / 40
_INACTIVE_SHARE: Final = 3 / 40
_REMOTE_ONLY_SHARE: Final = 6 / 40


def _homes(
    rng: DemoRandom, departments: list[Department], count: int
) -> list[tuple[Department, Town]]:
    """Distinct home towns: a few overseas, the rest spread over every metropolitan region.

    Metropolitan regions get a share proportional to population, at least one each (largest
    remainder); inside a region, departments weigh their population and chefs-lieux count triple.
    """
    by_pop = sorted((d for d in departments if d.code in OVERSEAS), key=lambda d: -d.population)
    overseas_count = min(len(by_pop), max(2, round(count * _OVERSEAS_SHARE)), count)
    homes = [(d, rng.choice([d.prefecture, *d.sous_prefectures])) for d in by_pop[:overseas_count]]

    regions: dict[str, list[Department]] = {}
    for d in departments:
        if d.code not in OVERSEAS:
            regions.setdefault(d.region, []).append(d)
    remaining = count - len(homes)
    population = {r: sum(d.population for d in ds) for r, ds in regions.items()}
    total = sum(population.values())
    floor = 1 if remaining >= len(regions) else 0
    spare = remaining - floor * len(regions)
    quotas = {r: spare * p / total for r, p in population.items()}
    shares = {r: floor + int(q) for r, q in quotas.items()}
    by_remainder = sorted(quotas, key=lambda r: (-(quotas[r] - int(quotas[r])), r))
    for r in by_remainder[: remaining - sum(shares.values())]:
        shares[r] += 1

    for region, depts in regions.items():
        places = [
            (d, t) for d in depts for t in (d.prefecture, *d.sous_prefectures, *d.small_towns)
        ]
        # A department weighs its population whatever its number of towns; chef-lieu counts 3.
        weights = [
            d.population
            * (3.0 if t is d.prefecture else 1.0)
            / (3 + len(d.sous_prefectures) + len(d.small_towns))
            for d, t in places
        ]
        homes += rng.weighted_sample(places, weights, shares[region])
    return homes


def _unique_name(rng: DemoRandom, taken: set[str], last_names: tuple[str, ...]) -> str:
    """A first + last name not used yet (falls back to the full list when a short one runs dry)."""
    for pool in (last_names, _LAST_NAMES):
        for _ in range(50):
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(pool)}"
            if name not in taken:
                taken.add(name)
                return name
    raise RuntimeError("no free demo name left")


def generate_demo_investigators(seed: int = 2026, count: int = 40) -> list[dict[str, object]]:
    """``count`` investigators ``enqueteurNN@demo.barometre.fr``, identical for identical seeds.

    Keys: email, name, home_commune, home_latitude, home_longitude, capacity (tests per wave,
    300–480: a demo wave holds 15,000 tests for 40 people), visit_capacity (visits per wave,
    25–50, 0 for remote-only people), channels (subset of ``ALL_CHANNELS``), active. About 3
    in 40 are inactive and 6 in 40 work remotely only (no visit); overseas investigators are
    all active and do everything, as they are the only ones who can visit sites there.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = DemoRandom(seed)
    departments = load_departments()
    homes = _homes(rng, departments, count)
    overseas = [i for i, (d, _) in enumerate(homes) if d.code in OVERSEAS]
    metropolitan = [i for i in range(count) if i not in overseas]
    inactive = set(rng.sample(metropolitan, round(count * _INACTIVE_SHARE)))
    remote = set(rng.sample(metropolitan, round(count * _REMOTE_ONLY_SHARE)))
    order = sorted(range(count), key=lambda _: rng.random())  # mix regions across numbers

    width = max(2, len(str(count)))
    taken = {member["name"] for member in DEMO_STAFF}
    people: list[dict[str, object]] = []
    for number, i in enumerate(order, start=1):
        dept, town = homes[i]
        people.append(
            {
                "email": f"enqueteur{number:0{width}d}@{DEMO_EMAIL_DOMAIN}",
                "name": _unique_name(rng, taken, _OVERSEAS_LAST_NAMES.get(dept.code, _LAST_NAMES)),
                "home_commune": town.name,
                "home_latitude": town.latitude,
                "home_longitude": town.longitude,
                "capacity": rng.randint(300, 480),
                "visit_capacity": 0 if i in remote else rng.randint(25, 50),
                "channels": list(REMOTE_CHANNELS if i in remote else ALL_CHANNELS),
                "active": i not in inactive,
            }
        )
    return people
