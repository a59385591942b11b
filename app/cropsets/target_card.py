"""One target of a crop set as a card: a thumbnail of its crop, its name, ratio and output
size, and a status line (ok, a note, or why the target cannot be met). Clicking it asks for
the target on the canvas."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from app.cropsets.engine import THUMB_SIZE, TargetCrop
from app.common.pixmaps import fitted_pixmap
from models.cropsets import Target

__all__ = ["CARD_WIDTH", "TargetCard", "describe_target"]

CARD_WIDTH = THUMB_SIZE[0] + 20
_LEVEL_STYLES = {
    "busy": "color: palette(mid);",
    "ok": "color: #2e9e5b;",
    "manual": "color: #2f7fc1;",
    "warn": "color: #c98a00;",
    "error": "color: #c0392b;",
}


def describe_target(target: Target) -> str:
    """``1:1 · 1080x1080 px``, or ``3:2 · crop's own size``."""
    size = f"{target.size[0]}x{target.size[1]} px" if target.size else "crop's own size"
    return f"{target.ratio} · {size}"


def _placeholder(target: Target, text: str, dpr: float = 1.0) -> QPixmap:
    """A grey frame of the target's ratio, for a crop not computed or not possible (drawn at the
    display's pixel ratio ``dpr``: sharp lines and text at 200%)."""
    pixmap = QPixmap(round(THUMB_SIZE[0] * dpr), round(THUMB_SIZE[1] * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(QColor(0, 0, 0, 0))
    ratio = target.size[0] / target.size[1] if target.size else target.ratio.value
    w, h = THUMB_SIZE
    fw, fh = (w, w / ratio) if ratio >= w / h else (h * ratio, h)
    painter = QPainter(pixmap)
    painter.setPen(QPen(QColor(140, 140, 140), 1, Qt.PenStyle.DashLine))
    painter.drawRect(round((w - fw) / 2), round((h - fh) / 2), round(fw) - 1, round(fh) - 1)
    painter.drawText(QRect(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class TargetCard(QFrame):
    """The card of ``target``; :meth:`show_crop` fills it in, :attr:`clicked` reports a click."""

    clicked = Signal(str)  # the target's name
    upscale_requested = Signal()  # the card's "Allow upscaling": its target failed for size only

    def __init__(self, target: Target, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.setObjectName("target-card")
        self.setFixedWidth(CARD_WIDTH)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(QSize(*THUMB_SIZE))
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._name = QLabel(f"<b>{target.name}</b>", self)
        self._spec = QLabel(describe_target(target), self)
        self._status = QLabel(self)
        self._status.setWordWrap(True)
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(2)
        self.upscale_button = QPushButton("Allow upscaling", self)
        self.upscale_button.setToolTip("The photo is smaller than this target: upscale it (the set's "
                                       "“Allow upscaling”, for every target)")  # fmt: skip
        self.upscale_button.clicked.connect(self.upscale_requested)
        self.upscale_button.hide()
        for widget in (self.thumb, self._name, self._spec, self._status, self.upscale_button):
            layout.addWidget(widget)
        self._level = "busy"
        self._active = False
        self.show_pending("…")

    # -- rendering -------------------------------------------------------------------------
    def show_pending(self, text: str) -> None:
        self.upscale_button.hide()
        self.thumb.setPixmap(_placeholder(self.target, "", self.devicePixelRatioF()))
        self._set_status("busy", text)

    def show_crop(self, crop: TargetCrop) -> None:
        """Show the computed crop (moved by hand or not), or why there is none."""
        if crop.thumbnail is not None:
            self.thumb.setPixmap(fitted_pixmap(crop.thumbnail, self.thumb.size(), self.devicePixelRatioF()))
        else:
            self.thumb.setPixmap(_placeholder(self.target, "no crop", self.devicePixelRatioF()))
        record = crop.record
        size = f"{record.output_size[0]}x{record.output_size[1]} px" if record.output_size else ""
        tip = [f"{self.target.spec()}", f"writes {record.output}" if record.output and crop.ok else ""]
        self.upscale_button.setVisible(not crop.ok and record.error_kind == "upscale")
        if not crop.ok:
            self._set_status("error", crop.message())
        elif record.manual:
            self._set_status("manual", "manual crop" + (f" · {crop.message()}" if crop.message() != "ok" else ""))
        else:
            self._set_status("warn" if record.note else "ok", crop.message() if record.note else f"ok · {size}")
        self.setToolTip("\n".join(t for t in (*tip, self._status.text()) if t))

    def set_active(self, active: bool) -> None:
        """Mark the card of the target shown on the canvas."""
        self._active = active
        self.setStyleSheet("#target-card { border: 2px solid #2f7fc1; border-radius: 4px; }" if active else "")

    def is_active(self) -> bool:
        return self._active

    def status(self) -> tuple[str, str]:
        """``(level, text)``: level is busy, ok, manual, warn or error."""
        return self._level, self._status.text()

    def _set_status(self, level: str, text: str) -> None:
        self._level = level
        self._status.setStyleSheet(_LEVEL_STYLES.get(level, ""))
        self._status.setText(text)
        self.setFixedHeight(self.layout().totalHeightForWidth(CARD_WIDTH))  # the wrapped status, whole

    # -- input -------------------------------------------------------------------------------
    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.target.name)
        super().mouseReleaseEvent(event)
