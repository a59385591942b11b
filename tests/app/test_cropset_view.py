"""The crop-set view in the real window: a card per target, per-target failures with their
reason, canvas edits stored in the project file and undone, exports identical to
``cropstudio batch``, cancel, and no overwriting without asking."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import models.cropsets.runner
from app.shell.window import MainWindow
from models.cli.main import main as cli
from models.constraints.cropper import AttentionCropper
from models.cropsets import load_project, load_target_set
from models.geometry import Box
from tests.app.conftest import drag
from tests.conftest import SAMPLES

TIMEOUT_MS = 20_000
SET_TOML = """description = "Small sizes for the samples"
[[target]]
name = "sq"
size = "200x200"
[[target]]
name = "wide"
ratio = "16:9"
size = "320x180"
[[target]]
name = "tall"
ratio = "9:16"
size = "135x240"
[[target]]
name = "big"
size = "2000x2000"
"""
WIDE_KEEP = Box(25, 200, 490, 300)  # 465 px wide: no 9:16 crop of the 512x512 astronaut holds it
_ANALYSES: dict[tuple, object] = {}


@pytest.fixture(autouse=True)
def _memoised_engine_analysis(monkeypatch):
    """The engine's analysis of each sample once per test run, for the window, the view's
    export and the CLI alike (it is deterministic; tests only need not pay for it again)."""
    original = AttentionCropper.analyse

    def analyse(self, image):
        if self != AttentionCropper():
            return original(self, image)
        key = (image.info.path.name, image.info.path.stat().st_size, image.rgb.shape)
        if key not in _ANALYSES:
            _ANALYSES[key] = original(self, image)
        return _ANALYSES[key]

    monkeypatch.setattr(AttentionCropper, "analyse", analyse)


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the window opened a message box")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, refuse)


@pytest.fixture
def answers(monkeypatch):
    """Replace the overwrite question: tests push the answers; the questions asked are kept."""
    state = {"answers": [], "asked": []}

    def question(parent, title, text, *args, **kwargs):
        state["asked"].append(text)
        return state["answers"].pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    return state


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for path in sorted(SAMPLES.glob("*.jpg")):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def set_file(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SET_TOML)
    return path


@pytest.fixture
def window(qtbot, photos, tmp_path):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        assert win.opener.open_folder(photos)  # astronaut.jpg (512x512) first
    win.cropset_panel.folder.setText(str(tmp_path / "gui"))
    win.cropset_panel.folder.editingFinished.emit()
    return win


def settle(qtbot, window) -> None:
    """Wait until the view shows the current image's set for its current layout, saved."""
    qtbot.waitUntil(lambda: window.cropsets.is_ready() and not window.cropsets.is_busy(), timeout=TIMEOUT_MS)


def choose(qtbot, window, name_or_path) -> None:
    window.cropset_panel.choose(str(name_or_path))
    settle(qtbot, window)


def statuses(window) -> dict[str, tuple[str, str]]:
    return {card.target.name: card.status() for card in window.cropset_panel.cards()}


def project_entry(photos: Path, name: str = "astronaut.jpg"):
    """The image's entry in the folder's project file (an empty one when there is none)."""
    return load_project(photos / ".cropstudio.json").entry(photos / name)


