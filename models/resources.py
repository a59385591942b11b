"""Where the bundled files live: ``resources/`` (weights, index, targets, samples).

One place decides it, so the source tree, an installed package and a frozen (PyInstaller)
build all work: ``CROPSTUDIO_RESOURCES`` if set, else ``sys._MEIPASS/resources`` in a frozen
build, else the ``resources/`` folder beside the ``models`` package.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["resource_path", "resources_dir"]


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
