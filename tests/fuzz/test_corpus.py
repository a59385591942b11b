"""A corpus of bad inputs (generated here, never committed) run through every sub-command in
process: each run ends in one clean ``error:`` line and exit code 2, no traceback, no internal
error, no hang, and the inputs are unchanged byte for byte.

The corpus: truncated and corrupt JPEG / PNG / TIFF / WebP / BMP, empty files, text named
.jpg, a PNG header claiming 1 x 100000 (or 100000 x 100000) pixels with no data, a FIFO, a
symbolic-link loop, and folders whose .cropstudio.json, annotations.json or target-set TOML
nest 100,000 levels deep or hold 5,000-digit numbers. About a minute on two cores.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main

pytestmark = pytest.mark.skipif(os.name != "posix", reason="FIFOs and symlink loops are POSIX")


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def _encoded(fmt: str) -> bytes:
    rgb = (np.random.default_rng(0).random((96, 128, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()


def _corpus(root: Path) -> list[Path]:
    root.mkdir(parents=True)
    files: dict[str, bytes] = {"empty.jpg": b"", "text.jpg": b"hello, not an image\n",
                               "header_only.png": _png_claiming(1, 100_000),
                               "huge.png": _png_claiming(100_000, 100_000)}  # fmt: skip
    rng = np.random.default_rng(1)
    for fmt, suffix in (("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif"), ("WEBP", ".webp"), ("BMP", ".bmp")):
        data = _encoded(fmt)
        files[f"truncated{suffix}"] = data[: len(data) // 3]
        files[f"header{suffix}"] = data[:64]
        corrupt = np.frombuffer(data, np.uint8).copy()
        idx = rng.integers(32, len(data), size=len(data) // 8)
        corrupt[idx] = rng.integers(0, 256, size=len(idx), dtype=np.uint8)  # header kept, body scrambled
        files[f"corrupt{suffix}"] = corrupt.tobytes()
    paths = []
    for name, data in files.items():
        (root / name).write_bytes(data)
        paths.append(root / name)
    os.mkfifo(root / "fifo.jpg")
    (root / "loop.jpg").symlink_to(root / "loop.jpg")
    return paths + [root / "fifo.jpg", root / "loop.jpg"]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _bad_folders(root: Path) -> dict[str, Path]:
    good = _encoded("JPEG")
    out = {}
    for name, filename, payload in (
        ("deep_project", ".cropstudio.json", _nested(100_000)),
        ("digits_project", ".cropstudio.json", '{"format": "cropstudio-project", "version": ' + "9" * 5000 + "}"),
        ("deep_annotations", "annotations.json", '{"name": "x", "images": ' + _nested(100_000) + "}"),
        ("digits_annotations", "annotations.json", '{"name": "x", "images": [{"file": "a.jpg", "width": '
         + "9" * 5000 + "}]}"),
    ):  # fmt: skip
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "a.jpg").write_bytes(good)
        (folder / filename).write_text(payload)
        out[name] = folder
    (root / "deep.toml").write_text("x = " + _nested(100_000))
    (root / "digits.toml").write_text("[[target]]\nname = 'a'\nsize = [" + "9" * 5000 + ", 1]\n")
    return out


def _snapshot(root: Path) -> dict[str, bytes]:
    snap = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                snap[rel] = b"link:" + os.readlink(p).encode()
            elif p.is_file():
                snap[rel] = hashlib.sha256(p.read_bytes()).digest()
            else:
                snap[rel] = b"special"
    return snap


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    images = _corpus(root / "images")
    folders = _bad_folders(root / "folders")
    undecodable = root / "undecodable"  # every file here fails to decode (no scrambled-but-decodable ones)
    undecodable.mkdir()
    for p in images:
        if p.is_file() and not p.is_symlink() and not p.name.startswith("corrupt"):
            (undecodable / p.name).write_bytes(p.read_bytes())
    os.mkfifo(undecodable / "fifo.png")
    folders["undecodable"] = undecodable
    return root, images, folders


@pytest.fixture(autouse=True)
def no_hang():
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail("a run hung (a FIFO opened?)"))
    signal.alarm(120)
    yield
    signal.alarm(0)


def _clean_error(capsys, argv: list, *, may_succeed: bool = False) -> None:
    """One clean error (exit 2, one ``error:`` line, no traceback); ``may_succeed``: a scrambled
    file that still decodes (JPEG and BMP decoders resync past damage) may also exit 0."""
    code = main([str(a) for a in argv])
    _, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if may_succeed and code == 0:
        return
    assert code == 2, (argv, code, err)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, (argv, err)


def _commands(image: Path, out: Path) -> list[list]:
    return [
        ["crop", image, "--aspect", "16:9", "--method", "centred", "--out", out / "c.jpg"],
        ["attention", image, "--out", out / "a.jpg"],
        ["batch", image, "--target", "sq 1:1 64x64", "--method", "centred", "--out", out / "batch"],
        ["suggest", image, "--out-dir", out / "s"],
    ]


def test_every_bad_image_through_every_image_command(corpus, capsys, tmp_path):
    root, images, _ = corpus
    before = _snapshot(root)
    for i, image in enumerate(images):
        for argv in _commands(image, tmp_path / str(i)):
            _clean_error(capsys, argv, may_succeed=image.name.startswith("corrupt"))
    assert _snapshot(root) == before


def test_folder_commands_on_the_bad_images(corpus, capsys, tmp_path):
    root, images, folders = corpus
    before = _snapshot(root)
    for folder, may_succeed in ((folders["undecodable"], False), (images[0].parent, True)):
        name = folder.name
        _clean_error(capsys, ["index", "build", folder, "--out", tmp_path / name / "idx"], may_succeed=may_succeed)
        _clean_error(capsys, ["build-dataset", folder, tmp_path / name / "ds", "--samples", "3", "--canvas", "128"],
                     may_succeed=may_succeed)  # fmt: skip
        _clean_error(capsys, ["batch", folder, "--target", "sq 1:1 64x64", "--method", "centred",
                              "--out", tmp_path / name / "b"], may_succeed=may_succeed)  # fmt: skip
    assert _snapshot(root) == before


def test_bad_data_files_through_every_reader(corpus, capsys, tmp_path):
    root, _, folders = corpus
    before = _snapshot(root)
    for name in ("deep_project", "digits_project"):
        _clean_error(capsys, ["batch", folders[name], "--target", "sq 1:1 64x64", "--method", "centred",
                              "--out", tmp_path / name])  # fmt: skip
    for name in ("deep_annotations", "digits_annotations"):
        _clean_error(capsys, ["build-dataset", folders[name], tmp_path / name, "--samples", "1"])
        _clean_error(capsys, ["eval", folders[name], "--method", "centred"])
        _clean_error(capsys, ["index", "build", folders[name], "--out", tmp_path / f"{name}-idx"])
    for toml in ("deep.toml", "digits.toml"):
        _clean_error(capsys, ["batch", folders["deep_project"] / "a.jpg", "--targets", root / "folders" / toml,
                              "--out", tmp_path / toml])  # fmt: skip
    for bad_index in (root / "images", folders["deep_annotations"]):
        _clean_error(capsys, ["index", "info", bad_index])
        _clean_error(capsys, ["suggest", folders["deep_project"] / "a.jpg", "--index", bad_index])
    assert _snapshot(root) == before
