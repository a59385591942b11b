"""models.imaging: loading every pixel format upright as 8-bit sRGB, limits, errors, atomic export.

Every image is written to tmp_path by the test itself; ICC profiles are built offline
(``ImageCms.createProfile`` for sRGB, a tiny hand-written lut8 profile for CMYK / odd RGB).
"""

from __future__ import annotations

import io

import itertools
import logging
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from models.errors import CropStudioError, ExportError, ImageReadError, InvalidInputError
from models.export import export_crop
from models.geometry import Box
from models.imaging import (
    MAX_PIXELS,
    SUPPORTED_SUFFIXES,
    ImageInfo,
    LoadedImage,
    load_image,
    read_info,
)

ORIENTATION = 0x0112
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP",
           ".bmp": "BMP"}  # fmt: skip
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# -- helpers ------------------------------------------------------------------------------
def random_rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def save(path: Path, im: Image.Image | np.ndarray, **params) -> Path:
    (Image.fromarray(im) if isinstance(im, np.ndarray) else im).save(path, **params)
    return path


def exif_bytes(orientation: int, **extra) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "TestCam"  # Make
    for tag, value in extra.items():
        exif.get_ifd(0x8769)[int(tag[1:], 16)] = value  # Exif IFD tags given as x<hex>=value
    return exif.tobytes()


def stored_for(upright: np.ndarray, orientation: int) -> np.ndarray:
    """How a camera stores ``upright`` under an EXIF orientation (TIFF/EXIF spec: where row 0
    and column 0 of the stored image are in the upright view), written independently of the
    transposes in the module under test."""
    return {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],  # row 0 top, column 0 right
        3: lambda a: a[::-1, ::-1],  # bottom, right
        4: lambda a: a[::-1, :],  # bottom, left
        5: lambda a: a.transpose(1, 0, 2),  # left, top
        6: lambda a: np.rot90(a, 1),  # right, top
        7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),  # right, bottom
        8: lambda a: np.rot90(a, -1),  # left, bottom
    }[orientation](upright).copy()


def lut_profile(space: bytes, to_rgb, name: bytes = b"Test lut profile") -> bytes:
    """A minimal ICC v2 input profile: ``space`` ("CMYK" or "RGB ") -> Lab through a lut8 with
    two grid points per channel, whose corners map to the sRGB colours ``to_rgb(*corner)``."""
    n = {b"CMYK": 4, b"RGB ": 3}[space]
    corners = np.array([[to_rgb(*c) for c in itertools.product((0, 1), repeat=n)]], dtype=np.uint8)
    to_lab = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), "RGB", "LAB")
    lab = np.asarray(ImageCms.applyTransform(Image.fromarray(corners), to_lab))
    clut = (lab ^ np.array([0, 128, 128], dtype=np.uint8)).tobytes()  # PIL: signed a*, b*; ICC: +128

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    ramp = bytes(range(256))
    identity = b"".join(s15(float(i == j)) for i in range(3) for j in range(3))
    white = s15(0.9642) + s15(1.0) + s15(0.8249)
    text = name + b"\0"
    tags = [
        (b"desc", b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8 + 3 + 67)),
        (b"wtpt", b"XYZ " + bytes(4) + white),
        (b"A2B0", b"mft1" + bytes(4) + bytes([n, 3, 2, 0]) + identity + ramp * n + clut + ramp * 3),
    ]
    table, data, start = b"", b"", 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        table += sig + struct.pack(">II", start + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    header = (struct.pack(">I", 0x02100000) + b"scnr" + space + b"Lab " + bytes(12) + b"acsp"
              + bytes(28) + white + bytes(48))  # fmt: skip
    body = header + struct.pack(">I", len(tags)) + table + data
    return struct.pack(">I", 8 + len(body)) + bytes(4) + body


# C, M, Y, K deliberately mean red, green, blue, black: a naive conversion would give cyan...
CMYK_PROFILE = lut_profile(b"CMYK", lambda c, m, y, k: [255 * (1 - k) * v for v in (c, m, y)])
SWAP_RB_PROFILE = lut_profile(b"RGB ", lambda r, g, b: (255 * b, 255 * g, 255 * r))


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width x height`` with almost no pixel data (a bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))  # fmt: skip
    return path


