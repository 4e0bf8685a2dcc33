"""Test plans of a wave: how many tests of each channel a site gets, with per-network overrides.

A plan is stored as ``{"default": {channel: count}, "networks": {network: {channel: count}}}``;
a network's override replaces the default count of the channels it names and keeps the others.
The default per site is DOMAIN.md §6's: 2 visits, 9 calls, 10 emails, 3 letters, 1 website check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.models.investigator import CHANNEL_LABELS
from server.services.errors import Invalid
from survey_schemas import CHANNELS

DEFAULT_COUNTS: dict[str, int] = {"visit": 2, "phone": 9, "email": 10, "letter": 3, "website": 1}
#: Working days a site has to answer an email and a letter (DOMAIN.md §3, E09 and E10).
DEFAULT_REPLY_DAYS: dict[str, int] = {"email": 5, "letter": 15}
#: Reply delays a wave may set, in working days.
MIN_REPLY_DAYS, MAX_REPLY_DAYS = 1, 60
#: More tests than this per site and channel is surely a typing error.
MAX_PER_CHANNEL = 50


def _counts(raw: Any, where: str, errors: dict[str, list[str]]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        errors[where] = ["Un objet { canal : nombre } est attendu."]
        return {}
    counts: dict[str, int] = {}
    for channel, value in raw.items():
        if channel not in CHANNELS:
            errors.setdefault(where, []).append(
                f"Canal inconnu « {channel} » (attendu : {', '.join(CHANNELS)})."
            )
        elif isinstance(value, bool) or not isinstance(value, int):
            errors.setdefault(where, []).append(
                f"{CHANNEL_LABELS[channel]} : un nombre entier est attendu, pas « {value} »."
            )
        elif not 0 <= value <= MAX_PER_CHANNEL:
            errors.setdefault(where, []).append(
                f"{CHANNEL_LABELS[channel]} : {value} tests par site, hors de 0 à "
                f"{MAX_PER_CHANNEL}."
            )
        else:
            counts[channel] = value
    return counts


def normalise_plan(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored form of a plan, or ``Invalid`` naming every wrong count.

    Accepts ``None`` (the default plan), a flat ``{channel: count}`` (the default counts for
    every network) or the full ``{"default": …, "networks": {…}}`` form.
    """
    errors: dict[str, list[str]] = {}
    if raw is None:
        return {"default": dict(DEFAULT_COUNTS), "networks": {}}
    if not isinstance(raw, Mapping):
        raise Invalid("Plan de test invalide : un objet est attendu.", {"plan": ["Objet attendu."]})
    if "default" not in raw and "networks" not in raw:
        raw = {"default": raw}
    default = _counts(raw.get("default", DEFAULT_COUNTS), "plan.default", errors)
    networks: dict[str, dict[str, int]] = {}
    overrides = raw.get("networks") or {}
    if not isinstance(overrides, Mapping):
        errors["plan.networks"] = ["Un objet { réseau : { canal : nombre } } est attendu."]
        overrides = {}
    for network, counts in overrides.items():
        networks[str(network)] = _counts(counts, f"plan.networks.{network}", errors)
    if errors:
        raise Invalid("Plan de test invalide : voir le détail par canal.", errors)
    full = {channel: default.get(channel, 0) for channel in CHANNELS}
    if not any(full.values()) and not any(any(c.values()) for c in networks.values()):
        raise Invalid(
            "Plan de test vide : aucun test n’est prévu.", {"plan": ["Au moins un test."]}
        )
    return {"default": full, "networks": networks}


def counts_for(plan: Mapping[str, Any], network: str) -> dict[str, int]:
    """Tests per channel for a site of ``network``."""
    counts = dict(plan["default"])
    counts.update(plan.get("networks", {}).get(network, {}))
    return {channel: n for channel, n in counts.items() if n}


def normalise_reply_days(raw: Mapping[str, Any] | None) -> dict[str, int]:
    days = dict(DEFAULT_REPLY_DAYS)
    errors: list[str] = []
    for channel, value in (raw or {}).items():
        if channel not in DEFAULT_REPLY_DAYS:
            errors.append(f"Délai de réponse pour « {channel} » : seuls email et letter en ont.")
        elif (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not MIN_REPLY_DAYS <= value <= MAX_REPLY_DAYS
        ):
            errors.append(
                f"Délai de réponse « {channel} » : de {MIN_REPLY_DAYS} à {MAX_REPLY_DAYS} "
                "jours ouvrés."
            )
        else:
            days[channel] = value
    if errors:
        raise Invalid("Délais de réponse invalides.", {"reply_days": errors})
    return days
