"""The hard rules of assignment: stable codes (DESIGN.md §3.10), French reasons, and the checks.

A :class:`Ledger` holds what each person already has in the wave; ``failures(task, i)`` lists
every rule that stops person ``i`` from taking one more task. The greedy baseline, the solver's
last repair pass and the explanation of unassignable tasks all ask the ledger, so the rules are
written once. :func:`blocking_rule` names, for a task nobody took, a rule that really blocks it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from server.services.assignment.model import Person, Rules, Task

NO_COORDINATES = "no_coordinates"
NO_CHANNEL = "no_channel"
CAPACITY = "capacity"
VISIT_CAPACITY = "visit_capacity"
REMOTE_PER_SITE = "remote_per_site"
AVAILABILITY = "availability"
SAME_SITE_IN_WAVE = "same_site_in_wave"
LOCKOUT = "lockout"
HOME_COMMUNE = "home_commune"

#: Every rule code, in the order a blocking rule is named when several qualify: a defect of the
#: data first, then skills, then the quantities a coordinator can raise, then the calendar, and
#: last the recognition rules, which are never to be lifted (so naming them is the last resort).
PRIORITY: tuple[str, ...] = (
    NO_COORDINATES,
    NO_CHANNEL,
    CAPACITY,
    VISIT_CAPACITY,
    REMOTE_PER_SITE,
    AVAILABILITY,
    SAME_SITE_IN_WAVE,
    LOCKOUT,
    HOME_COMMUNE,
)
#: Short French label of each rule (lists, filters, exports).
RULE_LABELS: dict[str, str] = {
    NO_COORDINATES: "Site sans coordonnées",
    NO_CHANNEL: "Compétence manquante",
    CAPACITY: "Capacité atteinte",
    VISIT_CAPACITY: "Quota de visites atteint",
    REMOTE_PER_SITE: "Tests à distance du site déjà attribués",
    AVAILABILITY: "Indisponibilité",
    SAME_SITE_IN_WAVE: "Site déjà visité dans la vague",
    LOCKOUT: "Site visité lors d’une vague récente",
    HOME_COMMUNE: "Commune de résidence",
}
#: The field of :class:`Rules` that switches each rule off (``no_coordinates`` has none).
RULE_FIELDS: dict[str, str] = {
    NO_CHANNEL: "channels",
    CAPACITY: "capacity",
    VISIT_CAPACITY: "visit_capacity",
    REMOTE_PER_SITE: "remote_per_site",
    AVAILABILITY: "availability",
    SAME_SITE_IN_WAVE: "same_site_in_wave",
    LOCKOUT: "lockout",
    HOME_COMMUNE: "home_commune",
}
#: Same labels as the server's ``CHANNEL_LABELS`` (repeated: this package imports no model).
CHANNEL_LABELS: dict[str, str] = {
    "visit": "Visite",
    "phone": "Appel",
    "email": "Courriel",
    "letter": "Courrier",
    "website": "Site internet",
}
#: A count no real capacity reaches: what "no limit" means when a rule is off.
UNLIMITED = 10**9

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—'’‘ʼ`´]+")


@lru_cache(maxsize=65536)
def normalise_commune(name: str) -> str:
    """Commune name for comparison: no accents, no case; spaces, hyphens, apostrophes as one space.

    "Saint-Étienne", "SAINT ETIENNE" and "saint  étienne" are one commune; œ and æ are spelt out.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    bare = bare.replace("œ", "oe").replace("æ", "ae")
    return _SEPARATORS.sub(" ", bare).strip()


def same_commune(
    commune_a: str | None, insee_a: str | None, commune_b: str | None, insee_b: str | None
) -> bool:
    """Same commune: by INSEE code when both are known, else by normalised name."""
    if insee_a and insee_b:
        return insee_a.strip().upper() == insee_b.strip().upper()
    if commune_a and commune_b:
        return normalise_commune(commune_a) == normalise_commune(commune_b)
    return False


def lift(rules: Rules, code: str) -> Rules:
    """The same rules with one switched off (``no_coordinates`` cannot be: it is returned as is)."""
    name = RULE_FIELDS.get(code)
    if name is None:
        return rules
    if code == REMOTE_PER_SITE:
        return dataclasses.replace(rules, remote_per_site=None)
    return dataclasses.replace(rules, **{name: False})


def reason(task: Task, code: str, rules: Rules | None = None) -> str:
    """The French sentence, for the coordinator, saying why nobody can take ``task``."""
    channel = CHANNEL_LABELS.get(task.channel, task.channel)
    per_site = (rules or Rules()).remote_per_site
    sentences = {
        NO_COORDINATES: "Site sans coordonnées : la distance de la visite ne peut pas être "
        "calculée",
        NO_CHANNEL: f"Aucun enquêteur disponible n’a la compétence « {channel} »",
        CAPACITY: "Capacité de tous les enquêteurs possibles atteinte",
        VISIT_CAPACITY: "Quota de visites de tous les enquêteurs possibles atteint",
        REMOTE_PER_SITE: f"Les enquêteurs possibles ont déjà {per_site} tests à distance "
        "de ce site dans la vague",
        AVAILABILITY: f"Aucun enquêteur possible n’est disponible le {task.day:%d/%m/%Y}",
        SAME_SITE_IN_WAVE: "Les enquêteurs possibles visitent déjà ce site dans la vague",
        LOCKOUT: "Les enquêteurs possibles ont visité ce site lors d’une vague récente",
        HOME_COMMUNE: "Les enquêteurs possibles habitent la commune du site"
        + (f" ({task.commune})" if task.commune else ""),
    }
    return sentences.get(code, RULE_LABELS.get(code, code))