@pytest.fixture
def tmp(tmp_path) -> Path:
    """An empty folder of the test's own (tmp_path also holds conftest's qsettings/)."""
    folder = tmp_path / "t"
    folder.mkdir()
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def size_of(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory) -> Path:
    """A 4000 x 3000 (12 MP) JPEG: a smooth gradient with a white right quarter."""
    a = np.empty((3000, 4000, 3), np.uint8)
    a[..., 0] = np.linspace(0, 255, 4000).astype(np.uint8)
    a[..., 1] = np.linspace(0, 255, 3000).astype(np.uint8)[:, None]
    a[..., 2] = 90
    a[:, 3000:] = 255
    return save(tmp_path_factory.mktemp("big") / "big.jpg", a, quality=85)


# -- orientation --------------------------------------------------------------------------
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_loads_upright(tmp, orientation):
    upright = random_rgb(5, 7, seed=orientation)  # asymmetric: 7 wide, 5 high, random
    path = save(tmp / "o.png", stored_for(upright, orientation), exif=exif_bytes(orientation))
    loaded = load_image(path, max_side=None)
    np.testing.assert_array_equal(loaded.rgb, upright)
    assert loaded.rgb.flags.c_contiguous and loaded.rgb.dtype == np.uint8
    assert (loaded.info.width, loaded.info.height, loaded.info.orientation) == (7, 5, orientation)
    assert read_info(path) == loaded.info
    assert loaded.scale == 1.0


def test_orientation_with_jpeg_reduction(tmp):
    upright = np.zeros((400, 300, 3), np.uint8)  # portrait, white right half
    upright[:, 150:] = 255
    path = save(tmp / "o6.jpg", stored_for(upright, 6), exif=exif_bytes(6), quality=95)
    loaded = load_image(path, max_side=100)
    assert loaded.rgb.shape == (100, 75, 3)
    assert (loaded.info.width, loaded.info.height) == (300, 400)
    assert loaded.rgb[:, :30].mean() < 10 and loaded.rgb[:, 45:].mean() > 245


def test_invalid_orientation_is_ignored(tmp, caplog):
    path = save(tmp / "bad.png", random_rgb(4, 6), exif=exif_bytes(9))
    with caplog.at_level(logging.WARNING, logger="models.imaging"):
        info = read_info(path)
    assert (info.orientation, info.width, info.height) == (1, 6, 4)
    assert "orientation" in caplog.text


# -- pixel formats ------------------------------------------------------------------------
def test_greyscale(tmp):
    grey = np.random.default_rng(1).integers(0, 256, size=(6, 9), dtype=np.uint8)
    loaded = load_image(save(tmp / "l.png", grey))
    assert loaded.info.mode == "L"
    np.testing.assert_array_equal(loaded.rgb, np.repeat(grey[..., None], 3, axis=2))


def test_one_bit(tmp):
    bits = np.random.default_rng(2).integers(0, 2, size=(8, 16)).astype(bool)
    loaded = load_image(save(tmp / "b.png", Image.fromarray(bits)))
    assert loaded.info.mode == "1"
    np.testing.assert_array_equal(loaded.rgb[..., 0], np.where(bits, 255, 0))


def test_la_and_rgba_are_composited_on_white(tmp):
    rgba = np.array([[[10, 20, 30, 0], [10, 20, 30, 255], [0, 0, 0, 128], [200, 100, 0, 64]]], np.uint8)
    expected = np.array([[[255, 255, 255], [10, 20, 30], [127, 127, 127], [241, 216, 191]]])
    loaded = load_image(save(tmp / "rgba.png", Image.fromarray(rgba, "RGBA")))
    np.testing.assert_allclose(loaded.rgb, expected, atol=1)
    la = Image.fromarray(rgba[..., [0, 3]], "LA")
    loaded = load_image(save(tmp / "la.png", la))
    assert loaded.info.mode == "LA"
    np.testing.assert_allclose(loaded.rgb[0, :, 0], [255, 10, 127, 241], atol=1)


def test_palette_with_transparency(tmp):
    im = Image.fromarray(np.array([[0, 1, 2, 1]], np.uint8), "P")
    im.putpalette([255, 0, 0, 0, 0, 255, 0, 128, 0])
    loaded = load_image(save(tmp / "p.png", im, transparency=1))
    assert loaded.info.mode == "P"
    np.testing.assert_array_equal(loaded.rgb[0], [[255, 0, 0], [255, 255, 255], [0, 128, 0], [255, 255, 255]])


