"""Sampling for the barometer: frame files, allocation, draws, panel rotation and estimation.

Pure Python (no web framework, no database): the server passes plain values in and stores
what comes out. See DESIGN.md §3.3–3.4.
"""

from sampling.allocation import AllocationRow, allocate, allocation_table
from sampling.draw import DrawResult, FrameUnit, SampledUnit, draw_sample, stratum_key
from sampling.estimation import (
    Estimate,
    estimate_difference,
    estimate_mean,
    estimate_proportion,
)
from sampling.frame import (
    FrameFormatError,
    FrameReadResult,
    FrameSite,
    FrameTooLargeError,
    Rejection,
    read_frame,
)
from sampling.prn import new_permanent_random_number, permanent_random_numbers, stratum_start
from sampling.rotation import PreviousDraw

__all__ = [
    "AllocationRow",
    "DrawResult",
    "Estimate",
    "FrameFormatError",
    "FrameReadResult",
    "FrameSite",
    "FrameTooLargeError",
    "FrameUnit",
    "PreviousDraw",
    "Rejection",
    "SampledUnit",
    "allocate",
    "allocation_table",
    "draw_sample",
    "estimate_difference",
    "estimate_mean",
    "estimate_proportion",
    "new_permanent_random_number",
    "permanent_random_numbers",
    "read_frame",
    "stratum_key",
    "stratum_start",
]
