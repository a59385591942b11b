"""Numba kernel for the summed-area-table integrals of :class:`~models.constraints.terms.MapIntegral`.

The search evaluates every term on tens of thousands of candidates per request; the
bilinear lookups in the table are the hot loop (four per box and map, sixteen more for the
border term). One compiled pass per call replaces a dozen temporary numpy arrays.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _at(sat: np.ndarray, x: float, y: float, su: float, sv: float, m: int, n: int) -> float:
    u = min(max(x * su, 0.0), float(n))
    v = min(max(y * sv, 0.0), float(m))
    j = min(int(u), n - 1)
    i = min(int(v), m - 1)
    fu = u - j
    fv = v - i
    top = sat[i, j] * (1.0 - fu) + sat[i, j + 1] * fu
    bottom = sat[i + 1, j] * (1.0 - fu) + sat[i + 1, j + 1] * fu
    return top * (1.0 - fv) + bottom * fv


@njit(cache=True, nogil=True)
def box_mass(sat, x0, y0, x1, y1, su, sv):  # pragma: no cover - compiled
    """Mass of the map inside each box ``[x0, x1) x [y0, y1)`` (pixels; ``su, sv`` cells per pixel)."""
    m = sat.shape[0] - 1
    n = sat.shape[1] - 1
    out = np.empty(x0.shape[0])
    for k in range(x0.shape[0]):
        out[k] = (
            _at(sat, x1[k], y1[k], su, sv, m, n)
            - _at(sat, x0[k], y1[k], su, sv, m, n)
            - _at(sat, x1[k], y0[k], su, sv, m, n)
            + _at(sat, x0[k], y0[k], su, sv, m, n)
        )
    return out
