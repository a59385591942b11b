"""The export planner: what one output will be before anything is written.

:func:`plan_export` takes an output name (relative to an :class:`OutputFolder`), the crop's
size in source pixels and the size asked for, and decides: the real output size (bounded by
:data:`MAX_OUTPUT_SIDE` and :data:`MAX_OUTPUT_PIXELS`), the upscale factor, and whether the
file is created, replaced, or refused (it exists and overwriting was not asked; or it would
be upscaled and upscaling was not allowed). The result is a frozen :class:`ExportPlan` that
a GUI can show ("upscaled x4.0: allow?") and :func:`models.export.image.write_plan` carries out.

The upscale rule (one place): an output more than one pixel larger than its crop on a side
is an upscale; it is refused with :class:`UpscaleError` unless allowed, and then reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.errors import InfeasibleError, InvalidInputError
from models.export.folder import OutputFolder, safe_relative

__all__ = ["MAX_OUTPUT_PIXELS", "MAX_OUTPUT_SIDE", "Decision", "ExportPlan", "UpscaleError", "asked_size",
           "parse_output_size", "plan_export", "upscale_factor", "upscale_refusal"]  # fmt: skip

MAX_OUTPUT_SIDE = 30_000
"""Longest side of an exported file in pixels (WebP's own limit, 16383, is checked for .webp)."""
MAX_OUTPUT_PIXELS = 300_000_000
"""Most pixels of an exported file (the same limit as for reading, models.imaging.MAX_PIXELS)."""
_FORMAT_SIDE = {".webp": 16_383, ".jpg": 65_500, ".jpeg": 65_500}

Decision = Literal["create", "replace", "exists", "upscale-refused"]


class UpscaleError(InfeasibleError):
    """An output is larger than its crop allows, and upscaling was not allowed."""


def upscale_refusal(why: str, factor: float) -> UpscaleError:
    """The refusal's message: ``why`` and by how much (the crop-set and the crop command say the same)."""
    return UpscaleError(f"{why}; it would be upscaled x{factor:.2f} (--allow-upscale, or allow_upscale=True, "
                        "allows it)")  # fmt: skip


def upscale_factor(crop_size: tuple[int, int], output_size: tuple[int, int]) -> float | None:
    """How much ``crop_size`` is enlarged to ``output_size``; ``None`` when it is not an upscale
    (no side grows by more than one pixel: rounding a crop to whole pixels is not upscaling)."""
    (cw, ch), (ow, oh) = crop_size, output_size
    if ow <= cw + 1 and oh <= ch + 1:
        return None
    return max(ow / max(cw, 1), oh / max(ch, 1))


RATIO_SLACK = 0.01
"""An exact output size may differ from its crop's ratio by 1 % (rounding); more stretches it."""


def asked_size(crop_size: tuple[int, int], *, exact: tuple[int, int] | None = None,
               long_edge: int | None = None) -> tuple[int, int] | None:  # fmt: skip
    """The output size asked for a crop of ``crop_size``: ``exact``, or the crop scaled to a
    ``long_edge``, or ``None`` (the crop's own size). Whether that upscales is :func:`plan_export`'s.

    Raises InvalidInputError when ``exact`` has another ratio than the crop (it would stretch it).
    """
    w, h = max(1, int(crop_size[0])), max(1, int(crop_size[1]))
    if exact is not None:
        if abs((exact[0] / exact[1]) / (w / h) - 1) > RATIO_SLACK:
            raise InvalidInputError(f"the crop is {w}x{h} px; writing it at {exact[0]}x{exact[1]} would stretch it")
        return int(exact[0]), int(exact[1])
    if long_edge is not None:
        scale = long_edge / max(w, h)
        return max(1, round(w * scale)), max(1, round(h * scale))
    return None


def parse_output_size(text: str, *, what: str = "--size") -> tuple[int, int]:
    """``WxH`` -> ``(w, h)``, each side 1..MAX_OUTPUT_SIDE and at most MAX_OUTPUT_PIXELS in all."""
    parts = str(text).lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() and 0 < len(p.strip()) <= 9 for p in parts):
        raise InvalidInputError(f"{what} {text!r}: expected WxH in pixels, e.g. 1200x628")
    return check_output_size((int(parts[0]), int(parts[1])), what=f"{what} {text!r}")


