"""The dataset builder (issue 5): expansion, classical outpainting, quality filter, runner."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.dataset_builder.expand import Expansion, ExpansionSettings, apply_expansion, sample_expansion
from models.dataset_builder.manifest import JOURNAL, read_journal
from models.dataset_builder.outpaint import OutpaintRequest, build_outpainter
from models.dataset_builder.quality import assess_fill
from models.dataset_builder.runner import BuildProgress, BuildSettings, build_dataset
from models.dataset_builder.sample import plan_sample
from models.dataset_builder.sources import collect_photos
from models.errors import InvalidInputError
from models.eval.datasets import load_annotations


def textured(h: int, w: int, seed: int) -> np.ndarray:
    """A photo-like image: smooth colour gradients, a few shapes, fine texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([80 + 100 * x / w, 60 + 120 * y / h, 140 + 60 * np.sin(x / 17 + y / 23)], axis=-1)
    img = base + rng.normal(0, 9, (h, w, 3))
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 0.8)
    for _ in range(3):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, c, int(rng.integers(4, max(5, min(h, w) // 4))), [float(v) for v in rng.integers(0, 255, 3)], -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_photos(folder: Path, n: int, size: tuple[int, int] = (96, 72)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        w, h = size if i % 2 == 0 else size[::-1]
        cv2.imwrite(str(folder / f"p{i:03d}.jpg"), textured(h, w, i)[..., ::-1])
    return folder


# -- expansion --------------------------------------------------------------------------
@hsettings(max_examples=60, deadline=None)
@given(pw=st.integers(2, 300), ph=st.integers(2, 300), seed=st.integers(0, 2**32 - 1),
       side=st.integers(64, 200))  # fmt: skip
def test_expansion_keeps_the_photo_and_its_label_maps_back(pw: int, ph: int, seed: int, side: int) -> None:
    settings = ExpansionSettings(long_side=(side, side))
    e = sample_expansion((pw, ph), seed, settings)
    cw, ch = e.canvas
    x0, y0, x1, y1 = e.box
    assert max(cw, ch) == side
    assert 0 <= x0 < x1 <= cw and 0 <= y0 < y1 <= ch
    assert (x1 - x0) * (y1 - y0) < cw * ch  # there is a border to fill
    # the label is the pasted box, exactly
    lx0, ly0, lx1, ly1 = e.label
    assert (round(lx0 * cw), round(ly0 * ch), round(lx1 * cw), round(ly1 * ch)) == e.box
    # the photo keeps its aspect ratio to the pixel (unless it is only 2 px on a side)
    bw, bh = x1 - x0, y1 - y0
    if min(bw, bh) > 2:
        assert abs(bw / bh - pw / ph) <= (1 / bh + bw / bh**2) * 1.01 + 1e-9
    photo = np.random.default_rng(seed % 1000).integers(0, 256, (ph, pw, 3), dtype=np.uint8)
    canvas, known = apply_expansion(photo, e)
    assert canvas.shape == (ch, cw, 3) and known.sum() == bw * bh and known[y0:y1, x0:x1].all()
    interp = cv2.INTER_AREA if bw < pw else cv2.INTER_LINEAR
    expected = photo if (bw, bh) == (pw, ph) else cv2.resize(photo, (bw, bh), interpolation=interp)
    assert np.array_equal(canvas[y0:y1, x0:x1], expected)
    assert Expansion.from_json(json.loads(json.dumps(e.to_json()))) == e


def test_expansion_is_deterministic_and_varies() -> None:
    draws = [sample_expansion((300, 200), s) for s in range(40)]
    assert draws[:5] == [sample_expansion((300, 200), s) for s in range(5)]
    assert len({d.canvas for d in draws}) > 3 and len({d.box[:2] for d in draws}) > 20
    areas = [d.area_fraction for d in draws]
    assert 0.3 < min(areas) and max(areas) <= 0.86


def test_expansion_settings_are_validated() -> None:
    with pytest.raises(InvalidInputError, match="area"):
        ExpansionSettings(area=(0.5, 1.2))
    with pytest.raises(InvalidInputError, match="too small"):
        sample_expansion((1, 50), 0)


# -- outpainting ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def request_canvas() -> OutpaintRequest:
    e = sample_expansion((120, 90), 5, ExpansionSettings(long_side=(200, 200), area=(0.4, 0.4)))
    canvas, known = apply_expansion(textured(90, 120, 1), e)
    return OutpaintRequest(canvas, known, seed=3)


@pytest.mark.parametrize("backend", ["opencv", "telea"])
def test_classical_backends_keep_known_pixels_and_are_deterministic(backend: str, request_canvas) -> None:
    painter = build_outpainter(backend)
    out = painter.fill(request_canvas)
    known = request_canvas.known
    assert out.shape == request_canvas.canvas.shape and out.dtype == np.uint8
    assert np.array_equal(out[known], request_canvas.canvas[known])
    assert np.array_equal(out, painter.fill(request_canvas))
    # an irregular known mask (a hole in the photo) too
    k2 = known.copy()
    ys, xs = np.nonzero(known)
    k2[ys.min() + 5 : ys.min() + 15, xs.min() + 5 : xs.min() + 15] = False
    out2 = painter.fill(OutpaintRequest(request_canvas.canvas, k2, seed=1))
    assert np.array_equal(out2[k2], request_canvas.canvas[k2])


def test_opencv_fill_depends_on_the_seed_and_rejects_unknown_options(request_canvas) -> None:
    painter = build_outpainter("opencv")
    a = painter.fill(request_canvas)
    b = painter.fill(OutpaintRequest(request_canvas.canvas, request_canvas.known, seed=4))
    assert not np.array_equal(a, b)
    with pytest.raises(InvalidInputError, match="unknown option"):
        build_outpainter("opencv", radius=3)


# -- quality filter ---------------------------------------------------------------------
def test_quality_filter_passes_a_good_fill_and_rejects_smears_and_seams(request_canvas) -> None:
    canvas, known = request_canvas.canvas, request_canvas.known
    good = build_outpainter("opencv").fill(request_canvas)
    report = assess_fill(good, known)
    assert report.passed, report
    constant = canvas.copy()
    constant[~known] = canvas[known].mean(axis=0).astype(np.uint8)
    flat = assess_fill(constant, known)
    assert not flat.passed and flat.detail < 0.1
    seam = good.astype(int)
    seam[~known] = np.clip(seam[~known] + 70, 0, 255)
    hard = assess_fill(seam.astype(np.uint8), known)
    assert not hard.passed and "seam" in hard.reason and hard.seam > 2.5
    assert assess_fill(build_outpainter("telea").fill(request_canvas), known).detail < report.detail


# -- sources ----------------------------------------------------------------------------
def test_flms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="FLMS is the evaluation set"):
        collect_photos(make_photos(tmp_path / "flms", 2))
    named = make_photos(tmp_path / "other", 2)
    (named / "annotations.json").write_text(json.dumps({"name": "FLMS", "images": [
        {"file": "p000.jpg", "width": 96, "height": 72, "crops": [[0, 0, 1, 1]]}]}))  # fmt: skip
    with pytest.raises(InvalidInputError, match="FLMS is the evaluation set"):
        collect_photos(named)


def test_annotated_source_uses_the_first_expert_crop(tmp_path: Path) -> None:
    folder = make_photos(tmp_path / "set", 2)
    (folder / "annotations.json").write_text(json.dumps({"name": "T", "images": [
        {"file": "p000.jpg", "width": 96, "height": 72, "crops": [[0.1, 0.2, 0.9, 0.8], [0, 0, 1, 1]]}]}))  # fmt: skip
    (photo,) = collect_photos(folder)
    assert photo.rel == "p000.jpg" and photo.region == pytest.approx((0.1, 0.2, 0.9, 0.8))


def test_plan_uses_every_photo_once_per_pass() -> None:
    picks = [plan_sample(7, i, 10, 3)[0] for i in range(20)]
    assert sorted(picks[:10]) == list(range(10)) and sorted(picks[10:]) == list(range(10))
    assert plan_sample(7, 3, 10, 3) == plan_sample(7, 3, 10, 3) != plan_sample(8, 3, 10, 3)


# -- runner -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    return make_photos(tmp_path_factory.mktemp("photos") / "pro", 8)


def test_build_writes_a_dataset_that_load_annotations_accepts(photos: Path, tmp_path: Path) -> None:
    seen: list[BuildProgress] = []
    report = build_dataset(BuildSettings(photos, tmp_path / "out", 8, canvas=96), progress=seen.append)
    assert (report.images, report.written, report.skipped, report.cancelled) == (8, 8, 0, False)
    aset = load_annotations(tmp_path / "out")
    assert len(aset.items) == 8 and all(item.file.is_file() for item in aset.items)
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    samples, _ = read_journal(tmp_path / "out")
    for entry, item in zip(data["images"], aset.items):
        record = samples[int(Path(entry["file"]).stem)]
        assert entry["label_kinds"] == ["frame"] and entry["source"] == record.source
        assert entry["crops"][0] == pytest.approx(record.label, abs=1e-6)
        assert (item.width, item.height) == cv2.imread(str(item.file)).shape[1::-1]
    assert [p.done for p in seen] == list(range(1, 9)) and all(p.image.is_file() for p in seen)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["summary"]["ok"] == 8 and manifest["settings"]["samples"] == 8


def test_reruns_are_deterministic_and_resume(photos: Path, tmp_path: Path) -> None:
    build_dataset(BuildSettings(photos, tmp_path / "a", 6, canvas=96, seed=4))
    build_dataset(BuildSettings(photos, tmp_path / "b", 6, canvas=96, seed=4))
    a, b = ((tmp_path / d / "annotations.json").read_text() for d in "ab")
    assert a.replace("/a", "") == b.replace("/b", "")
    assert (tmp_path / "a/images/000003.jpg").read_bytes() == (tmp_path / "b/images/000003.jpg").read_bytes()
    again = build_dataset(BuildSettings(photos, tmp_path / "a", 6, canvas=96, seed=4))
    assert (again.written, again.skipped) == (0, 6)
    more = build_dataset(BuildSettings(photos, tmp_path / "a", 9, canvas=96, seed=4))
    assert (more.written, more.skipped, more.images) == (3, 6, 9)
    with pytest.raises(InvalidInputError, match="other settings.*seed"):
        build_dataset(BuildSettings(photos, tmp_path / "a", 9, canvas=96, seed=5))
    replaced = build_dataset(BuildSettings(photos, tmp_path / "a", 2, canvas=96, seed=5, overwrite=True))
    assert (replaced.written, replaced.images) == (2, 2)


def test_cancel_leaves_a_valid_resumable_folder(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done: list[int] = []
    report = build_dataset(BuildSettings(photos, out, 10, canvas=96), progress=lambda p: done.append(p.done),
                           cancel=lambda: len(done) >= 3)  # fmt: skip
    assert report.cancelled and report.images == 3
    assert len(load_annotations(out).items) == 3
    final = build_dataset(BuildSettings(photos, out, 10, canvas=96))
    assert (final.written, final.skipped, final.images, final.cancelled) == (7, 3, 10, False)
    lines = [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]
    assert sorted(r["index"] for r in lines) == list(range(10))
    reference = build_dataset(BuildSettings(photos, tmp_path / "ref", 10, canvas=96))
    assert reference.images == 10
    assert (out / "annotations.json").read_text().replace(str(out), "") == (
        tmp_path / "ref" / "annotations.json").read_text().replace(str(tmp_path / "ref"), "")  # fmt: skip


def test_partial_journal_line_is_dropped_and_redone(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_dataset(BuildSettings(photos, out, 4, canvas=96))
    journal = out / JOURNAL
    lines = journal.read_text().splitlines(keepends=True)
    journal.write_text("".join(lines[:3]) + lines[3][:40])  # killed while writing sample 3's line
    report = build_dataset(BuildSettings(photos, out, 4, canvas=96))
    assert (report.written, report.skipped, report.images) == (1, 3, 4)
    assert len(journal.read_text().splitlines()) == 4


def test_bad_settings_and_folders_are_refused(photos: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="backend"):
        BuildSettings(photos, tmp_path / "o", 3, backend="nope")
    with pytest.raises(InvalidInputError, match="engine"):
        BuildSettings(photos, tmp_path / "o", 3, engine="spark")
    with pytest.raises(InvalidInputError, match="samples"):
        BuildSettings(photos, tmp_path / "o", 0)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="not empty"):
        build_dataset(BuildSettings(photos, tmp_path / "busy", 3))
    with pytest.raises(InvalidInputError, match="not empty"):  # --overwrite replaces a build, never other files
        build_dataset(BuildSettings(photos, tmp_path / "busy", 3, overwrite=True))
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["x.txt"]
    with pytest.raises(InvalidInputError, match="does not exist"):
        build_dataset(BuildSettings(tmp_path / "missing", tmp_path / "o", 3))


def test_process_pool_gives_the_same_dataset(photos: Path, tmp_path: Path) -> None:
    build_dataset(BuildSettings(photos, tmp_path / "one", 6, canvas=96))
    report = build_dataset(BuildSettings(photos, tmp_path / "two", 6, canvas=96, workers=2))
    assert report.images == 6
    one, two = ((tmp_path / d / "annotations.json").read_text() for d in ("one", "two"))
    assert one.replace("/one", "") == two.replace("/two", "")


def test_missing_ray_is_a_clear_error(photos: Path, tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(InvalidInputError, match="needs Ray"):
        build_dataset(BuildSettings(photos, tmp_path / "out", 2, engine="ray"))
    assert not (tmp_path / "out").exists()


def test_cli_builds_and_reports_json(photos: Path, tmp_path: Path, capsys) -> None:
    from models.cli.main import main

    assert main(["build-dataset", str(photos), str(tmp_path / "out"), "--samples", "3", "--canvas", "96", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 3 and report["written"] == 3
    assert main(["build-dataset", str(photos), str(tmp_path / "out"), "--samples", "3", "--seed", "1"]) == 2
    assert "other settings" in capsys.readouterr().err
    assert main(["build-dataset", str(photos), str(tmp_path / "o2"), "--samples", "2", "--backend-option", "x"]) == 2
