"""models.cropsets.runner: one analysis per image, every target at its exact size, regions
honoured, per-target failures, resume after an interruption, no overwrite, manifests that
match the disk, project-file and XMP overrides, awkward sources (EXIF-rotated, CMYK, 16-bit)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import models.cropsets.worker as worker_module
from models.cropsets.manifest import JOURNAL_NAME
from models.export.naming import OutputNaming
from models.cropsets.project import PROJECT_FILENAME, ImageEntry, Project, load_project, save_project
from models.cropsets.regions import RelativeBox, RelativePoint
from models.cropsets.batch import BatchOptions
from models.cropsets.runner import run_batch
from models.cropsets.targets import parse_target
from models.cropsets.xmp import read_xmp_crop, sidecar_path, write_xmp_crop
from models.eval.protocol import CropRequest
from models.eval.registry import make_method
from models.geometry import Box
from models.imaging import load_image

TARGETS = tuple(parse_target(s) for s in ("sq 1:1 40x40", "tall 9:16 27x48", "wide 16:9 64x36", "free 3:2"))


def photo(path: Path, w: int = 160, h: int = 120, seed: int = 0, **params) -> Path:
    """A noisy dark picture with one bright block (so attention has something to find)."""
    rng = np.random.default_rng(seed)
    a = (rng.random((h, w, 3)) * 60).astype(np.uint8)
    x, y = rng.integers(0, w // 2), rng.integers(0, h // 2)
    a[y : y + h // 3, x : x + w // 4] = (230, 200, 40)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, **params)
    return path


@dataclass
class Counting:
    """A method that counts its calls (to check one analysis per image, one crop per target)."""

    inner: object
    name: str = "attention"
    analysed: list[str] = field(default_factory=list)
    cropped: int = 0

    def analyse(self, image):
        self.analysed.append(image.info.path.name)
        return self.inner.analyse(image)

    def crop(self, analysis, request: CropRequest) -> Box:
        self.cropped += 1
        return self.inner.crop(analysis, request)


def options(out: Path, **kw) -> BatchOptions:
    return BatchOptions(out_dir=out, **{"targets": TARGETS, **kw})


def files(out: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``out`` except the manifests and the writer lock (which stays: deleting a
    lock file races with a second run opening it): relative name -> (inode, mtime_ns)."""
    return {p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*")
            if p.is_file() and not p.name.startswith("manifest.")
            and p.relative_to(out).as_posix() != ".cropstudio-work/.lock"}  # fmt: skip


def assert_manifest_matches_disk(out: Path) -> list[dict]:
    data = json.loads((out / "manifest.json").read_text())
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    outputs = data["outputs"]
    assert len(rows) == len(outputs)
    for row, rec in zip(rows, outputs):
        assert (row["source"], row["target"], row["status"]) == (rec["source"], rec["target"], rec["status"])
        if rec["status"] == "ok":
            assert [int(row[k]) for k in ("x0", "y0", "x1", "y1")] == rec["box"]
    ok = {r["output"]: r for r in outputs if r["status"] == "ok"}
    on_disk = set(files(out))
    assert on_disk == set(ok), (on_disk, set(ok))  # nothing missing, nothing extra, no temp file, no journal
    for name, rec in ok.items():
        with Image.open(out / name) as im:
            assert list(im.size) == rec["output_size"]
    return outputs


