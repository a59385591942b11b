"""The display's scaling, for work done off the GUI thread at the size it will be shown."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

__all__ = ["display_scale"]


def display_scale() -> float:
    """The device pixel ratio of the most scaled screen (2.0 at 200 %, never below 1): how many
    device pixels a worker should render per logical pixel of a thumbnail."""
    app = QGuiApplication.instance()
    dpr = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    return max(1.0, float(dpr))
