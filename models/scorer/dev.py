"""Hold-out figures of a crop scorer, from cached features (what weights are chosen on).

* FCDB hold-out pair accuracy: the share of ``ranking.json`` pairs whose more-voted view
  scores higher (the dev figure for ranking);
* FCDB hold-out top-1 IoU: the best-scored box of :func:`candidate_grid` against the
  image's expert crop;
* professional hold-out frame IoU: the same top-1 against the photographer's trimmed
  frame - the check against over-cropping (a good judge leaves good photos nearly whole).

The trivial rows use the same images: the full image, a constant centred crop (side 0.88,
2 % above the centre) and the grid's best box (the oracle).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.box_arrays import best_ious
from models.eval.baselines import CONSTANT_CROP
from models.scorer.grid import candidate_grid
from models.scorer.model import CropScorer, ScorerEnsemble
from models.scorer.train import Sample

__all__ = ["CONSTANT_CROP", "DevFigures", "candidate_grid", "dev_figures", "trivial_figures"]


@dataclass(frozen=True, slots=True)
class DevFigures:
    pair_accuracy: float
    fcdb_iou: float
    pro_iou: float
    n_fcdb: int
    n_pro: int


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def dev_figures(model: CropScorer | ScorerEnsemble, holdout: Sequence[Sample]) -> DevFigures:
    """The three hold-out figures of ``model`` on hold-out ``Sample`` s (FCDB and pro)."""
    pairs, fcdb, pro = [], [], []
    model.eval()
    with torch.inference_mode():
        for s in holdout:
            reduced = model.reduced(s.feats.get(s.index))
            grid = candidate_grid(s.ratio)
            scores = model.score(reduced, torch.from_numpy(grid).float(), s.ratio).numpy()
            top = grid[int(np.argmax(scores))][None]
            if s.frame is not None:
                pro.append(float(best_ious(top, [s.frame])[0]))
                continue
            fcdb.append(float(best_ious(top, s.expert)[0]))
            if s.pairs:
                b = torch.tensor([[*x.as_tuple()] for a, c, _ in s.pairs for x in (a, c)]).float()
                sc = model.score(reduced, b, s.ratio).numpy()
                w, l = sc[0::2], sc[1::2]
                pairs += list(np.where(w > l, 1.0, np.where(w == l, 0.5, 0.0)))
    return DevFigures(_mean(pairs), _mean(fcdb), _mean(pro), len(fcdb), len(pro))


def trivial_figures(holdout: Sequence[Sample]) -> dict[str, tuple[float, float]]:
    """``name -> (FCDB hold-out IoU, pro hold-out frame IoU)`` of the trivial rows."""
    rows: dict[str, tuple[list, list]] = {"full image": ([], []), "constant centred crop": ([], []), "grid oracle": ([], [])}
    full = np.array([[0.0, 0.0, 1.0, 1.0]])
    const = np.array([CONSTANT_CROP.as_tuple()])
    for s in holdout:
        gts = [s.frame] if s.frame is not None else list(s.expert)
        side = 1 if s.frame is not None else 0
        rows["full image"][side].append(float(best_ious(full, gts)[0]))
        rows["constant centred crop"][side].append(float(best_ious(const, gts)[0]))
        rows["grid oracle"][side].append(float(best_ious(candidate_grid(s.ratio), gts).max()))
    return {k: (_mean(a), _mean(b)) for k, (a, b) in rows.items()}
