"""models.eval: data-set readers, metrics, baselines, the runner and `cropstudio eval`.

Data folders are generated in tmp_path (never copied from ../shared/data); one test reads
the real FLMS constraints set when it is present.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image

from models.cli.main import main
from models.errors import CropStudioError, InvalidInputError
from models.eval import registry
from models.eval.baselines import (
    ANNOTATION_BASELINES,
    BASELINE_NAMES,
    CONSTANT_CROP,
    CONSTRAINT_BASELINES,
    CentredBaseline,
    FullImageBaseline,
    SaliencyAnalysis,
    SaliencyBaseline,
    centred_crop,
    constant_crop,
    fit_ratio_keeping_edge,
)
from models.eval.datasets import DatasetError, load_annotations, load_constraints
from models.eval.metrics import acc_k_n, best_disp, best_iou, disp, iou
from models.eval.protocol import CropMethod, CropRequest
from models.eval.registry import available_methods, make_method, register_method
from models.eval.runner import EvaluationError, evaluate_annotations, evaluate_constraints
from models.geometry import Box, largest_box_with_ratio
from models.imaging import load_image

FLMS = Path(__file__).resolve().parents[2].parent / "shared/data/flms"


# -- synthetic data folders --------------------------------------------------------------
def _photo(path: Path, width: int, height: int, seed: int) -> None:
    """A noisy grey picture with one bright block (something salient), as JPEG or PNG."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(60, 90, (height, width, 3), dtype=np.uint8)
    rgb[height // 4 : height // 2, width // 2 : 3 * width // 4] = (250, 40, 40)
    Image.fromarray(rgb).save(path)


ANNOTATIONS = {
    "name": "tiny",
    "images": [
        {"file": "images/wide.jpg", "width": 96, "height": 64,
         "crops": [[0.0, 0.0, 1.0, 1.0], [0.25, 0.25, 0.75, 0.75]], "scores": [3.0, 4.0]},
        {"file": "images/tall.jpg", "width": 48, "height": 80, "crops": [[0.1, 0.1, 0.9, 0.9]]},
        {"file": "images/missing.jpg", "width": 50, "height": 50, "crops": [[0.0, 0.0, 1.0, 1.0]]},
    ],
}  # fmt: skip

CONSTRAINTS = {
    "items": [
        {"id": "w-0", "file": "images/wide.jpg", "aspect_ratio": 1.0, "layout_index": 0,
         "layout_box": [0.0, 0.0, 0.5, 0.5], "crop": [0.0, 0.0, 0.666667, 1.0]},
        {"id": "w-1", "file": "images/wide.jpg", "aspect_ratio": 1.5, "layout_index": 1,
         "layout_box": [0.5, 0.0, 1.0, 0.5], "crop": [0.0, 0.0, 1.0, 1.0]},
        {"id": "t-6", "file": "images/tall.jpg", "aspect_ratio": 0.75, "layout_index": 6,
         "layout_box": [0.9, 0.2, 1.0, 0.8], "crop": [0.0, 0.1, 1.0, 0.9]},
        {"id": "w-4", "file": "images/wide.jpg", "aspect_ratio": 0.5, "layout_index": 4,
         "layout_box": [0.0, 0.2, 0.1, 0.8], "crop": [0.0, 0.0, 0.333333, 1.0]},
        {"id": "m-2", "file": "images/missing.jpg", "aspect_ratio": 1.0, "layout_index": 2,
         "layout_box": [0.5, 0.5, 1.0, 1.0], "crop": [0.0, 0.0, 1.0, 1.0]},
    ],
}  # fmt: skip


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    (folder / "images").mkdir(parents=True)
    _photo(folder / "images" / "wide.jpg", 96, 64, seed=1)
    _photo(folder / "images" / "tall.jpg", 48, 80, seed=2)
    (folder / "annotations.json").write_text(json.dumps(ANNOTATIONS))
    (folder / "constraints.json").write_text(json.dumps(CONSTRAINTS))
    return folder


def _write(folder: Path, name: str, data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(data if isinstance(data, str) else json.dumps(data))
    return folder


def _with(base: dict, key: str, index: int, **changes) -> dict:
    data = json.loads(json.dumps(base))
    entry = data[key][index]
    for k, v in changes.items():
        if v is _DROP:
            del entry[k]
        else:
            entry[k] = v
    return data


_DROP = object()


# -- readers -----------------------------------------------------------------------------
def test_load_annotations(dataset):
    aset = load_annotations(dataset)
    assert aset.name == "tiny" and aset.folder == dataset.resolve() and len(aset.items) == 3
    wide, tall, _ = aset.items
    assert wide.file == dataset.resolve() / "images" / "wide.jpg" and wide.file.is_absolute()
    assert (wide.width, wide.height) == (96, 64)
    assert wide.crops == (Box(0, 0, 1, 1), Box(0.25, 0.25, 0.75, 0.75)) and wide.scores == (3.0, 4.0)
    assert tall.scores is None and tall.crops == (Box(0.1, 0.1, 0.9, 0.9),)


def test_load_annotations_name_defaults_to_the_folder(tmp_path):
    data = {"images": ANNOTATIONS["images"][:1]}
    assert load_annotations(_write(tmp_path / "named", "annotations.json", data)).name == "named"


def test_load_constraints(dataset):
    items = load_constraints(dataset)
    assert [it.id for it in items] == ["w-0", "w-1", "t-6", "w-4", "m-2"]
    first = items[0]
    assert first.file == dataset.resolve() / "images" / "wide.jpg"
    assert first.aspect_ratio == 1.0 and first.layout_index == 0
    assert first.layout_box == Box(0, 0, 0.5, 0.5) and first.crop == Box(0, 0, 0.666667, 1)


@pytest.mark.parametrize("loader", [load_annotations, load_constraints])
def test_missing_folder_or_file(tmp_path, loader):
    with pytest.raises(DatasetError, match="does not exist"):
        loader(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DatasetError, match="not a folder"):
        loader(tmp_path / "file.txt")
    with pytest.raises(DatasetError, match=r"no (annotations|constraints)\.json in"):
        loader(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON: .* line 1"),
        ("[1, 2]", "must hold a JSON object"),
        ("{}", "has no '(images|items)' list"),
        ('{"images": 3, "items": 3}', "must be a list"),
    ],
)
@pytest.mark.parametrize(("loader", "name"), [(load_annotations, "annotations.json"), (load_constraints, "constraints.json")])
def test_malformed_files(tmp_path, loader, name, text, message):
    with pytest.raises(DatasetError, match=message):
        loader(_write(tmp_path, name, text))


def test_non_utf8_file(tmp_path):
    (tmp_path / "constraints.json").write_bytes(b'{"items": ["\xff"]}')
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_constraints(tmp_path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"file": _DROP}, r"images\[0\] is missing 'file'"),
        ({"width": _DROP}, r"images\[0\] is missing 'width'"),
        ({"height": _DROP}, r"images\[0\] is missing 'height'"),
        ({"crops": _DROP}, r"images\[0\] is missing 'crops'"),
        ({"file": ""}, r"images\[0\]\.file must be a non-empty path"),
        ({"width": 0}, r"images\[0\]\.width must be a positive integer"),
        ({"height": 12.5}, r"images\[0\]\.height must be a positive integer"),
        ({"crops": []}, r"crops must be a non-empty list"),
        ({"crops": [[0, 0, 1]]}, r"crops\[0\] must be a list of four numbers"),
        ({"crops": [[0, 0, "1", 1]]}, r"crops\[0\] must be a finite number"),
        ({"crops": [[0, 0, 1.2, 1]]}, r"crops\[0\] \[0, 0, 1.2, 1\] is outside \[0, 1\]"),
        ({"crops": [[-0.1, 0, 1, 1]]}, r"is outside \[0, 1\]"),
        ({"crops": [[0.5, 0, 0.5, 1]]}, r"crops\[0\] .* is empty or inverted"),
        ({"scores": [1.0]}, r"scores must be a list of 2 numbers"),
        ({"scores": [1.0, float("nan")]}, r"scores\[1\] must be a finite number"),
    ],
)
def test_annotation_item_errors(tmp_path, changes, message):
    data = _with(ANNOTATIONS, "images", 0, **changes)
    with pytest.raises(DatasetError, match=message):
        load_annotations(_write(tmp_path, "annotations.json", data))


