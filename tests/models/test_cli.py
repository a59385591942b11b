"""`cropstudio attention` end to end: real photos, every bad input, JSON, exports."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "resources" / "samples" / "astronaut.jpg"
FCDB = ROOT.parent / "shared" / "data" / "fcdb_train" / "images"


def run(capsys, *argv):
    code = main(["attention", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_on_a_real_photo(capsys):
    code, out, err = run(capsys, PHOTO, "--tau", "0.6", "--aspect", "16:9", "--json")
    assert code == 0, err
    data = json.loads(out)
    (box,) = data["boxes"]
    assert data["width"] == 512 and data["aspect"] == "16:9" and data["kept"] >= 0.6
    x0, y0, x1, y1 = box
    assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
    assert abs((x1 - x0) - (y1 - y0) * 16 / 9) <= 2


def test_text_output_regions_and_auto_tau(capsys):
    code, out, _ = run(capsys, PHOTO, "--auto-tau")
    assert code == 0 and "auto tau" in out and "crop 1:" in out
    code, out, _ = run(capsys, PHOTO, "--tau", "0.8", "--aspect", "1:1", "--regions", "2")
    assert code == 0 and "crop 1:" in out


@pytest.mark.skipif(not FCDB.is_dir(), reason="../shared/data not present")
def test_on_a_dataset_photo(capsys):
    photo = sorted(FCDB.glob("*.jpg"))[0]
    code, out, err = run(capsys, photo, "--tau", "0.9", "--aspect", "4:5", "--json")
    assert code == 0, err
    assert len(json.loads(out)["boxes"]) == 1


def test_export_writes_the_crop_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "crop.png"
    code, stdout, err = run(capsys, PHOTO, "--tau", "0.6", "--aspect", "1:1", "--out", out, "--json")
    assert code == 0, err
    x0, y0, x1, y1 = json.loads(stdout)["boxes"][0]
    assert Image.open(out).size == (x1 - x0, y1 - y0)
    before = out.read_bytes()
    code, _, err = run(capsys, PHOTO, "--tau", "0.9", "--out", out)
    assert code == 2 and "exists" in err and out.read_bytes() == before
    code, _, err = run(capsys, PHOTO, "--tau", "0.9", "--out", out, "--overwrite")
    assert code == 0 and out.read_bytes() != before


def _huge_png_header(path: Path, w: int, h: int) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)))


@pytest.fixture
def bad_files(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(PHOTO.read_bytes()[:3000])
    huge = tmp_path / "huge.png"
    _huge_png_header(huge, 40000, 40000)
    return {"text": text, "empty": empty, "truncated": truncated, "huge": huge,
            "missing": tmp_path / "nope.jpg", "folder": tmp_path}


@pytest.mark.parametrize("kind", ["text", "empty", "truncated", "huge", "missing", "folder"])
def test_bad_files_give_one_clear_line(bad_files, capsys, kind):
    code, out, err = run(capsys, bad_files[kind], "--tau", "0.7")
    assert code == 2
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert bad_files[kind].name in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tau", "1.5"], "tau must be in (0, 1]"),
        (["--tau", "0"], "tau must be in (0, 1]"),  # issue 15 item 6: it returned a 3x3 crop
        (["--aspect", "1000:1"], "each side at least 1 whole pixel"),
        (["--tau", "nan"], "tau must be in (0, 1]"),
        (["--aspect", "wide"], "cannot read aspect ratio"),
        (["--aspect", "0:1"], "positive"),
        (["--tau", "1", "--aspect", "5:1"], "keeps at most"),
        (["--regions", "2"], "fixed aspect ratio"),
        (["--quality", "0", "--out", "x.jpg"], "quality"),
    ],
)
def test_bad_arguments_give_clear_errors(capsys, args, message):
    code, _, err = run(capsys, PHOTO, *args)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("kind", ["L", "I;16", "CMYK", "RGBA", "exif"])
def test_unusual_images_just_work(tmp_path, capsys, kind):
    rgb = Image.open(PHOTO)
    if kind == "I;16":
        arr = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257)
        img, path = Image.fromarray(arr), tmp_path / "deep.png"
    elif kind == "exif":
        exif = Image.Exif()
        exif[0x0112] = 8
        img, path = rgb.transpose(Image.Transpose.ROTATE_270), tmp_path / "rot.jpg"
        img.save(path, exif=exif)
    else:
        img, path = rgb.convert(kind), tmp_path / f"x.{'png' if kind == 'RGBA' else 'jpg' if kind != 'CMYK' else 'tif'}"
    if kind != "exif":
        img.save(path)
    code, out, err = run(capsys, path, "--tau", "0.7", "--aspect", "3:2", "--json")
    assert code == 0, err
    assert json.loads(out)["width"] == 512


def test_console_script_runs_without_traceback(tmp_path):
    exe = Path(sys.executable).parent / "cropstudio"
    done = subprocess.run([str(exe), "attention", str(tmp_path / "missing.jpg")], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "missing.jpg" in done.stderr
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("cropstudio ")


def test_a_reader_that_leaves_early_is_not_an_error():
    # ``cropstudio ... | head``: the pipe's reader is gone before the output is written
    exe = Path(sys.executable).parent / "cropstudio"
    child = subprocess.Popen([str(exe), "crop", "--list-methods"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141 and err == ""


def test_two_region_export_writes_nothing_when_one_target_exists(tmp_path, capsys):
    (tmp_path / "crop-2.png").write_bytes(b"mine")
    code, _, err = run(capsys, PHOTO, "--tau", "0.8", "--aspect", "1:1", "--regions", "2", "--out", tmp_path / "crop.png")
    assert code == 2 and "crop-2.png': it exists" in err
    assert not (tmp_path / "crop-1.png").exists() and (tmp_path / "crop-2.png").read_bytes() == b"mine"
