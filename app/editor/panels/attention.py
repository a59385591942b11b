"""The attention panel: tau slider, two regions, automatic tau.

It holds no algorithm: every change emits :attr:`AttentionPanel.request_changed` with an
:class:`AttentionRequest`; the window runs the search with the aspect ratio chosen in the
aspect panel and calls :meth:`show_result`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QWidget

__all__ = ["AttentionPanel", "AttentionRequest"]


@dataclass(frozen=True, slots=True)
class AttentionRequest:
    """What the user asks for: ``tau`` None = automatic; ``regions`` 1 or 2."""

    tau: float | None
    regions: int = 1


class AttentionPanel(QWidget):
    request_changed = Signal(object)  # AttentionRequest

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tau_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.tau_slider.setRange(0, 100)
        self.tau_slider.setValue(70)
        self.tau_slider.setToolTip("Share of the attention map the crop keeps")
        self._tau_label = QLabel(self)
        self.auto_tau = QCheckBox("automatic", self)
        self.two_regions = QCheckBox("two regions", self)
        self.two_regions.setToolTip("Up to two disjoint crops of the chosen ratio (needs a fixed ratio)")
        self._fixed_ratio = False
        self._result = QLabel(self)
        self._result.setWordWrap(True)
        self._result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._result.setMinimumHeight(3 * self._result.fontMetrics().lineSpacing())  # wrapped, never cut mid-line
        tau_row = QHBoxLayout()
        tau_row.addWidget(self.tau_slider, 1)
        tau_row.addWidget(self._tau_label)
        form = QFormLayout(self)
        form.addRow("Keep attention", tau_row)
        form.addRow("", self.auto_tau)
        form.addRow("", self.two_regions)
        form.addRow(self._result)
        self.tau_slider.valueChanged.connect(self._emit)
        for box in (self.auto_tau, self.two_regions):
            box.toggled.connect(self._emit)
        self._sync()

    def request(self) -> AttentionRequest:
        two = self.two_regions.isChecked() and self._fixed_ratio
        return AttentionRequest(
            tau=None if self.auto_tau.isChecked() else self.tau_slider.value() / 100,
            regions=2 if two else 1,
        )

    def set_fixed_ratio(self, fixed: bool) -> None:
        """Whether the crop has a fixed ratio (two regions need one)."""
        self._fixed_ratio = fixed
        self._sync()

    @Slot(str)
    def show_result(self, text: str) -> None:
        self._result.setText(text)

    def show_tau(self, tau: float) -> None:
        """Show the tau the automatic search chose on the slider (emits nothing)."""
        self.tau_slider.blockSignals(True)
        self.tau_slider.setValue(round(tau * 100))
        self.tau_slider.blockSignals(False)
        self._sync()

    def result_text(self) -> str:
        return self._result.text()

    def _sync(self) -> None:
        auto = self.auto_tau.isChecked()
        self._tau_label.setText(f"{self.tau_slider.value()}%" + (" auto" if auto else ""))
        self.tau_slider.setEnabled(not self.auto_tau.isChecked())
        self.two_regions.setEnabled(self._fixed_ratio)

    @Slot()
    def _emit(self, *_: object) -> None:
        self._sync()
        self.request_changed.emit(self.request())