def test_annotation_entry_must_be_an_object(tmp_path):
    with pytest.raises(DatasetError, match=r"images\[0\] must be a JSON object"):
        load_annotations(_write(tmp_path, "annotations.json", {"images": [[0, 0, 1, 1]]}))


def test_inverted_ground_truth_corners_are_reordered_or_refused(tmp_path, caplog):
    data = _with(ANNOTATIONS, "images", 1, crops=[[1.0, 0.9, 0.1, 0.05]])  # as FLMS images 250 and 416
    folder = _write(tmp_path, "annotations.json", data)
    with caplog.at_level(logging.WARNING, logger="models.eval.datasets"):
        aset = load_annotations(folder)
    assert aset.items[1].crops == (Box(0.1, 0.05, 1.0, 0.9),)
    assert "wrong order" in caplog.text and r"images[1].crops[0]" in caplog.text
    with pytest.raises(DatasetError, match=r"images\[1\]\.crops\[0\] .* is empty or inverted"):
        load_annotations(folder, fix_inverted=False)


def test_rounding_noise_outside_the_unit_box_is_clamped(tmp_path):
    data = _with(ANNOTATIONS, "images", 1, crops=[[-1e-7, 0, 1 + 1e-7, 1]])
    aset = load_annotations(_write(tmp_path, "annotations.json", data))
    assert aset.items[1].crops == (Box(0, 0, 1, 1),)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        *[({key: _DROP}, rf"items\[0\] is missing '{key}'")
          for key in ("id", "file", "aspect_ratio", "layout_index", "layout_box", "crop")],
        ({"aspect_ratio": 0}, r"items\[0\]\.aspect_ratio must be positive"),
        ({"aspect_ratio": -1.5}, r"aspect_ratio must be positive"),
        ({"aspect_ratio": "4:3"}, r"aspect_ratio must be a finite number"),
        ({"aspect_ratio": True}, r"aspect_ratio must be a finite number"),
        ({"layout_index": -1}, r"layout_index must be a non-negative integer"),
        ({"layout_index": 1.5}, r"layout_index must be a non-negative integer"),
        ({"id": None}, r"items\[0\]\.id must be a string"),
        ({"layout_box": [0, 0, 1.5, 0.5]}, r"items\[0\]\.layout_box .* is outside \[0, 1\]"),
        ({"layout_box": [0.6, 0, 0.5, 0.5]}, r"layout_box .* is empty or inverted"),
        ({"crop": [0, 0.5, 1, 0.5]}, r"items\[0\]\.crop .* is empty or inverted"),
        ({"crop": [0, 0.7, 1, 0.2]}, r"crop .* is empty or inverted"),  # constraints are never reordered
    ],
)  # fmt: skip
def test_constraint_item_errors(tmp_path, changes, message):
    data = _with(CONSTRAINTS, "items", 0, **changes)
    with pytest.raises(DatasetError, match=message):
        load_constraints(_write(tmp_path, "constraints.json", data))


