"""Iterative refinement of a built dataset (seed ProCrop sec. 3.3, "Diverse crop generation").

Round ``r``: train ProCrop on the built folder (its ``annotations.json``: the frames and the
pseudo-labels of rounds ``< r``), let it propose crops for every built image, curate a
diverse set (greedy non-maximum suppression by IoU against the labels the image already has
and against each other, ranked by an aesthetic score: the proposal's own score, or the crop
scorer's when ``scorer=True``), and keep the top ``top_k`` as pseudo-labels of kind
``round-r``. The frame label is never dropped. A finished round is a journal line
(:class:`~.manifest.RoundRecord`); an interrupted round is redone from its start.

Training and proposing are injectable (``trainer``, ``proposer``) so tests and callers can
use other models; the defaults are :func:`models.procrop.train.train_procrop` (frozen
encoder, no retrieval, no hold-out) and :func:`models.procrop.predictor.load_predictor`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from models.box_arrays import iou_matrix
from models.dataset_builder.manifest import BuildProgress, RoundRecord, SampleRecord, append_journal, write_annotations
from models.errors import InvalidInputError


class BuildSettings(Protocol):
    """What the rounds read of the runner's settings (a Protocol: the runner imports this module)."""

    out: Path
    rounds: int

__all__ = ["Proposal", "RefineSettings", "curate", "procrop_proposer", "procrop_trainer", "run_rounds"]

log = logging.getLogger(__name__)

BoxT = tuple[float, float, float, float]
REFINE_DIR = "refine"


@dataclass(frozen=True, slots=True)
class RefineSettings:
    """``epochs`` of ProCrop training per round; ``proposals`` asked per image; ``top_k``
    pseudo-labels kept per image per round; ``max_iou`` the largest overlap between a kept
    crop and any other label of the image; ``min_area`` the smallest crop kept (fraction of
    the image); ``min_inside`` the smallest fraction of a kept crop that lies inside the
    photo's frame (a crop mostly made of outpainted border is not a professional crop);
    ``scorer``: rank by the bundled crop scorer rather than the proposal score."""

    epochs: int = 5
    proposals: int = 12
    top_k: int = 2
    max_iou: float = 0.7
    min_area: float = 0.15
    min_inside: float = 0.75
    scorer: bool = False

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.proposals < 1 or self.top_k < 1:
            raise InvalidInputError("epochs, proposals and top_k must be at least 1")
        if not 0 < self.max_iou <= 1 or not 0 <= self.min_area < 1:
            raise InvalidInputError(f"max_iou must be in (0, 1] and min_area in [0, 1), got {self.max_iou}, {self.min_area}")
        if not 0 <= self.min_inside <= 1:
            raise InvalidInputError(f"min_inside must be in [0, 1], got {self.min_inside}")


@dataclass(frozen=True, slots=True)
class Proposal:
    box: BoxT
    score: float


Trainer = Callable[[Path, Path, int, RefineSettings], dict]
"""``trainer(folder, weights_out, round, settings) -> meta``: train on ``folder``, write weights."""
Proposer = Callable[[Path, Sequence[Path], RefineSettings, Callable[[int], None]], list[list[Proposal]]]
"""``proposer(weights, images, settings, tick) -> proposals per image`` (``tick(i)`` after image i)."""


def procrop_trainer(folder: Path, weights: Path, round_: int, settings: RefineSettings) -> dict:
    from models.procrop.train import ProCropTraining, train_procrop

    meta = train_procrop(folder, weights, settings=ProCropTraining(epochs=settings.epochs, holdout=False, retrieval=False,
                                                                  seed=round_), cache=folder / REFINE_DIR / "cache")  # fmt: skip
    return {k: meta.get(k) for k in ("images", "epochs", "train_loss", "train_seconds")}


