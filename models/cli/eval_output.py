"""What ``cropstudio eval`` prints, shared by its two halves (:mod:`models.cli.eval` for crop
methods, :mod:`models.cli.eval_ranking` for rankers): the ``--method`` list, table cells and
JSON results. Both import this module; neither imports the other's helpers."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Sequence

__all__ = ["cell", "json_ready", "print_results", "requested_names"]


def requested_names(requested: Sequence[str] | None) -> list[str]:
    """The names of repeated, comma-separated ``--method`` options, blanks dropped, in order."""
    return [name.strip() for arg in requested or () for name in arg.split(",") if name.strip()]


def json_ready(value):
    """NaN -> null (JSON has no NaN); dict keys -> strings."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def cell(value: float | None, spec: str) -> str:
    """A table cell: ``value`` formatted with ``spec``, ``-`` when missing or NaN."""
    return "-" if value is None or math.isnan(value) else format(value, spec)


def print_results(dataset, task: str, reports: Sequence, **extra) -> None:
    """The ``--json`` output: the data-set folder, the task, ``extra`` keys and one result per
    report (a dataclass)."""
    payload = {"dataset": str(dataset.resolve()), "task": task,
               "results": [json_ready(dataclasses.asdict(r)) for r in reports], **extra}  # fmt: skip
    json.dump(payload, sys.stdout, indent=2)
    print()
