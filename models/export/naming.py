"""Output file names: a template such as ``{stem}_{target}_{w}x{h}`` plus the format's suffix.

Placeholders: ``{stem}`` (source file name without suffix), ``{target}`` (target name),
``{w}`` and ``{h}`` (output size in pixels), ``{ratio}`` (the target's ratio as ``4x5``) and
``{parent}`` (the source's folder name). ``/`` makes subfolders of the output folder; a name
may not leave it. Placeholders take no format spec or conversion (``{stem:>9}``, ``{w!r}``):
a spec's fill character could be ``/``. A rendered name is checked by
:func:`models.export.folder.safe_relative` (relative, no ``..``, no hidden parts).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from typing import Protocol

from models.errors import InvalidInputError
from models.export.paths import safe_relative
from models.geometry import AspectRatio

__all__ = ["DEFAULT_TEMPLATE", "FORMATS", "OutputNameError", "OutputNaming", "parse_template", "render_template"]

DEFAULT_TEMPLATE = "{stem}_{target}_{w}x{h}"
FORMATS: dict[str, str] = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "tiff": ".tif"}
"""Output format -> file suffix (the suffix decides the format in export_crop)."""
_FIELDS = ("stem", "target", "w", "h", "ratio", "parent")
MAX_TEMPLATE = 200  # characters of a template


class NamedTarget(Protocol):
    """What naming needs of a target (:class:`models.cropsets.targets.Target` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def ratio(self) -> AspectRatio: ...


class OutputNameError(InvalidInputError):
    """A template gives an unusable name for one image (e.g. a hidden file or '..')."""


@dataclass(frozen=True, slots=True)
class OutputNaming:
    """How outputs are named: ``template`` with the placeholders above, ``format`` a key of FORMATS."""

    template: str = DEFAULT_TEMPLATE
    format: str = "jpeg"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InvalidInputError(f"format {self.format!r}: use one of {', '.join(FORMATS)}")
        parse_template(self.template)

    @property
    def needs_size(self) -> bool:
        """Whether names use the output size (then an unsized target's name waits for its crop)."""
        return "{w}" in self.template or "{h}" in self.template

    def name(self, source: Path, target: NamedTarget, size: tuple[int, int] | None) -> str:
        """The output's path relative to the output folder, with ``/`` separators."""
        w, h = size if size is not None else ("?", "?")
        ratio = f"{target.ratio.width:g}x{target.ratio.height:g}"
        values = dict(stem=source.stem, target=target.name, w=w, h=h, ratio=ratio, parent=source.resolve().parent.name)
        return render_template(self.template, values, FORMATS[self.format])


def render_template(template: str, values: dict[str, object], suffix: str, *,
                    fields: tuple[str, ...] = _FIELDS) -> str:  # fmt: skip
    """The one template renderer: ``template`` (checked by :func:`parse_template` against
    ``fields``) filled with ``values``, plus ``suffix``, as a safe relative name.

    Raises InvalidInputError for a bad template, OutputNameError for an unusable name.
    """
    parse_template(template, fields=fields)
    text = template.format(**{f: values[f] for f in fields if f in values})
    try:
        return str(safe_relative(text + suffix, what=f"output name (from {template!r})"))
    except InvalidInputError as exc:
        raise OutputNameError(str(exc)) from None


def parse_template(template: str, *, fields: tuple[str, ...] = _FIELDS) -> tuple[str, ...]:
    """The placeholders of ``template``; InvalidInputError unless it is a relative name of at most
    200 characters using only ``fields`` (the documented placeholders by default; the GUI's
    export has ``{n}`` and ``{format}`` instead of ``{target}`` and ``{parent}``), bare (no
    format spec, no conversion)."""
    where = f"name template {template!r}"
    if not isinstance(template, str) or not template.strip():
        raise InvalidInputError("name template is empty")
    if len(template) > MAX_TEMPLATE:
        raise InvalidInputError(f"name template {template[:40]!r}...: longer than {MAX_TEMPLATE} characters")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None
    found = []
    for literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in fields:
            raise InvalidInputError(f"{where}: unknown placeholder {{{field}}}; use "
                                    + ", ".join(f"{{{n}}}" for n in fields))  # fmt: skip
        if spec or conversion:
            extra = f"!{conversion}" if conversion else f":{spec}"
            raise InvalidInputError(f"{where}: placeholders take no format spec or conversion ({{{field}{extra}}}); "
                                    f"write {{{field}}}")  # fmt: skip
        found.append(field)
    literal = "".join(lit for lit, *_ in parsed)
    if template.startswith("/") or "\\" in literal or any(ord(c) < 32 for c in literal):
        raise InvalidInputError(f"{where}: must be a relative name using '/' for folders")
    return tuple(found)
