"""The seed's three rectangle problems on an attention map, solved exactly.

"Automatic Image Cropping: A Computational Complexity Study" (Chen et al.) asks, for an
attention map ``G`` of ``m x n`` cells and a fraction ``tau``:

* **P1** :meth:`RectangleSearch.smallest`: the smallest rectangle whose attention is
  ``>= tau * G.sum()`` (seed Alg. 1 + 2, O(m^2 n));
* **P2** :meth:`RectangleSearch.smallest_with_ratio`: the same among rectangles of a fixed
  aspect ratio (seed Alg. 3 + 4, O(mn));
* **P3** :meth:`RectangleSearch.two_with_ratio`: at most two disjoint rectangles of the
  ratio with the least total area (seed sec. 3.3 in O(m^2 n^2); ours is O(m^2 n), see
  :func:`models.attention._kernels.two_rects_fixed_shape`);
* **auto tau** :meth:`RectangleSearch.auto_tau`: fit ``area(tau) = tau ** gamma`` and take
  ``tau* = (1 + gamma) ** (-1 / gamma)`` (seed sec. 3.4).

Definitions we make exact where the seed leaves room
----------------------------------------------------
* Rectangles are non-empty (at least one cell). Ties in area go to the larger sum.
  ``tau = 0`` therefore gives the best single cell, and an all-zero map the first cell.
* Sums are exact: a float map is quantised once to integers (``2**24`` levels of its
  maximum; an integer map is used as is), and the threshold is
  ``ceil(Fraction(tau) * total)``, so ``tau = 1`` means *all* the attention, never "all but
  a rounding error".
* Allowed shapes of ratio ``r = w / h`` (in map cells): for ``r >= 1`` every height ``h``
  with width ``ceil(h * r)`` (the seed's Eq. 3); for ``r < 1`` every width ``w`` with
  height ``ceil(w / r)``. Rounding the *long* side keeps the ratio error below one cell of
  the long side (the seed rounds the width even when it is the short side).
  :func:`ratio_shapes` lists them.

Boxes come back in **map-cell coordinates** (``x0`` = first column, ``x1`` = one past the
last; see :mod:`models.geometry`); :mod:`models.attention.crop` maps them to image pixels.

Use it like segment-anything's predictor: build once per map (``O(mn)``: validation,
quantisation and the summed-area table), then query as often as a slider moves.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from models.attention import _kernels
from models.errors import InvalidInputError
from models.geometry import AspectRatio, Box

__all__ = ["AutoTau", "RectResult", "RectangleSearch", "ratio_shapes", "threshold_for"]

log = logging.getLogger(__name__)

QUANT_LEVELS = 1 << 24
AUTO_TAU_SAMPLES = tuple(np.round(np.linspace(0.1, 0.95, 10), 4))


@dataclass(frozen=True, slots=True)
class RectResult:
    """One answer: the rectangle(s) and what they keep.

    ``boxes`` are in map-cell coordinates; ``kept`` is the fraction of the map's attention
    inside them (``nan`` for an all-zero map) and ``area_fraction`` their share of the map.
    """

    boxes: tuple[Box, ...]
    tau: float
    kept: float
    area_fraction: float
    attention: int
    cells: int


@dataclass(frozen=True, slots=True)
class AutoTau:
    """The seed's automatic tau: ``gamma`` of the fit ``log area = gamma * log tau``."""

    tau: float
    gamma: float
    taus: tuple[float, ...]
    areas: tuple[float, ...]