def procrop_proposer(weights: Path, images: Sequence[Path], settings: RefineSettings, tick: Callable[[int], None]) -> list[list[Proposal]]:
    from models.imaging import load_image
    from models.procrop.predictor import load_predictor

    predictor = load_predictor(weights, rerank=None)  # the proposal's own score, or the scorer's alone
    scorer = None
    if settings.scorer:
        from models.scorer.model import load_scorer

        scorer = load_scorer()
    out = []
    for i, path in enumerate(images):
        rgb = load_image(path).rgb
        predictor.set_image(rgb, retrieval=False)
        items = predictor.suggest(settings.proposals, iou_threshold=0.95).items  # pixels of rgb
        h, w = rgb.shape[:2]
        boxes = np.array([s.box.to_normalized(w, h) for s in items], float).reshape(-1, 4)  # curation works normalised
        scores = np.array([s.score for s in items], float)
        if scorer is not None and len(boxes):
            scores = scorer.score(scorer.prepare(rgb), boxes, rgb.shape[1] / rgb.shape[0])
        out.append([Proposal(tuple(float(v) for v in b), float(s)) for b, s in zip(boxes, scores)])
        tick(i + 1)
    return out


def _inside(box: BoxT, frame: BoxT) -> float:
    iw = max(0.0, min(box[2], frame[2]) - max(box[0], frame[0]))
    ih = max(0.0, min(box[3], frame[3]) - max(box[1], frame[1]))
    area = (box[2] - box[0]) * (box[3] - box[1])
    return iw * ih / area if area > 0 else 0.0


def curate(proposals: Sequence[Proposal], existing: Sequence[BoxT], settings: RefineSettings) -> tuple[BoxT, ...]:
    """The best-scored proposals, each overlapping no existing label nor kept crop by more than
    ``max_iou``, covering at least ``min_area`` and lying at least ``min_inside`` in the
    frame (``existing[0]``); at most ``top_k``."""
    kept: list[BoxT] = []
    frame = existing[0] if existing else (0.0, 0.0, 1.0, 1.0)
    for p in sorted(proposals, key=lambda p: -p.score):
        x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in p.box)
        box = (round(x0, 6), round(y0, 6), round(x1, 6), round(y1, 6))
        if (box[2] - box[0]) * (box[3] - box[1]) < max(settings.min_area, 1e-4):
            continue
        if _inside(box, frame) < settings.min_inside:
            continue
        others = (*existing, *kept)
        if not others or iou_matrix(box, others).max() <= settings.max_iou:
            kept.append(box)
            if len(kept) == settings.top_k:
                break
    return tuple(kept)


def run_rounds(
    settings: BuildSettings,
    samples: dict[int, SampleRecord],
    rounds: dict[int, RoundRecord],
    name: str,
    *,
    notify: Callable[[BuildProgress], None],
    cancel: Callable[[], bool],
    refine: RefineSettings = RefineSettings(),
    trainer: Trainer = procrop_trainer,
    proposer: Proposer = procrop_proposer,
) -> dict[int, RoundRecord]:
    """Run the rounds ``1..settings.rounds`` not yet in ``rounds``; return every finished round."""
    out = settings.out
    rounds = dict(rounds)
    ok = [i for i in sorted(samples) if samples[i].status == "ok"]
    for r in range(1, settings.rounds + 1):
        if r in rounds:
            continue
        if cancel():
            break
        write_annotations(out, name, samples, rounds)  # the labels this round trains on
        (out / REFINE_DIR).mkdir(exist_ok=True)
        weights = out / REFINE_DIR / f"round-{r}.pt"
        notify(BuildProgress(f"round {r}: train", 0, 1))
        log.info("round %d: training on %d images", r, len(ok))
        meta = trainer(out, weights, r, refine)
        notify(BuildProgress(f"round {r}: train", 1, 1))
        images = [out / samples[i].file for i in ok]
        proposals = proposer(weights, images, refine, lambda n: notify(BuildProgress(f"round {r}: propose", n, len(images))))
        labels = {}
        for i, props in zip(ok, proposals):
            existing = [samples[i].label, *(b for q in sorted(rounds) for b in rounds[q].labels.get(i, ()))]
            kept = curate(props, existing, refine)
            if kept:
                labels[i] = kept
        record = RoundRecord(r, labels, {"train": meta, "images": len(ok), "labelled": len(labels),
                                         "pseudo_labels": sum(map(len, labels.values())), "top_k": refine.top_k,
                                         "max_iou": refine.max_iou, "min_inside": refine.min_inside,
                                         "epochs": refine.epochs})  # fmt: skip
        append_journal(out, [record])
        rounds[r] = record
        log.info("round %d: %d pseudo-labels on %d images", r, record.meta["pseudo_labels"], len(labels))
    return rounds
