"""GUI test helpers: fast repeated analyses, and mouse drags on the canvas in image pixels."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

import app.shell.opener
from app.editor.analysis import analyse_image

_ANALYSES: dict[tuple[str, tuple[int, ...]], object] = {}


@pytest.fixture(autouse=True)
def _memoised_analysis(monkeypatch):
    """Analyse each sample once per test run (about a second each): the window's analysis is
    the engine's, tests only need not pay for it again. The image object is swapped in so the
    window recognises the result as its current image's."""

    def memoised(image, cropper):
        key = (image.info.path.name, image.info.path.stat().st_size, image.rgb.shape)  # tmp copies too
        cached = _ANALYSES.get(key)
        if cached is None:
            cached = _ANALYSES[key] = analyse_image(image, cropper)
        prepared = type(cached.prepared)(image, cached.prepared.attention, cached.prepared.search)
        shared = dataclasses.replace(cached.cropping, image=image)  # an empty cache of its own
        shared._cache.put("prepared", prepared)
        for key, value in cached.cropping._cache.items():
            shared._cache.put(key, value)  # the rest shared ("prepared" kept: put keeps the first)
        return type(cached)(image, cached.analysis, prepared, shared)

    monkeypatch.setattr(app.shell.opener, "analyse_image", memoised)


def send_mouse(widget, kind: QEvent.Type, pos: QPointF, button=Qt.MouseButton.LeftButton,
               buttons=Qt.MouseButton.LeftButton, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(view, start: tuple[float, float], end: tuple[float, float], *, steps: int = 4,
         modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at image point ``start``, move to ``end`` in ``steps``, release (left button)."""
    vp = view.viewport()

    def at(x: float, y: float) -> QPointF:
        return QPointF(view.mapFromScene(QPointF(x, y)))

    send_mouse(vp, QEvent.Type.MouseButtonPress, at(*start), modifiers=modifiers)
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        send_mouse(vp, QEvent.Type.MouseMove, at(x, y), button=Qt.MouseButton.NoButton, modifiers=modifiers)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, at(*end), buttons=Qt.MouseButton.NoButton, modifiers=modifiers)


@pytest.fixture(autouse=True)
def _isolated_crop_store(monkeypatch, tmp_path):
    """The per-user crop store (read-only folders, bundled samples) lives in the test's tmp folder."""
    import app.cropsets.project_files

    monkeypatch.setattr(app.cropsets.project_files, "default_store_dir", lambda: tmp_path / "appdata" / "crops")


@pytest.fixture
def shown_window(qtbot):
    """``shown_window(size=None)``: a new main window, registered with qtbot, resized to
    ``(width, height)`` when given, shown and exposed (the set-up every window test shares)."""
    from app.shell.window import MainWindow

    def make(size: tuple[int, int] | None = None) -> MainWindow:
        win = MainWindow()
        qtbot.addWidget(win)
        if size is not None:
            win.resize(*size)
        win.show()
        qtbot.waitExposed(win)
        return win

    return make
