"""Plain data types for frame files: the sites read, the rows refused, and the errors.

They live apart from the readers so that the CSV and XLSX helpers can share them without
import cycles; `sampling.frame` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FrameSite:
    """One eligible site as read from a frame file (DESIGN.md §3.3).

    `line` is the physical line (CSV) or row number (XLSX) where the record starts, so that a
    coordinator can find it in the spreadsheet. Text fields are trimmed but otherwise verbatim.
    """

    line: int
    site_id: str
    name: str
    network: str
    region: str
    department: str | None = None
    city: str | None = None
    postcode: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    size: float | None = None
    email: str | None = None
    phone: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    """A refused row: its physical line number and the reason, in French for the coordinator.

    `site_id` is what the row holds in its site_id column (None when empty), so that the
    coordinator can also find the site by its code.
    """

    line: int
    reason: str
    site_id: str | None = None


@dataclass
class FrameReadResult:
    """What `read_frame` found: good sites, refused rows and how the file was understood."""

    sites: list[FrameSite]
    rejected: list[Rejection]
    columns: list[str]
    encoding: str | None
    delimiter: str | None


class FrameFormatError(ValueError):
    """The whole file is refused; the message (French) says why."""


class FrameTooLargeError(FrameFormatError):
    """The file is larger than the allowed size; raised before any parsing."""
