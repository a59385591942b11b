"""Export All means all: every Library image, unopened ones too, per-file questions, a summary (issue 19)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

import app.export.flow
from app.export.planning import ExportSettings
from app.shell.window import MainWindow
from tests.conftest import SAMPLES

TIMEOUT_MS = 60_000


@pytest.fixture
def folder(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg"):
        shutil.copy(SAMPLES / name, photos / name)
    return photos


@pytest.fixture
def window(qtbot, folder):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        assert win.opener.open_folder(folder)
    return win


@pytest.fixture
def asked(monkeypatch):
    state = {"answers": [], "asked": []}

    def ask(parent, path, left):
        state["asked"].append((path.name, left))
        return state["answers"].pop(0)

    monkeypatch.setattr(app.export.flow, "ask_replace", ask)
    monkeypatch.setattr(app.export.flow, "ask_upscale", lambda *a: pytest.fail("asked to upscale"))
    return state


def export_all(qtbot, window, settings):
    with qtbot.waitSignal(window.export_finished, timeout=TIMEOUT_MS) as blocker:
        assert window.export(settings, all_images=True)
    return blocker.args[0]


def test_export_all_writes_every_library_image_including_unopened_ones(qtbot, window, tmp_path, asked):
    out = tmp_path / "out"
    out.mkdir()
    assert len(window.workbench.session.states()) == 1  # only the first image was opened
    report = export_all(qtbot, window, ExportSettings(out, format="PNG", size_mode="crop"))
    assert sorted(p.name for p in report.written) == [f"{s}-crop.png" for s in ("astronaut", "chelsea", "coffee",
                                                                                    "rocket")]  # fmt: skip
    assert not report.failed and not report.skipped and asked["asked"] == []
    with Image.open(out / "chelsea-crop.png") as im:  # an automatic crop, not the whole frame
        assert im.size[0] * im.size[1] < 451 * 300
    box = window.exporter.summary_box
    assert box is not None and "4 written, 0 skipped, 0 failed" in box.informativeText()


def test_existing_files_are_asked_about_one_by_one(qtbot, window, tmp_path, asked):
    out = tmp_path / "out"
    out.mkdir()
    for stem in ("astronaut", "chelsea", "coffee"):
        (out / f"{stem}-crop.png").write_bytes(b"precious " + stem.encode())
    asked["answers"] += ["replace", "skip_all"]  # replace the first, keep the two others
    report = export_all(qtbot, window, ExportSettings(out, format="PNG", size_mode="crop"))
    assert asked["asked"] == [("astronaut-crop.png", 3), ("chelsea-crop.png", 2)]  # skip_all: coffee not asked
    assert sorted(p.name for p in report.written) == ["astronaut-crop.png", "rocket-crop.png"]
    assert (out / "chelsea-crop.png").read_bytes() == b"precious chelsea"
    assert (out / "coffee-crop.png").read_bytes() == b"precious coffee"
    assert Image.open(out / "astronaut-crop.png").format == "PNG"
    assert sorted(p.name for p, _ in report.skipped) == ["chelsea.jpg", "coffee.jpg"]
    assert all("exists and was kept" in why for _, why in report.skipped)
    assert "2 skipped" in window.exporter.summary_box.informativeText()
    assert "Skipped chelsea.jpg" in window.exporter.summary_box.detailedText()
    asked["answers"] += ["replace_all"]
    report = export_all(qtbot, window, ExportSettings(out, format="PNG", size_mode="crop"))
    assert len(report.written) == 4 and asked["asked"][-1] == ("astronaut-crop.png", 4)


def test_export_all_can_be_cancelled_while_crops_are_computed(qtbot, window, tmp_path, asked):
    out = tmp_path / "out"
    out.mkdir()
    assert window.export(ExportSettings(out, format="PNG", size_mode="crop"), all_images=True)
    assert window.exporter.is_running()
    window.exporter.cancel()
    qtbot.waitUntil(lambda: not window.tasks.is_busy(), timeout=TIMEOUT_MS)
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.exporter.is_running()


def test_the_dialog_says_how_many_and_where(qtbot, window, tmp_path, monkeypatch):
    from app.export import dialog as export_dialog

    seen = {}

    def fake_exec(self):
        seen["title"], seen["note"], seen["folder"] = self.windowTitle(), self.note.text(), self.folder.text()
        return 0

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", fake_exec)
    window.export_dialog(all_images=True)
    assert seen["title"] == "Export 4 crops"
    assert "4 images" in seen["note"] and "3 not opened yet" in seen["note"]
    assert seen["folder"]
