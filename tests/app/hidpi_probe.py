"""Drive the real window at the display scaling the environment sets and print what it shows.

``QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=2 python -m tests.app.hidpi_probe`` prints one JSON
object (the last line of stdout): the window's device pixel ratio, how a bundled sample is fitted
to the view (logical pixels), a handle drag's effect on the crop (image pixels), the crop frame's
stroke width (device pixels), and the pixel sizes and ratios of the thumbnails and cards. Qt reads
the scale factor only before the ``QApplication`` exists, hence a process per scale;
:mod:`tests.app.test_hidpi` runs it at 1 and 2 and compares. It waits on state, never on time.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"
WINDOW = (1200, 800)  # logical pixels
DRAG = -80  # logical pixels: the crop's right handle is dragged this far to the left
PRESS_OFFSET = (0, 4)  # from the handle's centre: inside a 10-logical-pixel handle, outside a 5


def _wait(done: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        QTest.qWait(10)


def _size(pixmap: QPixmap | QImage) -> dict:
    logical = pixmap.deviceIndependentSize()
    return {"pixels": [pixmap.width(), pixmap.height()], "dpr": pixmap.devicePixelRatio(),
            "logical": [logical.width(), logical.height()]}  # fmt: skip


def _stroke_width(image: QImage, y: int, x_from: int, x_to: int) -> float:
    """How many device pixels of the crop frame's yellow a row crosses between two columns:
    the sum over pixels of min(R, G) - B (255 for the frame's colour, about 0 for grey)."""
    total = 0.0
    for x in range(max(0, x_from), min(image.width(), x_to)):
        c = image.pixelColor(x, y)
        total += max(0, min(c.red(), c.green()) - c.blue()) / (214 - 10)
    return total


def probe() -> dict:
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="cropstudio-hidpi-"))
    try:
        return _probe(qapp, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _probe(qapp: QApplication, scratch: Path) -> dict:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # not the user's settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(scratch / "settings"))
    from app.cropsets import project_files

    project_files.default_store_dir = lambda: scratch / "appdata" / "crops"  # not the user's store
    from app.cropsets.engine import THUMB_SIZE
    from app.cropsets.engine import _thumbnail as cropset_thumbnail
    from app.dataset_builder.controller import preview_of
    from app.library.filmstrip import ICON
    from app.suggestions.panel import SuggestionCard
    from app.cropsets.target_card import TargetCard
    from app.suggestions.engine import SuggestedCrop
    from app.suggestions.engine import _thumbnail as suggest_thumbnail
    from app.shell.window import MainWindow
    from models.cropsets.targets import parse_target
    from models.geometry import Box

    folder = scratch / "samples"
    folder.mkdir()
    image_path = folder / SAMPLE.name
    shutil.copy(SAMPLE, image_path)
    out: dict = {}
    win = MainWindow()
    try:
        win.resize(*WINDOW)
        win.show()
        assert QTest.qWaitForWindowExposed(win), "the window was not exposed"
        out["dpr"] = win.devicePixelRatioF()
        view = win.view
        out["viewport_dpr"] = view.viewport().devicePixelRatioF()

        thumbnails: list[list[int]] = []
        win.library.thumbnail_ready.connect(lambda path, rgb: thumbnails.append(list(rgb.shape[:2])))
        win.opener.open_folder(folder)
        _wait(lambda: win.current_image() is not None and win.current_image().info.path == image_path
              and win.workbench.analysis() is not None and win.crop_state() is not None
              and not win.workbench.is_computing() and view.crop_box() is not None,
              "the image and its crop")  # fmt: skip
        _wait(lambda: win.filmstrip.has_thumbnail(image_path), "the filmstrip's thumbnail")
        qapp.processEvents()  # pending layouts

        # -- fit to window, in logical pixels ------------------------------------------------
        w, h = view.image_size()
        tl, br = view.mapFromScene(QPointF(0, 0)), view.mapFromScene(QPointF(w, h))
        vp = view.viewport()
        out["fit"] = {"image": [w, h], "viewport": [vp.width(), vp.height()], "scale": view.transform().m11(),
                      "zoom": view.zoom(), "top_left": [tl.x(), tl.y()], "bottom_right": [br.x(), br.y()]}  # fmt: skip

        # -- heat overlay: over the photo exactly -------------------------------------------
        if not view.has_heat():
            view.set_heat(np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64))
        view.set_heat_visible(True)
        heat = view.mapFromScene(view._heat.sceneBoundingRect()).boundingRect()
        photo = view.mapFromScene(view._item.sceneBoundingRect()).boundingRect()
        out["heat"] = {"heat": [heat.x(), heat.y(), heat.width(), heat.height()],
                       "photo": [photo.x(), photo.y(), photo.width(), photo.height()]}  # fmt: skip
        view.set_heat_visible(False)

        # -- the crop frame's stroke and the handles' size on screen ------------------------
        box = view.crop_box()
        crop = view.crop_item
        assert crop is not None
        from app.editor.canvas.boxes import Handle

        handle = crop.handle_item(Handle.RIGHT)
        on_screen = handle.deviceTransform(view.viewportTransform()).mapRect(handle.boundingRect())
        out["handle_logical"] = [on_screen.width(), on_screen.height()]
        dpr = vp.devicePixelRatioF()
        shot = vp.grab().toImage()
        left = view.mapFromScene(QPointF(box.x0, box.y0 + box.height * 0.37))  # off the guides' lines
        widths = [_stroke_width(shot, round((left.y() + dy) * dpr), round((left.x() - 8) * dpr),
                                round((left.x() + 8) * dpr)) for dy in (-6, 0, 6)]  # fmt: skip
        out["frame_stroke_device_px"] = float(np.median(widths))
        out["viewport_grab"] = _size(shot)

        # -- drag the right handle -----------------------------------------------------------
        edits: list[tuple] = []
        view.crop_edited.connect(lambda before, after, how: edits.append((before, after, how)))
        centre = view.mapFromScene(handle.scenePos())
        start = QPoint(centre.x() + PRESS_OFFSET[0], centre.y() + PRESS_OFFSET[1])
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for i in range(1, 5):
            QTest.mouseMove(vp, start + QPoint(round(DRAG * i / 4), 0))
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(DRAG, 0))
        _wait(lambda: bool(edits), "the crop edit")
        after = view.crop_box()
        _wait(lambda: win.crop_state() is not None and win.crop_state().box == after, "the window's crop state")
        out["drag"] = {"before": list(box.as_tuple()), "after": list(after.as_tuple()), "how": edits[-1][2],
                       "expected_dx": DRAG / view.transform().m11()}  # fmt: skip

        # -- thumbnails and cards -----------------------------------------------------------
        item = win.filmstrip.model().item(0)
        out["filmstrip"] = {"icon": ICON.toTuple(), "sizes": [s.toTuple() for s in item.icon().availableSizes()],
                            "pixmap": _size(item.icon().pixmap(ICON, dpr)), "loaded": thumbnails}  # fmt: skip
        rgb = win.current_image().rgb
        scale = win.suggestions.request().thumb_scale  # what the workers are asked for
        thumb = suggest_thumbnail(rgb, Box(0, 0, 1, 1), scale)
        out["worker_thumbnails"] = {"scale": scale, "suggest": list(thumb.shape[:2]), "cropset": list(
            cropset_thumbnail(win.current_image(), Box(0, 0, w, h), scale).shape[:2])}  # fmt: skip
        card = SuggestionCard(SuggestedCrop(0, 0.5, Box(0, 0, w, h), thumb))
        out["suggestion_card"] = {"label": list(card.thumb.size().toTuple()), **_size(card.thumb.pixmap())}
        target_card = TargetCard(parse_target("portrait 4:5 1080x1350"))
        out["target_card"] = {"label": list(THUMB_SIZE), **_size(target_card.thumb.pixmap())}
        preview = preview_of(0, image_path, (0.1, 0.1, 0.9, 0.9))
        assert preview is not None
        win.dataset_panel.add_preview(preview)
        out["dataset_preview"] = {"image": _size(preview.thumbnail), **_size(win.dataset_panel.preview_pixmap(0))}
        card.deleteLater()
        target_card.deleteLater()

        # -- the window's screenshot ---------------------------------------------------------
        grab = win.grab()
        out["window"] = {"size": [win.width(), win.height()], **_size(grab)}
    finally:
        win.close()
        win.deleteLater()
        qapp.processEvents()
    return out


def main() -> int:
    result = probe()
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
