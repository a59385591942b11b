"""Take the docs' screenshots of the real window: ``python -m tests.screenshots [OUT] [--out-dir DIR]``.

One command regenerates them all, offscreen and reproducibly::

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots

It drives one window (1400x900, QSettings in a temporary folder, the bundled samples copied
to a temporary folder so nothing is written next to them) through the main states, as a user
would, waiting on each controller's state rather than on fixed delays, and saves
``QWidget.grab()`` of the window after each:

* ``OUT`` (``docs/screenshot.jpg``, the README's): the designer's state, 4:5, a keep and an
  avoid region, thirds guide; the same state as ``DIR/constraints.jpg``.
* ``DIR/suggestions.jpg``: the suggestions dock in front with ProCrop's ranked crops and the
  retrieved references (waits for the controller's answer).
* ``DIR/cropsets.jpg``: the crop-set dock with the ``social`` set's cards for the image
  (upscaling allowed: the samples are smaller than the set's sizes; the library dock closed
  so that every card shows).
* ``DIR/dataset-builder.jpg``: the dataset-builder dock after a small real build (8 samples of
  the bundled samples, opencv backend, into a temporary folder) with its preview grid filled.
* ``DIR/heat.jpg``: another photo, the attention heat map on, the crop from the tau slider (60%).
* ``DIR/empty-1024x700.jpg``: the window before any photo (the empty canvas and its recent files).
* ``DIR/window-1024x700.jpg``, ``DIR/window-1600x1000.jpg``: the designer's state at those window
  sizes (how much room the picture gets); ``DIR/window-200pct.jpg``: the same at 1024x700 at
  200 % display scaling (taken by a second run of this command with ``QT_SCALE_FACTOR=2``).

``DIR`` is ``docs/screenshots`` by default. ``--only NAME ...`` takes some of them (the README's
screenshot is ``readme``). Runs under Xvfb (``DISPLAY=:99``) or offscreen
(``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
SIZE = (1400, 900)
SIDE_WIDTH = 540  # the left docks' width in the states' shots: cards and references unclipped
SIZES = ((1024, 700), (1600, 1000))  # the window sizes of the window-WxH shots (issue 19)
SCALED = "window-200pct"
SHOTS = ("readme", "constraints", "suggestions", "cropsets", "dataset-builder", "heat", "empty-1024x700",
         *(f"window-{w}x{h}" for w, h in SIZES), SCALED)
log = logging.getLogger("screenshots")


def _wait(app: QApplication, done: Callable[[], bool], timeout_ms: int = 30_000, what: str = "") -> None:
    """Run the event loop until ``done()`` (or fail after ``timeout_ms``)."""
    waited = 0
    while not done():
        if waited > timeout_ms:
            raise TimeoutError(f"the window did not reach the expected state in time{': ' + what if what else ''}")
        QTest.qWait(25)
        waited += 25


def _settle(app: QApplication, ms: int = 150) -> None:
    """Let pending layouts and repaints run (no state is waited on here)."""
    QTest.qWait(ms)
    app.processEvents()


def _save(win, out: Path) -> Path:  # noqa: ANN001 - app.shell.window.MainWindow, imported late
    image = win.grab().toImage()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), quality=88):
        raise OSError(f"could not write {out}")
    log.info("wrote %s (%dx%d)", out, image.width(), image.height())
    return out


def _open(app: QApplication, win, path: Path) -> None:  # noqa: ANN001
    """Show ``path`` (as a click in the library does) once its analysis and crop are there."""
    if win.current_image().info.path != path:
        win.open_path(path)
    _wait(app, lambda: win.current_image().info.path == path and win.workbench.analysis() is not None
          and win.crop_state() is not None and not win.workbench.is_computing(), what=path.name)  # fmt: skip


def _front(win, dock: QDockWidget, width: int = SIDE_WIDTH) -> None:  # noqa: ANN001
    """Show ``dock``'s tab in front, as View > Panels does, ``width`` wide (as if dragged)."""
    if not dock.isVisible():
        dock.toggleViewAction().trigger()  # shows it; the window raises it too
    dock.raise_()
    win.resizeDocks([dock], [width], Qt.Orientation.Horizontal)


def _at_size(app: QApplication, win, size: tuple[int, int], out: Path) -> Path:  # noqa: ANN001
    """The window at ``size`` (logical pixels), as a user would have resized it."""
    win.resize(*size)
    _settle(app, 300)
    log.info("%s: canvas %s, photo shown at %s", out.name, win.view.viewport().size().toTuple(),
             win.view.mapFromScene(win.view.sceneRect()).boundingRect().size().toTuple())  # fmt: skip
    return _save(win, out)


def _scaled_run(out_dir: Path) -> list[Path]:
    """Take the 200 % shot in a second process: the scale factor is fixed when Qt starts."""
    import os
    import subprocess

    env = {**os.environ, "QT_SCALE_FACTOR": "2"}
    cmd = [sys.executable, "-m", "tests.screenshots", "--only", SCALED, "--out-dir", str(out_dir)]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    return [out_dir / f"{SCALED}.jpg"]