# -- one analysis, every size, regions ---------------------------------------------------
def test_every_target_at_its_exact_size_with_the_regions_honoured(tmp_path):
    srcs = [photo(tmp_path / "in" / f"p{i}.png", seed=i) for i in range(2)]
    method = Counting(make_method("attention"))
    keep, avoid = RelativeBox(0.5, 0.1, 0.8, 0.4), RelativeBox(0.0, 0.8, 1.0, 1.0)
    report = run_batch([tmp_path / "in"], options(tmp_path / "out", keep=(keep,), avoid=(avoid,)), method=method)
    assert sorted(method.analysed) == ["p0.png", "p1.png"] and method.cropped == 2 * len(TARGETS)
    assert report.written == 8 and report.failed == 0 and report.analysed == 2
    for rec in report.records:
        box = Box(*rec.box)
        assert box.contains(keep.to_pixels(160, 120)) and box.intersection(avoid.to_pixels(160, 120)) is None
        assert rec.status == "ok" and rec.image_size == (160, 120)
    sizes = {r.target: r.output_size for r in report.records}
    assert sizes["sq"] == (40, 40) and sizes["tall"] == (27, 48) and sizes["wide"] == (64, 36)
    free = next(r for r in report.records if r.target == "free")
    assert free.output_size == (free.box[2] - free.box[0], free.box[3] - free.box[1])
    outputs = assert_manifest_matches_disk(tmp_path / "out")
    assert [Path(r["source"]).name for r in outputs] == ["p0.png"] * 4 + ["p1.png"] * 4
    assert {r["output"] for r in outputs} >= {"p0_sq_40x40.jpg", "p1_tall_27x48.jpg"}
    assert srcs[0].is_file()


def test_a_target_that_cannot_be_met_is_reported_and_the_others_are_written(tmp_path):
    photo(tmp_path / "a.png")
    targets = TARGETS + (parse_target("huge 1:1 2000x2000"),)
    keep = RelativeBox(0.2, 0.45, 0.8, 0.55)  # 96 px wide: too wide for any 9:16 crop of a 160x120 image
    report = run_batch([tmp_path / "a.png"], options(tmp_path / "out", targets=targets, keep=(keep,)))
    status = {r.target: r for r in report.records}
    assert status["tall"].status == "error" and status["tall"].error_kind == "infeasible"
    assert "largest 9:16 box" in status["tall"].error
    assert status["huge"].error_kind == "upscale" and "2000x2000" in status["huge"].error
    assert "--allow-upscale" in status["huge"].error
    assert all(status[t].status == "ok" for t in ("sq", "wide", "free")) and report.failed == 2
    assert_manifest_matches_disk(tmp_path / "out")
    # allowed: upscaled with a note, never silently
    report = run_batch([tmp_path / "a.png"], options(tmp_path / "up", targets=targets[-1:], allow_upscale=True))
    (rec,) = report.records
    assert rec.status == "ok" and rec.output_size == (2000, 2000) and rec.note.startswith("upscaled x")


@dataclass
class SmallCentre:
    """Always proposes a small centred crop of the ratio (to force growing)."""

    name: str = "small"

    def analyse(self, image):
        return None

    def crop(self, analysis, request: CropRequest) -> Box:
        (w, h), r = request.image_size, request.aspect
        return Box.from_xywh(w / 2 - 50 * r, h / 2 - 50, 100 * r, 100)


def test_a_small_crop_grows_to_the_size_rather_than_upscale(tmp_path):
    photo(tmp_path / "a.png", 400, 300)
    keep = RelativeBox(0.45, 0.45, 0.55, 0.55)
    report = run_batch([tmp_path / "a.png"], options(tmp_path / "out", targets=(parse_target("sq 1:1 290x290"),),
                                                     keep=(keep,)), method=SmallCentre())  # fmt: skip
    (rec,) = report.records
    assert rec.status == "ok" and "grown from 100x100" in rec.note
    assert rec.box[2] - rec.box[0] == 290 == rec.box[3] - rec.box[1]
    assert Box(*rec.box).contains(keep.to_pixels(400, 300)) and Box(*rec.box).center == (200, 150)


