"""The dataset-builder dock in the real window: a build runs in a worker with progress and a
live preview, pauses, resumes, cancels, and a window closed mid-run leaves a valid data set.

The engine is the real one (:func:`models.dataset_builder.runner.build_dataset`, OpenCV
backend) on a few tiny synthetic photos: about 0.2 s a sample. To stop at a known sample, a
test wraps it so that the worker, after sample ``n``, waits until the GUI has asked it to
stop (``cancel`` polled before each new sample): the order of events is the test's.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QColor

from app.dataset_builder.controller import PREVIEW_SIDE
from app.dataset_builder.panel import MAX_PREVIEWS, DatasetBuilderPanel
from app.shell.window import MainWindow
from models.dataset_builder.manifest import read_journal
from models.dataset_builder.runner import BuildSettings, build_dataset
from models.errors import InvalidInputError

TIMEOUT_MS = 60_000


@pytest.fixture
def source(tmp_path) -> Path:
    folder = tmp_path / "pro-photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        rgb = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
        rgb[30:90, 40:120] = (200, 60, 40)
        Image.fromarray(rgb).save(folder / f"photo{i}.jpg", quality=90)
    return folder


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.dataset_dock.show()
    win.dataset_dock.raise_()
    qtbot.waitExposed(win)
    return win


def fill(panel: DatasetBuilderPanel, source: Path, out: Path, samples: int) -> None:
    panel.source.setText(str(source))
    panel.out.setText(str(out))
    panel.samples.setValue(samples)
    panel.backend.setCurrentText("opencv")
    panel.rounds.setValue(0)
    panel.workers.setValue(1)


def stopping_after(n: int):
    """The real engine, but after sample ``n`` the worker waits until it is asked to stop."""

    def engine(settings, *, progress, cancel):
        def report(p):
            progress(p)
            if p.sample is not None and p.done == n:
                for _ in range(TIMEOUT_MS // 10):  # the GUI's pause/cancel/close sets `cancel`
                    if cancel():
                        break
                    threading.Event().wait(0.01)

        return build_dataset(settings, progress=report, cancel=cancel)

    return engine


def images(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "images").glob("*.jpg"))


def assert_valid_dataset(out: Path) -> dict:
    """Every journal sample has its whole image; annotations.json lists exactly those; no temp files."""
    samples, _rounds = read_journal(out)
    ok = sorted(Path(s.file).name for s in samples.values() if s.status == "ok")
    assert ok == images(out)
    assert not list((out / "images").glob(".*.tmp"))
    for name in ok:
        with Image.open(out / "images" / name) as im:
            im.load()  # the whole file decodes
    annotations = json.loads((out / "annotations.json").read_text())
    assert len(annotations["images"]) == len(ok)
    return json.loads((out / "manifest.json").read_text())


def test_a_build_runs_with_progress_and_a_preview_of_labelled_samples(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    assert "opencv" in [panel.backend.itemText(i) for i in range(panel.backend.count())]
    assert not panel.pause_button.isEnabled() and not panel.resume_button.isEnabled()
    out = tmp_path / "dataset"
    fill(panel, source, out, 4)
    with qtbot.waitSignal(builder.finished, timeout=TIMEOUT_MS) as done:
        panel.start_button.click()
        assert builder.is_running() and panel.pause_button.isEnabled() and not panel.start_button.isEnabled()
        assert not panel.source.isEnabled()  # settings are fixed while it runs
    report = done.args[0]
    assert not report.cancelled and report.written == 4
    assert images(out) == [f"{i:06d}.jpg" for i in range(4)]
    manifest = assert_valid_dataset(out)
    assert manifest["summary"]["complete"] is True
    assert builder.state == "done" and panel.status()[0] == "ok" and "4 images" in panel.status()[1]
    assert panel.progress.value() == panel.progress.maximum() == 4
    assert panel.start_button.isEnabled() and not panel.cancel_button.isEnabled()

    previews = panel.previews()  # newest first, each with its label box drawn
    assert [p.index for p in previews] == [3, 2, 1, 0]
    samples, _ = read_journal(out)
    for p in previews:
        assert p.label == pytest.approx(samples[p.index].label) and p.image == out / samples[p.index].file
        assert max(p.thumbnail.width(), p.thumbnail.height()) == PREVIEW_SIDE
    thumb = previews[0].thumbnail
    x0, y0, x1, y1 = previews[0].label
    edge = thumb.pixelColor(int((x0 + x1) / 2 * thumb.width()), min(int(y0 * thumb.height()) + 1, thumb.height() - 1))
    assert edge.red() > 200 and edge.green() > 170 and edge.blue() < 80  # the yellow label line
    assert not panel.preview_pixmap(0).isNull()


def _interrupt_after(qtbot, window, source, out, samples: int, done: int, button: str, check=lambda: None):
    """Start a build of ``samples``, click ``button`` once ``done`` previews are in (then run
    ``check``); the report the builder finishes with."""
    panel, builder = window.dataset_panel, window.dataset_builder
    builder.engine = stopping_after(done)
    fill(panel, source, out, samples)
    with qtbot.waitSignal(builder.finished, timeout=TIMEOUT_MS) as finished:
        panel.start_button.click()
        qtbot.waitUntil(lambda: len(panel.previews()) == done, timeout=TIMEOUT_MS)
        getattr(panel, button).click()
        check()
    return finished.args[0]


def test_pause_stops_after_the_sample_under_way_and_resume_completes(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    out = tmp_path / "dataset"

    def pausing() -> None:
        assert builder.state == "pausing" and not panel.pause_button.isEnabled()

    paused = _interrupt_after(qtbot, window, source, out, 5, 2, "pause_button", pausing)
    assert paused.cancelled and paused.written == 2
    assert builder.state == "paused" and panel.resume_button.isEnabled() and panel.cancel_button.isEnabled()
    assert "Paused" in panel.status()[1]
    assert images(out) == ["000000.jpg", "000001.jpg"]
    assert assert_valid_dataset(out)["summary"]["complete"] is False

    builder.engine = stopping_after(-1)  # runs through
    with qtbot.waitSignal(builder.finished, timeout=TIMEOUT_MS) as resumed:
        panel.resume_button.click()
    report = resumed.args[0]
    assert not report.cancelled and report.skipped == 2 and report.written == 3  # only the missing ones
    assert builder.state == "done" and len(images(out)) == 5
    assert assert_valid_dataset(out)["summary"]["complete"] is True


def test_cancel_stops_and_leaves_nothing_to_resume(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    out = tmp_path / "dataset"
    cancelled = _interrupt_after(qtbot, window, source, out, 4, 1, "cancel_button")
    assert cancelled.cancelled and builder.state == "cancelled"
    assert not panel.resume_button.isEnabled() and not builder.resume()
    assert panel.start_button.isEnabled() and panel.source.isEnabled()
    assert images(out) == ["000000.jpg"]
    assert_valid_dataset(out)


def test_cancel_while_paused_forgets_the_run(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    _interrupt_after(qtbot, window, source, tmp_path / "dataset", 3, 1, "pause_button")
    panel.cancel_button.click()
    assert builder.state == "cancelled" and not panel.resume_button.isEnabled() and not builder.resume()


def test_closing_the_window_mid_run_leaves_a_valid_resumable_dataset(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    builder.engine = stopping_after(2)
    out = tmp_path / "dataset"
    fill(panel, source, out, 6)
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.previews()) == 2, timeout=TIMEOUT_MS)
    assert builder.is_running()
    window.close()  # asks the run to stop after the sample under way, and waits for it
    assert images(out) == ["000000.jpg", "000001.jpg"]
    assert assert_valid_dataset(out)["summary"]["complete"] is False
    again = build_dataset(BuildSettings(source=source, out=out, samples=6))  # the same settings resume it
    assert again.skipped == 2 and again.written == 4 and len(images(out)) == 6


def test_panel_settings_are_kept_for_the_next_start(qtbot, window, source, tmp_path):
    panel = window.dataset_panel
    fill(panel, source, tmp_path / "dataset", 7)
    panel.rounds.setValue(2)
    panel.workers.setValue(1)
    builder = window.dataset_builder
    builder.engine = lambda settings, **hooks: (_ for _ in ()).throw(InvalidInputError("not now"))
    with qtbot.waitSignal(builder.failed, timeout=TIMEOUT_MS):
        panel.start_button.click()  # the settings are saved when a build starts
    other = DatasetBuilderPanel()
    qtbot.addWidget(other)
    assert other.values() == panel.values()
    assert other.values().samples == 7 and other.values().rounds == 2 and other.source.text() == str(source)


def test_errors_are_shown_in_the_panel_not_raised(qtbot, window, source, tmp_path):
    panel, builder = window.dataset_panel, window.dataset_builder
    fill(panel, source, tmp_path / "dataset", 3)
    panel.source.clear()
    with qtbot.waitSignal(builder.failed, timeout=TIMEOUT_MS):
        panel.start_button.click()
    assert panel.status() == ("error", "Choose the folder of source photos first.") and not builder.is_running()

    busy = tmp_path / "not-a-dataset"  # the engine refuses a folder holding other files
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    fill(panel, source, busy, 3)
    with qtbot.waitSignal(builder.failed, timeout=TIMEOUT_MS) as failed:
        panel.start_button.click()
    assert "not empty" in failed.args[0] and panel.status()[0] == "error"
    assert builder.state == "failed" and panel.start_button.isEnabled()

    def broken(settings, **hooks):
        raise RuntimeError("backend crashed")

    builder.engine = broken  # a bug, not the user's fault: said so, never raised
    fill(panel, source, tmp_path / "dataset", 3)
    with qtbot.waitSignal(builder.failed, timeout=TIMEOUT_MS) as failed:
        panel.start_button.click()
    assert failed.args[0] == "The dataset build failed: RuntimeError: backend crashed"
    assert window.statusBar().currentMessage() == failed.args[0]


def test_the_preview_grid_keeps_the_latest_samples(qtbot, tmp_path):
    from app.dataset_builder.controller import preview_of

    panel = DatasetBuilderPanel()
    qtbot.addWidget(panel)
    path = tmp_path / "s.png"
    Image.fromarray(np.zeros((64, 96, 3), np.uint8)).save(path)
    for i in range(MAX_PREVIEWS + 3):
        panel.add_preview(preview_of(i, path, (0.25, 0.25, 0.75, 0.75)))
    assert [p.index for p in panel.previews()] == list(range(MAX_PREVIEWS + 2, 2, -1))
    assert preview_of(0, tmp_path / "missing.png", (0, 0, 1, 1)) is None
    thumb = panel.previews()[0].thumbnail
    assert thumb.pixelColor(thumb.width() // 2, thumb.height() // 4 + 1) == QColor(255, 214, 0)


def test_the_dock_is_hidden_until_shown_from_the_view_menu(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert not win.dataset_dock.isVisible()
    assert win.suggestions_panel.visibleRegion().isEmpty()  # the crop-set tab is in front, as before
    view = next(a.menu() for a in win.menuBar().actions() if a.text() == "&View")
    panels = next(a.menu() for a in view.actions() if a.text() == "&Panels")
    toggle = next(a for a in panels.actions() if a.text() == "Dataset builder")
    toggle.trigger()
    assert win.dataset_dock.isVisible() and toggle.isChecked()
    assert not win.dataset_panel.visibleRegion().isEmpty()  # in front of its tab group
    assert win.suggestions_panel.visibleRegion().isEmpty()  # ProCrop still does not run behind the user's back
