"""What the app keeps in an image folder's project file (no Qt; run in a worker).

The canvas's keep and avoid regions (shared by every target) and the crops moved by hand per
target go to ``.cropstudio.json`` next to the image (:mod:`models.cropsets.project`, written
atomically), in fractions of the image, so that ``cropstudio batch`` and the view's own export
use them. Other fields of the file (focal point, content hashes, other images) are kept.

The workbench's own crop and aspect choice go to the same entry (schema version 2,
:class:`SavedCrop`), so reopening an image, in this run or a later one, gives back the crop
and layout the user left. Why the project file and not a per-user store: the crop travels with
the folder (copied to another machine, read by ``cropstudio batch``), and one file holds one
image's whole decision. The per-user store (:func:`write_saved` with ``store``, a folder under
``QStandardPaths.AppDataLocation`` chosen by the caller, one small JSON file per image keyed
by the SHA-256 of its bytes) is only the fallback: for a folder that cannot be written (a
read-only share, the app's own bundled samples) or whose project file this version cannot
read. Both files' schema is :mod:`models.cropsets.project`'s; this module only says what of a
``CropState`` goes there. The functions here run on one thread, that of the one writer of
these files, :class:`app.cropsets.project_files.ProjectFiles`: no lock is needed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

from app.editor.state import FREE, ORIGINAL, AspectChoice, CropState, ratio_choice, size_choice
from models.cropsets.project import (
    PROJECT_FILENAME,
    ImageEntry,
    load_project,
    read_store_entry,
    update_entry,
    write_store_entry,
)
from models.cropsets.regions import RelativeBox
from models.errors import CropStudioError, ExportError, InvalidInputError
from models.geometry import Box
from models.resources import resources_dir

__all__ = ["ImageSettings", "SavedCrop", "aspect_from_text", "aspect_text", "is_bundled", "project_path", "read_entry",
           "read_saved", "write_saved", "write_settings"]  # fmt: skip

log = logging.getLogger(__name__)

_SIZE_RE = re.compile(r"^(\d+)x(\d+)$")


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

    @classmethod
    def from_entry(cls, entry: ImageEntry) -> ImageSettings:
        return cls(entry.keep, entry.avoid, tuple(sorted(entry.overrides.items())))


def read_entry(source: Path) -> ImageEntry:
    """``source``'s entry in its folder's project file (empty when there is none).

    Raises InvalidInputError for a file that is not a readable project of this version.
    """
    return load_project(project_path(source)).entry(source)


def write_settings(source: Path, settings: ImageSettings) -> bool:
    """Store ``settings`` as ``source``'s in its folder's project file; whether it changed.

    No file is created for empty settings. Raises InvalidInputError when the file is not a
    readable project (it is never replaced then) and ExportError when it cannot be written.
    """
    path = project_path(source)

    def change(entry: ImageEntry) -> ImageEntry:
        return replace(entry, keep=settings.keep, avoid=settings.avoid, overrides=dict(settings.overrides))

    if not update_entry(path, source, change, create=not settings.is_empty()):
        return False
    log.debug("%s: regions and manual crops saved in %s", source.name, path)
    return True


# -- the workbench's crop ------------------------------------------------------------------------
def aspect_text(choice: AspectChoice) -> str:
    """How the project file names ``choice``: ``free``, ``original``, ``16:9`` or a size ``1200x628``."""
    if choice.kind in ("free", "original"):
        return choice.kind
    if choice.size is not None:
        return f"{choice.size[0]}x{choice.size[1]}"
    return str(choice.ratio)


def aspect_from_text(text: str) -> AspectChoice:
    """The choice :func:`aspect_text` wrote (InvalidInputError when unreadable)."""
    if text in ("free", "original"):
        return FREE if text == "free" else ORIGINAL
    if m := _SIZE_RE.match(text):
        return size_choice(int(m[1]), int(m[2]))
    return ratio_choice(text)


@dataclass(frozen=True, slots=True)
class SavedCrop:
    """One image's whole saved decision: regions and manual crops, the crop, the aspect choice."""

    settings: ImageSettings = ImageSettings()
    crop: RelativeBox | None = None
    aspect: str | None = None

    @classmethod
    def from_state(cls, state: CropState) -> SavedCrop:
        crop = _relative((state.box,), state.image_size) if state.box is not None else ()
        return cls(ImageSettings.from_state(state), crop[0] if crop else None, aspect_text(state.aspect))

    @classmethod
    def from_entry(cls, entry: ImageEntry) -> SavedCrop:
        return cls(ImageSettings.from_entry(entry), entry.crop, entry.aspect)

    def to_entry(self, entry: ImageEntry) -> ImageEntry:
        """``entry`` (other fields kept) holding this decision."""
        s = self.settings
        return replace(entry, keep=s.keep, avoid=s.avoid, overrides=dict(s.overrides), crop=self.crop,
                       aspect=self.aspect)  # fmt: skip

    def apply_to(self, state: CropState) -> CropState:
        """``state`` with this decision, in its image's pixels (an unreadable aspect is left as it was)."""
        state = self.settings.apply_to(state)
        if self.aspect is not None:
            try:
                state = state.with_(aspect=aspect_from_text(self.aspect))
            except CropStudioError:
                log.info("saved aspect %r not understood; ignored", self.aspect)
        if self.crop is not None:
            state = state.with_(box=self.crop.to_pixels(*state.image_size), extra=(), target=None)
        return state

    def is_empty(self) -> bool:
        return self.settings.is_empty() and self.crop is None


