"""Attention maps and the image -> map -> pixel-box pipeline, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.attention import RectangleSearch, attention_crop, compute_attention, saliency_map
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import Box, parse_aspect
from models.imaging import load_image

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"


@pytest.fixture(scope="module")
def astronaut():
    image = load_image(SAMPLES / "astronaut.jpg")
    return image, compute_attention(image)


def test_map_is_small_normalised_and_finds_the_face(astronaut):
    image, att = astronaut
    assert max(att.values.shape) == 256 and att.values.dtype == np.float32
    assert 0.0 <= att.values.min() and att.values.max() == pytest.approx(1.0)
    assert len(att.faces) == 1
    face = att.faces[0]
    assert Box(150, 40, 300, 200).contains(face)  # Eileen Collins' face, upper middle


@pytest.mark.parametrize("method", ["spectral", "fine"])
def test_both_saliency_methods(method):
    rgb = load_image(SAMPLES / "coffee.jpg").rgb
    values = saliency_map(rgb, method=method, shape=(60, 90))
    assert values.shape == (60, 90) and np.isfinite(values).all() and values.max() == pytest.approx(1.0)


def test_unknown_method_is_rejected():
    with pytest.raises(InvalidInputError, match="spectral"):
        saliency_map(np.zeros((8, 8, 3), np.uint8), method="magic")


@pytest.mark.parametrize("tau", [0.5, 0.8])
def test_free_crop_keeps_the_face(astronaut, tau):
    _, att = astronaut
    crop = attention_crop(att, RectangleSearch(att.values), tau=tau)
    (box,) = crop.boxes
    assert box.contains(att.faces[0].rounded(), tol=2)  # the face prior keeps faces whole
    assert crop.kept >= tau and Box(0, 0, 512, 512).contains(box)
    assert all(float(v).is_integer() for v in box.as_tuple())


@pytest.mark.parametrize("aspect", ["16:9", "4:5", "1.91:1", "9:16"])
def test_fixed_ratio_crop_has_the_ratio_in_pixels(astronaut, aspect):
    _, att = astronaut
    ratio = parse_aspect(aspect)
    crop = attention_crop(att, RectangleSearch(att.values), tau=0.6, aspect=ratio)
    (box,) = crop.boxes
    assert abs(box.width - box.height * ratio.value) <= max(1.0, ratio.value)  # within a pixel of rounding
    assert Box(0, 0, 512, 512).contains(box)


def test_two_regions_are_disjoint(astronaut):
    _, att = astronaut
    crop = attention_crop(att, RectangleSearch(att.values), tau=0.7, aspect=parse_aspect("1:1"), regions=2)
    assert 1 <= len(crop.boxes) <= 2
    if len(crop.boxes) == 2:
        assert crop.map_boxes[0].intersection(crop.map_boxes[1]) is None


@pytest.mark.parametrize("name", ["rocket.jpg", "astronaut.jpg", "chelsea.jpg", "coffee.jpg"])
@pytest.mark.parametrize("aspect", ["1:1", "16:9", "2:3"])
def test_two_region_pixel_boxes_never_overlap(name, aspect):
    att = compute_attention(load_image(SAMPLES / name))
    search = RectangleSearch(att.values)
    for tau in (0.6, 0.8, 0.9):
        try:
            crop = attention_crop(att, search, tau=tau, aspect=parse_aspect(aspect), regions=2)
        except InfeasibleError:
            continue
        if len(crop.boxes) == 2:
            assert crop.boxes[0].intersection(crop.boxes[1]) is None, (tau, crop.boxes)


def test_auto_tau(astronaut):
    _, att = astronaut
    crop = attention_crop(att, RectangleSearch(att.values), tau=None)
    assert crop.auto is not None and 0.5 <= crop.tau < 1 and crop.tau == crop.auto.tau


def test_impossible_ratio_names_the_limit(astronaut):
    _, att = astronaut
    search = RectangleSearch(att.values)
    with pytest.raises(InfeasibleError, match=r"keeps at most \d+%"):
        attention_crop(att, search, tau=0.99, aspect=parse_aspect("4:1"))
    with pytest.raises(InfeasibleError, match="too extreme"):
        attention_crop(att, search, tau=0.5, aspect=parse_aspect("1000:1"))
    with pytest.raises(InvalidInputError, match="fixed aspect"):
        attention_crop(att, search, tau=0.5, regions=2)


def test_flat_image_falls_back_to_the_centred_frame(tmp_path):
    path = tmp_path / "flat.png"
    Image.new("RGB", (300, 200), (90, 90, 90)).save(path)
    att = compute_attention(load_image(path))
    crop = attention_crop(att, RectangleSearch(att.values), tau=0.7, aspect=parse_aspect("1:1"))
    assert crop.note and crop.boxes[0].as_tuple() == (50, 0, 250, 200)


def test_boxes_are_in_upright_full_resolution_pixels(tmp_path):
    # the 600x400 photo stored turned on its side, with EXIF orientation 6 ("rotate 90 CW")
    src = Image.open(SAMPLES / "coffee.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    src.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif, quality=95)

    def crop_of(p):
        image = load_image(p, max_side=256)
        att = compute_attention(image)
        return image, attention_crop(att, RectangleSearch(att.values), tau=0.7, aspect=parse_aspect("4:5"))

    image, rotated = crop_of(path)
    assert (image.info.width, image.info.height) == (600, 400) and image.info.orientation == 6
    _, plain = crop_of(SAMPLES / "coffee.jpg")
    # same upright picture, same crop, in full-resolution pixels (not the 256-px copy's)
    assert rotated.boxes[0].iou(plain.boxes[0]) > 0.9
    assert Box(0, 0, 600, 400).contains(rotated.boxes[0]) and rotated.boxes[0].height > 256


def test_two_region_limit_is_the_two_box_maximum():
    from models.attention.saliency import AttentionMap

    att = AttentionMap(np.ones((10, 30), np.float32), (300, 100), "test")
    search = RectangleSearch(att.values)
    assert search.two_with_ratio(0.6, 1.0) is not None  # two 10x10 squares keep 2/3
    with pytest.raises(InfeasibleError, match=r"two 1:1 boxes keep at most 6[67]%"):
        attention_crop(att, search, tau=0.9, aspect=parse_aspect("1:1"), regions=2)


def test_tau_is_validated_even_on_a_flat_image(tmp_path):
    path = tmp_path / "flat.png"
    Image.new("RGB", (30, 20), (5, 5, 5)).save(path)
    att = compute_attention(load_image(path))
    with pytest.raises(InvalidInputError, match="tau"):
        attention_crop(att, RectangleSearch(att.values), tau=5.0)