CMYK_PIXELS = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 255, 0], [0, 0, 0, 255]]], np.uint8)


def cmyk_image() -> Image.Image:
    return Image.fromarray(np.repeat(np.repeat(CMYK_PIXELS, 8, axis=0), 8, axis=1), "CMYK")  # 8x8 blocks


@pytest.mark.parametrize("suffix", [".tif", ".jpg"])
def test_cmyk_without_profile_uses_pil_conversion(tmp, suffix):
    loaded = load_image(save(tmp / f"c{suffix}", cmyk_image()))
    assert loaded.info.mode == "CMYK" and loaded.info.icc_profile is None
    white, cyan, magenta, yellow, black = (loaded.rgb[4, 4 + 8 * i] for i in range(5))
    for got, want in [(white, 255), (cyan, (0, 255, 255)), (magenta, (255, 0, 255)), (black, 0)]:
        np.testing.assert_allclose(got, np.broadcast_to(want, 3), atol=12)


@pytest.mark.parametrize("suffix", [".tif", ".jpg"])
def test_cmyk_with_embedded_profile_uses_it(tmp, suffix):
    loaded = load_image(save(tmp / f"c{suffix}", cmyk_image(), icc_profile=CMYK_PROFILE))
    assert loaded.info.icc_profile == CMYK_PROFILE
    got = [loaded.rgb[4, 4 + 8 * i] for i in range(5)]
    # this profile maps no ink to black and C, M, Y to red, green, blue (PIL would give white, cyan...)
    np.testing.assert_allclose(got, [[0, 0, 0], [255, 0, 0], [9, 255, 0], [0, 0, 255], [0, 0, 0]], atol=12)


def test_rgb_profile_converts_to_srgb(tmp):
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    loaded = load_image(save(tmp / "swap.png", rgb, icc_profile=SWAP_RB_PROFILE))
    np.testing.assert_allclose(loaded.rgb[0], [[0, 0, 255], [9, 255, 0], [255, 0, 0]], atol=6)


def test_srgb_profile_keeps_pixels(tmp):
    rgb = random_rgb(6, 6, seed=3)
    loaded = load_image(save(tmp / "srgb.png", rgb, icc_profile=SRGB_ICC))
    assert loaded.info.icc_profile == SRGB_ICC
    np.testing.assert_array_equal(loaded.rgb, rgb)


@pytest.mark.parametrize("icc", [b"not an ICC profile at all", lut_profile(b"CMYK", lambda *c: (0, 0, 0))])
def test_broken_or_mismatched_profile_falls_back_with_warning(tmp, caplog, icc):
    rgb = random_rgb(4, 4, seed=4)
    with caplog.at_level(logging.WARNING, logger="models.imaging"):
        loaded = load_image(save(tmp / "broken.png", rgb, icc_profile=icc))
    np.testing.assert_array_equal(loaded.rgb, rgb)
    assert "ICC" in caplog.text


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_greyscale_scaled_by_bit_depth(tmp, suffix):
    values = np.array([[0, 257, 32768, 65535]], np.uint16)
    loaded = load_image(save(tmp / f"g16{suffix}", np.repeat(values, 3, axis=0)))
    assert loaded.info.mode.startswith("I;16")
    np.testing.assert_array_equal(loaded.rgb[0, :, 0], [0, 1, 128, 255])  # mid-grey is not clipped to 255


def test_32bit_integer_scaled_by_range(tmp):
    loaded = load_image(save(tmp / "i32.tif", np.array([[0, 100_000, 200_000]], np.int32)))
    assert loaded.info.mode == "I"
    np.testing.assert_array_equal(loaded.rgb[0, :, 1], [0, 128, 255])


@pytest.mark.parametrize(("values", "expected"), [([0.0, 0.25, 0.5, 1.0], [0, 64, 128, 255]),
                                                  ([-1.0, 0.0, 1.0, 3.0], [0, 64, 128, 255])])  # fmt: skip
