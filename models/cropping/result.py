"""What a crop returns (:class:`CropResult`), its one violation checker and its one error."""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import InfeasibleError
from models.geometry import Box
from models.cropping.rule import LeftOut, cut_heads

__all__ = ["CropResult", "InfeasibleCropError", "violations"]


class InfeasibleCropError(InfeasibleError):
    """No crop satisfies the request; the message names the conflict."""


def _fmt(box: Box) -> str:
    return "({:g}, {:g}, {:g}, {:g})".format(*(round(v, 1) for v in box.as_tuple()))


def violations(box: Box, keep: tuple[Box, ...] = (), avoid: tuple[Box, ...] = (),
               heads: tuple[Box, ...] = (), tol: float = 0.5) -> tuple[str, ...]:  # fmt: skip
    """How ``box`` breaks a layout, for messages: keep regions it does not hold, avoid regions
    it meets, heads it cuts (:func:`models.cropping.rule.cut_heads`), each within ``tol`` px.
    The one checker every path (CLI, batch, GUI) reports through."""
    out = [f"cuts keep region #{i}" for i, k in enumerate(keep, 1) if not box.contains(k, tol=tol)]
    out += [f"meets avoid region #{i}" for i, a in enumerate(avoid, 1)
            if (inter := box.intersection(a)) is not None and min(inter.width, inter.height) > tol]  # fmt: skip
    out += [f"cuts head #{i + 1} {_fmt(heads[i])}" for i in cut_heads(box, heads, tol)]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class CropResult:
    """One crop: ``box`` in whole pixels of the upright image (half-open); ``boxes`` every
    crop when two regions were asked for (``box`` is the larger); ``score`` the method's
    (``None`` when it has none); ``violations`` what the crop breaks (empty unless the
    request allowed it: a head no crop can avoid cutting); ``notes`` fallbacks taken;
    ``left_out_heads`` the heads outside the crop, and why; ``details`` the method's own
    answer (the attention-rectangle method's :class:`~models.attention.AttentionCrop`)."""

    box: Box
    score: float | None = None
    violations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    left_out_heads: tuple[LeftOut, ...] = ()
    boxes: tuple[Box, ...] = ()
    details: object = None

    def as_json(self) -> dict:
        """The result as JSON-ready data (box as integers, heads left out with the reason)."""
        return {
            "box": [int(round(v)) for v in self.box.as_tuple()],
            "score": None if self.score is None else round(float(self.score), 6),
            "violations": list(self.violations),
            "notes": list(self.notes),
            "left_out_heads": [{"head": h.index + 1, "box": [int(round(v)) for v in h.box.as_tuple()],
                                "reason": h.reason} for h in self.left_out_heads],  # fmt: skip
        }
