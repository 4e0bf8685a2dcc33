"""Who takes which mission of a wave: a pure optimiser (plain dataclasses in and out).

No Flask, no SQLAlchemy: the server maps its rows to :class:`Task` and :class:`Person`, calls
:func:`solve` (or :func:`assign_greedy`, the baseline) and writes the :class:`Outcome` back.
"""

from server.services.assignment.greedy import assign_greedy
from server.services.assignment.model import REMOTE_CHANNELS, VISIT, Outcome, Person, Rules, Task
from server.services.assignment.rules import (
    CHANNEL_LABELS,
    PRIORITY,
    RULE_FIELDS,
    RULE_LABELS,
    Ledger,
    blocking_rule,
    lift,
    normalise_commune,
    reason,
    same_commune,
)
from server.services.assignment.solver import solve

__all__ = [
    "CHANNEL_LABELS",
    "PRIORITY",
    "REMOTE_CHANNELS",
    "RULE_FIELDS",
    "RULE_LABELS",
    "VISIT",
    "Ledger",
    "Outcome",
    "Person",
    "Rules",
    "Task",
    "assign_greedy",
    "blocking_rule",
    "lift",
    "normalise_commune",
    "reason",
    "same_commune",
    "solve",
]
