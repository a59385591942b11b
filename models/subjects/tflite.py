"""Running the bundled MediaPipe TFLite models through OpenCV's DNN module.

``cv2.dnn.readNetFromTFLite`` (OpenCV >= 4.8) reads them; no TensorFlow. A ``cv2.dnn.Net``
keeps state between ``setInput`` and ``forward``, so every thread gets its own copy (loading
one takes a few milliseconds). OpenCV's importer takes NCHW input blobs even for TFLite.

* :func:`detect_faces_blazeface`: the image letterboxed (long side scaled to the model's
  square input, zero padding, as MediaPipe's ``ImageToTensorCalculator`` with
  ``keep_aspect_ratio``), values in ``[-1, 1]``, decoded and blended by
  :mod:`models.subjects.blazeface`, mapped back to image pixels.
* :func:`person_mask`: MediaPipe's selfie segmentation (the image stretched to 256 x 256, or to
  256 x 144 by the landscape model for wide images, values in ``[0, 1]``); a person
  probability per pixel of the model's output grid.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from models.errors import CropStudioError, InvalidInputError
from models.imaging import check_rgb
from models.resources import resource_path
from models.subjects.blazeface import FULL_RANGE, SHORT_RANGE, AnchorSpec, Detections, decode, ssd_anchors, weighted_nms

__all__ = ["FACE_MODELS", "FaceModel", "ModelMissingError", "detect_faces_blazeface", "person_mask"]

log = logging.getLogger(__name__)


class ModelMissingError(CropStudioError):
    """A bundled model file is missing or unreadable (a broken install): the CLI prints it as
    one ``error:`` line, the GUI in the status line."""


@dataclass(frozen=True, slots=True)
class FaceModel:
    spec: AnchorSpec
    file: str


FACE_MODELS: dict[str, FaceModel] = {
    "full-range": FaceModel(FULL_RANGE, "weights/blazeface-full-range.tflite"),
    "short-range": FaceModel(SHORT_RANGE, "weights/blazeface-short-range.tflite"),
}
PERSON_MODELS = {  # name: (file, (width, height) of the input)
    "square": ("weights/selfie-segmentation.tflite", (256, 256)),
    "landscape": ("weights/selfie-segmentation-landscape.tflite", (256, 144)),
}
LANDSCAPE_FROM = 1.4  # width / height from which the landscape person model is used (it is 16:9)

_local = threading.local()
_anchors: dict[str, np.ndarray] = {}


def _net(relative: str) -> cv2.dnn.Net:
    nets = _local.__dict__.setdefault("nets", {})
    if relative not in nets:
        path = resource_path(relative)
        if not path.is_file():
            raise ModelMissingError(f"bundled model {path} is missing: reinstall Crop Studio")
        try:
            nets[relative] = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as exc:
            raise ModelMissingError(f"cannot read bundled model {path}: {exc}") from exc
    return nets[relative]


def _forward(net: cv2.dnn.Net, blob: np.ndarray) -> list[np.ndarray]:
    net.setInput(blob)
    return list(net.forward(net.getUnconnectedOutLayersNames()))


def _letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, float, float]:
    """A ``(1, 3, size, size)`` float blob in [-1, 1] and ``(scale, pad_x, pad_y)``: input
    pixel = image pixel * scale + pad."""
    h, w = rgb.shape[:2]
    scale = size / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (nw, nh), interpolation=interp)
    canvas = np.zeros((size, size, 3), np.float32)  # black borders, as MediaPipe's zero border
    pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
    canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = small
    blob = canvas.transpose(2, 0, 1)[None] / 127.5 - 1.0  # [1, 3, size, size]
    return np.ascontiguousarray(blob, np.float32), scale, float(pad_x), float(pad_y)


def detect_faces_blazeface(rgb: np.ndarray, model: str = "full-range") -> Detections:
    """Faces of an ``(H, W, 3)`` uint8 RGB image: boxes and keypoints in its pixels."""
    check_rgb(rgb)
    if model not in FACE_MODELS:
        raise InvalidInputError(f"unknown face model {model!r}; choose one of {', '.join(FACE_MODELS)}")
    face_model = FACE_MODELS[model]
    spec = face_model.spec
    if spec.name not in _anchors:
        _anchors[spec.name] = ssd_anchors(spec)
    blob, scale, pad_x, pad_y = _letterbox(rgb, spec.input_size)
    outputs = _forward(_net(face_model.file), blob)
    scores, regressors = sorted(outputs, key=lambda o: o.shape[-1])  # [1, k, 1], [1, k, 16]
    found = weighted_nms(decode(regressors[0], scores[0], _anchors[spec.name], spec), spec.suppression_iou)
    size = spec.input_size
    offset = np.array([pad_x, pad_y], np.float32)
    boxes = ((found.boxes.reshape(-1, 2, 2) * size - offset) / scale).reshape(-1, 4)
    keypoints = (found.keypoints * size - offset) / scale
    return Detections(boxes.astype(np.float32), keypoints.astype(np.float32), found.scores)


def person_mask(rgb: np.ndarray) -> np.ndarray:
    """``(h, w)`` float32 person probability in ``[0, 1]`` on the model's grid (256 x 256, or
    256 x 144 for images at least :data:`LANDSCAPE_FROM` wide); resize it to the image."""
    check_rgb(rgb)
    h, w = rgb.shape[:2]
    file, (mw, mh) = PERSON_MODELS["landscape" if w >= LANDSCAPE_FROM * h else "square"]
    interp = cv2.INTER_AREA if w > mw else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (mw, mh), interpolation=interp).astype(np.float32) / 255.0
    blob = np.ascontiguousarray(small.transpose(2, 0, 1)[None])  # [1, 3, mh, mw]
    (out,) = _forward(_net(file), blob)
    return np.clip(out.reshape(mh, mw), 0.0, 1.0).astype(np.float32)
