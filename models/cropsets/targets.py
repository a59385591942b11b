"""Targets and named target sets: what sizes one image is cropped to.

A :class:`Target` is a name, a ratio and an optional exact output size. On the command line
a target is one spec, ``NAME [RATIO] [WIDTHxHEIGHT]`` (``square 1:1 1080x1080``,
``story 9:16 1080x1920``, ``link 1.91:1 1200x628``, ``ratio 3:2``): ratios are written with
``:`` or ``/`` (or as a number), sizes with ``x``; a size alone gives its own ratio.

A target set is a TOML file of ``[[target]]`` tables (format in the header of the bundled
files, ``resources/targets/*.toml``). :func:`load_target_set` takes a bundled set's name
(``social``, ``web``, ``print``) or a path to a user's file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from models.errors import InvalidInputError
from models.geometry import AspectRatio, parse_aspect
from models.export.planner import check_output_size
from models.readers import read_toml_file
from models.resources import resource_path

__all__ = ["RATIO_TOLERANCE", "Target", "TargetSet", "bundled_target_sets", "load_target_set",
           "parse_size", "parse_target", "read_target_file", "resolve_targets", "targets_dir"]  # fmt: skip

RATIO_TOLERANCE = 0.01
"""A target's ratio and size may disagree by this fraction (``1.91:1`` vs ``1200x628``)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SIZE_RE = re.compile(r"^\s*(\d{1,9})\s*[xX]\s*(\d{1,9})\s*$")
_TABLE_KEYS = frozenset({"name", "ratio", "size"})
_FILE_KEYS = frozenset({"description", "target"})


def targets_dir() -> Path:
    """Where the bundled target sets live (``NAME.toml``): ``resources/targets``."""
    return resource_path("targets")


def parse_size(text: str | tuple[int, int] | list[int], what: str = "size") -> tuple[int, int]:
    """``"1080x1350"`` (or ``[1080, 1350]``) -> ``(1080, 1350)``: positive pixels, each side at most
    MAX_OUTPUT_SIDE, within MAX_OUTPUT_PIXELS (:mod:`models.export.planner`)."""
    if isinstance(text, (tuple, list)):
        if len(text) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in text):
            raise InvalidInputError(f"{what} {text!r}: expected [width, height] in whole pixels")
        w, h = text
    else:
        match = _SIZE_RE.match(str(text))
        if not match:
            raise InvalidInputError(f"{what} {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1080x1350")
        w, h = int(match.group(1)), int(match.group(2))
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"{what} {w}x{h}: width and height must be at least 1 pixel")
    return check_output_size((w, h), what=f"{what} {w}x{h}")


@dataclass(frozen=True, slots=True)
class Target:
    """One output of a crop set.

    ``ratio`` is the crop's width : height; ``size`` the exact ``(width, height)`` of the
    exported file, or ``None`` to export the crop at its own pixel size. With a size, the
    crop is cut at the size's own ratio (:attr:`crop_ratio`) so that resizing never distorts.
    """

    name: str
    ratio: AspectRatio
    size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InvalidInputError(
                f"target name {self.name!r}: use 1-64 letters, digits, '-' or '_' (it goes into file names)"
            )
        if not isinstance(self.ratio, AspectRatio):
            raise InvalidInputError(f"target {self.name!r}: ratio must be an AspectRatio, got {self.ratio!r}")
        if self.size is not None:
            object.__setattr__(self, "size", parse_size(self.size, f"target {self.name!r}: size"))
            w, h = self.size
            if abs(w / h - self.ratio.value) > RATIO_TOLERANCE * self.ratio.value:
                raise InvalidInputError(
                    f"target {self.name!r}: size {w}x{h} has ratio {w / h:.4g}, not {self.ratio} "
                    f"({self.ratio.value:.4g}); make them agree within {RATIO_TOLERANCE:.0%} or give only the size"
                )

    @property
    def crop_ratio(self) -> float:
        """Width / height of the crop: the size's exact ratio when there is a size."""
        return self.size[0] / self.size[1] if self.size else self.ratio.value

    @property
    def crop_aspect(self) -> AspectRatio:
        """:attr:`crop_ratio` as a ratio in lowest terms (``1080x1350`` -> ``4:5``), for messages."""
        if self.size is None:
            return self.ratio
        g = math.gcd(*self.size)
        return AspectRatio(self.size[0] // g, self.size[1] // g)

    def spec(self) -> str:
        """The one-line spec that :func:`parse_target` reads back."""
        return f"{self.name} {self.ratio}" + (f" {self.size[0]}x{self.size[1]}" if self.size else "")


def _make(name: str, ratio: str | float | None, size: object, where: str) -> Target:
    if ratio is None and size is None:
        raise InvalidInputError(f"{where}: give a ratio (4:5), a size (1080x1350) or both")
    parsed_size = None if size is None else parse_size(size, f"{where}: size")  # type: ignore[arg-type]
    if ratio is None:
        aspect = Target(name, AspectRatio(*parsed_size), parsed_size).crop_aspect  # type: ignore[misc]
    else:
        try:
            aspect = parse_aspect(ratio)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}: {exc}") from None
    return Target(name, aspect, parsed_size)


