"""The plain data the assignment optimiser takes and returns (no database, no web framework)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

VISIT = "visit"
#: Channels with no travel: the investigator works from home.
REMOTE_CHANNELS = frozenset({"phone", "email", "letter", "website"})


@dataclass(frozen=True, slots=True)
class Task:
    """One mission to give out: one test of one site through one channel."""

    id: int
    #: Stable site code; tasks of one site share its coordinates and commune.
    site: str
    channel: str
    #: Local date of the mission's window (checked against the investigator's unavailable days).
    day: date
    latitude: float | None = None
    longitude: float | None = None
    commune: str | None = None
    insee: str | None = None
    #: Already started: stays with this investigator, counted in their loads, never moved.
    locked_to: int | None = None

    @property
    def is_visit(self) -> bool:
        return self.channel == VISIT

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True, slots=True)
class Person:
    """An investigator as the optimiser sees them: home, skills, capacities, recent sites."""

    id: int
    latitude: float
    longitude: float
    commune: str
    insee: str | None = None
    channels: frozenset[str] = frozenset({VISIT, *REMOTE_CHANNELS})
    #: Tests per wave, all channels together.
    capacity: int = 0
    #: Visits per wave (a visit also counts in ``capacity``).
    visit_capacity: int = 0
    unavailable: frozenset[date] = frozenset()
    #: Site codes this person visited during the lockout waves before this one.
    recent_sites: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Rules:
    """The hard rules, each of which can be switched off (``remote_per_site=None`` for no limit)."""

    capacity: bool = True
    visit_capacity: bool = True
    channels: bool = True
    availability: bool = True
    same_site_in_wave: bool = True
    lockout: bool = True
    home_commune: bool = True
    #: At most this many remote tests (phone, email, letter, website) of one site per person.
    remote_per_site: int | None = 2


@dataclass(frozen=True, slots=True)
class Outcome:
    """Who takes what, what nobody can take and why, and how good the result is."""

    #: Task id → person id, including the locked tasks.
    assignments: dict[int, int]
    #: Task id → code of a rule that blocks it (``rules.PRIORITY`` lists them).
    unassignable: dict[int, str]
    #: Task id → the same reason in French, for people.
    reasons: dict[int, str]
    #: Geodesic home → site over the assigned visits with coordinates, in km.
    total_km: float
    mean_km: float
    #: Person id → tests (all channels) and visits given to them, locked ones included.
    load: dict[int, int]
    visit_load: dict[int, int]
    #: max / min of load / capacity over persons with capacity > 0 (1 is perfectly even;
    #: ``inf`` when one of them has nothing while another has work).
    fairness: float
    solve_seconds: float
    #: Optional figures about the run (stages, arcs, passes), for benchmarks and logs.
    stats: dict[str, float] = field(default_factory=dict)
