"""Ranked crop suggestions: ``ProCropPredictor.set_image(rgb)`` once, ``suggest(n)`` cheaply.

``set_image`` runs the frozen encoder, retrieves the ``top_k`` nearest professional
compositions from the index and runs the network: every query's box and score is cached.
``suggest`` (the module's :func:`rank` on the predictor's :class:`Queries`, which can
also be kept per image and ranked later) only ranks them: by score, dropping a box that
overlaps a better one by more than ``iou_threshold`` (non-maximum suppression), so
suggestions are diverse, and each kept box becomes the vote of the queries that agree with
it (:mod:`models.procrop.vote`: the weighted median of every query overlapping it by at
least 0.7); an optional aspect ratio re-fits each box (the smallest box of the ratio around
it, inside the image).
Layout regions (``keep`` must stay in, ``avoid`` must stay out: the design-constraints
problem of :mod:`models.constraints`) re-fit each proposal, best first, to the constrained
box of its ratio (or ``aspect``) that overlaps it most (:func:`~models.constraints.fit.nearest_candidate`,
the engine's re-fit, over the exact candidate set of the constrained search, in the image's
own pixel grid); every
suggestion satisfies them. Every suggestion is then snapped to whole pixels by the project's
one snapper (:func:`~models.constraints.search.snap_to_pixels`, the ratio kept within a pixel
and the layout kept).

Scores are re-ranked by the learned crop scorer (:mod:`models.procrop.rerank`) unless the
predictor is built with ``rerank=None`` or ``set_image(..., rerank=False)``; a suggestion's
``score`` is then the fused ranking score.

A model trained with text fusion (``config.text``, seed Eq. 2) also captions the image with
the local BLIP model (``blip_model=`` or ``$CROPSTUDIO_BLIP_MODEL``) in ``set_image``; it
refuses to load without one. Models without the text branch never touch BLIP.

Numpy in, frozen dataclasses out. Every box that crosses this module's boundary (``keep`` and
``avoid`` in, :attr:`Suggestion.box` out) is a :class:`~models.geometry.Box` in full-resolution
pixels of the upright image, half-open (the project's one convention); ``set_image`` is told
that size when it is given a reduced copy. Only the network's own output, kept in
:attr:`Queries.boxes`, is normalised to [0, 1] (internal: the model predicts normalised boxes).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.box_arrays import iou_matrix
from models.constraints.fit import nearest_candidate
from models.constraints.problem import CropProblem, check_feasible
from models.constraints.search import snap_to_pixels
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, fit_ratio_around
from models.nn.checkpoint import load_checkpoint
from models.nn.once import LoadedOnce
from models.procrop.box_ops import box_iou
from models.procrop.encoder import CompositionEncoder, build_encoder
from models.procrop.index import CompositionIndex, load_index
from models.procrop.model import KIND, ProCropConfig, ProCropEnsemble, ProCropNet, build_model
from models.procrop.rerank import ScorerRerank
from models.procrop.text import BLIP_MODEL_ENV, blip_text_dim, caption_and_embed
from models.procrop.vote import VOTE_IOU, Ballot, voted_suggestions
from models.resources import configured_path, resource_path

__all__ = [
    "DEFAULT_INDEX",
    "DEFAULT_WEIGHTS",
    "ProCropPredictor",
    "Queries",
    "Suggestion",
    "Suggestions",
    "default_index",
    "default_weights",
    "load_predictor",
    "nms",
    "query_suggestions",
    "rank",
    "top1_iou",
]

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "weights/procrop-lite0.pt"
DEFAULT_INDEX = "index"


def default_weights() -> Path:
    env = os.environ.get("CROPSTUDIO_PROCROP_WEIGHTS")
    return Path(env) if env else resource_path(DEFAULT_WEIGHTS)


def default_index() -> Path:
    env = os.environ.get("CROPSTUDIO_PROCROP_INDEX")
    return Path(env) if env else resource_path(DEFAULT_INDEX)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One proposal: ``box`` in whole pixels of the upright image, ``score`` in (0, 1) (higher is better: the decoder's
    score, fused with the crop scorer's when re-ranking), ``rank`` from 0. ``query``: the
    best voter's own box (pixels, re-fitted to the ratio, unsnapped) before box voting
    (:mod:`models.procrop.vote`) made ``box``; suppression between suggestions checks both."""

    box: Box
    score: float
    rank: int
    query: Box | None = None