# -- resume, overwrite --------------------------------------------------------------------
def test_resume_after_an_interrupted_run(tmp_path, monkeypatch):
    for i in range(3):
        photo(tmp_path / "in" / f"p{i}.png", seed=i)
    out = tmp_path / "out"
    real, calls = worker_module.write_plan, []

    def dying_export(*args, **kwargs):  # the 4th file is written, then the run dies before recording it
        calls.append(args[0].path)
        result = real(*args, **kwargs)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(worker_module, "write_plan", dying_export)
    with pytest.raises(KeyboardInterrupt):
        run_batch([tmp_path / "in"], options(out, method="centred"))
    monkeypatch.setattr(worker_module, "write_plan", real)
    before = files(out)
    assert JOURNAL_NAME in before and not (out / "manifest.json").exists()
    written_before = {k: v for k, v in before.items() if k != JOURNAL_NAME}
    assert len(written_before) == 4

    report = run_batch([tmp_path / "in"], options(out, method="centred"))
    assert report.skipped == 4 and report.written == 8 and report.failed == 0
    after = files(out)
    assert {k: after[k] for k in written_before} == written_before  # not redone: same inode, same mtime
    assert len(after) == 12 and JOURNAL_NAME not in after
    assert_manifest_matches_disk(out)

    # outputs deleted by hand are written again, the rest is left alone
    gone = sorted(after)[:3]
    for name in gone:
        (out / name).unlink()
    report = run_batch([tmp_path / "in"], options(out, method="centred"))
    assert report.written == 3 and report.skipped == 9
    assert_manifest_matches_disk(out)
    # and a second complete run writes nothing, analyses nothing
    report = run_batch([tmp_path / "in"], options(out, method="centred"))
    assert (report.written, report.skipped, report.analysed) == (0, 12, 0)


def test_never_overwrites_unless_asked(tmp_path):
    photo(tmp_path / "a.png")
    out = tmp_path / "out"
    run_batch([tmp_path / "a.png"], options(out, method="centred"))
    contents = {p: (out / p).read_bytes() for p in files(out)}
    report = run_batch([tmp_path / "a.png"], options(out, method="centred", quality=50))  # settings changed
    assert all(r.status == "error" and r.error_kind == "exists" for r in report.records)
    assert all("--overwrite" in r.error for r in report.records)
    assert {p: (out / p).read_bytes() for p in contents} == contents
    report = run_batch([tmp_path / "a.png"], options(out, method="centred", quality=50, overwrite=True))
    assert report.written == 4 and all((out / p).read_bytes() != c for p, c in contents.items() if p.endswith(".jpg"))
    assert_manifest_matches_disk(out)
    # a file that is not ours is never replaced either
    (tmp_path / "b.png").write_bytes((tmp_path / "a.png").read_bytes())
    (out / "b_sq_40x40.jpg").write_bytes(b"mine")
    report = run_batch([tmp_path / "b.png"], options(out, method="centred"))
    sq = next(r for r in report.records if r.target == "sq")
    assert sq.error_kind == "exists" and (out / "b_sq_40x40.jpg").read_bytes() == b"mine"


def test_dry_run_writes_nothing_and_gives_the_boxes(tmp_path):
    photo(tmp_path / "a.png")
    report = run_batch([tmp_path / "a.png"], options(tmp_path / "out", dry_run=True))
    assert not (tmp_path / "out").exists() and report.manifest is None
    assert all(r.status == "planned" and r.box and r.output for r in report.records)


def test_progress_and_cooperative_cancel(tmp_path):
    for i in range(3):
        photo(tmp_path / "in" / f"p{i}.png", seed=i)
    seen = []
    report = run_batch([tmp_path / "in"], options(tmp_path / "out", method="centred"),
                       on_progress=seen.append, should_stop=lambda: len(seen) >= 1)  # fmt: skip
    assert report.cancelled and [p.done for p in seen] == [1] and seen[0].total == 3
    assert len(files(tmp_path / "out")) == 4
    seen.clear()
    report = run_batch([tmp_path / "in"], options(tmp_path / "out", method="centred"), on_progress=seen.append)
    assert [p.done for p in seen] == [1, 2, 3] and seen[0].skipped and report.written == 8


