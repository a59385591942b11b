"""Entry point of the GUI: ``cropstudio-gui [IMAGE_OR_FOLDER] [--version] [-v]``.

Qt's own options (``-platform offscreen``, ``-style ...``) are accepted and removed by
QApplication; ``QT_QPA_PLATFORM`` is honoured as usual.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from models import __version__

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

APP_NAME = "Crop Studio"
ORG_NAME = "CropStudio"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cropstudio-gui", description="Crop Studio: aesthetic image cropping.")
    parser.add_argument("image", nargs="?", type=Path, help="an image to open, or a folder of images")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    # Release check (make dist-check): open IMAGE, crop, suggest, export into OUT_DIR, quit.
    parser.add_argument("--smoke-test", type=Path, metavar="OUT_DIR", help=argparse.SUPPRESS)
    return parser


def _missing_display() -> str | None:
    """Why Qt cannot open a window here, or None. Checked before QApplication, which would
    abort the process with a plugin error instead of a message."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Run Crop Studio in a desktop "
        "session, under Xvfb, or with QT_QPA_PLATFORM=offscreen; the command line works without one: "
        "cropstudio --help"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; returns the event loop's exit code (or argparse's on ``--help``/errors).

    Long: the start-up in its order (arguments, logging, the application, the smoke test or the window).

    Reuses the running ``QApplication`` when there is one (tests), else creates it.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        if any(a in ("-h", "--help", "--version") for a in argv):
            parser.parse_args(argv)  # prints and exits without needing a display

        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is None:
            problem = _missing_display()
            if problem:
                print(f"cropstudio-gui: {problem}", file=sys.stderr)
                return 2
            app = QApplication([sys.argv[0] if sys.argv else "cropstudio-gui", *argv])
            argv = app.arguments()[1:]  # without the options Qt consumed
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)

    if args.smoke_test is not None:
        if args.image is None:
            print("cropstudio-gui: --smoke-test needs an IMAGE", file=sys.stderr)
            return 2
        from PySide6.QtCore import QSettings

        QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # leave the user's settings alone
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(args.smoke_test / "settings"))

    from app.shell.window import MainWindow

    window = MainWindow()
    if args.smoke_test is not None:
        from app.smoke import run_smoke_test

        try:
            return run_smoke_test(window, args.image, args.smoke_test)
        finally:
            window.close()
    window.show()
    if args.image is not None:
        window.opener.open_any(args.image)
    try:
        code = app.exec()
    finally:
        window.close()  # saves settings, stops workers
    log.debug("event loop exited with %s", code)
    return int(code)