@dataclass(frozen=True, slots=True)
class Suggestions:
    """Ranked proposals and the ids of the references retrieved for the image."""

    items: tuple[Suggestion, ...]
    references: tuple[str, ...]
    similarities: tuple[float, ...]


def _clean(boxes: torch.Tensor) -> torch.Tensor:
    """Boxes clamped into the image, with at least 1 % of its size per side."""
    b = boxes.clamp(0, 1)
    x0, x1 = torch.minimum(b[:, 0], b[:, 2]), torch.maximum(b[:, 0], b[:, 2])
    y0, y1 = torch.minimum(b[:, 1], b[:, 3]), torch.maximum(b[:, 1], b[:, 3])
    x1, y1 = torch.maximum(x1, (x0 + 0.01).clamp(max=1)), torch.maximum(y1, (y0 + 0.01).clamp(max=1))
    x0, y0 = torch.minimum(x0, x1 - 0.01), torch.minimum(y0, y1 - 0.01)
    return torch.stack([x0, y0, x1, y1], 1)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int) -> list[int]:
    """Indices of at most ``limit`` boxes, best score first, none overlapping a kept one by
    more than ``iou_threshold``."""
    order = np.argsort(-scores, kind="stable")
    iou = iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if all(iou[i, j] <= iou_threshold for j in keep):
            keep.append(int(i))
            if len(keep) == limit:
                break
    return keep


