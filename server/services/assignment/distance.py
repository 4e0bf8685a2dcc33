"""Geodesic distances on the WGS-84 ellipsoid, many at a time.

``geopy.distance.geodesic`` (Karney's algorithm, geographiclib) costs about 0.3 ms a pair here;
a wave needs sites × investigators pairs (600,000 for 3,000 sites and 200 investigators), so
the matrix is computed with Vincenty's inverse formula vectorised over numpy arrays, on the same
ellipsoid. Both solve the same geodesic problem: they agree to well under a millimetre except
for nearly antipodal points, where Vincenty does not converge and geopy's geodesic is used for
those pairs (the tests compare the two).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from geopy.distance import geodesic  # type: ignore[import-untyped]
from numpy.typing import NDArray

_A = 6378137.0  # WGS-84 semi-major axis (m)
_F = 1 / 298.257223563  # WGS-84 flattening
_B = _A * (1 - _F)
_ITERATIONS = 50
_TOLERANCE = 1e-12

Floats = NDArray[np.float64]


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """One geodesic distance in metres (geopy, reference implementation)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def distances_m(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """Geodesic distances in metres between arrays of points, pairwise (arrays broadcast)."""
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2))
    )
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    big_l = np.radians(lon2 - lon1)
    big_l = (big_l + math.pi) % (2 * math.pi) - math.pi
    u1 = np.arctan((1 - _F) * np.tan(phi1))
    u2 = np.arctan((1 - _F) * np.tan(phi2))
    sin_u1, cos_u1, sin_u2, cos_u2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    lam = big_l.copy()
    converged = np.zeros(lam.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(_ITERATIONS):
            sin_lam, cos_lam = np.sin(lam), np.cos(lam)
            sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
            cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
            sigma = np.arctan2(sin_sigma, cos_sigma)
            sin_alpha = np.where(sin_sigma == 0, 0.0, cos_u1 * cos_u2 * sin_lam / sin_sigma)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha == 0, 0.0, cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha)
            c = _F / 16 * cos2_alpha * (4 + _F * (4 - 3 * cos2_alpha))
            previous = lam
            lam = big_l + (1 - c) * _F * sin_alpha * (
                sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
            )
            converged = np.abs(lam - previous) < _TOLERANCE
            if converged.all():
                break
        u_sq = cos2_alpha * (_A**2 - _B**2) / _B**2
        a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
        b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
        delta = (
            b
            * sin_sigma
            * (
                cos_2sm
                + b
                / 4
                * (
                    cos_sigma * (-1 + 2 * cos_2sm**2)
                    - b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
                )
            )
        )
        result = np.where(sin_sigma == 0, 0.0, _B * a * (sigma - delta))
    bad = ~converged | ~np.isfinite(result)
    for row in np.argwhere(np.atleast_1d(bad)):
        index = tuple(row)
        result[index] = geodesic_m(lat1[index], lon1[index], lat2[index], lon2[index])
    return np.asarray(result, dtype=np.float64)


def distance_matrix(
    from_lat: Sequence[float],
    from_lon: Sequence[float],
    to_lat: Sequence[float],
    to_lon: Sequence[float],
) -> Floats:
    """Metres from each ``from`` point (rows) to each ``to`` point (columns)."""
    rows_lat = np.asarray(from_lat, dtype=np.float64)[:, None]
    rows_lon = np.asarray(from_lon, dtype=np.float64)[:, None]
    cols_lat = np.asarray(to_lat, dtype=np.float64)[None, :]
    cols_lon = np.asarray(to_lon, dtype=np.float64)[None, :]
    return distances_m(rows_lat, rows_lon, cols_lat, cols_lon)
