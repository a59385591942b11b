"""Entry point of the GUI: ``cropstudio-gui [IMAGE] [--version] [-v]``.

Qt's own options (``-platform offscreen``, ``-style ...``) are accepted and removed by
QApplication; ``QT_QPA_PLATFORM`` is honoured as usual.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from models import __version__

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)

APP_NAME = "Crop Studio"
ORG_NAME = "CropStudio"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cropstudio-gui", description="Crop Studio: aesthetic image cropping.")
    parser.add_argument("image", nargs="?", type=Path, help="an image to open")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the GUI; returns the event loop's exit code (or argparse's on ``--help``/errors).

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

    from app.window import MainWindow

    window = MainWindow()
    window.show()
    if args.image is not None:
        window.open_path(args.image)
    try:
        code = app.exec()
    finally:
        window.close()  # saves settings, stops workers
    log.debug("event loop exited with %s", code)
    return int(code)
