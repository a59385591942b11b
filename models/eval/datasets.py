"""Readers for the evaluation data sets (the ``../shared/data`` folder format).

A data set is a folder holding ``annotations.json`` (images with ground-truth crops,
optionally graded) and/or ``constraints.json`` (design-constraint items: an aspect ratio,
a layout box that must stay in frame and a ground-truth crop). Image paths in the files
are relative to the folder. Every box is ``[x0, y0, x1, y1]`` normalised to ``[0, 1]`` by
the image's width and height (see :mod:`models.geometry`), and is returned as a
:class:`~models.geometry.Box` in that normalised frame.

The readers only parse and validate: they do not open the images. An image that is
missing on disk is the evaluation runner's business (it is skipped and counted there), so
a folder with a few missing files can still be evaluated.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.errors import InvalidInputError
from models.geometry import Box
from models.readers import loads_bounded, read_text_file

__all__ = [
    "ANNOTATIONS_FILE",
    "CONSTRAINTS_FILE",
    "AnnotatedImage",
    "AnnotationSet",
    "ConstraintItem",
    "DatasetError",
    "load_annotations",
    "load_constraints",
]

log = logging.getLogger(__name__)

ANNOTATIONS_FILE = "annotations.json"
CONSTRAINTS_FILE = "constraints.json"
BOX_TOLERANCE = 1e-6
"""Normalised coordinates this far outside ``[0, 1]`` are rounding noise: clamped, not refused."""


class DatasetError(InvalidInputError):
    """A data-set folder or file is missing or malformed (the message names the item)."""


@dataclass(frozen=True, slots=True)
class AnnotatedImage:
    """One image with its ground-truth crops.

    ``file`` is absolute; ``width`` x ``height`` the original image's pixel size; ``crops``
    normalised boxes; ``scores`` one mean opinion score per crop (higher is better), or
    ``None`` when the set is not graded (then every crop is a good crop).
    """

    file: Path
    width: int
    height: int
    crops: tuple[Box, ...]
    scores: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class AnnotationSet:
    """The contents of an ``annotations.json``: the set's ``name`` and its images."""

    name: str
    folder: Path
    items: tuple[AnnotatedImage, ...]


@dataclass(frozen=True, slots=True)
class ConstraintItem:
    """One design-constraint item.

    ``aspect_ratio`` is the required crop's width / height **in pixels** of the image;
    ``layout_index`` the layout template (FLMS: 0..7, four quadrants then four side
    strips); ``layout_box`` the normalised region that must lie inside the crop; ``crop``
    the normalised ground-truth crop.
    """

    id: str
    file: Path
    aspect_ratio: float
    layout_index: int
    layout_box: Box
    crop: Box


# -- public readers ---------------------------------------------------------------------
def load_annotations(folder: str | os.PathLike, *, fix_inverted: bool = True) -> AnnotationSet:
    """Read ``folder/annotations.json``.

    Parameters
    ----------
    folder : str or os.PathLike
        A data-set folder in the ``../shared/data`` format.
    fix_inverted : bool
        Read a ground-truth crop whose corners are in the wrong order (``x0 > x1`` or
        ``y0 > y1``, all inside ``[0, 1]``) with its corners reordered, and log a warning.
        FLMS has two such crops (images 250 and 416); dropping them instead changes its
        full-image IoU by 0.0001. ``False`` makes them an error.

    Returns
    -------
    AnnotationSet
        The set's name (the file's ``name``, else the folder's name) and its images, in file
        order, with absolute image paths.

    Raises
    ------
    DatasetError
        The folder or the file is missing, the file is not JSON, or an image entry lacks a
        key or holds a bad value (a box outside ``[0, 1]`` or empty, an inverted box unless
        ``fix_inverted``, a non-positive size, scores that do not match the crops...).
    """
    root, data = _read_json(folder, ANNOTATIONS_FILE)
    entries = _list_field(data, "images", ANNOTATIONS_FILE)
    items = tuple(
        _annotated_image(root, entry, f"{ANNOTATIONS_FILE}: images[{i}]", fix_inverted)
        for i, entry in enumerate(entries)
    )
    name = data.get("name")
    name = name if isinstance(name, str) and name else root.name
    log.debug("%s: %d annotated images", root, len(items))
    return AnnotationSet(name=name, folder=root, items=items)


def load_constraints(folder: str | os.PathLike) -> tuple[ConstraintItem, ...]:
    """Read ``folder/constraints.json``.

    Parameters
    ----------
    folder : str or os.PathLike
        A data-set folder in the ``../shared/data`` format.

    Returns
    -------
    tuple of ConstraintItem
        In file order, with absolute image paths.

    Raises
    ------
    DatasetError
        The folder or the file is missing, the file is not JSON, or an item lacks a key or
        holds a bad value (a box outside ``[0, 1]`` or with ``x0 >= x1``, a non-positive
        aspect ratio, a negative layout index...).
    """
    root, data = _read_json(folder, CONSTRAINTS_FILE)
    entries = _list_field(data, "items", CONSTRAINTS_FILE)
    items = tuple(_constraint_item(root, entry, f"{CONSTRAINTS_FILE}: items[{i}]") for i, entry in enumerate(entries))
    log.debug("%s: %d constraint items", root, len(items))
    return items


