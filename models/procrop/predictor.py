"""Ranked crop suggestions: ``ProCropPredictor.set_image(rgb)`` once, ``suggest(n)`` cheaply.

``set_image`` runs the frozen encoder, retrieves the ``top_k`` nearest professional
compositions from the index and runs the network: every query's box and score is cached.
``suggest`` only ranks them (:func:`models.procrop.ranking.rank` on the predictor's
:class:`~models.procrop.ranking.Queries`, which can also be kept per image and ranked later):
diverse by non-maximum suppression, each kept box the vote of the queries that agree with it,
re-fitted to an aspect ratio and to layout regions on request, snapped to whole pixels.

Scores are re-ranked by the learned crop scorer (:mod:`models.procrop.rerank`) unless the
predictor is built with ``rerank=None`` or ``set_image(..., rerank=False)``; a suggestion's
``score`` is then the fused ranking score.

A model trained with text fusion (``config.text``, seed Eq. 2) also captions the image with
the local BLIP model (``blip_model=`` or ``$CROPSTUDIO_BLIP_MODEL``) in ``set_image``; it
refuses to load without one. Models without the text branch never touch BLIP.

Numpy in, frozen dataclasses out. Every box that crosses this module's boundary (``keep`` and
``avoid`` in, :attr:`~models.procrop.ranking.Suggestion.box` out) is a :class:`~models.geometry.Box` in full-resolution
pixels of the upright image, half-open (the project's one convention); ``set_image`` is told
that size when it is given a reduced copy. Only the network's own output, kept in
:attr:`~models.procrop.ranking.Queries.boxes`, is normalised to [0, 1] (internal: the model predicts normalised boxes).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
import torch

from models.errors import InvalidInputError
from models.geometry import Box
from models.nn.checkpoint import load_checkpoint
from models.once import LoadedOnce
from models.procrop.box_ops import box_iou
from models.procrop.encoder import CompositionEncoder, build_encoder
from models.procrop.index import CompositionIndex, load_index
from models.procrop.model import KIND, ProCropConfig, ProCropEnsemble, ProCropNet, build_model
from models.procrop.ranking import Queries, Suggestions, check_size, rank
from models.procrop.rerank import ScorerRerank
from models.procrop.text import BLIP_MODEL_ENV, blip_text_dim, caption_and_embed
from models.resources import configured_path, resource_path

__all__ = [
    "DEFAULT_INDEX",
    "DEFAULT_WEIGHTS",
    "ProCropPredictor",
    "default_index",
    "default_weights",
    "load_predictor",
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

def _clean(boxes: torch.Tensor) -> torch.Tensor:
    """Boxes clamped into the image, with at least 1 % of its size per side."""
    b = boxes.clamp(0, 1)
    x0, x1 = torch.minimum(b[:, 0], b[:, 2]), torch.maximum(b[:, 0], b[:, 2])
    y0, y1 = torch.minimum(b[:, 1], b[:, 3]), torch.maximum(b[:, 1], b[:, 3])
    x1, y1 = torch.maximum(x1, (x0 + 0.01).clamp(max=1)), torch.maximum(y1, (y0 + 0.01).clamp(max=1))
    x0, y0 = torch.minimum(x0, x1 - 0.01), torch.minimum(y0, y1 - 0.01)
    return torch.stack([x0, y0, x1, y1], 1)

def top1_iou(boxes: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Best IoU of the top-scored of ``boxes`` ``(Q, 4)`` with any of ``targets`` ``(T, 4)``."""
    best = _clean(boxes[logits.argmax()].reshape(1, 4).float())
    return float(box_iou(best, targets.float())[0].max())

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
        full = check_size((rgb.shape[1], rgb.shape[0]) if size is None else size)  # before the slow part
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
