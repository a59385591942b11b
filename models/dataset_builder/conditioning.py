"""Optional conditioning inputs of the outpainting backends (seed ProCrop appendix B): a
caption of the photo (:mod:`models.nn.blip`) and its composition masks (here). Both run only
when the user configured local weights; otherwise they raise
:class:`~models.errors.InvalidInputError` saying what to configure. Nothing is downloaded at
run time.

Captions: BLIP
--------------
:func:`models.nn.blip.caption_image` captions a photo with a local BLIP folder
(``model_dir=`` or ``$CROPSTUDIO_BLIP_MODEL``; how to make one is in :mod:`models.nn.blip`,
the one BLIP loader, shared with ProCrop's text branch).

Composition masks: SAM
----------------------
:func:`composition_masks` segments the photo with a full SAM checkpoint (image encoder,
prompt encoder and mask decoder: e.g. ``sam_vit_b_01ec64.pth`` from the segment-anything
release), given as ``sam_checkpoint=`` or ``$CROPSTUDIO_SAM_CHECKPOINT`` (the same setting
as the SAM composition encoders of :mod:`models.procrop.encoder`). It follows
segment-anything's ``SamAutomaticMaskGenerator`` with one crop layer: a grid of point
prompts, three candidate masks per point, kept when the predicted IoU and the stability
score pass their thresholds, duplicates removed by box NMS. It is written here on SAM's
model parts because ``SamAutomaticMaskGenerator`` imports torchvision, which this project
does not install. The masks become an ``int32`` label map (0 = no mask; larger masks
painted first, so small subjects stay visible on top); :func:`labels_on_canvas` places it
on an expanded canvas for :class:`~models.dataset_builder.outpaint.OutpaintRequest`.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models.errors import InvalidInputError
from models.imaging import check_rgb

__all__ = ["composition_masks", "labels_on_canvas"]

log = logging.getLogger(__name__)


# -- composition masks ------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _sam(path: Path, variant: str, device: str) -> Any:
    """A full SAM model from ``path``, loaded once per file, variant and device."""
    import torch

    from models.procrop import encoder

    registry = encoder._sam_registry("segment_anything")
    if variant not in registry:
        raise InvalidInputError(f"unknown SAM variant {variant!r}; known: {', '.join(sorted(registry))}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise InvalidInputError(f"{path} is not a SAM checkpoint ({type(exc).__name__}: {exc})") from None
    state = state.get("model", state) if isinstance(state, dict) else state
    if not isinstance(state, dict) or not any(str(k).startswith("mask_decoder.") for k in state):
        raise InvalidInputError(f"{path} has no SAM mask decoder: composition masks need a full SAM checkpoint, not an image encoder alone")
    model = registry[variant](checkpoint=None)
    encoder.load_sam_state(model, path)
    return model.to(device).eval()


def _amg() -> Any:
    """segment-anything's ``utils.amg`` helpers (imported the way the SAM encoders import
    the package, so that a missing torchvision does not matter)."""
    from models.procrop import encoder

    encoder._sam_registry("segment_anything")
    return importlib.import_module("segment_anything.utils.amg")


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> np.ndarray:
    """Indices kept by greedy box NMS, best score first. ``boxes`` ``(N, 4)`` xyxy."""
    order = np.argsort(-scores, kind="stable")
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        lt = np.maximum(boxes[i, :2], boxes[rest, :2])
        rb = np.minimum(boxes[i, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
        iou = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        order = rest[iou <= threshold]
    return np.asarray(keep, dtype=np.int64)


def composition_masks(
    rgb: np.ndarray,
    sam_checkpoint: str | os.PathLike | None = None,
    *,
    variant: str = "vit_b",
    points_per_side: int = 16,
    points_per_batch: int = 64,
    pred_iou_thresh: float = 0.88,
    stability_score_thresh: float = 0.92,
    box_nms_thresh: float = 0.7,
    min_area: float = 0.002,
    mask_side: int = 256,
    device: str = "cpu",
) -> np.ndarray:
    """SAM automatic masks of an ``(H, W, 3)`` uint8 RGB image as an ``(H, W)`` int32 label
    map: 0 where no mask, 1 for the largest mask, 2 for the next... (see the module docstring).

    ``sam_checkpoint``: a full SAM checkpoint (default ``$CROPSTUDIO_SAM_CHECKPOINT``) of
    ``variant`` (``vit_b``, ``vit_l``, ``vit_h``); ``points_per_side``: the prompt grid
    (``n * n`` points); the thresholds are ``SamAutomaticMaskGenerator``'s (0 turns one
    off); ``min_area``:
    smaller masks (a fraction of the image) are dropped; ``mask_side``: masks are compared
    at this long side and the label map enlarged (nearest) to the image.
    """
    import torch

    from models.procrop.encoder import sam_checkpoint as configured

    rgb = check_rgb(rgb)
    if points_per_side < 1 or points_per_batch < 1 or mask_side < 8:
        raise InvalidInputError("points_per_side and points_per_batch must be >= 1, mask_side >= 8")
    model = _sam(configured(sam_checkpoint).resolve(), variant, device)
    amg = _amg()
    h, w = rgb.shape[:2]
    side = model.image_encoder.img_size
    scale = side / max(h, w)
    rh, rw = max(1, round(h * scale)), max(1, round(w * scale))
    f = min(1.0, mask_side / max(h, w))
    mh, mw = max(1, round(h * f)), max(1, round(w * f))
    with torch.inference_mode():
        x = torch.from_numpy(rgb).to(device).permute(2, 0, 1)[None].float()  # (1, 3, H, W)
        x = torch.nn.functional.interpolate(x, (rh, rw), mode="bilinear", antialias=True, align_corners=False)
        embedding = model.image_encoder(model.preprocess(x))  # (1, 256, 64, 64)
        points = amg.build_point_grid(points_per_side) * np.array([rw, rh])  # (n*n, 2) xy, model frame
        batches = [points[i : i + points_per_batch] for i in range(0, len(points), points_per_batch)]
        kept = [_masks_at(model, amg, embedding, torch.as_tensor(b, dtype=torch.float32, device=device),
                          ((rh, rw), (mh, mw)), (pred_iou_thresh, stability_score_thresh)) for b in batches]  # fmt: skip
    masks, scores = zip(*kept)
    return _label_map(torch.cat(masks), torch.cat(scores), (h, w), box_nms_thresh, min_area)


def _masks_at(model: Any, amg: Any, embedding: Any, coords: Any, frames: tuple[tuple[int, int], tuple[int, int]],
              thresholds: tuple[float, float]) -> tuple[Any, Any]:  # fmt: skip
    """SAM's three masks per point prompt ``coords`` ``(B, 2)`` (xy, model frame ``frames[0]``),
    at the comparison size ``frames[1]``, kept when they pass ``thresholds`` (predicted IoU,
    stability; 0 turns one off): ``(masks (K, mh, mw) bool, scores (K,))`` on the CPU."""
    import torch

    labels = torch.ones(len(coords), dtype=torch.int, device=coords.device)
    sparse, dense = model.prompt_encoder(points=(coords[:, None], labels[:, None]), boxes=None, masks=None)
    low, iou = model.mask_decoder(
        image_embeddings=embedding,
        image_pe=model.prompt_encoder.get_dense_pe(),
        sparse_prompt_embeddings=sparse,
        dense_prompt_embeddings=dense,
        multimask_output=True,
    )  # (B, 3, 256, 256), (B, 3)
    logits = model.postprocess_masks(low, *frames).flatten(0, 1)  # (3B, mh, mw)
    iou = iou.flatten()
    stable = amg.calculate_stability_score(logits, model.mask_threshold, 1.0)
    keep = torch.ones_like(iou, dtype=torch.bool)
    if thresholds[0] > 0:  # 0 turns a filter off, as in SamAutomaticMaskGenerator
        keep &= iou > thresholds[0]
    if thresholds[1] > 0:
        keep &= stable >= thresholds[1]
    return (logits[keep] > model.mask_threshold).cpu(), iou[keep].cpu()


def _boxes(masks: np.ndarray) -> np.ndarray:
    """``(N, 4)`` float xyxy boxes (exclusive ends) of non-empty boolean masks ``(N, h, w)``."""
    rows, cols = masks.any(axis=2), masks.any(axis=1)  # (N, h), (N, w)
    y0, x0 = rows.argmax(1), cols.argmax(1)
    y1 = rows.shape[1] - rows[:, ::-1].argmax(1)
    x1 = cols.shape[1] - cols[:, ::-1].argmax(1)
    return np.stack([x0, y0, x1, y1], axis=1).astype(np.float64)


def _label_map(masks: Any, scores: Any, size: tuple[int, int], nms: float, min_area: float) -> np.ndarray:
    """Kept boolean masks ``(N, mh, mw)`` -> an ``(H, W)`` int32 label map (see above)."""
    area = masks.flatten(1).sum(1).numpy() if len(masks) else np.zeros(0)
    big = area >= max(1.0, min_area * masks.shape[-1] * masks.shape[-2])
    masks, scores, area = masks[big], scores[big].numpy(), area[big]
    labels = np.zeros(masks.shape[-2:], np.int32)
    if len(masks):
        kept = _nms(_boxes(masks.numpy()), scores, nms)
        kept = kept[np.argsort(-area[kept], kind="stable")]  # largest first
        for label, i in enumerate(kept, start=1):
            labels[masks[i].numpy()] = label
    log.debug("composition masks: %d kept", int(labels.max()))
    return cv2.resize(labels, (size[1], size[0]), interpolation=cv2.INTER_NEAREST)


def labels_on_canvas(labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """The photo's ``(h, w)`` label map placed on a canvas: an ``(H, W)`` int32 map, the
    labels resized (nearest) onto the bounding box of ``known`` (``(H, W)`` bool, where the
    photo was pasted), 0 in the unknown area."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise InvalidInputError(f"labels must be an (h, w) integer map, got {labels.dtype} {labels.shape}")
    if not (isinstance(known, np.ndarray) and known.dtype == np.bool_ and known.ndim == 2 and known.any()):
        raise InvalidInputError("known must be a non-empty (H, W) bool mask")
    rows, cols = np.flatnonzero(known.any(axis=1)), np.flatnonzero(known.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    out = np.zeros(known.shape, np.int32)
    out[y0:y1, x0:x1] = cv2.resize(labels.astype(np.int32), (int(x1 - x0), int(y1 - y0)), interpolation=cv2.INTER_NEAREST)
    out[~known] = 0
    return out