# -- parsing helpers --------------------------------------------------------------------
def _read_json(folder: str | os.PathLike, filename: str) -> tuple[Path, Mapping]:
    root = Path(folder).expanduser()
    if not root.exists():
        raise DatasetError(f"data-set folder {root} does not exist")
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder (expected a data-set folder holding {filename})")
    root = root.resolve()
    path = root / filename
    if not path.exists():
        raise DatasetError(f"no {filename} in {root}")
    try:
        text = read_text_file(path, what=str(path))
        data = loads_bounded(text or "", what=str(path))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except InvalidInputError as exc:
        raise DatasetError(str(exc).replace("cannot read it (", "not valid JSON (", 1)) from None
    except ValueError as exc:  # a bound of models.readers
        raise DatasetError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return root, data


def _list_field(data: Mapping, key: str, where: str) -> list:
    if key not in data:
        raise DatasetError(f"{where} has no {key!r} list")
    value = data[key]
    if not isinstance(value, list):
        raise DatasetError(f"{where}: {key!r} must be a list, got {type(value).__name__}")
    return value


def _field(entry: object, key: str, where: str) -> object:
    if not isinstance(entry, dict):
        raise DatasetError(f"{where} must be a JSON object, got {type(entry).__name__}")
    if key not in entry:
        raise DatasetError(f"{where} is missing {key!r}")
    return entry[key]


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise DatasetError(f"{what} must be a positive integer, got {value!r}")
    return value


def _file(root: Path, value: object, what: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{what} must be a non-empty path string, got {value!r}")
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or os.path.isabs(value) or ".." in parts or "\0" in value:
        raise DatasetError(f"{what} {value!r} must be a path inside the data-set folder (relative, without '..')")
    return (root / value).resolve()


def _box(value: object, what: str, *, fix_inverted: bool = False) -> Box:
    """A normalised ``[x0, y0, x1, y1]``: inside ``[0, 1]`` (up to rounding noise), non-empty.

    With ``fix_inverted``, corners given in the wrong order (``x0 > x1`` or ``y0 > y1``) are
    reordered, with a warning; otherwise they are an error, as is an empty box.
    """
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 4:
        raise DatasetError(f"{what} must be a list of four numbers [x0, y0, x1, y1], got {value!r}")
    coords = [_number(v, what) for v in value]
    if any(v < -BOX_TOLERANCE or v > 1 + BOX_TOLERANCE for v in coords):
        raise DatasetError(f"{what} {list(value)} is outside [0, 1] (boxes are normalised by the image size)")
    x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in coords)
    if fix_inverted and (x0 > x1 or y0 > y1):
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        log.warning("%s %s has its corners in the wrong order: read as %s", what, list(value), [x0, y0, x1, y1])
    if x0 >= x1 or y0 >= y1:
        raise DatasetError(f"{what} {list(value)} is empty or inverted: need x0 < x1 and y0 < y1")
    return Box(x0, y0, x1, y1)


def _annotated_image(root: Path, entry: object, where: str, fix_inverted: bool) -> AnnotatedImage:
    file = _file(root, _field(entry, "file", where), f"{where}.file")
    width = _positive_int(_field(entry, "width", where), f"{where}.width")
    height = _positive_int(_field(entry, "height", where), f"{where}.height")
    raw_crops = _field(entry, "crops", where)
    if not isinstance(raw_crops, list) or not raw_crops:
        raise DatasetError(f"{where}.crops must be a non-empty list of boxes, got {raw_crops!r}")
    crops = tuple(_box(c, f"{where}.crops[{j}]", fix_inverted=fix_inverted) for j, c in enumerate(raw_crops))
    scores = None
    raw_scores = entry.get("scores")  # type: ignore[union-attr]  # _field checked it is a dict
    if raw_scores is not None:
        if not isinstance(raw_scores, list) or len(raw_scores) != len(crops):
            raise DatasetError(f"{where}.scores must be a list of {len(crops)} numbers, one per crop, got {raw_scores!r}")
        scores = tuple(_number(s, f"{where}.scores[{j}]") for j, s in enumerate(raw_scores))
    return AnnotatedImage(file=file, width=width, height=height, crops=crops, scores=scores)


def _constraint_item(root: Path, entry: object, where: str) -> ConstraintItem:
    raw_id = _field(entry, "id", where)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise DatasetError(f"{where}.id must be a string, got {raw_id!r}")
    file = _file(root, _field(entry, "file", where), f"{where}.file")
    aspect = _number(_field(entry, "aspect_ratio", where), f"{where}.aspect_ratio")
    if aspect <= 0:
        raise DatasetError(f"{where}.aspect_ratio must be positive (crop width / height in pixels), got {aspect!r}")
    layout_index = _field(entry, "layout_index", where)
    if isinstance(layout_index, bool) or not isinstance(layout_index, int) or layout_index < 0:
        raise DatasetError(f"{where}.layout_index must be a non-negative integer, got {layout_index!r}")
    layout_box = _box(_field(entry, "layout_box", where), f"{where}.layout_box")
    crop = _box(_field(entry, "crop", where), f"{where}.crop")
    return ConstraintItem(id=str(raw_id), file=file, aspect_ratio=aspect, layout_index=layout_index,
                          layout_box=layout_box, crop=crop)  # fmt: skip