def test_name_collisions_are_refused_not_overwritten(tmp_path):
    photo(tmp_path / "x" / "a.png", seed=1)
    photo(tmp_path / "y" / "a.png", seed=2)
    one = (TARGETS[0],)
    report = run_batch([tmp_path / "x", tmp_path / "y"], options(tmp_path / "out", targets=one, method="centred"))
    first, second = report.records
    assert first.status == "ok" and second.error_kind == "name" and "{parent}" in second.error
    naming = OutputNaming("{parent}/{stem}_{target}")
    report = run_batch([tmp_path / "x", tmp_path / "y"],
                       options(tmp_path / "out2", targets=one, method="centred", naming=naming))  # fmt: skip
    assert [r.output for r in report.records] == ["x/a_sq.jpg", "y/a_sq.jpg"]
    assert_manifest_matches_disk(tmp_path / "out2")


def test_unreadable_source_is_reported_per_target(tmp_path):
    photo(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.jpg").write_bytes(b"not an image")
    report = run_batch([tmp_path / "in"], options(tmp_path / "out", method="centred"))
    bad = [r for r in report.records if r.source.endswith("bad.jpg")]
    assert len(bad) == 4 and all(r.error_kind == "read" and "not an image" in r.error for r in bad)
    assert report.written == 4
    assert_manifest_matches_disk(tmp_path / "out")


# -- awkward sources ----------------------------------------------------------------------
def test_exif_rotated_cmyk_and_16bit_sources(tmp_path):
    upright = np.zeros((60, 90, 3), np.uint8)
    upright[:, :45] = (20, 40, 200)  # left half blue, right half bright: a wrong rotation shows
    upright[:, 45:] = (250, 240, 10)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: the viewer turns it 90 degrees clockwise
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    stored.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=98)
    Image.fromarray(upright).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=98)
    grad = (np.linspace(0, 65535, 90)[None, :].repeat(60, 0)).astype(np.uint16)
    Image.fromarray(grad).save(tmp_path / "deep.png")  # 16-bit greyscale
    assert Image.open(tmp_path / "deep.png").mode.startswith("I;16")
    targets = (parse_target("sq 1:1 30x30"), parse_target("r 3:2"))
    sources = [tmp_path / n for n in ("rot.jpg", "cmyk.jpg", "deep.png")]
    report = run_batch(sources, options(tmp_path / "out", targets=targets, method="centred",
                                        naming=OutputNaming(format="png")))  # fmt: skip
    assert report.failed == 0
    for rec in report.records:
        assert rec.image_size == (90, 60)  # upright size, whatever is stored
        with Image.open(tmp_path / "out" / rec.output) as out:
            assert out.mode == "RGB" and out.size == rec.output_size
            if rec.target == "r":  # unsized: the exported pixels are the upright source's crop
                want = load_image(rec.source, max_side=None).rgb[rec.box[1] : rec.box[3], rec.box[0] : rec.box[2]]
                assert np.abs(np.asarray(out, np.int16) - want).mean() < 2
                if rec.source.endswith("rot.jpg"):
                    ref = np.asarray(ImageOps.exif_transpose(Image.open(rec.source)).convert("RGB"))
                    assert np.abs(ref[:, :45].mean(axis=(0, 1)) - (20, 40, 200)).max() < 20
                    assert out.getexif().get(0x0112, 1) == 1


# -- project file and XMP overrides -------------------------------------------------------
def test_project_regions_overrides_and_focal_point(tmp_path):
    src = photo(tmp_path / "a.png", 200, 100)
    override = RelativeBox(0.0, 0.0, 0.5, 1.0)  # a 100x100 square on the left
    entry = ImageEntry(keep=(RelativeBox(0.7, 0.2, 0.8, 0.3),), focal_point=RelativePoint(0.9, 0.9),
                       overrides={"sq": override})  # fmt: skip
    save_project(Project(tmp_path / PROJECT_FILENAME).with_entry(src, entry))
    out = tmp_path / "out"
    report = run_batch([src], options(out, method="centred"))
    recs = {r.target: r for r in report.records}
    assert recs["sq"].manual == "project" and recs["sq"].box == (0, 0, 100, 100)
    for t in ("tall", "wide", "free"):  # the project's keep region and the focal point (0.9, 0.9) are in
        box = Box(*recs[t].box)
        assert recs[t].manual is None and box.contains(Box(140, 20, 160, 30))
        assert box.contains(Box(179.5, 89.5, 180.5, 90.5))
    first_hash = load_project(tmp_path / PROJECT_FILENAME).entry(src).content_hash
    assert first_hash and first_hash.startswith("sha256:")

    # the user moves the square by hand: only that target changes (and needs --overwrite)
    moved = ImageEntry(keep=entry.keep, focal_point=entry.focal_point, overrides={"sq": RelativeBox(0.5, 0, 1, 1)},
                       content_hash=first_hash)  # fmt: skip
    save_project(Project(tmp_path / PROJECT_FILENAME).with_entry(src, moved))
    report = run_batch([src], options(out, method="centred"))
    recs = {r.target: r for r in report.records}
    assert recs["sq"].error_kind == "exists" and report.skipped == 3
    report = run_batch([src], options(out, method="centred", overwrite=True))
    recs = {r.target: r for r in report.records}
    assert recs["sq"].box == (100, 0, 200, 100) and report.written == 1 and report.skipped == 3
    assert load_project(tmp_path / PROJECT_FILENAME).entry(src).content_hash != first_hash


