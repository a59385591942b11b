"""Where the bundled files live: ``resources/`` (weights, index, targets, samples).

One place decides it, so the source tree, an installed package and a frozen (PyInstaller)
build all work: ``CROPSTUDIO_RESOURCES`` if set, else ``sys._MEIPASS/resources`` in a frozen
build, else the ``resources/`` folder beside the ``models`` package. Files the user supplies
(SAM checkpoints, BLIP and diffusion folders) come from :func:`configured_path`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["configured_path", "resource_path", "resources_dir"]


def resources_dir() -> Path:
    env = os.environ.get("CROPSTUDIO_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(relative: str) -> Path:
    """``resources_dir() / relative`` (not checked: callers report a missing file clearly)."""
    return resources_dir() / relative


def configured_path(value: str | os.PathLike | None, env: str) -> Path | None:
    """A file or folder the user configures: ``value`` when given, else ``$env``; ``None``
    when neither is set (callers say what is missing and how to set it)."""
    chosen = value if value is not None else os.environ.get(env)
    return Path(chosen).expanduser() if chosen else None
