"""The dataset builder survives kill -9 (issue 5): rerunning the same command completes the
set with no sample lost or duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from models.dataset_builder.manifest import JOURNAL
from models.dataset_builder.runner import BuildSettings, build_dataset
from models.eval.datasets import load_annotations
from tests.models.test_dataset_builder import make_photos

ROOT = Path(__file__).resolve().parents[2]


def _command(src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "models.cli.main", "build-dataset", str(src), str(out), "--samples", "40",
            "--canvas", "192", "--json"]  # fmt: skip


def _journal_lines(out: Path) -> int:
    try:
        return (out / JOURNAL).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_resume_after_kill_9(tmp_path: Path) -> None:
    src = make_photos(tmp_path / "photos", 40, size=(160, 120))
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(_command(src, out), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _journal_lines(out) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    before = _journal_lines(out)
    assert 4 <= before < 40
    rerun = subprocess.run(_command(src, out), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["images"] == 40 and report["skipped"] + report["written"] == 40 and report["skipped"] >= 4
    records = [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]
    assert sorted(r["index"] for r in records) == list(range(40))  # each sample once
    aset = load_annotations(out)
    files = [item.file.name for item in aset.items]
    assert len(set(files)) == 40 and sorted(p.name for p in (out / "images").iterdir()) == sorted(files)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"] == {"samples": 40, "ok": 40, "rejected": 0, "failed": 0, "rounds": [], "complete": True}
    # the interrupted run made exactly what an uninterrupted one makes
    ref = tmp_path / "ref"
    build_dataset(BuildSettings(src, ref, 40, canvas=192))
    assert json.loads((ref / "annotations.json").read_text())["images"] == json.loads(
        (out / "annotations.json").read_text())["images"]  # fmt: skip
