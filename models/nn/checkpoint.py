"""Weights on disk: one ``.pt`` file per trained head, with its config and provenance.

A checkpoint is a plain dict, loaded with ``torch.load(weights_only=True)`` (no pickled
code runs)::

    {"format": 1, "kind": "heatmap", "config": {...}, "state_dict": {...},
     "meta": {"command": "...", "seed": 0, "data": "...", "metrics": {...}}}

Files are written atomically (temporary file + rename), so an interrupted training never
leaves a half-written checkpoint where the app looks for one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from models.errors import InvalidInputError

__all__ = ["FORMAT", "load_checkpoint", "save_checkpoint", "training_threads"]

FORMAT = 1


def training_threads() -> dict[str, int]:
    """``{"threads": n}`` for a training's meta: CPU float sums depend on the thread count, so the
    same command run on another count trains a slightly different network."""
    return {"threads": torch.get_num_threads()}


def save_checkpoint(path: str | os.PathLike, kind: str, config: dict, state_dict: dict, meta: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "kind": kind, "config": config, "state_dict": state_dict, "meta": meta}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; weights are shared files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """The checkpoint dict at ``path``; a clear error for a missing, foreign or wrong file."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"weights file not found: {path}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise InvalidInputError(f"{path} is not a Crop Studio weights file ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or "state_dict" not in data:
        raise InvalidInputError(f"{path} is not a Crop Studio weights file (format {FORMAT})")
    if data.get("kind") != kind:
        raise InvalidInputError(f"{path} holds {data.get('kind')!r} weights, expected {kind!r}")
    return data
