"""Design-constraint items made from any annotated folder, the way the FLMS set was made.

The FLMS design-constraints set (seed sec. 4) pairs each expert crop with every one of
eight layout templates it contains, and takes the crop's own ratio as the required ratio.
:func:`constraint_items` does the same for any ``annotations.json`` folder, so methods can
be tuned on FCDB's training crops and FLMS stays untouched for evaluation.
"""

from __future__ import annotations

from models.eval.datasets import AnnotationSet, ConstraintItem
from models.geometry import Box

__all__ = ["TEMPLATES", "constraint_items"]

# Normalised layout templates, indexed as in FLMS' constraints.json: the four quadrants
# (top-left, top-right, bottom-right, bottom-left), then strips along the left, top, right
# and bottom sides (10 % deep, the middle 60 % long).
TEMPLATES: tuple[Box, ...] = (
    Box(0.0, 0.0, 0.5, 0.5),
    Box(0.5, 0.0, 1.0, 0.5),
    Box(0.5, 0.5, 1.0, 1.0),
    Box(0.0, 0.5, 0.5, 1.0),
    Box(0.0, 0.2, 0.1, 0.8),
    Box(0.2, 0.0, 0.8, 0.1),
    Box(0.9, 0.2, 1.0, 0.8),
    Box(0.2, 0.9, 0.8, 1.0),
)


def constraint_items(aset: AnnotationSet) -> tuple[ConstraintItem, ...]:
    """One item per (expert crop, template inside it), ratio taken from the crop in pixels."""
    items = []
    for image in aset.items:
        for c, crop in enumerate(image.crops):
            ratio = crop.width * image.width / (crop.height * image.height)
            for t, template in enumerate(TEMPLATES):
                if crop.contains(template, tol=1e-6):
                    items.append(ConstraintItem(f"{image.file.stem}-{c}-{t}", image.file, ratio, t, template, crop))
    return tuple(items)