def test_xmp_sidecars_written_kept_and_read_back_as_overrides(tmp_path):
    src = photo(tmp_path / "a.png", 200, 100)
    out = tmp_path / "out"
    targets = (parse_target("sq 1:1 50x50"), parse_target("wide 16:9 64x36"))
    report = run_batch([src], options(out, targets=targets, method="centred", xmp=True))
    sq = report.records[0]
    crop = read_xmp_crop(sidecar_path(src))
    assert crop.by_cropstudio and crop.box == RelativeBox.from_pixels(Box(*sq.box), 200, 100)
    stamp = sidecar_path(src).stat().st_mtime_ns
    report = run_batch([src], options(out, targets=targets, method="centred", xmp=True))
    assert report.written == 0 and sidecar_path(src).stat().st_mtime_ns == stamp  # nothing new
    # the photographer sets another square in Lightroom: it becomes the square's manual crop
    write_xmp_crop(sidecar_path(src), RelativeBox(0.0, 0.0, 0.5, 1.0))
    text = sidecar_path(src).read_text().replace("cropstudio:Crop=", "cropstudio:Old=")
    sidecar_path(src).write_text(text)
    report = run_batch([src], options(out, targets=targets, method="centred", xmp=True, overwrite=True))
    recs = {r.target: r for r in report.records}
    assert recs["sq"].manual == "xmp" and recs["sq"].box == (0, 0, 100, 100)
    assert recs["wide"].manual is None and report.written == 1  # another ratio: not affected
    assert not read_xmp_crop(sidecar_path(src)).by_cropstudio  # the user's crop is never replaced
    assert_manifest_matches_disk(out)


def test_rotated_sidecar_crop_is_ignored_with_a_warning(tmp_path, caplog):
    src = photo(tmp_path / "a.png", 200, 100)
    write_xmp_crop(sidecar_path(src), RelativeBox(0.0, 0.0, 0.5, 1.0), angle=3.0)
    text = sidecar_path(src).read_text().replace("cropstudio:Crop=", "cropstudio:Old=")
    sidecar_path(src).write_text(text)
    report = run_batch([src], options(tmp_path / "out", targets=TARGETS[:1], method="centred", dry_run=True))
    assert report.records[0].manual is None and "rotated" in caplog.text


# -- a process pool gives the same result -------------------------------------------------
def test_process_pool_gives_the_same_records(tmp_path):
    for i in range(3):
        photo(tmp_path / "in" / f"p{i}.png", seed=i)
    one = run_batch([tmp_path / "in"], options(tmp_path / "o1", targets=TARGETS[:2]))
    two = run_batch([tmp_path / "in"], options(tmp_path / "o2", targets=TARGETS[:2], workers=2))
    strip = lambda rs: [(Path(r.source).name, r.target, r.box, r.output, r.status) for r in rs]  # noqa: E731
    assert strip(one.records) == strip(two.records) and two.written == 6
    assert_manifest_matches_disk(tmp_path / "o2")