def check_output_size(size: tuple[int, int], *, what: str = "output size", suffix: str = "") -> tuple[int, int]:
    """``size`` if it is within the documented bounds, else InvalidInputError saying which."""
    w, h = int(size[0]), int(size[1])
    side = min(MAX_OUTPUT_SIDE, _FORMAT_SIDE.get(suffix.lower(), MAX_OUTPUT_SIDE))
    if w < 1 or h < 1:
        raise InvalidInputError(f"{what}: sides must be at least 1 px, got {w}x{h}")
    if w > side or h > side:
        fmt = f" for {suffix} files" if side < MAX_OUTPUT_SIDE else ""
        raise InvalidInputError(f"{what}: the limit is {side} px a side{fmt}, got {w}x{h}")
    if w * h > MAX_OUTPUT_PIXELS:
        raise InvalidInputError(f"{what} is {w * h / 1e6:.0f} MP; the limit is {MAX_OUTPUT_PIXELS / 1e6:.0f} MP")
    return w, h


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """One output, decided: ``name`` relative to the folder, ``path`` absolute; ``crop_size`` the
    crop in source pixels, ``output_size`` the file's real size; ``upscale`` the factor when the
    file is larger than its crop; ``decision`` what happens; ``problem`` why, when refused."""

    folder: OutputFolder
    name: str
    path: Path
    crop_size: tuple[int, int]
    output_size: tuple[int, int]
    upscale: float | None
    decision: Decision
    overwrite: bool
    problem: str | None = None

    @property
    def refused(self) -> bool:
        return self.decision in ("exists", "upscale-refused")

    def raise_if_refused(self) -> None:
        """Raise the refusal (ExportError for an existing file, UpscaleError for an upscale)."""
        from models.export.folder import _exists

        if self.decision == "exists":
            raise _exists(self.path)
        if self.decision == "upscale-refused":
            raise UpscaleError(self.problem or "upscaling refused")


def plan_export(
    folder: OutputFolder, name: str, crop_size: tuple[int, int], output_size: tuple[int, int] | None = None, *,
    overwrite: bool = False, allow_upscale: bool = False, hidden: bool = False,
) -> ExportPlan:  # fmt: skip
    """Decide one output (see the module docstring). ``output_size`` ``None``: the crop's own size.

    Raises InvalidInputError for a name that leaves the folder or a size out of bounds.
    """
    rel = name if hidden else str(safe_relative(name))
    crop_size = (max(1, int(round(crop_size[0]))), max(1, int(round(crop_size[1]))))
    size = check_output_size(output_size or crop_size, suffix=Path(rel).suffix)
    factor = upscale_factor(crop_size, size)
    path = folder.root.joinpath(*rel.split("/"))
    decision: Decision = "create"
    problem = None
    if folder.exists(rel):
        decision = "replace" if overwrite else "exists"
    if factor is not None and not allow_upscale:
        decision = "upscale-refused"
        problem = str(upscale_refusal(f"the crop is {crop_size[0]}x{crop_size[1]} px, smaller than the "
                                      f"{size[0]}x{size[1]} output", factor))  # fmt: skip
    return ExportPlan(folder, rel, path, crop_size, size, None if factor is None else round(factor, 4), decision,
                      overwrite, problem)  # fmt: skip


def crop_size_of(box) -> tuple[int, int]:
    """The whole-pixel size a box is cut at (the export rounds its edges)."""
    r = box.rounded()
    return (max(1, int(r.x1 - r.x0)), max(1, int(r.y1 - r.y0)))