def test_dataset_errors_are_user_errors():
    assert issubclass(DatasetError, InvalidInputError) and issubclass(DatasetError, CropStudioError)


# -- metrics -----------------------------------------------------------------------------
def test_iou_of_known_boxes():
    assert iou(Box(0, 0, 2, 2), Box(1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert iou(Box(0, 0, 1, 1), Box(0, 0, 1, 1)) == 1.0
    assert iou(Box(0, 0, 0.5, 1), Box(0.5, 0, 1, 1)) == 0.0  # touching edges do not overlap
    assert iou(Box(0, 0, 1, 1), Box(0.25, 0.25, 0.75, 0.75)) == pytest.approx(0.25)


def test_disp_of_known_boxes():
    assert disp(Box(0.1, 0.2, 0.9, 0.8), Box(0, 0, 1, 1)) == pytest.approx((0.1 + 0.2 + 0.1 + 0.2) / 4)
    assert disp(Box(0.2, 0.2, 0.6, 0.6), Box(0.2, 0.2, 0.6, 0.6)) == 0.0
    assert disp(Box(0, 0, 0.5, 0.5), Box(0.5, 0.5, 1, 1)) == pytest.approx(0.5)  # a shift by half


def test_best_iou_and_best_disp_take_the_best_ground_truth():
    gts = [Box(0, 0, 1, 1), Box(0.1, 0.1, 0.9, 0.9), Box(0.5, 0.5, 1, 1)]
    pred = Box(0.1, 0.1, 0.8, 0.9)
    assert best_iou(pred, gts) == pytest.approx(0.7 / 0.8)
    assert best_disp(pred, gts) == pytest.approx(0.1 / 4)
    with pytest.raises(InvalidInputError, match="at least one ground-truth"):
        best_iou(pred, [])
    with pytest.raises(InvalidInputError, match="at least one ground-truth"):
        best_disp(pred, [])


def test_acc_k_n_on_a_hand_computed_case():
    gts = [Box(0, 0, 1, 1), Box(0, 0, 0.5, 0.5), Box(0.5, 0.5, 1, 1), Box(0, 0.5, 0.5, 1)]
    scores = [1.0, 4.0, 3.0, 2.0]  # ranking by score: gts[1], gts[2], gts[3], gts[0]
    preds = [Box(0, 0, 0.5, 0.48), Box(0, 0, 1, 1), Box(0.5, 0.5, 1, 0.99)]
    # pred 0 matches gts[1] (IoU 0.96), pred 1 matches only gts[0] (the worst), pred 2 matches gts[2] (0.98)
    assert acc_k_n(preds, gts, scores, 1, 1) == 1.0
    assert acc_k_n(preds, gts, scores, 2, 1) == 0.5
    assert acc_k_n(preds, gts, scores, 3, 1) == pytest.approx(1 / 3)
    assert acc_k_n(preds, gts, scores, 3, 2) == pytest.approx(2 / 3)
    assert acc_k_n(preds, gts, scores, 3, 4) == 1.0
    assert acc_k_n(preds, gts, scores, 3, 10) == 1.0  # n beyond the crops: all of them
    assert acc_k_n(preds, gts, scores, 1, 1, thr=0.97) == 0.0  # IoU 0.96 is below this threshold


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([Box(0, 0, 1, 1)], [Box(0, 0, 1, 1)], [1.0], 0, 1), "positive integers"),
        (([Box(0, 0, 1, 1)], [Box(0, 0, 1, 1)], [1.0], 1, 0), "positive integers"),
        (([Box(0, 0, 1, 1)], [Box(0, 0, 1, 1)], [1.0], 2, 1), "at least 2 ranked predictions"),
        (([Box(0, 0, 1, 1)], [Box(0, 0, 1, 1)], [1.0, 2.0], 1, 1), "one score per ground-truth"),
        (([Box(0, 0, 1, 1)], [], [], 1, 1), "at least one ground-truth"),
    ],
)
def test_acc_k_n_rejects_bad_arguments(args, message):
    with pytest.raises(InvalidInputError, match=message):
        acc_k_n(*args)


