"""Output file names: a template such as ``{stem}_{target}_{w}x{h}`` plus the format's suffix.

Placeholders: ``{stem}`` (source file name without suffix), ``{target}`` (target name),
``{w}`` and ``{h}`` (output size in pixels), ``{ratio}`` (the target's ratio as ``4x5``) and
``{parent}`` (the source's folder name). ``/`` makes subfolders of the output folder; a name
may not leave it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from models.cropsets.targets import Target
from models.errors import InvalidInputError

__all__ = ["DEFAULT_TEMPLATE", "FORMATS", "OutputNameError", "OutputNaming"]

DEFAULT_TEMPLATE = "{stem}_{target}_{w}x{h}"
FORMATS: dict[str, str] = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "tiff": ".tif"}
"""Output format -> file suffix (the suffix decides the format in export_crop)."""
_FIELDS = ("stem", "target", "w", "h", "ratio", "parent")


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
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.template) if f is not None]
        except ValueError as exc:
            raise InvalidInputError(f"name template {self.template!r}: {exc}") from None
        for f in fields:
            if f not in _FIELDS:
                raise InvalidInputError(
                    f"name template {self.template!r}: unknown placeholder {{{f}}}; use "
                    + ", ".join(f"{{{n}}}" for n in _FIELDS)
                )
        if not self.template.strip() or self.template.startswith("/") or "\\" in self.template:
            raise InvalidInputError(f"name template {self.template!r}: must be a relative name using '/' for folders")

    @property
    def needs_size(self) -> bool:
        """Whether names use the output size (then an unsized target's name waits for its crop)."""
        return "{w}" in self.template or "{h}" in self.template

    def name(self, source: Path, target: Target, size: tuple[int, int] | None) -> str:
        """The output's path relative to the output folder, with ``/`` separators."""
        w, h = size if size is not None else ("?", "?")
        ratio = f"{target.ratio.width:g}x{target.ratio.height:g}"
        text = self.template.format(stem=source.stem, target=target.name, w=w, h=h, ratio=ratio,
                                    parent=source.resolve().parent.name)  # fmt: skip
        parts = PurePosixPath(text + FORMATS[self.format]).parts
        if any(p in ("", ".", "..") for p in parts) or any(p.startswith(".") for p in parts):
            raise OutputNameError(f"output name {text!r} (from {self.template!r}) must not start with '.' or use '..'")
        return "/".join(parts)
