"""FCDB-style pairwise view comparisons: ``ranking.json`` of a data-set folder.

``{"items": [{"file": "images/x.jpg", "pairs": [{"crop_0": [...], "crop_1": [...],
"votes_0": 4, "votes_1": 1}, ...]}]}``, boxes normalised. :func:`ranking_pairs` reads it
into ``file name -> [(winner, loser, weight)]``: the view with more votes wins, weighted by
the vote margin ``|v0 - v1| / (v0 + v1)``; ties are skipped. The scorer trains on these
pairs and the evaluation measures pairwise accuracy on the hold-out images' pairs.
"""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import InvalidInputError
from models.geometry import Box

__all__ = ["RANKING_FILE", "ranking_items", "ranking_pairs"]

RANKING_FILE = "ranking.json"


Pairs = list[tuple[Box, Box, float]]


def ranking_pairs(folder: Path) -> dict[str, Pairs]:
    """``file name -> [(winner, loser, weight)]`` from ``folder/ranking.json`` (may be absent)."""
    return {Path(f).name: pairs for f, pairs in ranking_items(folder).items()}


def ranking_items(folder: Path) -> dict[str, Pairs]:
    """``file (relative to folder) -> [(winner, loser, weight)]``; ``{}`` without the file."""
    path = Path(folder) / RANKING_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
        out: dict[str, Pairs] = {}
        for item in data["items"]:
            pairs = []
            for p in item["pairs"]:
                v0, v1 = float(p["votes_0"]), float(p["votes_1"])
                if v0 == v1:
                    continue
                a, b = Box(*p["crop_0"]), Box(*p["crop_1"])
                win, lose = (a, b) if v0 > v1 else (b, a)
                pairs.append((win, lose, abs(v0 - v1) / (v0 + v1)))
            out[str(item["file"])] = pairs
        return out
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"{path}: not a ranking file ({exc})") from None
