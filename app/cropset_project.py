"""What the crop-set view keeps in an image folder's project file (no Qt; run in a worker).

The canvas's keep and avoid regions (shared by every target) and the crops moved by hand per
target go to ``.cropstudio.json`` next to the image (:mod:`models.cropsets.project`, written
atomically), in fractions of the image, so that ``cropstudio batch`` and the view's own export
use them. Other fields of the file (focal point, content hashes, other images) are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from app.state import CropState
from models.cropsets.project import PROJECT_FILENAME, load_project, save_project
from models.cropsets.regions import RelativeBox
from models.geometry import Box

__all__ = ["ImageSettings", "project_path", "read_settings", "write_settings"]

log = logging.getLogger(__name__)


def project_path(source: Path) -> Path:
    """The project file the batch reads for ``source``: ``.cropstudio.json`` in its folder."""
    return source.parent / PROJECT_FILENAME


def _relative(boxes: tuple[Box, ...], size: tuple[int, int]) -> tuple[RelativeBox, ...]:
    out = []
    for box in boxes:
        clipped = box.clipped(*size)
        if clipped.width > 0 and clipped.height > 0:
            out.append(RelativeBox.from_pixels(clipped, *size))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """One image's regions and manual crops (by target name), in fractions of the image."""

    keep: tuple[RelativeBox, ...] = ()
    avoid: tuple[RelativeBox, ...] = ()
    overrides: tuple[tuple[str, RelativeBox], ...] = ()

    @classmethod
    def from_state(cls, state: CropState) -> ImageSettings:
        size = state.image_size
        overrides = tuple((name, _relative((box,), size)) for name, box in state.overrides)
        return cls(_relative(state.keep, size), _relative(state.avoid, size),
                   tuple((name, rel[0]) for name, rel in overrides if rel))  # fmt: skip

    def apply_to(self, state: CropState) -> CropState:
        """``state`` with these regions and manual crops (in its image's pixels)."""
        w, h = state.image_size
        return state.with_(keep=tuple(b.to_pixels(w, h) for b in self.keep),
                           avoid=tuple(b.to_pixels(w, h) for b in self.avoid),
                           overrides=tuple((name, b.to_pixels(w, h)) for name, b in self.overrides))  # fmt: skip

    def is_empty(self) -> bool:
        return not (self.keep or self.avoid or self.overrides)


def read_settings(source: Path) -> ImageSettings:
    """``source``'s settings in its folder's project file (empty when there is none).

    Raises InvalidInputError for a file that is not a readable project of this version.
    """
    entry = load_project(project_path(source)).entry(source)
    return ImageSettings(entry.keep, entry.avoid, tuple(sorted(entry.overrides.items())))


def write_settings(source: Path, settings: ImageSettings) -> bool:
    """Store ``settings`` as ``source``'s in its folder's project file; whether it changed.

    No file is created for empty settings. Raises InvalidInputError when the file is not a
    readable project (it is never replaced then) and ExportError when it cannot be written.
    """
    path = project_path(source)
    project = load_project(path)
    entry = project.entry(source)
    new = replace(entry, keep=settings.keep, avoid=settings.avoid, overrides=dict(settings.overrides))
    if new == entry or (settings.is_empty() and not path.exists()):
        return False
    save_project(project.with_entry(source, new))
    log.debug("%s: regions and manual crops saved in %s", source.name, path)
    return True
