"""The ``--keep`` / ``--avoid`` / ``--units`` options of the commands that take layout
regions for one image (``crop``, ``suggest``), and their parsing into pixel boxes."""

from __future__ import annotations

import argparse

from models.errors import InvalidInputError
from models.geometry import Box, parse_box

__all__ = ["add_region_options", "add_subjects_option", "parse_regions"]


def add_region_options(p: argparse.ArgumentParser, subject: str = "the crop") -> None:
    p.add_argument("--keep", action="append", default=[], metavar="X0,Y0,X1,Y1",
                   help=f"region {subject} keeps in frame (repeatable)")  # fmt: skip
    p.add_argument("--avoid", action="append", default=[], metavar="X0,Y0,X1,Y1",
                   help=f"region {subject} leaves out (repeatable)")  # fmt: skip
    p.add_argument("--units", choices=("auto", "px", "fraction"), default="auto", help="unit of region coordinates")


def add_subjects_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subjects", choices=("on", "off"), default="on",
                   help="on (default): never cut a head (models.cropping.rule); off: heads are not protected")  # fmt: skip


def parse_regions(texts: list[str], units: str, width: int, height: int, kind: str) -> tuple[Box, ...]:
    """Pixel boxes of ``texts``: pixels, or fractions of the image when ``units`` says so or,
    with ``auto``, when all four values are within 0..1. ``kind`` names the option in errors."""
    boxes = []
    for text in texts:
        values = parse_box(text)
        fraction = units == "fraction" or (units == "auto" and all(0.0 <= v <= 1.0 for v in values))
        try:
            box = Box.from_normalized(values, width, height) if fraction else Box(*values)
        except InvalidInputError as exc:
            raise InvalidInputError(f"--{kind} {text!r}: {exc}") from None
        boxes.append(box)
    return tuple(boxes)