def parse_target(text: str) -> Target:
    """Read ``NAME [RATIO] [WIDTHxHEIGHT]``: ``square 1:1 1080x1080``, ``ratio 3:2``, ``banner 1200x400``."""
    parts = str(text).split()
    where = f"target {text!r}"
    if not 2 <= len(parts) <= 3:
        raise InvalidInputError(f"{where}: expected NAME RATIO [WIDTHxHEIGHT], e.g. 'square 1:1 1080x1080'")
    name, rest = parts[0], parts[1:]
    sizes = [p for p in rest if _SIZE_RE.match(p)]
    ratios = [p for p in rest if not _SIZE_RE.match(p)]
    if len(sizes) > 1 or len(ratios) > 1:
        raise InvalidInputError(
            f"{where}: one ratio (with ':', e.g. 4:5) and at most one size (with 'x', e.g. 1080x1350)"
        )
    return _make(name, ratios[0] if ratios else None, sizes[0] if sizes else None, where)


@dataclass(frozen=True, slots=True)
class TargetSet:
    """A named, ordered set of targets with unique names."""

    name: str
    targets: tuple[Target, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not self.targets:
            raise InvalidInputError(f"target set {self.name!r} has no targets")
        seen: set[str] = set()
        for t in self.targets:
            if t.name in seen:
                raise InvalidInputError(f"target set {self.name!r}: two targets are named {t.name!r}")
            seen.add(t.name)


def bundled_target_sets() -> tuple[str, ...]:
    """Names of the target sets that ship with Crop Studio."""
    return tuple(sorted(p.stem for p in targets_dir().glob("*.toml")))


def _table(entry: object, index: int, where: str) -> Target:
    here = f"{where}: [[target]] #{index}"
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{here} must be a table with name, ratio and/or size")
    unknown = sorted(set(entry) - _TABLE_KEYS)
    if unknown:
        raise InvalidInputError(f"{here}: unknown key {unknown[0]!r} (use name, ratio, size)")
    name = entry.get("name")
    if not isinstance(name, str):
        raise InvalidInputError(f"{here}: 'name' is required and must be a string")
    ratio = entry.get("ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (str, int, float))):
        raise InvalidInputError(f"{here} ({name!r}): ratio must be a string like \"4:5\" or a number")
    try:
        return _make(name, ratio, entry.get("size"), f"{where}: target {name!r}")
    except InvalidInputError as exc:
        raise InvalidInputError(str(exc)) from None


def read_target_file(path: str | os.PathLike) -> TargetSet:
    """Read a TOML target-set file (format: ``resources/targets/social.toml``'s header)."""
    path = Path(path)
    where = f"target set '{path}'"
    data = read_toml_file(path, what=where)
    if data is None:
        raise InvalidInputError(f"{where}: no such file")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise InvalidInputError(f"{where}: unknown key {unknown[0]!r} (use description and [[target]] tables)")
    entries = data.get("target")
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError(f"{where}: no [[target]] tables")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InvalidInputError(f"{where}: description must be a string")
    targets = tuple(_table(e, i, where) for i, e in enumerate(entries, 1))
    return TargetSet(path.stem, targets, description)


def load_target_set(name_or_path: str | os.PathLike) -> TargetSet:
    """A bundled set by name (``social``) or a TOML file by path (a path that exists wins)."""
    text = os.fspath(name_or_path)
    path = Path(text)
    if path.exists() and not path.is_dir():  # a FIFO or device gets read_target_file's clear refusal
        return read_target_file(path)
    bundled = targets_dir() / f"{text}.toml"
    if _NAME_RE.match(text) and bundled.is_file():
        return read_target_file(bundled)
    names = ", ".join(bundled_target_sets()) or "none"
    raise InvalidInputError(f"unknown target set {text!r}: not a file, and not a bundled set ({names})")


def resolve_targets(sets: Sequence[str | os.PathLike] = (), specs: Sequence[str] = ()) -> tuple[Target, ...]:
    """The targets of the named sets / files, then the one-line ``specs``, in order; names must be unique."""
    targets = [t for s in sets for t in load_target_set(s).targets] + [parse_target(s) for s in specs]
    if not targets:
        raise InvalidInputError(
            "no targets: give --targets social (or web, print, a TOML file) or --target 'NAME RATIO [WxH]'"
        )
    seen: set[str] = set()
    for t in targets:
        if t.name in seen:
            raise InvalidInputError(f"two targets are named {t.name!r}: names must be unique across the sets given")
        seen.add(t.name)
    return tuple(targets)
