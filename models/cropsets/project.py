"""The per-folder project file: what a user decided about each image, kept across runs.

``.cropstudio.json`` in a source folder (or any path given with ``--project``) stores, per
image, its keep / avoid regions and manual focal point (relative coordinates, so they hold
at any resolution), the crops the user moved by hand for a target, the desktop app's own
crop and aspect choice for the image (version 2), and the content hash of the last run
(image bytes + settings) to tell what changed. Format, version 2::

    {
      "format": "cropstudio-project",
      "version": 2,
      "images": {
        "beach.jpg": {                       # path relative to the project file's folder
          "keep": [[0.5, 0.0, 1.0, 0.5]],    # x0, y0, x1, y1 in fractions of the upright image
          "avoid": [],
          "focal_point": [0.62, 0.4],        # x, y in fractions; null for none
          "overrides": {"square": [0.1, 0.0, 0.85, 1.0]},   # target name -> manual crop
          "content_hash": "sha256:...",      # written by the batch; null before the first run
          "crop": [0.05, 0.1, 0.9, 0.8],     # version 2: the app's crop, in fractions; null for none
          "aspect": "16:9"                   # version 2: "free", "original", "W:H" or a size "WxH"
        }
      }
    }

Every field of an image is optional. Version 2 only adds ``crop`` and ``aspect`` (the
workbench's state, which the batch does not use: they are not part of the content hash);
version 1 files load unchanged, and a file is written as version 1 while no image uses the
version-2 fields, so older Crop Studios keep reading it. Files are written atomically; a
file of an unknown version is refused with a message saying so (never guessed at).

The desktop app's per-user store (for images whose folder cannot be written) holds one entry
per image in the same schema, one small file per image named by the SHA-256 of its bytes::

    {"format": "cropstudio-saved-crop", "version": 1, "name": "beach.jpg", "entry": {...}}

This module owns both formats; :func:`update_entry` is the read-modify-write of one image's
entry. It takes no lock: the app has one writer of these files (its ``ProjectFiles`` service).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from models.export.atomic import write_text_atomically
from models.export.paths import require_regular_file
from models.readers import loads_bounded, read_text_file
from models.cropsets.regions import RelativeBox, RelativePoint
from models.errors import InvalidInputError

__all__ = ["PROJECT_FILENAME", "PROJECT_FORMAT", "PROJECT_VERSION", "READABLE_VERSIONS", "STORE_FORMAT", "ImageEntry",
           "Project", "content_hash", "file_digest", "load_project", "read_store_entry", "save_project",
           "update_entry", "write_store_entry"]  # fmt: skip

log = logging.getLogger(__name__)

PROJECT_FILENAME = ".cropstudio.json"
PROJECT_FORMAT = "cropstudio-project"
PROJECT_VERSION = 2  # the newest schema this module reads and writes
READABLE_VERSIONS = (1, 2)
_ENTRY_KEYS = frozenset({"keep", "avoid", "focal_point", "overrides", "content_hash", "crop", "aspect"})
_V2_KEYS = ("crop", "aspect")
_ASPECT_MAX = 40  # characters of an aspect text
STORE_FORMAT = "cropstudio-saved-crop"


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One image's settings: regions and focal point in fractions, manual crops by target name;
    ``crop`` and ``aspect`` are the desktop app's crop (fractions) and aspect text (version 2)."""

    keep: tuple[RelativeBox, ...] = ()
    avoid: tuple[RelativeBox, ...] = ()
    focal_point: RelativePoint | None = None
    overrides: Mapping[str, RelativeBox] = field(default_factory=dict)
    content_hash: str | None = None
    crop: RelativeBox | None = None
    aspect: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", dict(self.overrides))  # a copy: the caller's dict may change

    def settings(self) -> dict:
        """The entry as JSON data, without ``content_hash`` (what the hash is computed over)."""
        return {
            "keep": [list(b.as_tuple()) for b in self.keep],
            "avoid": [list(b.as_tuple()) for b in self.avoid],
            "focal_point": None if self.focal_point is None else list(self.focal_point.as_tuple()),
            "overrides": {name: list(b.as_tuple()) for name, b in sorted(self.overrides.items())},
        }

    def uses_version_2(self) -> bool:
        """Whether the entry has a field version 1 cannot hold."""
        return self.crop is not None or self.aspect is not None

    def to_json(self) -> dict:
        data = {**self.settings(), "content_hash": self.content_hash}
        if self.uses_version_2():
            data["crop"] = None if self.crop is None else list(self.crop.as_tuple())
            data["aspect"] = self.aspect
        return data

    @classmethod
    def from_json(cls, data: object, where: str) -> ImageEntry:
        if not isinstance(data, dict):
            raise InvalidInputError(f"{where} must be an object with keep, avoid, focal_point, overrides")
        unknown = sorted(set(data) - _ENTRY_KEYS)
        if unknown:
            raise InvalidInputError(f"{where}: unknown key {unknown[0]!r} (use {', '.join(sorted(_ENTRY_KEYS))})")
        boxes = {}
        for kind in ("keep", "avoid"):
            values = data.get(kind) or []
            if not isinstance(values, list):
                raise InvalidInputError(f"{where}: {kind} must be a list of [x0, y0, x1, y1]")
            boxes[kind] = tuple(RelativeBox.from_sequence(v, f"{where}: {kind} #{i}") for i, v in enumerate(values, 1))
        focal = data.get("focal_point")
        overrides = data.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise InvalidInputError(f"{where}: overrides must map target names to [x0, y0, x1, y1]")
        content_hash = data.get("content_hash")
        if content_hash is not None and not isinstance(content_hash, str):
            raise InvalidInputError(f"{where}: content_hash must be a string or null")
        crop, aspect = data.get("crop"), data.get("aspect")
        if aspect is not None and (not isinstance(aspect, str) or not aspect or len(aspect) > _ASPECT_MAX):
            raise InvalidInputError(f"{where}: aspect must be a short text such as \"16:9\", or null")
        return cls(
            keep=boxes["keep"],
            avoid=boxes["avoid"],
            focal_point=None if focal is None else RelativePoint.from_sequence(focal, f"{where}: focal_point"),
            overrides={str(k): RelativeBox.from_sequence(v, f"{where}: override {k!r}") for k, v in overrides.items()},
            content_hash=content_hash,
            crop=None if crop is None else RelativeBox.from_sequence(crop, f"{where}: crop"),
            aspect=aspect,
        )


