"""Importing a campaign's site frame from the file the ministry sent.

Reading and checking the file is pure (``sampling.read_frame``); this module writes the good
rows: new sites are added, known ``site_id``s are updated in place, and nothing else changes.
A site's permanent random number is given once, the first time its code is ever seen (in any
campaign), and reused for ever after: panel rotation between years depends on it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from sampling import (
    FrameFormatError,
    FrameSite,
    FrameTooLargeError,
    Rejection,
    permanent_random_numbers,
    read_frame,
)
from sampling.opening_hours import OpeningHoursError, parse_opening_hours
from server.models import Campaign, Site, User
from server.models.types import utcnow
from server.services import audit
from server.services.errors import Invalid, ServiceError

#: Frame columns (French or English) that hold the weekly opening hours.
OPENING_HOURS_COLUMNS = ("horaires", "opening_hours", "horaires_ouverture")


class FileTooLarge(ServiceError):
    status = 413
    code = "too_large"


@dataclass
class ImportOutcome:
    imported: int = 0
    updated: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None


def _opening_hours(site: FrameSite) -> dict[str, list[list[str]]] | None:
    for column in OPENING_HOURS_COLUMNS:
        text = site.extra.get(column)
        if text:
            try:
                return parse_opening_hours(text)
            except OpeningHoursError:
                return None
    return None


def _existing_prns(session: Session, codes: Iterable[str]) -> dict[str, float]:
    """PRNs already given to these codes in any campaign (first one wins, they are all equal)."""
    known: dict[str, float] = {}
    code_list = list(codes)
    for start in range(0, len(code_list), 500):
        chunk = code_list[start : start + 500]
        rows = session.execute(
            select(Site.code, Site.permanent_random_number).where(Site.code.in_(chunk))
        )
        for code, prn in rows:
            known.setdefault(code, prn)
    return known


def _attributes(row: FrameSite) -> dict[str, object]:
    """The columns a frame row sets on its site (everything but identity and PRN)."""
    return {
        "name": row.name,
        "network": row.network,
        "region": row.region,
        "department": row.department,
        "city": row.city,
        "postcode": row.postcode,
        "address": row.address,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "size": row.size,
        "email": row.email,
        "phone": row.phone,
        "extra": dict(row.extra),
        "opening_hours": _opening_hours(row),
        "updated_at": utcnow(),
    }


def import_frame(
    session: Session,
    campaign: Campaign,
    data: bytes,
    filename: str,
    *,
    actor: User | None,
    max_bytes: int,
    prn_seed: int | None = None,
) -> ImportOutcome:
    """Read ``data`` and write its good rows into ``campaign``'s frame (flushed, not committed).

    ``prn_seed`` makes new permanent random numbers reproducible (the demo); by default they
    come from the operating system's random source.
    """
    try:
        result = read_frame(data, filename, max_bytes=max_bytes)
    except FrameTooLargeError as error:
        raise FileTooLarge(str(error)) from None
    except FrameFormatError as error:
        raise Invalid(str(error)) from None

    outcome = ImportOutcome(
        rejected=list(result.rejected), encoding=result.encoding, delimiter=result.delimiter
    )
    current = dict(
        session.execute(select(Site.code, Site.id).where(Site.campaign_id == campaign.id)).all()
    )
    new_codes = [row.site_id for row in result.sites if row.site_id not in current]
    prns = _existing_prns(session, new_codes)
    missing = [code for code in new_codes if code not in prns]
    if prn_seed is not None:
        prns.update(permanent_random_numbers(missing, prn_seed))
    else:
        system = random.SystemRandom()
        prns.update({code: system.random() for code in missing})

    # ORM bulk statements: one executemany each instead of a unit of work per site, which is
    # what keeps a frame of 100,000 sites within a few times a bare insert (benchmarks/).
    added = [
        {
            **_attributes(row),
            "campaign_id": campaign.id,
            "code": row.site_id,
            "permanent_random_number": prns[row.site_id],
        }
        for row in result.sites
        if row.site_id not in current
    ]
    changed = [
        {**_attributes(row), "id": current[row.site_id]}
        for row in result.sites
        if row.site_id in current
    ]
    if added:
        session.execute(insert(Site), added)
    if changed:
        session.execute(update(Site), changed)
    outcome.imported, outcome.updated = len(added), len(changed)
    session.flush()
    audit.record(
        session,
        "frame.import",
        actor=actor,
        entity=campaign,
        filename=filename,
        imported=outcome.imported,
        updated=outcome.updated,
        rejected=len(outcome.rejected),
    )
    return outcome