def test_float_tiff(tmp, values, expected):
    loaded = load_image(save(tmp / "f.tif", np.array([values], np.float32)))
    assert loaded.info.mode == "F"
    np.testing.assert_array_equal(loaded.rgb[0, :, 2], expected)


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES))
def test_every_supported_format_loads(tmp, suffix):
    path = save(tmp / f"x{suffix}", random_rgb(10, 12, seed=5))
    loaded = load_image(path)
    assert loaded.rgb.shape == (10, 12, 3)
    assert loaded.info.format == FORMATS[suffix]


# -- size -------------------------------------------------------------------------------------
def test_max_side_keeps_aspect_and_never_upscales(tmp):
    path = save(tmp / "r.png", random_rgb(200, 300))
    assert load_image(path, max_side=64).rgb.shape == (43, 64, 3)
    assert load_image(path, max_side=1000).rgb.shape == (200, 300, 3)
    assert load_image(path, max_side=None).rgb.shape == (200, 300, 3)
    assert load_image(path, max_side=np.int64(30)).rgb.shape == (20, 30, 3)


def test_big_jpeg_is_decoded_through_draft(big_jpeg, monkeypatch):
    drafts = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = real_draft(self, mode, size)
        drafts.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    loaded = load_image(big_jpeg)  # default max_side=1024
    assert drafts == [(2000, 1500)]  # DCT-decoded at 1/2 (not below 1024), then Lanczos
    assert loaded.rgb.shape == (768, 1024, 3)
    assert loaded.scale == pytest.approx(1024 / 4000)
    assert loaded.rgb[:, 800:].min() > 240 and loaded.rgb[10, 10, 0] < 20  # white quarter, dark corner


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, "1024", np.float64(3)])
def test_bad_max_side(tmp, bad):
    with pytest.raises(InvalidInputError, match="max_side"):
        load_image(save(tmp / "s.png", random_rgb(4, 4)), max_side=bad)


