"""The attention panel: tau slider, aspect presets, two regions, automatic tau.

It holds no algorithm: every change emits :attr:`AttentionPanel.request_changed` with an
:class:`AttentionRequest`; the window runs the search and calls :meth:`show_result`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QWidget

from models.geometry import AspectRatio, parse_aspect

__all__ = ["ASPECT_PRESETS", "AttentionPanel", "AttentionRequest"]

FREE, ORIGINAL = "Free", "Original"
ASPECT_PRESETS: tuple[str, ...] = (FREE, ORIGINAL, "1:1", "4:5", "3:2", "2:3", "16:9", "9:16", "1.91:1", "21:9", "3:1")


@dataclass(frozen=True, slots=True)
class AttentionRequest:
    """What the user asks for. ``tau`` None = automatic; ``aspect`` None = free; with
    ``original`` the window substitutes the image's own ratio."""

    tau: float | None
    aspect: AspectRatio | None
    original: bool
    regions: int


class AttentionPanel(QWidget):
    request_changed = Signal(object)  # AttentionRequest

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tau_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.tau_slider.setRange(0, 100)
        self.tau_slider.setValue(70)
        self._tau_label = QLabel(self)
        self.auto_tau = QCheckBox("automatic", self)
        self.aspect = QComboBox(self)
        self.aspect.addItems(ASPECT_PRESETS)
        self.two_regions = QCheckBox("two regions", self)
        self._result = QLabel(self)
        self._result.setWordWrap(True)
        tau_row = QHBoxLayout()
        tau_row.addWidget(self.tau_slider, 1)
        tau_row.addWidget(self._tau_label)
        form = QFormLayout(self)
        form.addRow("Keep attention", tau_row)
        form.addRow("", self.auto_tau)
        form.addRow("Aspect", self.aspect)
        form.addRow("", self.two_regions)
        form.addRow(self._result)
        for signal in (self.tau_slider.valueChanged, self.aspect.currentIndexChanged):
            signal.connect(self._emit)
        for box in (self.auto_tau, self.two_regions):
            box.toggled.connect(self._emit)
        self._sync()

    def request(self) -> AttentionRequest:
        text = self.aspect.currentText()
        fixed = text not in (FREE, ORIGINAL)
        return AttentionRequest(
            tau=None if self.auto_tau.isChecked() else self.tau_slider.value() / 100,
            aspect=parse_aspect(text) if fixed else None,
            original=text == ORIGINAL,
            regions=2 if self.two_regions.isChecked() and text != FREE else 1,
        )

    @Slot(str)
    def show_result(self, text: str) -> None:
        self._result.setText(text)

    def result_text(self) -> str:
        return self._result.text()

    def _sync(self) -> None:
        self._tau_label.setText(f"{self.tau_slider.value()}%")
        self.tau_slider.setEnabled(not self.auto_tau.isChecked())
        self.two_regions.setEnabled(self.aspect.currentText() != FREE)

    @Slot()
    def _emit(self, *_: object) -> None:
        self._sync()
        self.request_changed.emit(self.request())
