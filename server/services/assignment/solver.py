"""Assignment of a wave's missions to investigators by min-cost max-flow (OR-Tools, C++).

Two stages, each a min-cost max-flow (``flow.py``) that first assigns as many tasks as the
rules allow, then minimises its cost:

1. visits (``visits.py``): cost = geodesic metres from the investigator's home to the site,
   integer; same site at most once per person, visit capacity, capacity, skills, days,
   lockout and home commune respected;
2. remote tests (``remote.py``), with the capacity the visits left: no travel, a convex cost
   in load / capacity per person, so the total workload is spread fairly; at most
   ``remote_per_site`` tests of one site per person.

Visits go first because they are the scarce, costly tests (travel, opening hours) and their
placement is what distance optimises; remote tests are interchangeable and fill in around
them. A single network would have to weigh metres against balance; two stages keep both
objectives exact in their own terms. Locked tasks are counted before either stage and never
moved. Then ``wave.finish`` gives any task still assignable to someone (normally none), names
for each unassignable task a rule that really blocks it (``rules.blocking_rule``) and measures.

Pruning keeps large waves fast (3,000 sites, 75,000 tasks, 200 investigators): each site's
visits are linked to its ``nearest`` closest eligible persons and to greedy's picks (so the
result is never worse than greedy); remote tests get per-person quotas from a small network
grouped by (channel, day), then are placed site by site over a window of
``remote_candidates`` persons by a plain max-flow; sites left short are linked to everyone and
solved again. ``None`` links everyone from the start (exact, slower).
"""

from __future__ import annotations

from collections.abc import Sequence

from server.services.assignment.greedy import greedy_visits
from server.services.assignment.model import Outcome, Person, Rules, Task
from server.services.assignment.remote import solve_remote
from server.services.assignment.visits import solve_visits
from server.services.assignment.wave import finish, prepare

#: Closest eligible persons each site's visits are linked to before any fallback.
NEAREST = 30
#: Persons each site's remote tests are linked to before any fallback (raised to twice what
#: the site's tests need under ``remote_per_site``).
REMOTE_CANDIDATES = 16


def solve(
    tasks: Sequence[Task],
    persons: Sequence[Person],
    rules: Rules | None = None,
    *,
    nearest: int | None = NEAREST,
    remote_candidates: int | None = REMOTE_CANDIDATES,
) -> Outcome:
    """Assign ``tasks`` to ``persons`` under ``rules``: fewest unassignable, least travel for
    visits, fairest workload; deterministic for a given input."""
    wave = prepare(tasks, persons, rules or Rules())
    seed = greedy_visits(wave, wave.ledger.copy()) if nearest is not None else {}
    stats = solve_visits(wave, nearest=nearest, seed=seed)
    stats |= solve_remote(wave, candidates=remote_candidates)
    return finish(wave, stats)
