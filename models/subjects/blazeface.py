"""BlazeFace post-processing: SSD anchors, box and keypoint decoding, weighted blending.

The models are MediaPipe's face detectors (``resources/weights/blazeface-*.tflite``, see
``resources/LICENSES.md``); :mod:`models.subjects.tflite` runs them. What MediaPipe does in
its graph calculators (``SsdAnchorsCalculator``, ``TensorsToDetectionsCalculator``,
``NonMaxSuppressionCalculator`` with the WEIGHTED algorithm) is written here in numpy, with the
options of MediaPipe's ``face_detection_short_range`` / ``face_detection_full_range`` graphs.

Coordinates are normalised to the square network input, ``[0, 1]`` on both axes; keypoints
are, in order: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear
tragion (the person's right: the left one in a frontal photo).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.box_arrays import iou_matrix

__all__ = ["FULL_RANGE", "SHORT_RANGE", "AnchorSpec", "Detections", "decode", "ssd_anchors", "weighted_nms"]

N_KEYPOINTS = 6


@dataclass(frozen=True, slots=True)
class AnchorSpec:
    """The options of one BlazeFace model (MediaPipe's graph options, fixed anchor size)."""

    name: str
    input_size: int
    strides: tuple[int, ...]
    interpolated_scale: bool  # MediaPipe's interpolated_scale_aspect_ratio == 1.0: one more anchor per layer
    min_score: float
    suppression_iou: float = 0.3
    anchor_offset: float = 0.5


SHORT_RANGE = AnchorSpec("short-range", 128, (8, 16, 16, 16), True, 0.5)
FULL_RANGE = AnchorSpec("full-range", 192, (4,), False, 0.6)


@dataclass(frozen=True, slots=True)
class Detections:
    """``n`` faces: ``boxes (n, 4)`` x0, y0, x1, y1, ``keypoints (n, 6, 2)`` x, y (normalised
    to the network input), ``scores (n,)`` in ``[0, 1]``."""

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4), np.float32), np.zeros((0, N_KEYPOINTS, 2), np.float32), np.zeros(0, np.float32))


def ssd_anchors(spec: AnchorSpec) -> np.ndarray:
    """Anchor centres ``(k, 2)`` x, y in ``[0, 1]``, in the order of the model's outputs.

    Consecutive layers of equal stride share one feature map; each layer adds one anchor per
    cell (two with the interpolated scale). With fixed anchor sizes every anchor is 1 x 1,
    so only the centres matter.
    """
    centres: list[np.ndarray] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        per_cell = 0
        while layer < len(spec.strides) and spec.strides[layer] == stride:
            per_cell += 2 if spec.interpolated_scale else 1
            layer += 1
        side = math.ceil(spec.input_size / stride)
        ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
        grid = np.stack([(xs + spec.anchor_offset) / side, (ys + spec.anchor_offset) / side], axis=-1)  # [side, side, 2]
        centres.append(np.repeat(grid.reshape(-1, 2), per_cell, axis=0))
    return np.concatenate(centres)


def decode(regressors: np.ndarray, scores: np.ndarray, anchors: np.ndarray, spec: AnchorSpec) -> Detections:
    """Raw outputs ``regressors (k, 16)`` and ``scores (k,)`` (logits) to the detections above
    ``spec.min_score``, before blending."""
    raw = np.asarray(regressors, np.float32).reshape(len(anchors), -1) / spec.input_size  # [k, 16]
    logits = np.clip(np.asarray(scores, np.float64).reshape(-1), -100.0, 100.0)  # MediaPipe clips at 100
    prob = 1.0 / (1.0 + np.exp(-logits))
    prob = prob.astype(np.float32)
    keep = prob >= spec.min_score
    raw, prob, anc = raw[keep], prob[keep], anchors[keep]
    centre = raw[:, 0:2] + anc
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4 : 4 + 2 * N_KEYPOINTS].reshape(-1, N_KEYPOINTS, 2) + anc[:, None, :]
    return Detections(boxes, keypoints, prob)


def weighted_nms(found: Detections, iou: float) -> Detections:
    """MediaPipe's weighted non-maximum suppression.

    Take the best remaining detection and every remaining one overlapping it by more than
    ``iou`` (itself included); replace them by their score-weighted mean box and keypoints,
    keeping the best score. Repeat until none remain. Output is sorted by score.
    """
    order = np.argsort(-found.scores, kind="stable")
    boxes, keypoints, scores = found.boxes[order], found.keypoints[order], found.scores[order]
    out_b, out_k, out_s = [], [], []
    remaining = np.arange(len(scores))
    while len(remaining):
        best = remaining[0]
        close = iou_matrix(boxes[best], boxes[remaining])[0] > iou
        close[0] = True
        group = remaining[close]
        weights = scores[group] / scores[group].sum()
        out_b.append((boxes[group] * weights[:, None]).sum(axis=0))
        out_k.append((keypoints[group] * weights[:, None, None]).sum(axis=0))
        out_s.append(scores[best])
        remaining = remaining[~close]
    if not out_s:
        return Detections.empty()
    return Detections(np.stack(out_b), np.stack(out_k), np.asarray(out_s, np.float32))
