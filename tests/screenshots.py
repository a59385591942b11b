"""Take the README's screenshot of the real window: ``python -m tests.screenshots [OUT]``.

Opens the sample folder, picks a ratio, draws a keep and an avoid region, waits for the
constrained crop, and saves ``QWidget.grab()`` of the window (``docs/screenshot.jpg`` by
default). Runs under Xvfb (``DISPLAY=:99``) or offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
log = logging.getLogger("screenshots")


def _wait(app: QApplication, done, timeout_ms: int = 30_000) -> None:
    """Run the event loop until ``done()`` (or fail after ``timeout_ms``)."""
    waited = 0
    while not done():
        if waited > timeout_ms:
            raise TimeoutError("the window did not reach the expected state in time")
        QTest.qWait(25)
        waited += 25


def take(out: Path, *, size: tuple[int, int] = (1400, 900)) -> Path:
    from app.window import MainWindow
    from models.geometry import Box

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # not the user's settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    win = MainWindow()
    win.resize(*size)
    win.show()
    win.open_folder(SAMPLES)
    _wait(app, lambda: win.workbench.analysis() is not None and win.crop_state() is not None)
    target = SAMPLES / "astronaut.jpg"
    if win.current_image().info.path != target:
        win.open_path(target)
        _wait(app, lambda: win.current_image().info.path == target and win.workbench.analysis() is not None)
    _wait(app, lambda: not win.library.is_loading_thumbnails())
    for kind, action in win.actions_.guides.items():
        action.setChecked(kind == "thirds")
    win.aspect_panel.choose_text("4:5")
    win.workbench.add_region("keep", Box(175, 40, 300, 190))  # the face
    win.workbench.add_region("avoid", Box(0, 300, 70, 512))  # the flag's edge, bottom left
    _wait(app, lambda: not win.workbench.is_computing())
    app.processEvents()
    image = win.grab().toImage()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), quality=88):
        raise OSError(f"could not write {out}")
    log.info("wrote %s (%dx%d); layout: %s", out, image.width(), image.height(), win.layout_panel.status()[1])
    win.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "docs" / "screenshot.jpg")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    take(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