def outputs(folder: Path) -> dict[str, np.ndarray]:
    """Every image written under ``folder``: relative name -> pixels."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith((".", "manifest.")):
            with Image.open(path) as im:
                found[path.relative_to(folder).as_posix()] = np.asarray(im)
    return found


def manifest_boxes(folder: Path) -> dict[tuple[str, str], object]:
    data = json.loads((folder / "manifest.json").read_text())
    return {(Path(r["source"]).name, r["target"]): (r["status"], r["box"], r["output"]) for r in data["outputs"]}


def export(qtbot, window, *, all_images: bool):
    with qtbot.waitSignal(window.cropsets.exporter.finished, timeout=TIMEOUT_MS) as blocker:
        button = window.cropset_panel.export_all_button if all_images else window.cropset_panel.export_button
        button.click()
    return blocker.args[0]


# -- cards ------------------------------------------------------------------------------------


def test_a_card_for_every_target_with_its_status(qtbot, window):
    choose(qtbot, window, "web")
    web = load_target_set("web")
    cards = window.cropset_panel.cards()
    assert [c.target.name for c in cards] == [t.name for t in web.targets]  # hero, banner, card, thumb, og
    status = statuses(window)
    assert status["thumb"] == ("ok", "ok · 400x400 px")  # 400x400 fits the 512x512 astronaut
    for name in ("hero", "banner", "card", "og"):  # larger than any crop of it: refused, with the reason
        level, text = status[name]
        assert level == "error" and "smaller than the" in text and "would be upscaled" in text
    assert window.cropset_panel.card("thumb").thumb.pixmap().width() > 0

    window.cropset_panel.upscale.setChecked(True)  # as --allow-upscale
    settle(qtbot, window)
    status = statuses(window)
    assert all(level in ("ok", "warn") for level, _ in status.values())
    assert status["card"][1].startswith("upscaled x1.56")


def test_choosing_no_set_clears_the_previous_sets_status(qtbot, window):
    choose(qtbot, window, "web")
    assert window.cropset_panel.status()[1]  # "web: 5 targets..."
    window.cropset_panel.choose(None)
    qtbot.waitUntil(lambda: not window.cropset_panel.cards(), timeout=TIMEOUT_MS)
    assert window.cropset_panel.status()[1] == ""


def test_a_bad_set_file_is_reported_and_the_set_in_use_stays(qtbot, window, tmp_path):
    choose(qtbot, window, "web")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[target]]\nname = "two words"\nratio = "1:1"\n')
    window.cropset_panel.choose(str(bad))
    level, text = window.cropset_panel.status()
    assert level == "error" and "bad.toml" in text and "two words" in text
    assert window.cropsets.target_set().name == "web" and window.cropset_panel.combo.currentText() == "web"
    settle(qtbot, window)
    assert len(window.cropset_panel.cards()) == 5


def test_an_impossible_target_gives_its_reason_while_the_others_are_fine(qtbot, window, set_file, photos):
    choose(qtbot, window, set_file)
    window.workbench.add_region("keep", WIDE_KEEP)  # the layout panel's keep box, shared by all targets
    settle(qtbot, window)
    status = statuses(window)
    assert status["sq"][0] == "ok"
    # the wide crop holds the keep region; when that leaves no room for the head, it says so (issue 17)
    assert status["wide"][0] == "ok" or (status["wide"][0] == "warn" and "head #1" in status["wide"][1]), status
    assert status["tall"][0] == "error" and "keep regions span 465x100 px" in status["tall"][1]
    assert status["big"][0] == "error" and "2000x2000" in status["big"][1]
    for name in ("sq", "wide"):  # the crops that are made keep the region
        box = window.cropsets.result().crop(name).box
        assert box.contains(WIDE_KEEP, tol=0.5)
    (keep,) = project_entry(photos).keep  # stored once for the image, in fractions
    assert keep.to_pixels(512, 512).iou(WIDE_KEEP) > 0.999


def test_the_view_shows_the_crops_the_batch_computes(qtbot, window, set_file, photos, tmp_path, capsys):
    choose(qtbot, window, set_file)
    window.workbench.add_region("keep", WIDE_KEEP)
    settle(qtbot, window)
    shown = {c.target.name: (c.record.status, c.record.box) for c in window.cropsets.result().crops}
    code = cli(["batch", str(photos / "astronaut.jpg"), "--targets", str(set_file), "--out", str(tmp_path / "cli"),
                "--dry-run", "--json"])  # fmt: skip
    records = json.loads(capsys.readouterr().out)["outputs"]
    assert code == 2  # two targets cannot be met
    batch = {r["target"]: (r["status"], tuple(r["box"]) if r["box"] else None) for r in records}
    assert shown == {name: ("error", None) if status == "error" else ("planned", box)
                     for name, (status, box) in batch.items()}  # fmt: skip


def test_a_large_photo_is_shown_as_the_batch_crops_it(qtbot, window, tmp_path, capsys):
    """The window analyses a 2048 px preview, the batch a 1024 px copy: the view uses the batch's."""
    big = tmp_path / "large" / "coffee_large.jpg"
    big.parent.mkdir()
    with Image.open(SAMPLES / "coffee.jpg") as im:
        im.resize((1800, 1200), Image.Resampling.LANCZOS).save(big, quality=92)
    ratios = tmp_path / "ratios.toml"
    ratios.write_text('[[target]]\nname = "square"\nratio = "1:1"\n[[target]]\nname = "tall"\nratio = "9:16"\n')
    choose(qtbot, window, ratios)
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(big)
    settle(qtbot, window)
    shown = {c.target.name: c.record.box for c in window.cropsets.result().crops}
    assert shown["square"][2] - shown["square"][0] == 1200  # a crop of its own size: full resolution
    code = cli(["batch", str(big), "--targets", str(ratios), "--out", str(tmp_path / "cli"), "--dry-run", "--json"])
    records = json.loads(capsys.readouterr().out)["outputs"]
    assert code == 0 and shown == {r["target"]: tuple(r["box"]) for r in records}


# -- editing a target on the canvas --------------------------------------------------------------


