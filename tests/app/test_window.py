"""MainWindow and main(): loading in a worker, errors without dialogs, drag-and-drop."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeySequence, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.editor.image_view import ImageView
from app.main import main
from app.shell.window import APP_TITLE, MainWindow, file_dialog_filter, is_supported
from models import __version__

TIMEOUT_MS = 10_000


@pytest.fixture
def window(shown_window):
    return shown_window()


@pytest.fixture
def text_file(tmp_path) -> Path:
    path = tmp_path / "notes.jpg"  # an image suffix, but not an image
    path.write_text("these are not the pixels you are looking for\n")
    return path


def load(qtbot, win: MainWindow, path: Path):
    with qtbot.waitSignal(win.image_loaded, timeout=TIMEOUT_MS) as blocker:
        win.open_path(path)
    return blocker.args[0]


def fail(qtbot, win: MainWindow, path: Path) -> str:
    with qtbot.waitSignal(win.load_failed, timeout=TIMEOUT_MS) as blocker:
        win.open_path(path)
    return blocker.args[0]


def assert_fits(view: ImageView) -> None:
    """The whole image is visible and touches two opposite sides of the viewport."""
    shown = view.mapFromScene(view.sceneRect()).boundingRect()
    viewport = view.viewport().rect()
    assert shown.width() <= viewport.width() + 2 and shown.height() <= viewport.height() + 2
    assert max(shown.width() / viewport.width(), shown.height() / viewport.height()) > 0.95


def test_window_opens_empty(window):
    assert window.isVisible()
    assert window.windowTitle() == APP_TITLE
    assert window.current_image() is None
    assert not window.view.has_image()
    assert window.empty.isVisible()  # the canvas says what to do, not the status bar
    assert window.empty.text() == "Open a photo or a folder (Ctrl+O), or drop one here"


def test_file_menu_shortcuts(window):
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    actions = {a.text().replace("&", ""): a for a in menus["File"].actions() if not a.isSeparator()}
    assert actions["Open…"].shortcut() == QKeySequence("Ctrl+O")
    assert actions["Quit"].shortcut() == QKeySequence("Ctrl+Q")


def test_open_sample(qtbot, window, sample_image):
    loaded = load(qtbot, window, sample_image)
    assert (loaded.info.width, loaded.info.height) == (512, 512)
    assert loaded.rgb.shape == (512, 512, 3)
    assert window.current_image() is loaded
    assert window.view.has_image()
    assert (window.view.pixmap().width(), window.view.pixmap().height()) == (512, 512)
    assert window.windowTitle() == f"{APP_TITLE} — astronaut.jpg"
    assert "512x512" in window.statusBar().currentMessage()
    assert not window.opener.is_loading()


def test_status_bar_says_loading(qtbot, window, sample_image):
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.open_path(sample_image)
        assert window.opener.is_loading()
        assert window.statusBar().currentMessage() == "Loading astronaut.jpg…"


def test_image_is_fitted_to_the_window(qtbot, window, sample_image):
    window.resize(900, 700)
    load(qtbot, window, sample_image)
    assert window.view.is_fitted()
    assert_fits(window.view)
    window.resize(600, 800)  # refits on resize
    qtbot.wait(10)
    assert_fits(window.view)


def test_non_image_fails_readably(qtbot, window, text_file):
    message = fail(qtbot, window, text_file)
    assert isinstance(message, str) and message.strip()
    assert "notes.jpg" in message
    assert not message.startswith("Unexpected error"), message  # the engine's own ImageReadError
    assert message in window.statusBar().currentMessage()
    assert window.windowTitle() == APP_TITLE
    assert window.current_image() is None
    assert window.isVisible()


def test_missing_file_fails(qtbot, window, tmp_path):
    message = fail(qtbot, window, tmp_path / "nowhere.png")
    assert "nowhere.png" in message
    assert not message.startswith("Unexpected error"), message


def test_unexpected_engine_error_is_reported_not_raised(qtbot, window, sample_image, monkeypatch):
    def broken(path, **kwargs):
        raise RuntimeError("engine bug")

    monkeypatch.setattr("app.shell.opener.load_image", broken)
    message = fail(qtbot, window, sample_image)
    assert message.startswith("Unexpected error") and "engine bug" in message
    assert message in window.statusBar().currentMessage()
    assert window.isVisible()


def test_failure_keeps_the_previous_image(qtbot, window, sample_image, text_file):
    loaded = load(qtbot, window, sample_image)
    fail(qtbot, window, text_file)
    assert window.current_image() is loaded
    assert window.view.has_image()
    assert window.windowTitle() == f"{APP_TITLE} — astronaut.jpg"
    load(qtbot, window, sample_image)  # and the window still works


def test_newer_open_supersedes_older(qtbot, window, sample_image, text_file):
    failures = []
    window.load_failed.connect(failures.append)
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.open_path(text_file)
        window.open_path(sample_image)
    window.tasks.wait(TIMEOUT_MS)
    qtbot.wait(20)
    assert failures == []
    assert window.windowTitle().endswith("astronaut.jpg")


def _mime(path: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_drag_enter_accepts_one_image_file(window, sample_image, tmp_path):
    def accepted(mime: QMimeData) -> bool:
        event = QDragEnterEvent(
            QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        event.ignore()
        window.dragEnterEvent(event)
        return event.isAccepted()

    assert accepted(_mime(sample_image))
    assert not accepted(_mime(tmp_path / "readme.txt"))
    two = QMimeData()
    two.setUrls([QUrl.fromLocalFile(str(sample_image))] * 2)
    assert not accepted(two)
    text = QMimeData()
    text.setText("hello")
    assert not accepted(text)


def test_drop_opens_the_file(qtbot, window, sample_image):
    mime = _mime(sample_image)  # the event does not own it: keep it alive
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS) as blocker:
        window.dropEvent(event)
    assert event.isAccepted()
    assert blocker.args[0].info.path.name == "astronaut.jpg"


def test_close_while_loading_does_not_crash(qtbot, sample_image):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.open_path(sample_image)
    win.close()
    assert not win.opener.is_loading()
    qtbot.wait(20)


def test_supported_suffixes_and_filter():
    assert is_supported("a/b/photo.JPG")
    assert not is_supported("notes.txt")
    assert "*.jpg" in file_dialog_filter()


# -- the image view -------------------------------------------------------------------


def test_view_shows_a_strided_array_exactly(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    big = rng.integers(0, 256, size=(40, 66, 3), dtype=np.uint8)
    rgb = big[::2, 1::3]  # not C-contiguous, odd width (row padding matters)
    view.set_image(rgb)
    del big
    image = view.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB888)
    assert (image.width(), image.height()) == (22, 20)
    for x, y in [(0, 0), (21, 19), (7, 13)]:
        c = image.pixelColor(x, y)
        assert (c.red(), c.green(), c.blue()) == tuple(rgb[y, x])


def test_view_rejects_non_rgb(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    with pytest.raises(ValueError):
        view.set_image(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        view.set_image(np.zeros((4, 4, 3), np.float32))


def test_view_wheel_zoom_and_fit(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(np.full((200, 300, 3), 128, np.uint8))
    fitted = view.zoom()
    assert view.is_fitted()
    center = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(
        center, view.mapToGlobal(center), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    with qtbot.waitSignal(view.zoom_changed, timeout=1000) as blocker:
        view.wheelEvent(wheel)
    assert blocker.args[0] == pytest.approx(fitted * 1.25)
    assert not view.is_fitted()
    view.resize(500, 400)  # a user zoom survives resizing
    assert view.zoom() == pytest.approx(fitted * 1.25)
    view.fit_to_window()
    assert view.is_fitted()
    assert_fits(view)
    view.clear()
    assert not view.has_image()


# -- main() ---------------------------------------------------------------------------


def test_main_version(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_main_bad_argument():
    assert main(["--no-such-option"]) == 2


def test_main_opens_the_path_and_returns_the_exit_code(qapp, sample_image):
    outcome = []

    def attach() -> None:
        windows = [w for w in qapp.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        assert len(windows) == 1
        win = windows[0]

        def done(result) -> None:
            outcome.append(result)
            qapp.exit(0)

        if win.current_image() is not None:
            done(win.current_image())
        else:
            win.image_loaded.connect(done)
            win.load_failed.connect(lambda msg: (outcome.append(msg), qapp.exit(1)))

    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: qapp.exit(3))
    QTimer.singleShot(0, attach)
    guard.start(TIMEOUT_MS)
    try:
        code = main([str(sample_image)])
    finally:
        guard.stop()
    assert code == 0
    assert QApplication.applicationName() == "Crop Studio"
    assert QApplication.organizationName() == "CropStudio"
    (loaded,) = outcome
    assert (loaded.info.width, loaded.info.height) == (512, 512)
    assert not any(isinstance(w, MainWindow) and w.isVisible() for w in qapp.topLevelWidgets())


def test_gui_without_a_display_says_so(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    exe = os.path.join(os.path.dirname(sys.executable), "cropstudio-gui")
    done = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no display found" in done.stderr and "Traceback" not in done.stderr