@dataclass(frozen=True, slots=True)
class Project:
    """A project file's content; ``path`` is where it lives (it may not exist yet)."""

    path: Path
    images: Mapping[str, ImageEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "images", dict(self.images))

    def key(self, image: str | os.PathLike) -> str:
        """``image``'s key: its path relative to the project file's folder, with ``/``."""
        rel = os.path.relpath(Path(image).resolve(), self.path.resolve().parent)
        return Path(rel).as_posix()

    def entry(self, image: str | os.PathLike) -> ImageEntry:
        """The settings of ``image`` (empty ones when it has none)."""
        return self.images.get(self.key(image), ImageEntry())

    def with_entry(self, image: str | os.PathLike, entry: ImageEntry) -> Project:
        """A copy with ``image``'s entry replaced."""
        return replace(self, images={**self.images, self.key(image): entry})

    def to_json(self) -> dict:
        v2 = any(entry.uses_version_2() for entry in self.images.values())
        return {
            "format": PROJECT_FORMAT,
            "version": PROJECT_VERSION if v2 else 1,  # the oldest schema that holds it
            "images": {key: self.images[key].to_json() for key in sorted(self.images)},
        }


def load_project(path: str | os.PathLike) -> Project:
    """Read a project file; a missing file is an empty project at that path.

    Raises
    ------
    InvalidInputError
        Not JSON, not a Crop Studio project, another schema version, or a malformed entry.
    """
    path = Path(path)
    where = f"project file '{path}'"
    text = read_text_file(path, what=where)
    if text is None:
        return Project(path)
    try:
        data = loads_bounded(text, what=where)
    except ValueError as exc:
        raise InvalidInputError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != PROJECT_FORMAT:
        raise InvalidInputError(
            f"project file '{path}': not a Crop Studio project (no \"format\": \"{PROJECT_FORMAT}\")"
        )
    version = data.get("version")
    if type(version) is not int or version not in READABLE_VERSIONS:  # 1.0 and True are not versions
        raise InvalidInputError(
            f"project file '{path}' has schema version {version!r}; this Crop Studio reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))} (a newer file needs a newer Crop Studio)"
        )
    images = data.get("images") or {}
    if version == 1 and isinstance(images, dict):
        for k, v in images.items():
            if isinstance(v, dict) and (late := [key for key in _V2_KEYS if key in v]):
                raise InvalidInputError(f"project file '{path}': image {k!r}: {late[0]!r} needs schema version 2")
    if not isinstance(images, dict):
        raise InvalidInputError(f"project file '{path}': images must map file names to settings")
    entries = {str(k): ImageEntry.from_json(v, f"project file '{path}': image {k!r}") for k, v in images.items()}
    return Project(path, entries)