# -- limits ---------------------------------------------------------------------------------
def test_pixel_limit_refuses_before_decoding(tmp, monkeypatch):
    path = save(tmp / "small.png", random_rgb(20, 30))

    def no_decode(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(Image.Image, "load", no_decode)
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    with pytest.raises(ImageReadError, match=r"small\.png.*0\.0 MP \(30 x 20\).*limit"):
        load_image(path, max_pixels=100)
    with pytest.raises(ImageReadError, match="limit"):
        export_crop(path, Box(0, 0, 5, 5), tmp / "o.png", max_pixels=599)


@pytest.mark.filterwarnings("error")  # no DecompressionBombWarning either
def test_huge_header_is_refused_with_our_message_not_pillows(tmp):
    bomb = png_header_only(tmp / "bomb.png", 100_000, 50_000)  # 5000 MP
    pillow_limit = Image.MAX_IMAGE_PIXELS
    assert read_info(bomb).width == 100_000  # header only: no limit, no decoding
    with pytest.raises(ImageReadError, match=r"bomb\.png.*5000\.0 MP.*limit of 300\.0 MP"):
        load_image(bomb)
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # Pillow's global is restored
    # 200 MP is over Pillow's own refusal threshold (179 MP) but under ours: the header still reads.
    assert read_info(png_header_only(tmp / "200mp.png", 20_000, 10_000)).height == 10_000


# -- errors -------------------------------------------------------------------------------------
def truncated_jpeg(path: Path) -> Path:
    data = Image.fromarray(random_rgb(64, 64)).tobytes("jpeg", "RGB")
    path.write_bytes(data[: len(data) // 2])
    return path


def truncated_png(path: Path) -> Path:
    save(path, random_rgb(64, 64))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


BAD_FILES = {
    "missing.jpg": (lambda p: p, "no such file"),
    "folder.png": (lambda p: (p.mkdir(), p)[1], "folder"),
    "empty.jpg": (lambda p: (p.write_bytes(b""), p)[1], "empty"),
    "notes.txt": (lambda p: (p.write_text("hello, not an image\n"), p)[1], "not an image file"),
    "fake.png": (lambda p: (p.write_bytes(b"\x89PNG\r\n\x1a\n garbage"), p)[1], "damaged or truncated"),
    "cut.jpg": (truncated_jpeg, "damaged or truncated"),
    "cut.png": (truncated_png, "damaged or truncated"),
}


@pytest.mark.parametrize("name", BAD_FILES)
@pytest.mark.parametrize("max_side", [None, 16])
def test_unreadable_files_raise_image_read_error_naming_the_file(tmp, name, max_side):
    make, reason = BAD_FILES[name]
    path = make(tmp / name)
    with pytest.raises(ImageReadError) as err:
        load_image(path, max_side=max_side)
    assert name in str(err.value) and reason in str(err.value)
    assert not isinstance(err.value, OSError)


@pytest.mark.parametrize("name", ["missing.jpg", "folder.png", "empty.jpg", "notes.txt"])
def test_read_info_and_export_report_bad_sources(tmp, name):
    make, reason = BAD_FILES[name]
    path = make(tmp / name)
    with pytest.raises(ImageReadError, match=reason):
        read_info(path)
    with pytest.raises(ImageReadError, match=reason):
        export_crop(path, Box(0, 0, 1, 1), tmp / "out.png")
    assert not (tmp / "out.png").exists()


# -- frames -------------------------------------------------------------------------------------
def test_to_full_and_from_full(tmp):
    loaded = load_image(save(tmp / "f.png", random_rgb(200, 300)), max_side=64)
    h, w = loaded.rgb.shape[:2]
    full = loaded.to_full(Box(0, 0, w, h))
    assert full.as_tuple() == pytest.approx((0, 0, 300, 200))
    box = Box(3.5, 4.0, 40.25, 30.0)
    assert loaded.from_full(loaded.to_full(box)).as_tuple() == pytest.approx(box.as_tuple())
    assert loaded.to_full(box).x1 == pytest.approx(40.25 * 300 / 64)


def test_loaded_image_validates_its_array():
    info = ImageInfo(Path("x.png"), 4, 3, "PNG", "RGB", 1, None)
    assert LoadedImage(info, np.zeros((3, 4, 3), np.uint8)).scale == 1.0
    for bad in (np.zeros((3, 4), np.uint8), np.zeros((3, 4, 4), np.uint8), np.zeros((3, 4, 3), np.float32)):
        with pytest.raises(InvalidInputError):
            LoadedImage(info, bad)


# -- export -------------------------------------------------------------------------------------
def test_export_crop_pixels_match_source(tmp):
    src_rgb = random_rgb(40, 60, seed=7)
    src = save(tmp / "src.png", src_rgb)
    out = export_crop(src, Box(10.4, 5.6, 30.2, 25.5), tmp / "crop.png")
    assert out == tmp / "crop.png"
    with Image.open(out) as im:
        np.testing.assert_array_equal(np.asarray(im), src_rgb[6:26, 10:30])  # the rounded box
    assert listing(tmp) == ["crop.png", "src.png"]  # no temp file left


def test_export_is_upright_with_orientation_reset(tmp):
    upright = random_rgb(30, 50, seed=8)
    src = save(tmp / "src.png", stored_for(upright, 6), exif=exif_bytes(6))
    out = export_crop(src, Box(5, 3, 45, 20), tmp / "crop.png")
    with Image.open(out) as im:
        exif = im.getexif()
        assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"  # rest of the EXIF kept
        np.testing.assert_array_equal(np.asarray(im), upright[3:20, 5:45])
    np.testing.assert_array_equal(load_image(out).rgb, upright[3:20, 5:45])  # not rotated twice


@pytest.mark.parametrize("suffix", [".jpg", ".tif", ".webp"])
def test_export_exif_to_other_formats(tmp, suffix):
    upright = np.zeros((40, 80, 3), np.uint8)
    src = save(tmp / "src.jpg", stored_for(upright, 8), exif=exif_bytes(8, xA002=40, xA003=80))
    out = export_crop(src, Box(0, 0, 60, 30), tmp / f"crop{suffix}")
    with Image.open(out) as im:
        assert im.size == (60, 30)
        exif = im.getexif()
        assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"
        assert exif.get_ifd(0x8769)[0xA002] == 60  # PixelXDimension follows the crop


def test_export_keeps_icc_profile(tmp):
    src = save(tmp / "src.png", random_rgb(20, 20), icc_profile=SRGB_ICC)
    for name in ("a.jpg", "a.png", "a.tif", "a.webp"):
        with Image.open(export_crop(src, Box(2, 2, 12, 12), tmp / name)) as im:
            assert im.info.get("icc_profile") == SRGB_ICC, name


def test_export_cmyk_with_profile_becomes_srgb(tmp):
    src = save(tmp / "src.tif", cmyk_image(), icc_profile=CMYK_PROFILE)
    with Image.open(export_crop(src, Box(8, 0, 16, 8), tmp / "c.png")) as im:
        assert im.mode == "RGB"
        # an sRGB profile, not the CMYK one (compare descriptions: the bytes carry a creation time)
        profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
        np.testing.assert_allclose(np.asarray(im)[4, 4], [255, 0, 0], atol=12)


def test_export_alpha(tmp):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 0], rgba[:, 5:, 3] = 200, 255  # left half transparent
    src = save(tmp / "src.png", Image.fromarray(rgba, "RGBA"))
    with Image.open(export_crop(src, Box(0, 0, 10, 10), tmp / "a.png")) as im:
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(im), rgba)
    with Image.open(export_crop(src, Box(0, 0, 10, 10), tmp / "a.jpg")) as im:
        assert im.mode == "RGB"
        assert np.asarray(im)[:, :4].min() > 240 and np.asarray(im)[:, 6:, 1].max() < 15  # white, red


def test_export_size(tmp):
    src = save(tmp / "src.png", random_rgb(40, 60))
    with Image.open(export_crop(src, Box(0, 0, 30, 30), tmp / "s.jpg", size=(17, 9), quality=80)) as im:
        assert im.size == (17, 9)
    with Image.open(export_crop(src, Box(0, 0, 30, 30), tmp / "up.png", size=[np.int64(90), 45])) as im:
        assert im.size == (90, 45)  # numpy integers are fine; upscaling on request too


@pytest.mark.parametrize("suffix", sorted(SUPPORTED_SUFFIXES) + [".PNG", ".JPG"])
def test_export_every_format(tmp, suffix):
    src = save(tmp / "src.png", random_rgb(20, 30))
    with Image.open(export_crop(src, Box(1, 2, 21, 12), tmp / f"out{suffix}")) as im:
        assert im.size == (20, 10)
        assert im.format == FORMATS[suffix.lower()]


def test_export_refuses_to_overwrite_without_flag(tmp):
    src = save(tmp / "src.png", random_rgb(20, 20, seed=1))
    dst = tmp / "dst.png"
    dst.write_bytes(b"precious")
    with pytest.raises(ExportError, match=r"exists \(--overwrite"):
        export_crop(src, Box(0, 0, 10, 10), dst)
    assert dst.read_bytes() == b"precious"
    export_crop(src, Box(0, 0, 10, 10), dst, overwrite=True)
    assert size_of(dst) == (10, 10)
    assert listing(tmp) == ["dst.png", "src.png"]


def test_export_does_not_clobber_a_file_created_while_writing(tmp, monkeypatch):
    src = save(tmp / "src.png", random_rgb(20, 20))
    dst = tmp / "dst.png"
    real_save = Image.Image.save

    def racing_save(self, fp, *args, **kwargs):
        dst.write_bytes(b"someone else's")  # appears after the early check, before the move
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", racing_save)
    with pytest.raises(ExportError, match="exists"):
        export_crop(src, Box(0, 0, 10, 10), dst)
    assert dst.read_bytes() == b"someone else's"
    assert listing(tmp) == ["dst.png", "src.png"]


def test_export_without_hard_links_falls_back(tmp, monkeypatch):
    def no_link(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    src = save(tmp / "src.png", random_rgb(20, 20))
    export_crop(src, Box(0, 0, 10, 10), tmp / "dst.png")
    assert size_of(tmp / "dst.png") == (10, 10)
    with pytest.raises(ExportError, match="exists"):
        export_crop(src, Box(0, 0, 10, 10), tmp / "dst.png")
    assert listing(tmp) == ["dst.png", "src.png"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_failed_write_leaves_no_temp_file(tmp, monkeypatch, overwrite):
    src = save(tmp / "src.png", random_rgb(20, 20))
    if overwrite:
        (tmp / "dst.jpg").write_bytes(b"old")

    def full_disk(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(ExportError, match=r"dst\.jpg.*No space left"):
        export_crop(src, Box(0, 0, 10, 10), tmp / "dst.jpg", overwrite=overwrite)
    assert listing(tmp) == (["dst.jpg", "src.png"] if overwrite else ["src.png"])
    if overwrite:
        assert (tmp / "dst.jpg").read_bytes() == b"old"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_export_gets_normal_permissions(tmp):
    src = save(tmp / "src.png", random_rgb(8, 8))
    out = export_crop(src, Box(0, 0, 4, 4), tmp / "p.png")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_export_argument_errors(tmp):
    src = save(tmp / "src.png", random_rgb(40, 60))
    with pytest.raises(InvalidInputError, match=r"\.gif.*\.jpg.*\.png"):
        export_crop(src, Box(0, 0, 5, 5), tmp / "x.gif")
    with pytest.raises(InvalidInputError, match=r"60 x 40"):
        export_crop(src, Box(50, 10, 61, 20), tmp / "x.png")
    with pytest.raises(InvalidInputError, match=r"empty or outside"):
        export_crop(src, Box(10, 10, 10.2, 20), tmp / "x.png")  # rounds to zero width
    for size in [(0, 5), (5,), 5, (2.5, 3), (True, 3)]:
        with pytest.raises(InvalidInputError, match="size"):
            export_crop(src, Box(0, 0, 5, 5), tmp / "x.png", size=size)
    for quality in [0, 101, 90.5]:
        with pytest.raises(InvalidInputError, match="quality"):
            export_crop(src, Box(0, 0, 5, 5), tmp / "x.jpg", quality=quality)
    with pytest.raises(InvalidInputError, match="Box"):
        export_crop(src, (0, 0, 5, 5), tmp / "x.png")
    with pytest.raises(ExportError, match="does not exist"):
        export_crop(src, Box(0, 0, 5, 5), tmp / "nowhere" / "x.png")
    assert listing(tmp) == ["src.png"]


def test_public_constants():
    assert SUPPORTED_SUFFIXES == set(FORMATS)
    assert isinstance(SUPPORTED_SUFFIXES, frozenset)
    assert MAX_PIXELS == 300_000_000
    assert issubclass(ImageReadError, CropStudioError) and issubclass(ExportError, CropStudioError)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_pillows_own_limit_does_not_apply_under_ours(tmp, monkeypatch, suffix):
    """Pillow refuses images over 2 x Image.MAX_IMAGE_PIXELS (179 MP), below MAX_PIXELS:
    simulated here with a tiny Pillow limit. Opening, decoding and cropping must still work."""
    rgb = random_rgb(20, 30)
    src = save(tmp / f"src{suffix}", rgb)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    np.testing.assert_array_equal(load_image(src).rgb, rgb)
    out = export_crop(src, Box(0, 0, 30, 20), tmp / "out.png")
    np.testing.assert_array_equal(load_image(out).rgb, rgb)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_export_from_tiff_drops_the_sources_layout_tags(tmp):
    y, x = np.mgrid[0:20, 0:30]
    upright = np.stack([x * 8, y * 12, np.zeros_like(x)], axis=-1).astype(np.uint8)  # smooth, asymmetric
    src = save(tmp / "src.tif", stored_for(upright, 3), exif=exif_bytes(3))
    out = export_crop(src, Box(0, 0, 30, 20), tmp / "out.jpg")
    with Image.open(out) as im:
        exif = im.getexif()
    assert exif[ORIENTATION] == 1 and exif[0x010F] == "TestCam"
    assert not {256, 257, 273, 279} & set(exif)  # ImageWidth, ImageLength, StripOffsets, StripByteCounts
    np.testing.assert_allclose(load_image(out).rgb, upright, atol=12)  # upright, not rotated


@pytest.mark.filterwarnings("error")
def test_concurrent_loads_keep_pillows_limit_consistent(tmp, monkeypatch):
    """Loads over Pillow's limit switch it off under a lock; concurrent loads (GUI workers) must
    neither fail nor leave the process-wide value changed."""
    paths = [save(tmp / f"{i}.png", random_rgb(10 + 10 * (i % 2), 10, seed=i)) for i in range(8)]
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60)  # the 20x10 images are over 2 x 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        shapes = list(pool.map(lambda p: load_image(p).rgb.shape, paths * 8))
    assert shapes == [(10 + 10 * (i % 2), 10, 3) for i in range(8)] * 8
    assert Image.MAX_IMAGE_PIXELS == 60