def test_clicking_a_card_shows_its_crop_and_editing_it_stores_an_undoable_manual_crop(qtbot, window, set_file,
                                                                                      photos):  # fmt: skip
    choose(qtbot, window, set_file)
    computed = window.cropsets.result().crop("wide").box
    qtbot.mouseClick(window.cropset_panel.card("wide"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.crop_state().target == "wide")
    assert window.view.crop_box() == computed
    assert window.view.ratio_lock() == pytest.approx(320 / 180)
    assert window.cropset_panel.card("wide").is_active()

    start = computed.center
    drag(window.view, start, (start[0] - 20, start[1] + 30))  # move the crop on the canvas
    moved = window.view.crop_box()
    assert moved != computed and moved.width == pytest.approx(computed.width)
    qtbot.waitUntil(lambda: "wide" in project_entry(photos).overrides, timeout=TIMEOUT_MS)
    assert project_entry(photos).overrides["wide"].to_pixels(512, 512).iou(moved) > 0.999
    settle(qtbot, window)
    assert statuses(window)["wide"][0] == "manual"
    assert statuses(window)["sq"][0] == "ok"  # the other targets keep their automatic crops

    window.actions_.undo.trigger()  # the move is undone: the manual crop leaves the project file
    qtbot.waitUntil(lambda: "wide" not in project_entry(photos).overrides, timeout=TIMEOUT_MS)
    settle(qtbot, window)
    assert window.view.crop_box() == computed and statuses(window)["wide"][0] == "ok"
    window.actions_.redo.trigger()
    qtbot.waitUntil(lambda: "wide" in project_entry(photos).overrides, timeout=TIMEOUT_MS)
    settle(qtbot, window)
    assert window.view.crop_box() == moved

    window.cropset_panel.reset_button.click()  # back to the automatic crop, also one undo step
    qtbot.waitUntil(lambda: "wide" not in project_entry(photos).overrides, timeout=TIMEOUT_MS)
    settle(qtbot, window)
    assert window.view.crop_box() == computed


def test_regions_and_manual_crops_in_the_project_file_are_shown(qtbot, window, set_file, photos):
    window.workbench.add_region("avoid", Box(0, 0, 100, 100))  # drawn before a set is chosen: saved a moment later
    assert not (photos / ".cropstudio.json").exists()
    coffee = photos / "coffee.jpg"  # 600x400
    entry = {"keep": [[0.375, 0.25, 0.5, 0.5]], "overrides": {"sq": [0.25, 0.125, 0.75, 0.875]}}
    project = {"format": "cropstudio-project", "version": 1, "images": {"coffee.jpg": entry}}
    (photos / ".cropstudio.json").write_text(json.dumps(project))
    choose(qtbot, window, set_file)  # the astronaut's avoid region goes to the file
    qtbot.waitUntil(lambda: len(project_entry(photos).avoid) == 1, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(coffee)
    settle(qtbot, window)
    state = window.crop_state()
    assert state.keep == (Box(225, 100, 300, 200),) and state.override("sq") == Box(150, 50, 450, 350)
    assert statuses(window)["sq"][0] == "manual"
    assert window.cropsets.result().crop("sq").box == Box(150, 50, 450, 350)
    assert project_entry(photos, "coffee.jpg").keep[0].as_tuple() == (0.375, 0.25, 0.5, 0.5)  # kept as it was


# -- export ------------------------------------------------------------------------------------


def test_export_set_writes_what_the_batch_writes(qtbot, window, set_file, photos, tmp_path, capsys):
    choose(qtbot, window, set_file)
    window.workbench.add_region("keep", WIDE_KEEP)
    settle(qtbot, window)
    qtbot.mouseClick(window.cropset_panel.card("sq"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.crop_state().target == "sq")
    window.workbench.edit_crop(window.view.crop_box(), Box(16, 16, 496, 496), "move")  # a manual crop
    settle(qtbot, window)

    report = export(qtbot, window, all_images=False)
    assert (report.written, report.failed, report.cancelled) == (2, 2, False)  # tall and big cannot be met
    gui = tmp_path / "gui"
    assert sorted(outputs(gui)) == ["astronaut_sq_200x200.jpg", "astronaut_wide_320x180.jpg"]
    assert "2 written" in window.cropset_panel.status()[1]

    code = cli(["batch", str(photos / "astronaut.jpg"), "--targets", str(set_file), "--out", str(tmp_path / "cli")])
    capsys.readouterr()
    assert code == 2
    _assert_same_outputs(gui, tmp_path / "cli")

    report = export(qtbot, window, all_images=True)  # every image of the library; the astronaut is done
    assert report.skipped == 4 and len(report.records) == 16  # 4 images x 4 targets
    code = cli(["batch", str(photos), "--targets", str(set_file), "--out", str(tmp_path / "cli-all")])
    capsys.readouterr()
    _assert_same_outputs(gui, tmp_path / "cli-all")


def _assert_same_outputs(gui: Path, cli_out: Path) -> None:
    ours, theirs = outputs(gui), outputs(cli_out)
    assert sorted(ours) == sorted(theirs)
    for name in ours:
        assert ours[name].shape == theirs[name].shape and np.array_equal(ours[name], theirs[name]), name
    assert manifest_boxes(gui) == manifest_boxes(cli_out)


def test_cancel_stops_the_batch_after_the_current_image(qtbot, window, set_file, tmp_path, monkeypatch):
    choose(qtbot, window, set_file)
    cancelled = threading.Event()
    original, calls = models.cropsets.runner.process_image, []

    def gated(job, settings, method=None):  # the second image waits until Cancel was clicked
        calls.append(job.source.name)
        if len(calls) == 2:
            assert cancelled.wait(TIMEOUT_MS / 1000)
        return original(job, settings, method)

    monkeypatch.setattr(models.cropsets.runner, "process_image", gated)
    steps = []
    window.cropsets.exporter.progress.connect(lambda done, total: steps.append((done, total)))
    with qtbot.waitSignal(window.cropsets.exporter.finished, timeout=TIMEOUT_MS) as finished:
        with qtbot.waitSignal(window.cropsets.exporter.progress, timeout=TIMEOUT_MS):
            window.cropset_panel.export_all_button.click()
        assert window.cropset_panel.cancel_button.isVisible()
        window.cropset_panel.cancel_button.click()
        cancelled.set()
    report = finished.args[0]
    # stopped between images: the second one if it had started before Cancel (then it is finished), no other
    assert report.cancelled and calls in (["astronaut.jpg"], ["astronaut.jpg", "chelsea.jpg"])
    assert steps[0] == (1, 4)
    written = {Path(r.source).name for r in report.records if r.status == "ok"}
    assert written == set(calls)
    stems = sorted(p.name.split("_")[0] for p in (tmp_path / "gui").glob("*.jpg"))
    assert stems == sorted([Path(c).stem for c in calls] * 3)  # sq, wide and tall of each
    assert window.cropset_panel.status()[1].startswith("Cancelled")
    assert not window.cropset_panel.cancel_button.isVisible() and not window.cropsets.is_exporting()


def test_existing_outputs_are_replaced_only_when_the_user_says_so(qtbot, window, set_file, answers, tmp_path):
    choose(qtbot, window, set_file)
    export(qtbot, window, all_images=False)
    out = tmp_path / "gui" / "astronaut_wide_320x180.jpg"
    before = out.read_bytes()
    qtbot.mouseClick(window.cropset_panel.card("wide"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.crop_state().target == "wide")
    box = window.view.crop_box()
    window.workbench.edit_crop(box, box.translated(0, 40 if box.y0 < 100 else -40), "move")  # another crop
    settle(qtbot, window)

    answers["answers"].append(QMessageBox.StandardButton.No)
    report = export(qtbot, window, all_images=False)
    assert "astronaut_wide_320x180.jpg" in answers["asked"][0]
    assert out.read_bytes() == before and report.written == 0
    assert "1 existing file kept" in window.cropset_panel.status()[1]

    answers["answers"].append(QMessageBox.StandardButton.Yes)
    report = export(qtbot, window, all_images=False)
    assert report.written == 1 and out.read_bytes() != before


def test_a_card_that_fails_for_size_offers_allow_upscaling(qtbot, window, set_file):
    choose(qtbot, window, set_file)
    big = window.cropset_panel.card("big")
    assert big.status()[0] == "error" and big.upscale_button.isVisibleTo(big)
    assert not window.cropset_panel.card("sq").upscale_button.isVisibleTo(window.cropset_panel.card("sq"))
    assert not window.cropset_panel.upscale.isChecked()
    qtbot.mouseClick(big.upscale_button, Qt.MouseButton.LeftButton)
    assert window.cropset_panel.upscale.isChecked()  # the set's one rule, not a per-card exception
    settle(qtbot, window)
    big = window.cropset_panel.card("big")
    assert big.status()[0] != "error" and not big.upscale_button.isVisibleTo(big)


def test_switching_images_drops_the_previous_images_cards_at_once(qtbot, window, set_file, photos):
    choose(qtbot, window, set_file)
    assert all(card.status()[0] != "busy" for card in window.cropset_panel.cards())
    seen = []
    window.image_loaded.connect(lambda _image: seen.append([c.status()[0] for c in window.cropset_panel.cards()]))
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.open_path(photos / "coffee.jpg")
    assert seen and all(level == "busy" for level in seen[0])  # no card of the astronaut is left showing
    settle(qtbot, window)
