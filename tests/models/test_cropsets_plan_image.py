"""models.cropsets.worker.plan_image and planning.plan_entry: one image's targets planned in
memory from its one analysis, as the batch plans them before writing (the crop-set view's
path), and models.cropsets.project's read-modify-write and per-user store entries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.cropsets.batch import BatchOptions
from models.cropsets.planning import plan_entry
from models.cropsets.project import (
    PROJECT_FILENAME,
    STORE_FORMAT,
    ImageEntry,
    load_project,
    read_store_entry,
    update_entry,
    write_store_entry,
)
from models.cropsets.regions import RelativeBox
from models.cropsets.runner import run_batch
from models.cropsets.targets import parse_target
from models.cropsets.worker import ExportSettings, cached_method, plan_image
from models.errors import InvalidInputError
from models.export.naming import OutputNaming
from models.imaging import ANALYSIS_MAX_SIDE, load_image
from tests.models.test_cropsets_batch import TARGETS, photo

TARGETS_BIG = (*TARGETS, parse_target("big 1:1 2000x2000"))


def _planned(source: Path, options: BatchOptions, entry: ImageEntry) -> dict[str, tuple[str, tuple | None, str | None]]:
    image = load_image(source, max_side=ANALYSIS_MAX_SIDE)
    size = (image.info.width, image.info.height)
    method = cached_method(options.method)
    plan = plan_entry(source, size, entry, options)
    records = list(plan.failed)
    if plan.job is not None:
        records += plan_image(method.analyse(image), plan.job, size, ExportSettings.of(options), method)
    return {r.target: (r.status, r.box, r.error_kind) for r in records}


def test_plan_image_in_memory_gives_the_batchs_dry_run(tmp_path):
    source = photo(tmp_path / "in" / "a.png")
    keep = (RelativeBox(0.1, 0.1, 0.4, 0.5),)
    manual = {"wide": RelativeBox(0.0, 0.2, 0.8, 0.65)}
    options = BatchOptions(out_dir=tmp_path / "out", targets=TARGETS_BIG, dry_run=True, overwrite=True)
    shown = _planned(source, options, ImageEntry(keep=keep, overrides=manual))
    assert not (source.parent / PROJECT_FILENAME).exists() and not (tmp_path / "out").exists()  # nothing written
    assert shown["big"][0] == "error" and shown["big"][2] == "upscale"
    assert shown["wide"][0] == "planned"
    # the batch, reading the same regions and manual crop from the project file, plans the same
    update_entry(source.parent / PROJECT_FILENAME, source, lambda e: ImageEntry(keep=keep, overrides=manual))
    report = run_batch([source], options)
    assert shown == {r.target: (r.status, r.box, r.error_kind) for r in report.records}


def test_plan_image_refuses_to_plan_without_the_analysis_a_target_needs(tmp_path):
    source = photo(tmp_path / "a.png")
    options = BatchOptions(out_dir=tmp_path / "out", targets=TARGETS, dry_run=True)
    plan = plan_entry(source, (160, 120), ImageEntry(), options)
    with pytest.raises(InvalidInputError, match="needs the image's analysis"):
        plan_image(None, plan.job, (160, 120), ExportSettings.of(options), cached_method("attention"))


def test_plan_entry_gives_a_name_two_targets_claim_to_the_first_only(tmp_path):
    source = photo(tmp_path / "a.png")
    targets = (parse_target("one 1:1 40x40"), parse_target("two 1:1 40x40"))
    options = BatchOptions(out_dir=tmp_path / "out", targets=targets, naming=OutputNaming("{stem}_{w}x{h}"))
    plan = plan_entry(source, (160, 120), ImageEntry(), options)
    assert [t.target.name for t in plan.job.targets] == ["one"]
    (failed,) = plan.failed
    assert failed.target == "two" and failed.error_kind == "name" and "also the name of" in failed.error


def test_update_entry_keeps_other_fields_and_creates_no_file_for_nothing(tmp_path):
    path, image = tmp_path / PROJECT_FILENAME, tmp_path / "a.png"
    assert not update_entry(path, image, lambda e: e, create=False) and not path.exists()
    keep = (RelativeBox(0, 0, 0.5, 0.5),)
    assert update_entry(path, image, lambda e: ImageEntry(keep=keep, content_hash="sha256:x"))
    assert update_entry(path, image, lambda e: ImageEntry(keep=(), content_hash=e.content_hash))
    assert load_project(path).entry(image) == ImageEntry(content_hash="sha256:x")
    assert not update_entry(path, image, lambda e: e)  # unchanged: not written again


def test_store_entries_round_trip_and_unreadable_ones_are_none(tmp_path):
    source, store = photo(tmp_path / "a.png"), tmp_path / "store"
    assert read_store_entry(store, source) is None and read_store_entry(None, source) is None
    entry = ImageEntry(crop=RelativeBox(0.1, 0.1, 0.9, 0.9), aspect="16:9")
    written = write_store_entry(store, source, entry)
    data = json.loads(written.read_text())
    assert data["format"] == STORE_FORMAT and data["name"] == "a.png"
    assert read_store_entry(store, source) == entry
    written.write_text(json.dumps({**data, "version": 99}))
    assert read_store_entry(store, source) is None
    written.write_text("{not json")
    assert read_store_entry(store, source) is None
