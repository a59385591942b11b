"""Export from the real window: files written, never overwritten without asking, batch progress."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

import app.export.flow
from app.export.planning import ExportSettings, check_template, plan_exports, run_exports
from app.export.dialog import ExportDialog, load_export_settings
from app.editor.state import CropState, ratio_choice, size_choice
from app.shell.window import MainWindow
from models.geometry import Box

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot, sample_image):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.open_path(sample_image)
    return win


@pytest.fixture(autouse=True)
def answers(monkeypatch):
    """Replace the questions (replace a file? upscale?): tests push the answers; the questions
    asked are kept. A question nobody answered fails the test instead of blocking it."""
    state = {"answers": [], "asked": [], "upscale": [], "upscale_asked": []}

    def replace(parent, path, left):
        state["asked"].append(path.name)
        return state["answers"].pop(0)

    def upscale(parent, upscales):
        state["upscale_asked"].append(upscales)
        return state["upscale"].pop(0)

    monkeypatch.setattr(app.export.flow, "ask_replace", replace)
    monkeypatch.setattr(app.export.flow, "ask_upscale", upscale)
    return state


def export(qtbot, window, settings, **kwargs):
    with qtbot.waitSignal(window.export_finished, timeout=TIMEOUT_MS) as blocker:
        assert window.export(settings, **kwargs)
    return blocker.args[0]


def test_export_writes_the_crop(qtbot, window, tmp_path):
    window.workbench.edit_crop(window.crop_state().box, Box(100, 50, 400, 250), "move")
    report = export(qtbot, window, ExportSettings(tmp_path, format="PNG", size_mode="crop"))
    (path,) = report.written
    assert path == tmp_path / "astronaut-crop.png" and not report.failed
    with Image.open(path) as im:
        assert im.size == (300, 200)
    assert str(tmp_path) in window.statusBar().currentMessage()


def test_export_never_overwrites_without_asking(qtbot, window, tmp_path, answers):
    settings = ExportSettings(tmp_path, format="JPEG", size_mode="long_edge", long_edge=120)
    (path,) = export(qtbot, window, settings).written
    path.write_bytes(b"precious")
    answers["answers"].append("skip")
    assert window.export(settings) is False  # declined: nothing runs, nothing is written
    assert path.read_bytes() == b"precious"
    assert "astronaut-crop.jpg" in answers["asked"][0]
    assert "cancelled" in window.statusBar().currentMessage()
    answers["answers"].append("replace")
    report = export(qtbot, window, settings)
    assert report.written == (path,)
    with Image.open(path) as im:
        assert max(im.size) == 120 and im.format == "JPEG"


def test_batch_export_reports_progress(qtbot, window, tmp_path, sample_image):
    window.aspect_panel.choose_text("1:1")
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(sample_image.parent / "coffee.jpg")
    steps = []
    writing = window.exporter.writing  # the export's own task: only the files' progress
    writing.progress.connect(lambda done, total: steps.append((writing.name, done, total)))
    report = export(qtbot, window, ExportSettings(tmp_path, format="WebP", template="{n}-{stem}-{ratio}"),
                    all_images=True)  # fmt: skip
    assert [p.name for p in report.written] == ["1-astronaut-1x1.webp", "2-coffee-1x1.webp"]
    assert steps == [("export", 1, 2), ("export", 2, 2)]
    assert not window.exporter.is_running()


def test_target_size_presets_export_at_that_size_asking_before_upscaling(qtbot, window, tmp_path, answers):
    window.aspect_panel.choose(size_choice(1200, 628))
    window.workbench.apply_crop(Box(100, 100, 400, 257), "small")  # 300x157 px: x4 to 1200x628
    answers["upscale"].append("allow")
    (path,) = export(qtbot, window, ExportSettings(tmp_path, format="TIFF")).written
    ((src, why),) = answers["upscale_asked"][0]
    assert src.name == "astronaut.jpg" and "300x157" in why and "x4.00" in why
    with Image.open(path) as im:
        assert im.size == (1200, 628)
    answers["upscale"].append("cancel")  # asked again: nothing is written
    assert window.export(ExportSettings(tmp_path, format="PNG")) is False and len(answers["upscale_asked"]) == 2
    assert not list(tmp_path.glob("*.png"))
    # ticking "Allow upscaling" (per export) does not ask
    (path,) = export(qtbot, window, ExportSettings(tmp_path, format="PNG", allow_upscale=True)).written
    assert len(answers["upscale_asked"]) == 2 and Image.open(path).size == (1200, 628)


def test_the_dialog_shows_the_presets_real_size(qtbot, window, tmp_path):
    window.aspect_panel.choose(size_choice(1920, 1080))
    window.workbench.apply_crop(Box(0, 0, 512, 288), "as big as it gets")
    dialog = ExportDialog(ExportSettings(tmp_path, exact=(1200, 628)), 1, window, state=window.crop_state())
    qtbot.addWidget(dialog)
    assert "1920x1080" in dialog.output_text() and "upscale" in dialog.output_text()
    dialog.upscale.setChecked(True)
    assert dialog.output_text() == "1920 x 1080 px"
    assert not dialog.exact_w.isVisibleTo(dialog)  # no greyed 1200x628 beside a 1920x1080 preset
    dialog.size_mode.setCurrentIndex(dialog.size_mode.findData("crop"))
    assert dialog.output_text() == "512 x 288 px"


def test_nothing_to_export_is_said_not_raised(qtbot, tmp_path):
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.export(ExportSettings(tmp_path)) is False
    assert "Nothing to export" in win.statusBar().currentMessage()


# -- planning (no window) ------------------------------------------------------------------


def test_plan_names_sizes_and_refusals(tmp_path):
    src = Path("/photos/a.jpg")
    square = CropState((400, 300), ratio_choice("1:1"), box=Box(0, 0, 300, 300))
    banner = CropState((1600, 900), size_choice(1200, 628), box=Box(0, 0, 1600, 837))
    jobs, problems = plan_exports(
        [(src, square), (Path("/photos/a.png"), square), (Path("/b.jpg"), banner), (Path("/c.jpg"), CropState((9, 9)))],
        ExportSettings(tmp_path, size_mode="preset", template="{stem}_{w}x{h}"),
    )
    assert [j.dst.name for j in jobs] == ["a_300x300.jpg", "a_300x300-2.jpg", "b_1200x628.jpg"]
    assert [j.size for j in jobs] == [None, None, (1200, 628)]
    assert problems == [(Path("/c.jpg"), "no crop yet")]
    _, problems = plan_exports([(src, square)], ExportSettings(tmp_path, size_mode="exact", exact=(1200, 628)))
    assert "would stretch" in problems[0][1]


def test_templates_are_checked():
    check_template("{stem}-{n}")
    for bad in ("{nope}", "a/{stem}", "", "{stem"):
        with pytest.raises(ValueError):
            check_template(bad)


def test_run_exports_keeps_going_after_a_failure(tmp_path, sample_image):
    from app.export.planning import ExportJob

    jobs = [
        ExportJob(tmp_path / "missing.jpg", Box(0, 0, 10, 10), tmp_path / "x.jpg", None),
        ExportJob(sample_image, Box(0, 0, 10, 10), tmp_path / "y.png", None),
    ]
    report = run_exports(jobs)
    assert report.written == (tmp_path / "y.png",)
    assert report.failed[0][0].name == "missing.jpg" and "no such file" in report.failed[0][1]
    assert run_exports(jobs, is_cancelled=lambda: True).cancelled


# -- the dialog ------------------------------------------------------------------------------


def test_dialog_collects_and_remembers_settings(qtbot, tmp_path):
    dialog = ExportDialog(ExportSettings(tmp_path), 3)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Export 3 crops"
    dialog.format.setCurrentText("PNG")
    assert not dialog.quality.isEnabled()
    dialog.size_mode.setCurrentIndex(dialog.size_mode.findData("long_edge"))
    dialog.long_edge.setValue(800)
    dialog.template.setText("{stem}-{bad}")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert "unknown placeholder {bad}" in dialog.error() and dialog.result() == 0
    dialog.template.setText("{stem}-web")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.result() == 1
    remembered = load_export_settings(Path("/elsewhere"))
    assert remembered == ExportSettings(tmp_path, format="PNG", size_mode="long_edge", long_edge=800, template="{stem}-web")