def top1_iou(boxes: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Best IoU of the top-scored of ``boxes`` ``(Q, 4)`` with any of ``targets`` ``(T, 4)``."""
    best = _clean(boxes[logits.argmax()].reshape(1, 4).float())
    return float(box_iou(best, targets.float())[0].max())


@dataclass(frozen=True, eq=False)
class Queries:
    """Everything :meth:`ProCropPredictor.set_image` computed for one image: every query's
    box and ranking score, the retrieved references and the image's full-resolution size.
    :func:`rank` turns it into pixel suggestions, so it can be kept per image and ranked later
    for any number of requests (the evaluation does).

    ``boxes`` is internal: the network's output, normalised to [0, 1]; callers read boxes
    from :func:`rank` (or :meth:`pixel_boxes`), in pixels of ``image_size``."""

    boxes: np.ndarray  # [Q, 4] normalised x0, y0, x1, y1 (internal)
    scores: np.ndarray  # [Q] in (0, 1)
    references: tuple[str, ...]
    similarities: tuple[float, ...]
    image_size: tuple[int, int]  # (W, H): full-resolution pixels of the upright image

    def __post_init__(self) -> None:
        _check_size(self.image_size)

    @property
    def ratio(self) -> float:
        """The image's width / height in pixels."""
        return self.image_size[0] / self.image_size[1]

    def pixel_boxes(self) -> np.ndarray:
        """``[Q, 4]`` every query's box in pixels of ``image_size`` (unsnapped, inside the image)."""
        w, h = self.image_size
        return np.clip(self.boxes, 0.0, 1.0) * np.array([w, h, w, h], dtype=np.float64)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` as ``(W, H)`` ints; InvalidInputError unless two positive whole numbers."""
    if not (len(size) == 2 and all(isinstance(v, (int, np.integer)) and v > 0 for v in size)):
        raise InvalidInputError(f"image size must be two positive whole numbers of pixels (W, H), got {size!r}")
    return (int(size[0]), int(size[1]))


class ProCropPredictor:
    """The model, its encoder and its index, loaded once; see the module docstring."""

    def __init__(self, model: ProCropNet | ProCropEnsemble, encoder: CompositionEncoder, index: CompositionIndex | None, meta: dict | None = None,
                 *, blip_model: str | os.PathLike | None = None, rerank: ScorerRerank | None = None) -> None:  # fmt: skip
        if index is not None and index.encoder != encoder.name:
            raise InvalidInputError(f"the index was built with {index.encoder}, the model uses {encoder.name}")
        self.blip_model = _text_model(model.config, blip_model)
        self.model = model.eval()
        self.encoder = encoder
        self.index = index
        self.meta = meta or {}
        self.rerank = rerank
        self._cached: Queries | None = None
        self._lock = threading.Lock()

    @property
    def config(self) -> ProCropConfig:
        return self.model.config

    @torch.inference_mode()
    def set_image(self, rgb: np.ndarray, *, size: tuple[int, int] | None = None,
                  retrieval: bool = True, rerank: bool = True) -> None:  # fmt: skip
        """Analyse one ``(H, W, 3)`` uint8 RGB image (the slow part, once per image).

        ``size``: the image's full-resolution ``(W, H)`` when ``rgb`` is a reduced copy (the
        pixels every box of :func:`rank` is in; default ``rgb``'s own). ``retrieval=False``
        skips the references (the seed's ablation at inference); ``rerank=False`` ranks by the
        decoder's scores alone even when the predictor has a re-ranker."""
        full = _check_size((rgb.shape[1], rgb.shape[0]) if size is None else size)  # before the slow part
        comp = self.encoder.encode(rgb)
        refs, ids, sims = None, (), ()
        if retrieval and self.index is not None and self.config.retrieval:
            s, i = self.index.search(comp.vector[None], self.config.top_k)
            found = [j for j in i[0] if j >= 0]
            ids = tuple(self.index.items[j].id for j in found)
            sims = tuple(round(float(v), 4) for v, j in zip(s[0], i[0]) if j >= 0)
            if found:
                refs = torch.from_numpy(self.index.maps[found].astype(np.float32))[None]  # [1, k, C_r, g, g]
        ratio = rgb.shape[1] / rgb.shape[0]
        text = padding = None
        if self.config.text:
            text, padding = caption_and_embed([rgb], self.blip_model, max_tokens=self.config.text_tokens).tensors()
        out = self.model(comp.maps[self.config.query_key].float(), torch.tensor([ratio]), refs, text, padding)
        boxes = _clean(out.boxes[0].float()).double().numpy()
        scores = out.logits[0].sigmoid().double().numpy()
        if rerank and self.rerank is not None:
            boxes, scores = self.rerank(rgb, boxes, scores, ratio, maps=comp.maps,
                                        maps_from=(self.encoder.name, self.encoder.input_size, self.encoder.weights_file))
        with self._lock:
            self._cached = Queries(boxes, scores, ids, sims, full)

    @property
    def queries(self) -> Queries:
        """The queries of the image last given to :meth:`set_image`."""
        if self._cached is None:
            raise InvalidInputError("call set_image(rgb) before suggest()")
        return self._cached

    def suggest(
        self,
        top_k: int = 5,
        *,
        aspect: float | None = None,
        iou_threshold: float = 0.7,
        keep: tuple[Box, ...] = (),
        avoid: tuple[Box, ...] = (),
    ) -> Suggestions:
        """``top_k`` ranked, diverse crops of the image given to :meth:`set_image`; see :func:`rank`."""
        return rank(self.queries, top_k, aspect=aspect, iou_threshold=iou_threshold, keep=keep, avoid=avoid)


def rank(
    queries: Queries,
    top_k: int = 5,
    *,
    aspect: float | None = None,
    iou_threshold: float = 0.7,
    keep: tuple[Box, ...] = (),
    avoid: tuple[Box, ...] = (),
    vote: bool = True,
) -> Suggestions:
    """``top_k`` ranked, diverse crops from one image's ``queries``, in whole pixels.

    Every box in and out is in full-resolution pixels of ``queries.image_size`` (the upright
    image, half-open). ``aspect`` (crop width / height in pixels) re-fits every box to that
    ratio before ranking; ``iou_threshold`` is the largest overlap allowed between two
    suggestions. ``keep`` / ``avoid``: regions every suggestion keeps in / leaves out
    (:class:`~models.errors.InfeasibleError` naming the conflict when none can). Each
    suggestion is snapped once, by :func:`~models.constraints.search.snap_to_pixels`: its
    edges are whole pixels inside the image and its ratio is ``aspect`` within a pixel.
    ``vote``: each kept box is the vote of the queries near it (:mod:`models.procrop.vote`);
    ``False`` shows the queries' own boxes (plain non-maximum suppression).
    """
    if top_k < 1:
        raise InvalidInputError(f"top_k must be at least 1, got {top_k}")
    if not 0 <= iou_threshold <= 1:
        raise InvalidInputError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    if aspect is not None and not (aspect > 0 and np.isfinite(aspect)):
        raise InvalidInputError(f"aspect must be a positive number, got {aspect!r}")
    c = queries
    if keep or avoid:
        return _constrained(c, top_k, aspect, iou_threshold, tuple(keep), tuple(avoid), vote)
    w, h = c.image_size
    boxes = [_query_box(b, aspect, c.image_size) for b in c.pixel_boxes()]
    refit = None
    if aspect is not None:
        refit = lambda v: np.array(fit_ratio_around(Box(*v), aspect, w, h).as_tuple())  # noqa: E731
    arr = np.array([b.as_tuple() for b in boxes], dtype=np.float64).reshape(-1, 4)
    # with only exact copies voting (overlap 1), the shown boxes are the queries' own
    chosen = voted_suggestions(arr, c.scores, iou_threshold, top_k, refit=refit, iou=VOTE_IOU if vote else 1.0)
    items = tuple(Suggestion(_snap(Box(*v), aspect, c.image_size), float(c.scores[i]), r, boxes[i])
                  for r, (i, v) in enumerate(chosen))  # fmt: skip
    return Suggestions(items, c.references, c.similarities)


def query_suggestions(queries: Queries, *, aspect: float | None = None) -> Iterator[Suggestion]:
    """Every query's own box, best first, re-fitted to ``aspect`` and snapped as :func:`rank`
    does (no suppression, no voting; ``query``: the box before the snap), one at a time, so a
    caller taking a few pays for a few. ``aspect`` is validated by the caller (:func:`rank`)."""
    pixels = queries.pixel_boxes()
    for r, i in enumerate(np.argsort(-queries.scores, kind="stable")):
        box = _query_box(pixels[i], aspect, queries.image_size)
        yield Suggestion(_snap(box, aspect, queries.image_size), float(queries.scores[i]), r, box)


def _query_box(pixels: np.ndarray, aspect: float | None, size: tuple[int, int]) -> Box:
    """A query's box (``pixels``, a row of :meth:`Queries.pixel_boxes`), re-fitted to ``aspect``
    (the smallest box of the ratio around it, inside the image) unless that is None."""
    box = Box(*(float(v) for v in pixels))
    return box if aspect is None else fit_ratio_around(box, aspect, *size)


def _snap(box: Box, aspect: float | None, size: tuple[int, int]) -> Box:
    """``box`` (inside the image) in whole pixels, its ratio ``aspect`` within a pixel. A free
    crop has no ratio to keep: it is snapped at its nearest whole-pixel box's ratio, so its
    edges move by less than a pixel (at its own exact ratio a thin box's would move several)."""
    if aspect is None:
        near = box.rounded()
        ratio = max(near.width, 1) / max(near.height, 1)
    else:
        ratio = aspect
    return snap_to_pixels(box, CropProblem(size, AspectRatio(ratio, 1.0)))


def _constrained(c: Queries, top_k: int, aspect: float | None, iou_threshold: float,
                 keep: tuple[Box, ...], avoid: tuple[Box, ...], vote: bool = True) -> Suggestions:  # fmt: skip
    """Proposals best first, each re-fitted to the layout in the image's pixel grid and
    snapped; diverse by ``iou_threshold``."""
    size = c.image_size
    if aspect is not None:
        check_feasible(CropProblem(size, AspectRatio(aspect, 1.0), keep, avoid))
    boxes = c.pixel_boxes()
    ballot = Ballot(boxes, c.scores, iou=VOTE_IOU if vote else 1.0)
    chosen: list[tuple[Box, float, Box]] = []
    for i in np.argsort(-c.scores, kind="stable"):
        p = Box(*(float(v) for v in ballot.box(int(i))))
        ratio = aspect if aspect is not None else round(p.width / max(p.height, 1e-9), 3)
        problem = CropProblem(size, AspectRatio(ratio, 1.0), keep, avoid)
        try:
            check_feasible(problem)
            box = nearest_candidate(p, problem)
        except InfeasibleError:  # a proposal of a ratio that cannot hold the regions
            continue
        if all(box.iou(other) <= iou_threshold for other, _, _ in chosen):
            chosen.append((box, float(c.scores[i]), Box(*(float(v) for v in boxes[i]))))
            ballot.keep(int(i))
            if len(chosen) == top_k:
                break
    if not chosen:
        raise InfeasibleError("no crop suggestion can keep every keep region in and every avoid region out")
    items = tuple(Suggestion(b, sc, r, q) for r, (b, sc, q) in enumerate(chosen))
    return Suggestions(items, c.references, c.similarities)


def _text_model(config: ProCropConfig, blip_model: str | os.PathLike | None) -> Path | None:
    """The BLIP folder a text-fusion model needs (checked now, loaded on first use); ``None``
    for a model without the text branch."""
    if not config.text:
        return None
    path = configured_path(blip_model, BLIP_MODEL_ENV)
    if path is None:
        raise InvalidInputError(
            f"this ProCrop model was trained with text fusion and needs a local BLIP captioning model: "
            f"set {BLIP_MODEL_ENV} to its folder (see models/nn/blip.py)"
        )
    dim = blip_text_dim(path)
    if dim != config.text_dim:
        raise InvalidInputError(f"the BLIP model in {path} has {dim}-dim text features, this ProCrop model was trained on {config.text_dim}")
    return path


_loaded: LoadedOnce[ProCropPredictor] = LoadedOnce()


def load_predictor(weights: str | os.PathLike | None = None, index: str | os.PathLike | None = None,
                   *, blip_model: str | os.PathLike | None = None,
                   rerank: ScorerRerank | None = ScorerRerank()) -> ProCropPredictor:  # fmt: skip
    """The predictor from ``weights`` and ``index`` (defaults: bundled), loaded once per process.
    ``blip_model`` (default ``$CROPSTUDIO_BLIP_MODEL``) is used only by text-fusion models;
    ``rerank``: the crop-scorer re-ranking (default: the bundled scorer), ``None`` for none."""
    wpath = str(Path(weights) if weights is not None else default_weights())
    ipath = str(Path(index) if index is not None else default_index())
    bpath = str(configured_path(blip_model, BLIP_MODEL_ENV) or "")

    def load() -> ProCropPredictor:
        data = load_checkpoint(wpath, KIND)
        config = ProCropConfig.from_dict(data["config"])
        model = build_model(config)
        model.load_state_dict(data["state_dict"], strict=True)
        text_dir = _text_model(config, bpath or None)  # before the slow parts
        db = load_index(ipath) if config.retrieval else None
        return ProCropPredictor(model, build_encoder(config.encoder), db, data["meta"], blip_model=text_dir, rerank=rerank)

    return _loaded.get((wpath, ipath, bpath, rerank), load)