def threshold_for(total: int, tau: float) -> int:
    """The least integer attention sum that keeps ``tau`` of ``total`` (exact).

    A float is a dyadic fraction ``num / den``, so ``ceil(tau * total)`` is integer arithmetic
    (the same value as ``ceil(Fraction(tau) * total)``, ten times faster).
    """
    num, den = float(tau).as_integer_ratio()
    return -((-num * total) // den)


def _ratio_fraction(ratio: float | Fraction | AspectRatio) -> Fraction:
    if isinstance(ratio, AspectRatio):
        return ratio.as_fraction()
    if isinstance(ratio, Fraction) and ratio > 0:
        return ratio
    try:
        r = float(ratio)
    except (TypeError, ValueError):
        raise InvalidInputError(f"aspect ratio must be a positive number, got {ratio!r}") from None
    if not (math.isfinite(r) and r > 0):
        raise InvalidInputError(f"aspect ratio must be a positive number, got {ratio!r}")
    return _float_fraction(r)


@functools.lru_cache(maxsize=256)
def _float_fraction(r: float) -> Fraction:
    return Fraction(r).limit_denominator(1_000_000)


@functools.lru_cache(maxsize=64)
def _cached_widths(rows: int, ratio: Fraction) -> np.ndarray:
    widths = _widths_for(rows, ratio)
    widths.flags.writeable = False
    return widths


def _widths_for(rows: int, ratio: Fraction) -> np.ndarray:
    """``widths[h] = ceil(h * ratio)`` for ``h = 0..rows`` (``ratio >= 1``), exactly."""
    h = np.arange(rows + 1, dtype=np.int64)
    return -((-h * ratio.numerator) // ratio.denominator)


def ratio_shapes(rows: int, cols: int, ratio: float | AspectRatio) -> list[tuple[int, int]]:
    """The allowed ``(height, width)`` shapes of ``ratio`` in a ``rows x cols`` map, by area."""
    r = _ratio_fraction(ratio)
    if r >= 1:
        widths = _widths_for(rows, r)
        return [(h, int(widths[h])) for h in range(1, rows + 1) if widths[h] <= cols]
    heights = _widths_for(cols, 1 / r)
    return [(int(heights[w]), w) for w in range(1, cols + 1) if heights[w] <= rows]


def _validate_tau(tau: float) -> float:
    try:
        t = float(tau)
    except (TypeError, ValueError):
        raise InvalidInputError(f"tau must be a number in [0, 1], got {tau!r}") from None
    if not (0.0 <= t <= 1.0):
        raise InvalidInputError(f"tau must be in [0, 1], got {tau!r}")
    return t


def _as_weights(attention: np.ndarray) -> np.ndarray:
    """Validate a map and return its exact integer weights ``(m, n)`` int64."""
    a = np.asarray(attention)
    if a.ndim != 2 or a.size == 0:
        raise InvalidInputError(f"attention map must be a non-empty 2-D array, got shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.int64)
    if np.issubdtype(a.dtype, np.integer):
        if a.min() < 0:
            raise InvalidInputError("attention map has negative values; attention must be >= 0")
        if int(a.max()) * a.size >= 1 << 62:
            a = a.astype(np.float64)  # too large to sum exactly: quantise like a float map
        else:
            return np.ascontiguousarray(a, dtype=np.int64)
    if not np.issubdtype(a.dtype, np.floating):
        raise InvalidInputError(f"attention map must be numeric, got dtype {a.dtype}")
    if not np.isfinite(a).all():
        raise InvalidInputError("attention map contains NaN or infinite values")
    if a.min() < 0:
        raise InvalidInputError("attention map has negative values; attention must be >= 0")
    peak = float(a.max())
    if peak == 0.0:
        return np.zeros(a.shape, np.int64)
    return np.rint(a.astype(np.float64) * (QUANT_LEVELS / peak)).astype(np.int64)


def _sat(weights: np.ndarray) -> np.ndarray:
    sat = np.zeros((weights.shape[0] + 1, weights.shape[1] + 1), np.int64)
    np.cumsum(np.cumsum(weights, axis=0), axis=1, out=sat[1:, 1:])
    return sat


class RectangleSearch:
    """Exact P1 / P2 / P3 searches on one attention map (see the module docstring).

    Parameters
    ----------
    attention : (m, n) array_like
        Non-negative, finite attention values (float or integer).

    Raises
    ------
    InvalidInputError
        For an empty or non-2-D map, NaN/inf or negative values.
    """

    def __init__(self, attention: np.ndarray) -> None:
        self._weights = _as_weights(attention)
        self._weights.flags.writeable = False
        self._sat = _sat(self._weights)
        self._sat.flags.writeable = False
        self._sat_t: np.ndarray | None = None
        self.total = int(self._sat[-1, -1])

    @property
    def shape(self) -> tuple[int, int]:
        return self._weights.shape  # type: ignore[return-value]

    @property
    def summed_area_table(self) -> np.ndarray:
        """``(m + 1, n + 1)`` int64, ``sat[i, j] = weights[:i, :j].sum()`` (read-only)."""
        return self._sat

    @property
    def weights(self) -> np.ndarray:
        """The exact integer map every search runs on (read-only), ``(m, n)`` int64."""
        return self._weights

    def _transposed_sat(self) -> np.ndarray:
        if self._sat_t is None:
            self._sat_t = np.ascontiguousarray(self._sat.T)
        return self._sat_t

    def _result(self, rects: list[tuple[int, int, int, int]], attention: int, tau: float, transposed: bool) -> RectResult:
        boxes = []
        for top, left, h, w in rects:
            if transposed:
                top, left, h, w = left, top, w, h
            boxes.append(Box(left, top, left + w, top + h))
        attention = int(attention)  # the kernels' exact sum over the boxes
        cells = sum(h * w for _, _, h, w in rects)
        m, n = self.shape
        kept = attention / self.total if self.total else math.nan
        return RectResult(tuple(boxes), tau, kept, cells / (m * n), attention, cells)

    # -- P1 -------------------------------------------------------------------------------
    def smallest(self, tau: float) -> RectResult:
        """P1: the smallest rectangle keeping at least ``tau`` of the attention (any ratio)."""
        tau = _validate_tau(tau)
        threshold = threshold_for(self.total, tau)
        m, n = self.shape
        transposed = m > n  # the scan is quadratic in the row count: make it the short side
        sat = self._transposed_sat() if transposed else self._sat
        top, left, h, w, attention = _kernels.smallest_rect(sat, threshold)
        return self._result([(int(top), int(left), int(h), int(w))], attention, tau, transposed)

    # -- P2 -------------------------------------------------------------------------------
    def _oriented(self, ratio: float | AspectRatio) -> tuple[np.ndarray, np.ndarray, bool]:
        r = _ratio_fraction(ratio)
        transposed = r < 1
        sat = self._transposed_sat() if transposed else self._sat
        if transposed:
            r = 1 / r
        return sat, _cached_widths(sat.shape[0] - 1, r), transposed

    def smallest_with_ratio(self, tau: float, ratio: float | AspectRatio) -> RectResult | None:
        """P2: the smallest rectangle of ``ratio`` (cells, w / h) keeping ``tau``; ``None``
        when no rectangle of that ratio fits the map or keeps that much."""
        tau = _validate_tau(tau)
        sat, widths, transposed = self._oriented(ratio)
        top, left, h, w, attention = _kernels.smallest_rect_fixed_shape(sat, widths, threshold_for(self.total, tau))
        if h == 0:
            return None
        return self._result([(int(top), int(left), int(h), int(w))], attention, tau, transposed)

    def max_kept_with_ratio(self, ratio: float | AspectRatio) -> float:
        """The largest fraction of attention any rectangle of ``ratio`` can keep (0 if none fits)."""
        shapes = ratio_shapes(*self.shape, ratio)
        if not shapes or self.total == 0:
            return 0.0
        h, w = shapes[-1]
        s = self._sat
        sums = s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]
        return float(sums.max()) / self.total

    def max_kept_two_with_ratio(self, ratio: float | AspectRatio, *, tolerance: float = 1e-3) -> float:
        """The largest fraction of attention two disjoint rectangles of ``ratio`` can keep,
        to within ``tolerance`` (bisection on P3; used for error messages)."""
        lo = 0.0
        if self.total == 0 or self.two_with_ratio(0.0, ratio) is None:
            return 0.0
        hi = 1.0
        if self.two_with_ratio(hi, ratio) is not None:
            return 1.0
        while hi - lo > tolerance:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if self.two_with_ratio(mid, ratio) is not None else (lo, mid)
        return lo

    # -- P3 -------------------------------------------------------------------------------
    def two_with_ratio(self, tau: float, ratio: float | AspectRatio) -> RectResult | None:
        """P3 (N = 2): at most two disjoint rectangles of ``ratio`` with the least total area
        keeping ``tau``; one box when one alone is best, ``None`` when none can."""
        tau = _validate_tau(tau)
        sat, widths, transposed = self._oriented(ratio)
        area, attention, r1, r2 = _kernels.two_rects_fixed_shape(sat, widths, threshold_for(self.total, tau))
        if area < 0:
            return None
        rects = [tuple(int(v) for v in r) for r in (r1, r2) if r[2] > 0]
        return self._result(rects, attention, tau, transposed)  # type: ignore[arg-type]

    # -- automatic tau --------------------------------------------------------------------
    def auto_tau(self, taus: tuple[float, ...] = AUTO_TAU_SAMPLES) -> AutoTau:
        """Seed sec. 3.4: fit ``log area(tau) = gamma log tau`` on ``taus`` (P1 areas, as
        fractions of the map), then ``tau* = (1 + gamma) ** (-1 / gamma)``.

        The fit goes through the origin (the model has ``area(1) = 1``); ``gamma`` is
        clamped to ``>= 1`` as the model requires (``gamma < 1`` means attention more spread
        than uniform, where the model's optimum is the uniform map's 0.5).
        """
        if not taus or any(not (0 < t < 1) for t in taus):
            raise InvalidInputError("auto-tau samples must lie strictly between 0 and 1")
        areas = tuple(self.smallest(t).area_fraction for t in taus)
        x = np.log(np.asarray(taus, dtype=np.float64))
        y = np.log(np.asarray(areas, dtype=np.float64))
        gamma = max(1.0, float(x @ y / (x @ x)))
        tau_star = (1.0 + gamma) ** (-1.0 / gamma)
        log.debug("auto tau: gamma=%.3f tau*=%.3f", gamma, tau_star)
        return AutoTau(tau=tau_star, gamma=gamma, taus=tuple(float(t) for t in taus), areas=areas)