# -- the protocol ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_size": (0, 10), "aspect": None}, "image_size"),
        ({"image_size": (10.0, 10), "aspect": None}, "image_size"),
        ({"image_size": (10, 10), "aspect": 0.0}, "aspect must be a positive number"),
        ({"image_size": (10, 10), "aspect": math.inf}, "aspect must be a positive number"),
        ({"image_size": (10, 10), "aspect": None, "keep": [Box(0, 0, 1, 1)]}, "keep must be a tuple of Box"),
        ({"image_size": (10, 10), "aspect": None, "avoid": ((0, 0, 1, 1),)}, "avoid must be a tuple of Box"),
    ],
)
def test_crop_request_validation(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        CropRequest(**kwargs)


def test_baselines_follow_the_protocol():
    for name in ("centred", "saliency-long", "saliency-short", "full-image"):
        method = make_method(name)
        assert isinstance(method, CropMethod) and method.name == name


# -- the centred baseline ----------------------------------------------------------------
def test_the_constant_crop_is_side_088_two_percent_up_and_keeps_a_ratio():
    free = constant_crop(CropRequest(image_size=(1000, 500), aspect=None))
    assert free.as_tuple() == pytest.approx((60, 20, 940, 460))
    assert free.as_tuple() == pytest.approx(tuple(v * s for v, s in zip(CONSTANT_CROP.as_tuple(), (1000, 500, 1000, 500))))
    tall = constant_crop(CropRequest(image_size=(1000, 500), aspect=0.5))  # largest box 250 x 500
    assert (tall.width, tall.height) == pytest.approx((220, 440)) and tall.center == pytest.approx((500, 240))
    wide = constant_crop(CropRequest(image_size=(400, 1000), aspect=4.0))  # largest box 400 x 100
    assert (wide.width, wide.height) == pytest.approx((352, 88)) and wide.center == pytest.approx((200, 480))
    assert make_method("constant-crop").crop(None, CropRequest(image_size=(1000, 500), aspect=None)) == free


def test_centred_without_layout_is_the_centred_largest_box():
    assert centred_crop(CropRequest((300, 200), 1.0)) == Box(50, 0, 250, 200)
    assert centred_crop(CropRequest((300, 200), None, keep=(Box(0, 0, 10, 10),))) == Box(0, 0, 300, 200)
    assert CentredBaseline().crop(None, CropRequest((300, 200), 3.0)) == Box(0, 50, 300, 150)


def test_centred_moves_as_little_as_possible():
    # 1:1 in 300x200 is 200 wide: the centred box [50, 250) must move left by 30 to keep x >= 20
    assert centred_crop(CropRequest((300, 200), 1.0, keep=(Box(20, 10, 60, 40),))) == Box(20, 0, 220, 200)
    assert centred_crop(CropRequest((300, 200), 1.0, keep=(Box(290, 0, 300, 5),))) == Box(100, 0, 300, 200)


def test_centred_cannot_contain_an_over_long_layout_and_centres_on_it():
    # a 2:1 box in 100x100 is 50 high; the layout spans y 0..80, so it is centred on y = 40
    box = centred_crop(CropRequest((100, 100), 2.0, keep=(Box(0, 0, 100, 80),)))
    assert box == Box(0, 15, 100, 65)


@settings(max_examples=300, deadline=None)
@given(
    ratio=st.floats(0.3, 3.0),
    width=st.integers(8, 5000),
    height=st.integers(8, 5000),
    corners=st.tuples(*[st.floats(0.0, 1.0)] * 4),
)
def test_centred_contains_the_layout_box(ratio, width, height, corners):
    a, b, c, d = corners
    layout = Box(min(a, c) * width, min(b, d) * height, max(a, c) * width, max(b, d) * height)
    request = CropRequest((width, height), ratio, keep=(layout,))
    box = centred_crop(request)
    largest = largest_box_with_ratio(width, height, ratio)
    frame = Box(0, 0, width, height)
    # always: the largest box of the ratio (same size), inside the image
    assert box.width == pytest.approx(largest.width) and box.height == pytest.approx(largest.height)
    assert frame.contains(box, tol=1e-6 * max(width, height))
    if layout.width <= largest.width and layout.height <= largest.height:
        assert box.contains(layout, tol=1e-6 * max(width, height))
    if largest.contains(layout):
        assert box.as_tuple() == pytest.approx(largest.as_tuple())


# -- the saliency baselines --------------------------------------------------------------
def test_fit_ratio_keeping_edge():
    sal = Box(100, 100, 300, 200)  # 200 x 100, long edge = width
    assert fit_ratio_keeping_edge(sal, 1.0, 1000, 1000, edge="long") == Box(100, 50, 300, 250)
    assert fit_ratio_keeping_edge(sal, 1.0, 1000, 1000, edge="short") == Box(150, 100, 250, 200)
    assert fit_ratio_keeping_edge(sal, 4.0, 1000, 1000, edge="long") == Box(100, 125, 300, 175)
    # too tall for a 1000 x 120 image: shrunk about its centre, then moved inside
    assert fit_ratio_keeping_edge(sal, 1.0, 1000, 120, edge="long") == Box(140, 0, 260, 120)
    # near the border: moved inside
    assert fit_ratio_keeping_edge(Box(0, 0, 20, 10), 1.0, 100, 100, edge="long") == Box(0, 0, 20, 20)
    with pytest.raises(InvalidInputError, match="edge"):
        fit_ratio_keeping_edge(sal, 1.0, 10, 10, edge="middle")  # type: ignore[arg-type]


@pytest.fixture
def loaded(dataset):
    return load_image(dataset / "images" / "wide.jpg")


@pytest.mark.parametrize("edge", ["long", "short"])
@pytest.mark.parametrize("ratio", [0.3, 0.5, 0.75, 1.0, 4 / 3, 16 / 9, 3.0])
def test_saliency_baselines_have_the_ratio_and_stay_inside(loaded, edge, ratio):
    method = SaliencyBaseline(edge=edge)
    assert method.name == f"saliency-{edge}"
    analysis = method.analyse(loaded)
    w, h = loaded.info.width, loaded.info.height
    box = method.crop(analysis, CropRequest((w, h), ratio))
    assert abs(box.width - box.height * ratio) <= 1.0
    assert Box(0, 0, w, h).contains(box, tol=1e-9)


def test_saliency_free_ratio_is_the_saliency_box(loaded):
    method = SaliencyBaseline()
    analysis = method.analyse(loaded)
    assert isinstance(analysis, SaliencyAnalysis) and analysis.kept >= 0.9
    assert method.crop(analysis, CropRequest((96, 64), None)) == analysis.box
    assert analysis.box.width < 96 or analysis.box.height < 64  # it found the bright block


@settings(max_examples=200, deadline=None)
@given(
    ratio=st.floats(0.3, 3.0),
    size=st.tuples(st.integers(16, 3000), st.integers(16, 3000)),
    corners=st.tuples(*[st.floats(0.0, 1.0)] * 4),
    edge=st.sampled_from(["long", "short"]),
)
def test_saliency_fit_has_the_ratio_and_stays_inside_for_any_box(ratio, size, corners, edge):
    width, height = size
    a, b, c, d = corners
    assume(abs(a - c) * width >= 1 and abs(b - d) * height >= 1)
    sal = Box(min(a, c) * width, min(b, d) * height, max(a, c) * width, max(b, d) * height)
    box = fit_ratio_keeping_edge(sal, ratio, width, height, edge=edge)
    assert abs(box.width - box.height * ratio) <= 1.0
    assert Box(0, 0, width, height).contains(box, tol=1e-6 * max(size))


def test_full_image_baseline():
    method = FullImageBaseline()
    assert method.crop(None, CropRequest((300, 200), None)) == Box(0, 0, 300, 200)
    assert method.crop(None, CropRequest((300, 200), 1.0, keep=(Box(0, 0, 10, 10),))) == Box(50, 0, 250, 200)


# -- the runner --------------------------------------------------------------------------
@dataclass
class Counting:
    """A fake method that counts its calls and returns a fixed fraction of the frame."""

    frac: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    name: str = "counting"
    analysed: list = field(default_factory=list)
    requests: list = field(default_factory=list)

    def analyse(self, image):
        self.analysed.append(image.info.path.name)
        return image.info.path.name

    def crop(self, analysis, request):
        assert analysis == self.analysed[-1]  # the analysis of this very image
        self.requests.append(request)
        return Box.from_normalized(self.frac, *request.image_size)


def test_runner_analyses_each_image_once_and_skips_missing_ones(dataset, caplog):
    method = Counting()
    calls = []
    with caplog.at_level(logging.WARNING):
        report = evaluate_constraints(load_constraints(dataset), method, progress=lambda d, t: calls.append((d, t)))
    assert sorted(method.analysed) == ["tall.jpg", "wide.jpg"]  # wide.jpg has 3 items, analysed once
    assert len(method.requests) == 4
    assert report.n_items == 4 and report.n_images == 2 and report.skipped == 1
    assert "missing.jpg" in caplog.text and "missing" in caplog.text
    assert calls[-1] == (5, 5) and [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert report.method == "counting" and report.violations == 0  # the full frame contains every layout


def test_runner_requests_and_scores(dataset):
    method = Counting()
    report = evaluate_constraints(load_constraints(dataset), method)
    wide = method.requests[0]
    assert wide.image_size == (96, 64) and wide.aspect == 1.0
    assert wide.keep == (Box(0, 0, 48, 32),) and wide.avoid == ()
    (tall_keep,) = method.requests[3].keep  # grouped by image: wide.jpg items first
    assert method.requests[3].image_size == (48, 80) and tall_keep.as_tuple() == pytest.approx((43.2, 16, 48, 64))
    expected = [0.666667, 1.0, 0.8, 0.333333]  # IoU of the full frame with each item's crop
    assert report.mean_iou == pytest.approx(np.mean(expected))
    assert report.mean_disp == pytest.approx(np.mean([(1 - 0.666667) / 4, 0.0, 0.05, (1 - 0.333333) / 4]))
    assert report.per_template_iou == pytest.approx({0: 0.666667, 1: 1.0, 4: 0.333333, 6: 0.8})
    assert report.ms_per_item_total == pytest.approx(
        (report.ms_per_image_analyse * report.n_images + report.ms_per_item_crop * report.n_items) / report.n_items
    )


def test_runner_counts_violations_and_honours_limit(dataset):
    items = load_constraints(dataset)
    report = evaluate_constraints(items, Counting(frac=(0.4, 0.4, 0.6, 0.6)))
    assert report.violations == 4  # a central box contains none of the side layouts
    limited = evaluate_constraints(items, Counting(), limit=2)
    assert limited.n_items == 2 and limited.n_images == 1
    with pytest.raises(EvaluationError, match="limit"):
        evaluate_constraints(items, Counting(), limit=-1)


def test_runner_on_annotations(dataset):
    method = Counting()
    report = evaluate_annotations(load_annotations(dataset), method)
    assert report.n_items == 2 and report.n_images == 2 and report.skipped == 1
    assert all(r.aspect is None and r.keep == () for r in method.requests)
    assert report.mean_iou == pytest.approx((1.0 + 0.64) / 2)  # best over crops, mean over images
    assert report.mean_disp == pytest.approx((0.0 + 0.1) / 2)
    # the one graded image: the full frame matches only its lower-scored crop
    assert report.acc_1_5 == 1.0 and report.acc_1_10 == 1.0


def test_ranked_methods_also_get_their_best_of_top_3(dataset):
    """The tall image's ground truth is (0.1, 0.1, 0.9, 0.9): a method whose second crop is
    exactly that scores 1.0 there in best-of-3, while its top-1 (the full frame) scores 0.64."""

    @dataclass
    class Ranked(Counting):
        def ranked(self, analysis, request, k):
            w, h = request.image_size
            boxes = (Box(0, 0, w, h), Box.from_normalized((0.1, 0.1, 0.9, 0.9), w, h), Box(0, 0, w / 2, h / 2))
            return boxes[:k]

    report = evaluate_annotations(load_annotations(dataset), Ranked())
    assert report.mean_iou == pytest.approx((1.0 + 0.64) / 2)
    assert report.best_of_3_iou == pytest.approx((1.0 + 1.0) / 2)
    assert evaluate_annotations(load_annotations(dataset), Counting()).best_of_3_iou is None


def test_runner_reports_method_errors_with_the_image(dataset):
    class Failing(Counting):
        def crop(self, analysis, request):
            raise InvalidInputError("cannot do it")

    with pytest.raises(EvaluationError, match="failing failed on wide.jpg: cannot do it"):
        evaluate_constraints(load_constraints(dataset), Failing(name="failing"))


def test_runner_with_nothing_left_gives_nan(dataset):
    report = evaluate_constraints(load_constraints(dataset), Counting(), limit=0)
    assert report.n_items == 0 and math.isnan(report.mean_iou) and report.per_template_iou == {}


def test_runner_with_the_real_baselines(dataset):
    items = load_constraints(dataset)
    centred = evaluate_constraints(items, CentredBaseline())
    assert centred.violations == 0 and 0 < centred.mean_iou <= 1
    saliency = evaluate_constraints(items, SaliencyBaseline(edge="short"))
    assert saliency.n_images == 2 and saliency.ms_per_image_analyse > 0


# -- the registry ------------------------------------------------------------------------
@pytest.fixture
def isolated_registry(monkeypatch):
    """A registry holding only the baselines, with no plugin to import."""
    available_methods()  # baselines registered
    keep = ("centred", "saliency-long", "saliency-short", "full-image", "constant-crop")
    monkeypatch.setattr(registry, "METHODS", {k: registry.METHODS[k] for k in keep})
    monkeypatch.setattr(registry, "_TASKS_OF", {k: registry._TASKS_OF[k] for k in keep})
    monkeypatch.setattr(registry, "PLUGINS", ())
    return registry


def test_register_method(isolated_registry):
    register_method("counting", Counting, tasks=("constraints",))
    assert "counting" in available_methods("constraints") and "counting" not in available_methods("annotations")
    assert isinstance(make_method("counting"), Counting)
    register_method("counting", Counting)  # the same factory again: allowed
    with pytest.raises(InvalidInputError, match="already registered"):
        register_method("counting", lambda: Counting())
    for bad in ("", "two words", 3):
        with pytest.raises(InvalidInputError, match="method name"):
            register_method(bad, Counting)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="tasks"):
        register_method("other", Counting, tasks=("video",))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="callable"):
        register_method("other", 3)  # type: ignore[arg-type]


