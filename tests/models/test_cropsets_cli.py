"""`cropstudio batch` end to end: JSON and text output, dry runs, one-line errors, exit codes,
and a run killed with SIGKILL that the next run finishes without redoing or duplicating anything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


def photo(path: Path, w: int = 160, h: int = 120, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    a = (rng.random((h, w, 3)) * 60).astype(np.uint8)
    a[h // 4 : h // 2, w // 2 : 3 * w // 4] = (230, 200, 40)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)
    return path


def batch(capsys, *argv):
    code = main(["batch", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_run_on_the_samples_writes_exact_sizes_and_a_manifest(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = batch(capsys, SAMPLES, "--target", "thumb 1:1 200x200", "--target", "banner 3:1 300x100",
                              "--keep", "0.4,0.4,0.6,0.6", "--out", out, "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert data["written"] == 8 and data["failed"] == 0 and Path(data["manifest"]).is_file()
    for rec in data["outputs"]:
        with Image.open(out / rec["output"]) as im:
            assert im.size == {"thumb": (200, 200), "banner": (300, 100)}[rec["target"]]
        w, h = rec["image_size"]
        x0, y0, x1, y1 = rec["box"]
        assert x0 <= 0.4 * w and y0 <= 0.4 * h and x1 >= 0.6 * w and y1 >= 0.6 * h
    assert (out / "manifest.csv").read_text().count("\n") == 9
    code, stdout, _ = batch(capsys, SAMPLES, "--target", "thumb 1:1 200x200", "--target", "banner 3:1 300x100",
                            "--keep", "0.4,0.4,0.6,0.6", "--out", out)  # fmt: skip
    assert code == 0 and stdout.startswith("0 written, 8 already done, 0 failed")


def test_dry_run_json_prints_boxes_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "never"
    code, stdout, err = batch(capsys, SAMPLES / "coffee.jpg", "--targets", "social", "--out", out, "--dry-run",
                              "--json", "--allow-upscale", "--method", "centred")  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    assert [r["target"] for r in data["outputs"]] == ["square", "portrait", "story", "link", "video"]
    assert all(r["status"] == "planned" and len(r["box"]) == 4 for r in data["outputs"])
    first = data["outputs"][0]
    assert first["output"] == "coffee_square_1080x1080.jpg" and first["output_size"] == [1080, 1080]
    assert not out.exists() and data["manifest"] is None
    code, stdout, err = batch(capsys, SAMPLES / "coffee.jpg", "--targets", "social", "--out", out, "--dry-run",
                              "--method", "centred")  # fmt: skip
    assert code == 2 and stdout.count("coffee.jpg") == 0 and err.count("upscaled x") == 5
    assert err.strip().splitlines()[-1].startswith("error: 5 of 5 outputs failed")


def test_a_failing_target_is_reported_and_the_rest_written(tmp_path, capsys):
    photo(tmp_path / "a.png")
    code, stdout, err = batch(capsys, tmp_path / "a.png", "--target", "sq 1:1 40x40", "--target", "tall 9:16",
                              "--keep", "0.2,0.45,0.8,0.55", "--out", tmp_path / "out", "--format", "png")  # fmt: skip
    assert code == 2
    assert "a.png tall: the keep regions span" in err and "error: 1 of 2 outputs failed" in err
    assert stdout.startswith("1 written") and (tmp_path / "out" / "a_sq_40x40.png").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--targets", "social"], "--out DIR is required"),
        (["--out", "o"], "no targets"),
        (["--targets", "nope", "--out", "o"], "unknown target set 'nope'"),
        (["--targets", "social", "--out", "o", "--keep", "0,0,100,100"], "fractions of each image"),
        (["--targets", "social", "--out", "o", "--name", "{stem}_{size}"], "unknown placeholder {size}"),
        (["--targets", "social", "--out", "o", "--quality", "0"], "--quality"),
        (["--targets", "social", "--out", "o", "--workers", "0"], "--workers"),
        (["--target", "sq 1:1 1080x1000", "--out", "o"], "make them agree"),
        (["--targets", "social", "--out", "o", "--method", "magic"], "unknown method"),
    ],
)
def test_bad_arguments_give_one_error_line(tmp_path, capsys, args, message):
    photo(tmp_path / "a.png")
    code, _, err = batch(capsys, tmp_path / "a.png", *[str(tmp_path / "o") if a == "o" else a for a in args])
    assert code == 2 and message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


def test_missing_source_and_list_targets(tmp_path, capsys):
    code, _, err = batch(capsys, tmp_path / "nope.jpg", "--targets", "social", "--out", tmp_path / "o")
    assert code == 2 and "no such file or folder" in err
    code, _, err = batch(capsys, "--targets", "social", "--out", tmp_path / "o")
    assert code == 2 and "SRC" in err
    code, stdout, _ = batch(capsys, "--list-targets")
    assert code == 0 and "social:" in stdout and "  story 9:16 1080x1920" in stdout


def test_killed_run_is_resumed_without_redoing_or_duplicating(tmp_path, capsys):
    for i in range(16):
        photo(tmp_path / "in" / f"p{i:02d}.png", 320, 240, seed=i)
    out = tmp_path / "out"
    argv = ["batch", str(tmp_path / "in"), "--target", "sq 1:1 64x64", "--target", "wide 16:9 96x54", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "models.cli.main", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not list(out.glob("p*.jpg")):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("p*.jpg")}
    assert 1 <= len(before) < 32 and not (out / "manifest.json").exists()

    code, stdout, err = batch(capsys, *argv[1:], "--json")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["written"] + data["skipped"] == 32 and data["skipped"] >= len(before)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir()}
    assert {k: after[k] for k in before} == before  # nothing redone
    assert sorted(after) == sorted([r["output"] for r in data["outputs"]] + ["manifest.csv", "manifest.json",
                                                                           ".cropstudio-work"])  # fmt: skip
    assert [p.name for p in (out / ".cropstudio-work").iterdir()] == [".lock"]  # the killed run's temporary removed
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".cropstudio-work"]  # no journal
    for rec in data["outputs"]:
        with Image.open(out / rec["output"]) as im:
            im.load()  # complete files only
            assert im.size == tuple(rec["output_size"])


def test_project_file_and_xmp_from_the_command_line(tmp_path, capsys):
    photo(tmp_path / "in" / "a.png", 200, 100)
    project = tmp_path / "project.json"
    project.write_text(json.dumps({"format": "cropstudio-project", "version": 1,
                                   "images": {"in/a.png": {"overrides": {"sq": [0.5, 0, 1, 1]}}}}))  # fmt: skip
    code, stdout, err = batch(capsys, tmp_path / "in", "--target", "sq 1:1 50x50", "--target", "wide 16:9",
                              "--project", project, "--xmp", "--method", "centred", "--out", tmp_path / "out",
                              "--json")  # fmt: skip
    assert code == 0, err
    sq, wide = json.loads(stdout)["outputs"]
    assert sq["manual"] == "project" and sq["box"] == [100, 0, 200, 100] and wide["manual"] is None
    assert json.loads(project.read_text())["images"]["in/a.png"]["content_hash"].startswith("sha256:")
    assert 'crs:CropLeft="0.500000"' in (tmp_path / "in" / "a.xmp").read_text()
    project.write_text('{"format": "cropstudio-project", "version": 9}')
    code, _, err = batch(capsys, tmp_path / "in", "--target", "sq 1:1", "--project", project, "--out", tmp_path / "o")
    assert code == 2 and "schema version 9" in err