def take(out: Path | None = None, out_dir: Path | None = None, *, only: set[str] | None = None,
         size: tuple[int, int] = SIZE) -> list[Path]:  # fmt: skip
    """Write the screenshots (see the module's doc); the paths written."""
    from app.shell.window import MainWindow
    from models.geometry import Box

    out = out or ROOT / "docs" / "screenshot.jpg"
    out_dir = out_dir or ROOT / "docs" / "screenshots"
    wanted = set(SHOTS) if only is None else set(only)
    written: list[Path] = []
    app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="cropstudio-shots-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # not the user's settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    samples = scratch / "samples"  # the project file and crop store write next to the images
    shutil.copytree(SAMPLES, samples)
    from app.library.images import remember_recent

    for name in ("coffee.jpg", "rocket.jpg"):  # the empty canvas lists recent files
        remember_recent(samples / name)
    remember_recent(samples)
    scaled = app.devicePixelRatio() >= 2
    if SCALED in wanted and not scaled:
        written += _scaled_run(out_dir)
    if not scaled:
        wanted.discard(SCALED)
    win = MainWindow()
    try:
        win.resize(*((1024, 700) if "empty-1024x700" in wanted else size))
        win.show()
        if "empty-1024x700" in wanted:
            _settle(app, 300)
            written.append(_save(win, out_dir / "empty-1024x700.jpg"))
        win.resize(*size)
        # -- the designer: 4:5, a keep and an avoid region, thirds ----------------------------
        win.opener.open_folder(samples)
        _wait(app, lambda: win.workbench.analysis() is not None and win.crop_state() is not None, what="first image")
        _open(app, win, samples / "astronaut.jpg")
        _wait(app, lambda: not win.library.is_loading_thumbnails(), what="thumbnails")
        for kind, action in win.actions_.guides.items():
            action.setChecked(kind == "thirds")
        win.aspect_panel.choose_text("4:5")
        win.workbench.add_region("keep", Box(175, 40, 300, 190))  # the face
        win.workbench.add_region("avoid", Box(0, 300, 70, 512))  # the flag's edge, bottom left
        _wait(app, lambda: not win.workbench.is_computing(), what="constrained crop")
        app.processEvents()
        log.info("layout: %s", win.layout_panel.status()[1])
        if "readme" in wanted:
            written.append(_save(win, out))
        if "constraints" in wanted:
            written.append(_save(win, out_dir / "constraints.jpg"))
        for w, h in SIZES if not scaled else ():
            if f"window-{w}x{h}" in wanted:
                written.append(_at_size(app, win, (w, h), out_dir / f"window-{w}x{h}.jpg"))
        if scaled and SCALED in wanted:
            written.append(_at_size(app, win, SIZES[0], out_dir / f"{SCALED}.jpg"))
        win.resize(*size)
        _settle(app)

        # -- suggestions: showing the tab runs ProCrop for the image and its ratio ------------
        if "suggestions" in wanted:
            ctl, failed = win.suggestions, []
            ctl.failed.connect(failed.append)
            _front(win, win.suggestions_dock)

            def answered() -> bool:
                return not ctl.is_running() and ctl.shown() is not None and ctl.shown() == ctl.request()

            _wait(app, lambda: bool(failed) or answered(), timeout_ms=240_000, what="ProCrop's suggestions")
            if failed or not win.suggestions_panel.cards:
                raise RuntimeError(f"no suggestions: {win.suggestions_panel.status()[1]}")
            _settle(app)
            written.append(_save(win, out_dir / "suggestions.jpg"))

        # -- crop sets: the social set's cards for the image ----------------------------------
        if "cropsets" in wanted:
            sets_dock = win.dock_of(win.cropset_panel)
            assert isinstance(sets_dock, QDockWidget)
            _front(win, sets_dock)
            library = win.findChild(QDockWidget, "library-dock")
            library.toggleViewAction().trigger()  # closed (View > Panels): room for all the cards
            win.cropset_panel.upscale.setChecked(True)  # the samples are smaller than social sizes
            win.cropset_panel.choose("social")
            _wait(app, lambda: win.cropsets.is_ready() and not win.cropsets.is_busy(), timeout_ms=120_000,
                  what="the crop set")  # fmt: skip
            _settle(app)
            written.append(_save(win, out_dir / "cropsets.jpg"))
            library.toggleViewAction().trigger()

        # -- dataset builder: a small real build with its preview grid ------------------------
        if "dataset-builder" in wanted:
            from app.dataset_builder.panel import PanelValues

            builder, panel = win.dataset_builder, win.dataset_panel
            _front(win, win.dataset_dock)
            backend = "opencv" if panel.backend.findText("opencv") >= 0 else panel.backend.currentText()
            panel.set_values(PanelValues(str(SAMPLES), str(scratch / "dataset"), 8, backend, 0, 1))
            panel.start_button.click()
            _wait(app, lambda: builder.state in ("done", "failed", "cancelled"), timeout_ms=300_000,
                  what="the dataset build")  # fmt: skip
            if builder.state != "done":
                raise RuntimeError(f"the dataset build ended {builder.state}: {panel.status()[1]}")
            _settle(app)
            written.append(_save(win, out_dir / "dataset-builder.jpg"))
            win.dataset_dock.hide()

        # -- the attention heat map with the tau slider's crop (another photo, no regions) ----
        if "heat" in wanted:
            _front(win, win.dock_of(win.cropset_panel))  # the set (if chosen) follows the photo
            _open(app, win, samples / "chelsea.jpg")
            win.actions_.heat.setChecked(True)
            win.attention_panel.tau_slider.setValue(60)
            _wait(app, lambda: not win.workbench.is_computing() and not win.cropsets.is_busy(), timeout_ms=120_000,
                  what="attention crop")  # fmt: skip
            _settle(app)
            written.append(_save(win, out_dir / "heat.jpg"))

    finally:
        win.close()
        app.processEvents()
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshot.jpg",
                        help="the README's screenshot (default: docs/screenshot.jpg)")  # fmt: skip
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder of the states' screenshots (default: docs/screenshots)")  # fmt: skip
    parser.add_argument("--only", nargs="+", choices=SHOTS, metavar="NAME",
                        help=f"take only these ({', '.join(SHOTS)})")  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    take(args.out, args.out_dir, only=set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
