"""BlazeFace decoding, weighted blending, head growth and detect_subjects on the bundled samples."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from models.errors import InvalidInputError
from models.geometry import Box
from models.subjects import detect_subjects
from models.subjects.blazeface import FULL_RANGE, SHORT_RANGE, Detections, decode, ssd_anchors, weighted_nms
from models.subjects.heads import HEAD_SHAPE, grow_to_head, roll
from models.subjects.tflite import FACE_MODELS, detect_faces_blazeface, person_mask

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / "astronaut.jpg").convert("RGB"))


# -- anchors and decoding ----------------------------------------------------------------


def test_anchor_counts_and_order_match_the_models():
    short, full = ssd_anchors(SHORT_RANGE), ssd_anchors(FULL_RANGE)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    # short range: 16x16 cells with 2 anchors each, then 8x8 cells with 6 (three stride-16 layers)
    assert np.allclose(short[0], short[1]) and np.allclose(short[0], (0.5 / 16, 0.5 / 16))
    assert np.allclose(short[2], (1.5 / 16, 0.5 / 16))
    assert np.allclose(short[512], (0.5 / 8, 0.5 / 8)) and np.allclose(short[512:518], short[512])
    assert np.allclose(short[-1], (7.5 / 8, 7.5 / 8))
    assert np.allclose(full[1], (1.5 / 48, 0.5 / 48)) and np.allclose(full[48], (0.5 / 48, 1.5 / 48))


def test_decode_places_boxes_and_keypoints_relative_to_their_anchor():
    anchors = ssd_anchors(SHORT_RANGE)
    raw = np.zeros((896, 16), np.float32)
    logits = np.full(896, -10.0, np.float32)
    i = 600
    raw[i, :4] = [12.8, -6.4, 32.0, 64.0]  # pixels of the 128-px input: dx, dy, w, h
    raw[i, 4:] = np.arange(12)
    logits[i] = 2.0
    found = decode(raw, logits, anchors, SHORT_RANGE)
    assert len(found) == 1
    cx, cy = anchors[i] + (0.1, -0.05)
    assert np.allclose(found.boxes[0], (cx - 0.125, cy - 0.25, cx + 0.125, cy + 0.25), atol=1e-6)
    assert np.allclose(found.keypoints[0, 1], anchors[i] + np.array([2.0, 3.0]) / 128, atol=1e-6)
    assert found.scores[0] == pytest.approx(1 / (1 + math.exp(-2.0)))


def test_decode_drops_low_scores_and_survives_huge_logits():
    anchors = ssd_anchors(FULL_RANGE)
    logits = np.full(2304, -1e6, np.float32)
    logits[5] = 1e6
    found = decode(np.zeros((2304, 16), np.float32), logits, anchors, FULL_RANGE)
    assert len(found) == 1 and found.scores[0] == pytest.approx(1.0)


def _dets(boxes, scores) -> Detections:
    boxes = np.asarray(boxes, np.float32)
    kps = np.repeat(boxes[:, None, :2], 6, axis=1)
    return Detections(boxes, kps, np.asarray(scores, np.float32))


def test_weighted_nms_blends_overlaps_by_score_and_keeps_the_best_score():
    found = weighted_nms(_dets([[0, 0, 1, 1], [0.1, 0, 1.1, 1], [3, 3, 4, 4]], [0.6, 0.9, 0.7]), 0.3)
    assert len(found) == 2
    assert found.scores.tolist() == pytest.approx([0.9, 0.7])
    x0 = (0.9 * 0.1 + 0.6 * 0.0) / 1.5
    assert found.boxes[0] == pytest.approx([x0, 0, x0 + 1, 1])
    assert found.keypoints[0, 0] == pytest.approx([x0, 0])
    assert found.boxes[1] == pytest.approx([3, 3, 4, 4])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 10), st.floats(0.1, 3), st.floats(0.5, 1)), max_size=12))
def test_weighted_nms_output_is_disjoint_enough_and_sorted(items):
    boxes = [[x, y, x + s, y + s] for x, y, s, _ in items]
    found = weighted_nms(_dets(boxes or np.zeros((0, 4)), [c for *_, c in items]), 0.3)
    assert len(found) <= len(items)
    assert np.all(np.diff(found.scores) <= 1e-7)
    if items:  # the best detection always survives as a group leader
        assert found.scores[0] == pytest.approx(max(c for *_, c in items))


# -- the networks on the bundled samples --------------------------------------------------


@pytest.mark.parametrize("model", sorted(FACE_MODELS))
def test_both_models_find_the_astronauts_one_face(astronaut, model):
    found = detect_faces_blazeface(astronaut, model)
    assert len(found) == 1 and found.scores[0] > 0.8
    x0, y0, x1, y1 = found.boxes[0]
    assert Box(150, 40, 300, 200).contains(Box(x0, y0, x1, y1))  # Eileen Collins' face
    right_eye, left_eye, nose, mouth, right_ear, left_ear = found.keypoints[0]
    assert right_eye[0] < nose[0] < left_eye[0]  # her right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1] < y1
    assert right_ear[0] < right_eye[0] and left_ear[0] > left_eye[0]


def test_letterbox_maps_back_to_image_pixels(astronaut):
    """The same face found in a padded, wider copy sits at the same place plus the offset."""
    wide = np.zeros((512, 900, 3), np.uint8)
    wide[:, 300:812] = astronaut
    a = detect_faces_blazeface(astronaut).boxes[0]
    b = detect_faces_blazeface(wide).boxes[0]
    assert np.allclose(b - [300, 0, 300, 0], a, atol=12)


@pytest.mark.parametrize("name", ["chelsea.jpg", "coffee.jpg", "rocket.jpg"])
def test_no_faces_on_the_other_samples(name):
    rgb = np.asarray(Image.open(SAMPLES / name).convert("RGB"))
    subjects = detect_subjects(rgb)
    assert subjects.heads == () and subjects.person is None


def test_person_mask_covers_the_astronaut_not_the_sky(astronaut):
    mask = person_mask(astronaut)
    assert mask.shape == (256, 256) and mask.dtype == np.float32
    assert mask[45:75, 100:125].mean() > 0.9  # her face (image x 200-250, y 90-150)
    assert mask[:20, :20].mean() < 0.1  # the dark corner
    wide = person_mask(np.zeros((100, 300, 3), np.uint8))
    assert wide.shape == (144, 256)  # the landscape model for wide images


def test_bad_input_is_a_clear_error():
    with pytest.raises(InvalidInputError):
        detect_faces_blazeface(np.zeros((10, 10), np.uint8))
    with pytest.raises(InvalidInputError):
        detect_faces_blazeface(np.zeros((10, 10, 3), np.uint8), "huge-range")


def test_threads_each_get_their_own_network(astronaut):
    results, errors = [], []

    def work():
        try:
            results.append(detect_faces_blazeface(astronaut).boxes.copy())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    assert all(np.allclose(r, results[0]) for r in results)


# -- heads -----------------------------------------------------------------------------


def _level_keypoints(cx: float, cy: float, s: float) -> np.ndarray:
    return np.array([[cx - 0.2 * s, cy - 0.15 * s], [cx + 0.2 * s, cy - 0.15 * s], [cx, cy], [cx, cy + 0.2 * s],
                     [cx - 0.45 * s, cy - 0.05 * s], [cx + 0.45 * s, cy - 0.05 * s]])  # fmt: skip


def test_a_level_head_is_the_shape_around_the_face():
    face = Box(100, 100, 200, 200)
    head = grow_to_head(face, _level_keypoints(150, 150, 100), 1000, 1000)
    assert head.y0 == pytest.approx(150 - HEAD_SHAPE.top * 100)
    assert head.y1 == pytest.approx(150 + HEAD_SHAPE.bottom * 100)
    assert head.x0 == pytest.approx(150 - max(HEAD_SHAPE.side, 0.45 + HEAD_SHAPE.ear_margin) * 100)
    assert head.contains(face)


def test_a_turned_head_reaches_past_the_far_ear():
    kps = _level_keypoints(150, 150, 100)
    kps[5, 0] = 150 + 0.9 * 100  # left ear far to the right: the head is turned
    head = grow_to_head(Box(100, 100, 200, 200), kps, 1000, 1000)
    assert head.x1 == pytest.approx(150 + (0.9 + HEAD_SHAPE.ear_margin) * 100)


@settings(max_examples=100, deadline=None)
@given(st.floats(-math.pi / 2, math.pi / 2), st.floats(10, 300), st.floats(0, 1000), st.floats(0, 1000))
def test_a_rolled_head_box_holds_the_face_and_is_clipped(angle, s, cx, cy):
    kps = _level_keypoints(0, 0, s)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    kps = kps @ rot.T + (cx, cy)
    assert roll(kps) == pytest.approx(angle, abs=1e-6)
    face = Box(cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)
    head = grow_to_head(face, kps, 1000, 1000)
    assert 0 <= head.x0 <= head.x1 <= 1000 and 0 <= head.y0 <= head.y1 <= 1000
    # the face's central half always lies in the head, whatever the roll
    core = Box(cx - s / 4, cy - s / 4, cx + s / 4, cy + s / 4)
    assert head.contains(core.clipped(1000, 1000), tol=1e-6)


def test_detect_subjects_on_the_astronaut_gives_one_whole_head(astronaut):
    subjects = detect_subjects(astronaut)
    assert subjects.image_size == (512, 512)
    (head,) = subjects.heads
    assert head.box.contains(head.face) and head.score > 0.8
    assert head.box.y0 < 50 and head.box.y1 > 180  # her hair starts about y = 50; chin at about 180
    assert subjects.person is not None and subjects.person.shape == (256, 256)
    assert detect_subjects(astronaut, person=False).person is None


def test_a_missing_model_file_is_a_clear_error(astronaut, tmp_path, monkeypatch):
    import models.subjects.tflite as tflite

    monkeypatch.setenv("CROPSTUDIO_RESOURCES", str(tmp_path))
    monkeypatch.setattr(tflite._local, "nets", {}, raising=False)  # noqa: SLF001 - forget loaded nets
    with pytest.raises(tflite.ModelMissingError, match="blazeface-full-range.tflite is missing"):
        detect_faces_blazeface(astronaut)