def test_unknown_method_lists_the_available_ones(isolated_registry):
    with pytest.raises(InvalidInputError, match="unknown method 'nope'; available: .*centred.*full-image"):
        make_method("nope")


def test_missing_plugins_are_ignored(isolated_registry, monkeypatch, caplog):
    monkeypatch.setattr(registry, "PLUGINS", ("models.no_such_plugin", "models.eval.no_such_module"))
    with caplog.at_level(logging.WARNING):
        names = available_methods()
    assert "centred" in names and not caplog.text


def test_broken_plugin_is_logged_not_raised(isolated_registry, monkeypatch, tmp_path, caplog):
    (tmp_path / "broken_eval_plugin.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "PLUGINS", ("broken_eval_plugin",))
    with caplog.at_level(logging.WARNING):
        assert "centred" in available_methods()
    assert "broken_eval_plugin cannot be imported" in caplog.text


# -- the command line --------------------------------------------------------------------
def run_cli(capsys, *argv):
    code = main(["eval", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_runs_the_chosen_methods_and_the_baselines(dataset, capsys, isolated_registry):
    register_method("counting", Counting, tasks=("constraints",))
    code, out, err = run_cli(capsys, dataset, "--constraints", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["task"] == "constraints" and data["dataset"] == str(dataset.resolve())
    assert [r["method"] for r in data["results"]] == ["counting", *CONSTRAINT_BASELINES]
    fields = {"method", "n_items", "n_images", "skipped", "mean_iou", "mean_disp", "ms_per_item_crop",
              "ms_per_image_analyse", "ms_per_item_total", "per_template_iou", "violations"}  # fmt: skip
    for result in data["results"]:
        assert fields <= result.keys()
        assert result["n_items"] == 4 and result["skipped"] == 1 and 0 <= result["mean_iou"] <= 1
        assert set(result["per_template_iou"]) == {"0", "1", "4", "6"}


def test_cli_json_on_annotations(dataset, capsys, isolated_registry):
    code, out, err = run_cli(capsys, dataset, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["task"] == "annotations"
    assert [r["method"] for r in data["results"]] == list(ANNOTATION_BASELINES)
    full = data["results"][0]
    assert full["mean_iou"] == pytest.approx(0.82) and full["acc_1_5"] == 1.0


def test_cli_all_registered_methods_by_default(dataset, capsys):
    expected = [n for n in available_methods("annotations", defaults_only=True) if n not in BASELINE_NAMES]
    code, out, err = run_cli(capsys, dataset, "--json", "--limit", "1")
    assert code == 0, err
    names = [r["method"] for r in json.loads(out)["results"]]
    assert names == [*expected, *ANNOTATION_BASELINES]


def test_cli_text_table(dataset, capsys, isolated_registry):
    code, out, err = run_cli(capsys, dataset, "--constraints", "--method", "full-image", "--no-baselines")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split() == ["method", "IoU", "Disp", "ms/item", "items", "skipped", "violations"]
    assert lines[2].split()[0] == "full-image" and lines[2].split()[4:] == ["4", "1", "2"]
    assert "IoU per layout template" in out and lines[-1].startswith("full-image")


def test_cli_method_options(dataset, capsys, isolated_registry):
    code, out, _ = run_cli(capsys, dataset, "--method", "centred", "--method", "full-image,centred", "--json")
    assert code == 0
    assert [r["method"] for r in json.loads(out)["results"]] == ["centred", "full-image", "constant-crop", "saliency-long"]


def test_cli_unknown_method_exits_2(dataset, capsys, isolated_registry):
    code, out, err = run_cli(capsys, dataset, "--method", "nope")
    assert code == 2 and out == ""
    assert "error: unknown method 'nope'; available: centred" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{tmp}/nowhere"], "does not exist"),
        (["{data}", "--limit", "-1"], "--limit must be a non-negative integer"),
        (["{data}", "--no-baselines"], "no method to run"),
    ],
)
def test_cli_input_errors_exit_2(dataset, capsys, isolated_registry, argv, message):
    argv = [a.format(tmp=dataset.parent, data=dataset) for a in argv]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


# -- the real data set -------------------------------------------------------------------
@pytest.mark.skipif(not (FLMS / "constraints.json").is_file(), reason="../shared/data/flms not present")
def test_centred_baseline_on_real_flms_constraints():
    items = load_constraints(FLMS)
    assert len(items) == 4426
    report = evaluate_constraints(items, CentredBaseline(), limit=200)
    assert report.n_items == 200 and report.skipped == 0 and report.violations == 0
    assert 0.8 <= report.mean_iou <= 0.95
    assert 0.01 <= report.mean_disp <= 0.08


def test_run_on_request_methods_are_listed_but_not_run_by_default():
    from models.eval.registry import available_methods

    assert "attention-optuna" in available_methods("constraints")
    assert "attention-optuna" not in available_methods("constraints", defaults_only=True)
    assert "attention" in available_methods("constraints", defaults_only=True)
