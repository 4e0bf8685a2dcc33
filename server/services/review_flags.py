"""Automatic quality flags of submitted reports (DOMAIN.md §6): what a reviewer should look at.

Pure rules over plain facts (``ReportFacts``; the rules that read several reports at once are in
``review_flags_across``); ``server.services.review_queue`` gathers the facts from the database
and computes the flags of a wave on demand. Each flag is a stable
``code`` (for programs and filters) and a French ``message`` with the numbers behind it. A flag
is a reason to look, never a verdict: the reviewer decides.

The rules and their default thresholds (``FlagSettings``):

``far_from_site``
    A visit whose position lies more than 500 m (geodesic) from the site's coordinates. The
    phone's accuracy is given in the message, not subtracted: the reviewer weighs it.
``outside_opening_hours``
    A visit whose start–end, in the site's time zone, does not fit in one opening interval of
    that weekday, with 5 minutes' grace each side (queuing at the door before it opens is
    normal); a closed day, or a visit running past midnight, is outside too. Unknown opening
    hours give no flag.
``implausible_duration``
    A visit shorter than 5 minutes or longer than 3 hours; a call shorter than 1 minute or
    longer than 2 hours. Emails, letters and website checks have no duration to judge.
``missing_evidence``
    A visit or a call without its start or end time; a visit without a position that the
    investigator did not decline to share; a photo answer naming a photo (SHA-256 or id) that
    is not stored on the report.
``too_close_in_time``
    Two visits of one investigator (across the campaign) whose gap, from the end of one to the
    start of the next, is shorter than driving between the two sites at 50 km/h as the crow
    flies; overlapping visits are always too close.
``duplicate_photo``
    A photo whose SHA-256 is also a photo of another (non-draft) report, in any campaign.
``duplicate_text``
    A free-text answer of at least 20 characters, once normalised (case, accents, spacing and
    punctuation ignored), found in another report of the campaign. Free text means a text
    question with no format pattern and room for at least 500 characters: a dialled number, an
    e-mail or postal address or a URL are legitimately the same across tests of a site.
``investigator_effect``
    An investigator whose test grades differ from the other investigators' on the same sites
    and channels by more than 2 points on average (each shared site and channel counts once:
    the investigator's mean grade there minus the others' mean grade there), over at least 3
    shared sites and channels. Submitted and approved reports with grades count. Every report
    of that investigator is flagged, since the bias is the person's, not the report's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.services.assignment.distance import geodesic_m
from server.services.review_flags_across import (
    Closeness,
    ContextFindings,
    context_findings,
)

FLAG_LABELS = {
    "far_from_site": "Loin du site",
    "outside_opening_hours": "Hors des horaires d’ouverture",
    "implausible_duration": "Durée invraisemblable",
    "missing_evidence": "Preuves manquantes",
    "too_close_in_time": "Visites trop rapprochées",
    "duplicate_photo": "Photo en double",
    "duplicate_text": "Texte en double",
    "investigator_effect": "Effet enquêteur",
}
#: Channels whose test has a start and end time to check.
TIMED_CHANNELS = frozenset({"visit", "phone"})
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Flag:
    code: str
    message: str

    @property
    def label(self) -> str:
        return FLAG_LABELS.get(self.code, self.code)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "message": self.message}


@dataclass(frozen=True)
class FlagSettings:
    max_distance_m: float = 500.0
    hours_grace: timedelta = timedelta(minutes=5)
    #: Channel → (shortest, longest) plausible test.
    durations: Mapping[str, tuple[timedelta, timedelta]] = field(
        default_factory=lambda: {
            "visit": (timedelta(minutes=5), timedelta(hours=3)),
            "phone": (timedelta(minutes=1), timedelta(hours=2)),
        }
    )
    travel_speed_kmh: float = 50.0
    min_text_length: int = 20
    #: A text question is free text when it has no pattern and room for this many characters.
    free_text_room: int = 500
    effect_max_gap: float = 2.0
    effect_min_units: int = 3


@dataclass(frozen=True)
class PhotoAnswer:
    question_label: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class ReportFacts:
    """What the rules read of one report, its mission and its site."""

    report_id: int
    investigator_id: int
    channel: str
    status: str
    site_id: int
    site_name: str
    time_zone: str = "Europe/Paris"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    location_declined: bool = False
    site_latitude: float | None = None
    site_longitude: float | None = None
    #: Weekday "0".."6" (0 = Monday) → ``[["HH:MM", "HH:MM"], …]``; None = unknown.
    opening_hours: Mapping[str, Sequence[Sequence[str]]] | None = None
    photos: tuple[PhotoAnswer, ...] = ()
    #: SHA-256 and ids (as text) of the photos stored on the report.
    stored_photos: frozenset[str] = frozenset()
    free_texts: tuple[str, ...] = ()
    #: Mean of the test's engagement grades (/10), None without any.
    grade: float | None = None


# --- French numbers and times ---------------------------------------------------------------


def number(value: float, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def duration_text(delta: timedelta) -> str:
    """« 45 s », « 12 min », « 3 h 05 »."""
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def _distance_text(metres: float) -> str:
    return f"{number(metres)} m" if metres < 10_000 else f"{number(metres / 1000, 1)} km"


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


# --- one report -----------------------------------------------------------------------------


def far_from_site(facts: ReportFacts, settings: FlagSettings) -> Flag | None:
    if facts.channel != "visit" or facts.latitude is None or facts.longitude is None:
        return None
    if facts.site_latitude is None or facts.site_longitude is None:
        return None
    metres = geodesic_m(facts.latitude, facts.longitude, facts.site_latitude, facts.site_longitude)
    if metres <= settings.max_distance_m:
        return None
    accuracy = (
        f" (précision ± {number(facts.accuracy_m)} m)" if facts.accuracy_m is not None else ""
    )
    return Flag(
        "far_from_site",
        f"Position relevée à {_distance_text(metres)} du site{accuracy}, au-delà de "
        f"{number(settings.max_distance_m)} m.",
    )


def _clock(text: object) -> int | None:
    match = _HHMM.match(text.strip()) if isinstance(text, str) else None
    if match is None or int(match.group(2)) > 59:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def day_intervals(
    hours: Mapping[str, Sequence[Sequence[str]]], weekday: int
) -> list[tuple[int, int]]:
    """The weekday's opening intervals in minutes after midnight, merged; unreadable skipped."""
    spans = []
    for interval in hours.get(str(weekday)) or ():
        if isinstance(interval, str) or len(interval) != 2:
            continue
        start, end = _clock(interval[0]), _clock(interval[1])
        if start is not None and end is not None and start < end:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def outside_opening_hours(facts: ReportFacts, settings: FlagSettings) -> Flag | None:
    if facts.channel != "visit" or not facts.opening_hours:
        return None
    if facts.started_at is None or facts.ended_at is None:
        return None
    start = _local(facts.started_at, facts.time_zone)
    end = _local(facts.ended_at, facts.time_zone)
    day = _WEEKDAYS[start.weekday()]
    when = f"Visite du {day} {start:%d/%m/%Y} de {start:%H:%M} à {end:%H:%M} (heure du site)"
    if end.date() != start.date():
        return Flag(
            "outside_opening_hours",
            f"Visite commencée le {start:%d/%m/%Y à %H:%M} et finie le {end:%d/%m/%Y à %H:%M} "
            "(heure du site) : elle passe minuit.",
        )
    spans = day_intervals(facts.opening_hours, start.weekday())
    if not spans:
        return Flag("outside_opening_hours", f"{when} : le site est fermé le {day}.")
    grace = settings.hours_grace.total_seconds() / 60
    first = start.hour * 60 + start.minute + start.second / 60
    last = end.hour * 60 + end.minute + end.second / 60
    if any(low - grace <= first and last <= high + grace for low, high in spans):
        return None
    hours = ", ".join(f"{_hhmm(low)}–{_hhmm(high)}" for low, high in spans)
    return Flag("outside_opening_hours", f"{when}, hors des horaires de ce jour : {hours}.")