class Ledger:
    """Loads of each person (by index in ``persons``) and the rules that cap them."""

    def __init__(self, persons: Sequence[Person], rules: Rules) -> None:
        self.persons = list(persons)
        self.rules = rules
        self.index = {p.id: i for i, p in enumerate(self.persons)}
        if len(self.index) != len(self.persons):
            raise ValueError("Deux enquêteurs ont le même identifiant.")
        n = len(self.persons)
        self.load = [0] * n
        self.visits = [0] * n
        self.site_visits: Counter[tuple[str, int]] = Counter()
        self.site_remote: Counter[tuple[str, int]] = Counter()

    def copy(self) -> Ledger:
        twin = Ledger.__new__(Ledger)
        twin.persons, twin.rules, twin.index = self.persons, self.rules, self.index
        twin.load, twin.visits = list(self.load), list(self.visits)
        twin.site_visits, twin.site_remote = Counter(self.site_visits), Counter(self.site_remote)
        return twin

    def add(self, task: Task, i: int) -> None:
        self.load[i] += 1
        if task.is_visit:
            self.visits[i] += 1
            self.site_visits[task.site, i] += 1
        else:
            self.site_remote[task.site, i] += 1

    def capacity_left(self, i: int) -> int:
        if not self.rules.capacity:
            return UNLIMITED
        return max(0, self.persons[i].capacity - self.load[i])

    def visits_left(self, i: int) -> int:
        """Visits person ``i`` may still take, counting their capacity for all channels."""
        left = self.capacity_left(i)
        if self.rules.visit_capacity:
            left = min(left, max(0, self.persons[i].visit_capacity - self.visits[i]))
        return left

    def site_remote_left(self, site: str, i: int) -> int:
        limit = self.rules.remote_per_site
        if limit is None:
            return UNLIMITED
        return max(0, limit - self.site_remote[site, i])

    def static_failures(self, task: Task, i: int) -> list[str]:
        """Rules that stop person ``i`` whatever the others are given."""
        person, rules = self.persons[i], self.rules
        failing = []
        if task.is_visit and not task.has_coordinates:
            failing.append(NO_COORDINATES)
        if rules.channels and task.channel not in person.channels:
            failing.append(NO_CHANNEL)
        if rules.availability and task.day in person.unavailable:
            failing.append(AVAILABILITY)
        if task.is_visit:
            if rules.lockout and task.site in person.recent_sites:
                failing.append(LOCKOUT)
            if rules.home_commune and same_commune(
                task.commune, task.insee, person.commune, person.insee
            ):
                failing.append(HOME_COMMUNE)
        return failing

    def load_failures(self, task: Task, i: int) -> list[str]:
        """Rules that stop person ``i`` given what they already have."""
        person, rules = self.persons[i], self.rules
        failing = []
        if rules.capacity and self.load[i] >= person.capacity:
            failing.append(CAPACITY)
        if task.is_visit:
            if rules.visit_capacity and self.visits[i] >= person.visit_capacity:
                failing.append(VISIT_CAPACITY)
            if rules.same_site_in_wave and self.site_visits[task.site, i] >= 1:
                failing.append(SAME_SITE_IN_WAVE)
        elif (
            rules.remote_per_site is not None
            and self.site_remote[task.site, i] >= rules.remote_per_site
        ):
            failing.append(REMOTE_PER_SITE)
        return failing

    def failures(self, task: Task, i: int) -> list[str]:
        return self.static_failures(task, i) + self.load_failures(task, i)

    def allows(self, task: Task, i: int) -> bool:
        return not self.load_failures(task, i) and not self.static_failures(task, i)


def blocking_rule(task: Task, ledger: Ledger) -> str | None:
    """A rule that really blocks ``task`` given the ledger, or None if someone could take it.

    For each person, the rules that fail for them are listed. A rule failing alone for some
    person really blocks the task: lift it and that person could take it; among such rules the
    first in :data:`PRIORITY` is named. When every person fails two rules or more, no single
    rule unblocks the task; the rule failing for the most persons is named (ties by priority),
    the closest there is to "the" obstacle. With no person at all, ``no_channel``.
    """
    if not ledger.persons:
        return NO_CHANNEL
    alone: set[str] = set()
    counts: Counter[str] = Counter()
    for i in range(len(ledger.persons)):
        failing = ledger.failures(task, i)
        if not failing:
            return None
        if len(failing) == 1:
            alone.add(failing[0])
        counts.update(failing)
    if alone:
        return next(code for code in PRIORITY if code in alone)
    return min(PRIORITY, key=lambda code: (-counts[code], PRIORITY.index(code)))


def explain(tasks: Iterable[Task], ledger: Ledger) -> dict[int, str | None]:
    """:func:`blocking_rule` of each task, computed once per kind of task (same site, channel,
    day, coordinates and commune give the same answer)."""
    answers: dict[tuple[object, ...], str | None] = {}
    named: dict[int, str | None] = {}
    for task in tasks:
        key = (task.site, task.channel, task.day, task.has_coordinates, task.commune, task.insee)
        if key not in answers:
            answers[key] = blocking_rule(task, ledger)
        named[task.id] = answers[key]
    return named