def is_bundled(source: Path) -> bool:
    """Whether ``source`` is one of the app's own files (samples): never written next to."""
    return _bundled(source)


def _bundled(source: Path) -> bool:
    """Whether ``source`` is one of the app's own files (samples): never written next to."""
    try:
        return source.resolve().is_relative_to(resources_dir().resolve())
    except OSError:
        return False


def _read_store(store: Path | None, source: Path) -> SavedCrop | None:
    entry = read_store_entry(store, source)
    return None if entry is None else SavedCrop.from_entry(entry)


def read_saved(source: Path, store: Path | None = None) -> tuple[SavedCrop, str | None]:
    """``source``'s saved decision and a warning (or ``None``): from its folder's project file,
    else from the per-user ``store`` (where a read-only folder's crops go). Never raises for an
    unreadable project file or store: the warning says why nothing came back."""
    warning = None
    found = SavedCrop()
    if not _bundled(source):
        try:
            found = SavedCrop.from_entry(load_project(project_path(source)).entry(source))
        except InvalidInputError as exc:
            warning = f"{source.name}: the project file cannot be used: {exc}"
    if found.crop is None:
        try:
            found = _read_store(store, source) or found
        except OSError as exc:  # the image itself cannot be read for its hash
            log.info("no saved crop of %s: %s", source.name, exc)
    return found, warning


def write_saved(source: Path, saved: SavedCrop, store: Path | None = None) -> str:
    """Store ``saved`` as ``source``'s: in its folder's project file, or where that cannot be
    written (or read), in the per-user ``store``. Returns where it went, ``"project"`` or
    ``"store"``; raises ExportError when neither can be written."""
    path = project_path(source)
    problem: CropStudioError | None = None
    if not _bundled(source):
        try:
            update_entry(path, source, saved.to_entry, create=not saved.is_empty())
            return "project"
        except (InvalidInputError, ExportError) as exc:
            problem = exc
    if store is None:
        raise problem or ExportError(f"{source.name}: no place to save its crop")
    try:
        write_store_entry(store, source, saved.to_entry(ImageEntry()))
    except (OSError, ExportError) as exc:
        raise ExportError(f"{source.name}: crop not saved ({problem or exc})") from None
    log.debug("%s: crop saved in the per-user store (%s)", source.name, problem or "bundled image")
    return "store"