def implausible_duration(facts: ReportFacts, settings: FlagSettings) -> Flag | None:
    limits = settings.durations.get(facts.channel)
    if limits is None or facts.started_at is None or facts.ended_at is None:
        return None
    length = facts.ended_at - facts.started_at
    shortest, longest = limits
    test = "Visite" if facts.channel == "visit" else "Appel"
    if length < shortest:
        bound = f"moins de {duration_text(shortest)}"
    elif length > longest:
        bound = f"plus de {duration_text(longest)}"
    else:
        return None
    return Flag(
        "implausible_duration", f"{test} de {duration_text(length)} : {bound}, invraisemblable."
    )


def missing_evidence(facts: ReportFacts, settings: FlagSettings) -> Flag | None:
    missing = []
    if facts.channel in TIMED_CHANNELS:
        if facts.started_at is None:
            missing.append("heure de début")
        if facts.ended_at is None:
            missing.append("heure de fin")
    no_position = facts.latitude is None or facts.longitude is None
    if facts.channel == "visit" and no_position and not facts.location_declined:
        missing.append("position (ni relevée ni refusée par l’enquêteur)")
    for answer in facts.photos:
        absent = [ref for ref in answer.refs if ref not in facts.stored_photos]
        if absent:
            missing.append(
                f"{len(absent)} photo{'s' if len(absent) > 1 else ''} sur {len(answer.refs)} "
                f"non reçue{'s' if len(absent) > 1 else ''} pour « {answer.question_label} »"
            )
    if not missing:
        return None
    return Flag("missing_evidence", f"Manque : {' ; '.join(missing)}.")