def save_project(project: Project) -> Path:
    """Write ``project`` to its path atomically (ExportError if that fails)."""
    text = json.dumps(project.to_json(), indent=2, ensure_ascii=False) + "\n"
    log.debug("saving project %s (%d images)", project.path, len(project.images))
    return write_text_atomically(project.path, text)


def file_digest(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """``sha256:<hex>`` of a regular file's bytes (OSError if it cannot be read; InvalidInputError
    for a FIFO, device or socket, refused before it is opened: reading one would never end)."""
    require_regular_file(path, "image")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return f"sha256:{h.hexdigest()}"


def content_hash(digest: str, settings: Mapping[str, object]) -> str:
    """``sha256:<hex>`` of an image's byte digest and its settings (any JSON data, key order ignored)."""
    text = json.dumps({"image": digest, "settings": settings}, sort_keys=True, separators=(",", ":"))
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def update_entry(path: str | os.PathLike, image: str | os.PathLike, change: Callable[[ImageEntry], ImageEntry],
                 *, create: bool = True) -> bool:  # fmt: skip
    """Replace ``image``'s entry of the project file at ``path`` by ``change(entry)``; whether the
    file changed. No file is created when ``create`` is false and there is none. Raises
    InvalidInputError when the file is not a readable project (it is never replaced then) and
    ExportError when it cannot be written."""
    path = Path(path)
    project = load_project(path)
    entry = project.entry(image)
    new = change(entry)
    if new == entry or (not create and not path.exists()):
        return False
    save_project(project.with_entry(image, new))
    return True


def _store_file(store: Path, source: str | os.PathLike) -> Path:
    return Path(store) / f"{file_digest(source).split(':', 1)[1]}.json"


def read_store_entry(store: Path | None, source: str | os.PathLike) -> ImageEntry | None:
    """``source``'s entry in the per-user ``store`` (None: none, or unreadable, logged). OSError
    when the image itself cannot be read for its hash."""
    if store is None or not Path(store).is_dir():
        return None
    name = Path(source).name
    try:
        data = json.loads(_store_file(store, source).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("saved crop of %s unreadable: %s", name, exc)
        return None
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT or data.get("version") != 1:
        return None
    try:
        return ImageEntry.from_json(data.get("entry"), f"saved crop of {name}")
    except InvalidInputError as exc:
        log.info("%s", exc)
        return None


def write_store_entry(store: Path, source: str | os.PathLike, entry: ImageEntry) -> Path:
    """Write ``entry`` as ``source``'s in the per-user ``store`` (created), atomically."""
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    data = {"format": STORE_FORMAT, "version": 1, "name": Path(source).name, "entry": entry.to_json()}
    return write_text_atomically(_store_file(store, source), json.dumps(data, indent=2) + "\n")