PER_REPORT_RULES = (far_from_site, outside_opening_hours, implausible_duration, missing_evidence)


# --- formatting what the rules across reports found ------------------------------------


def _reports_text(ids: Sequence[int], most: int = 3) -> str:
    shown = ", ".join(f"n° {i}" for i in ids[:most])
    more = f" et {len(ids) - most} autre{'s' if len(ids) - most > 1 else ''}" if ids[most:] else ""
    return f"rapport{'s' if len(ids) > 1 else ''} {shown}{more}"


def _excerpt(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def _closeness_text(found: Closeness, settings: FlagSettings) -> str:
    which = "suivante" if found.later else "précédente"
    if found.gap < timedelta(0):
        reason = "les deux visites se chevauchent"
    else:
        reason = (
            f"{duration_text(found.gap)} entre les deux pour "
            f"{_distance_text(found.metres or 0.0)}, il en faut au moins "
            f"{duration_text(found.need)} à {number(settings.travel_speed_kmh)} km/h"
        )
    return f"visite {which} (rapport n° {found.other_id}, {found.other_site}) : {reason}"


def own_flags(
    facts: ReportFacts, photo_twins: Mapping[str, Sequence[int]], settings: FlagSettings
) -> list[Flag]:
    """The flags a report carries by itself (its rules, its photos found elsewhere): they
    change only when it or the photos do, so ``review_flags_cache`` keeps them."""
    flags = [flag for rule in PER_REPORT_RULES if (flag := rule(facts, settings))]
    if photo_twins:
        parts = [
            f"photo {sha[:12]}… aussi dans le {_reports_text(list(others))}"
            for sha, others in sorted(photo_twins.items())
        ]
        flags.append(Flag("duplicate_photo", _sentence(parts)))
    return flags


def shared_flags(
    facts: ReportFacts, findings: ContextFindings, settings: FlagSettings
) -> list[Flag]:
    """The flags a report carries against the others (see :class:`ContextFindings`)."""
    flags = []
    if findings.close.get(facts.report_id):
        parts = [_closeness_text(found, settings) for found in findings.close[facts.report_id]]
        flags.append(Flag("too_close_in_time", _sentence(parts)))
    if findings.texts.get(facts.report_id):
        parts = [
            f"« {_excerpt(text)} » aussi dans le {_reports_text(others)}"
            for text, others in findings.texts[facts.report_id]
        ]
        flags.append(Flag("duplicate_text", _sentence(parts)))
    if facts.investigator_id in findings.gaps:
        mean, units = findings.gaps[facts.investigator_id]
        side = "au-dessus" if mean > 0 else "au-dessous"
        flags.append(
            Flag(
                "investigator_effect",
                f"Notes de l’enquêteur en moyenne {number(abs(mean), 1)} points {side} de "
                f"celles des autres enquêteurs sur {units} sites et canaux en commun (seuil : "
                f"{number(settings.effect_max_gap, 1)} points sur au moins "
                f"{settings.effect_min_units}).",
            )
        )
    return flags


def in_order(flags: Iterable[Flag]) -> list[Flag]:
    """Flags in the order of ``FLAG_LABELS``."""
    order = list(FLAG_LABELS)
    return sorted(flags, key=lambda f: order.index(f.code))


def evaluate(
    targets: Iterable[ReportFacts],
    context: Iterable[ReportFacts],
    photo_twins: Mapping[int, Mapping[str, Sequence[int]]],
    settings: FlagSettings | None = None,
) -> dict[int, list[Flag]]:
    """The flags of each target report, read against the ``context`` (the campaign's reports,
    targets included) and ``photo_twins`` (report id → SHA-256 → the other reports holding the
    same photo). Flags come in the order of ``FLAG_LABELS``."""
    settings = settings or FlagSettings()
    findings = context_findings(context, settings)
    return {
        facts.report_id: in_order(
            own_flags(facts, photo_twins.get(facts.report_id, {}), settings)
            + shared_flags(facts, findings, settings)
        )
        for facts in targets
    }


def _sentence(parts: Sequence[str]) -> str:
    text = " ; ".join(parts)
    return text[:1].upper() + text[1:] + "."
