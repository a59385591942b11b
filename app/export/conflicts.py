"""The question before replacing a file: Replace, Skip, Replace all, Skip all (or Cancel)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["Answer", "UpscaleAnswer", "ask_replace", "ask_upscale"]

Answer = Literal["replace", "skip", "replace_all", "skip_all", "cancel"]


def ask_replace(parent: QWidget | None, path: Path, left: int) -> Answer:
    """Ask about ``path`` (``left``: how many existing files, this one included, are still to ask about)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Replace file?", f"“{path.name}” already exists in {path.parent}.",
                      parent=parent)  # fmt: skip
    box.setInformativeText("Replace it with the new crop?" + (f" ({left - 1} more existing after this one)"
                                                               if left > 1 else ""))  # fmt: skip
    buttons = {
        "replace": box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole),
        "skip": box.addButton("Skip", QMessageBox.ButtonRole.RejectRole),
    }
    if left > 1:
        buttons["replace_all"] = box.addButton("Replace all", QMessageBox.ButtonRole.AcceptRole)
        buttons["skip_all"] = box.addButton("Skip all", QMessageBox.ButtonRole.RejectRole)
    buttons["cancel"] = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(buttons["skip"])
    box.exec()
    clicked = box.clickedButton()
    return next((answer for answer, button in buttons.items() if button is clicked), "cancel")  # type: ignore[return-value]


UpscaleAnswer = Literal["allow", "skip", "cancel"]


def ask_upscale(parent: QWidget | None, upscales: list[tuple[Path, str]]) -> UpscaleAnswer:
    """Ask before upscaling crops smaller than their output size (the crop sets' rule)."""
    n = len(upscales)
    first = f"{upscales[0][0].name}: {upscales[0][1]}"
    box = QMessageBox(QMessageBox.Icon.Question, "Upscale?",
                      f"{n} crop{'s are' if n != 1 else ' is'} smaller than {'their' if n != 1 else 'its'} "
                      f"output size.\n{first}" + ("\n…" if n > 1 else ""), parent=parent)  # fmt: skip
    box.setInformativeText("Upscale (softer pixels), or skip these and export the others?")
    box.setDetailedText("\n".join(f"{p.name}: {why}" for p, why in upscales))
    allow = box.addButton("Upscale", QMessageBox.ButtonRole.AcceptRole)
    skip = box.addButton("Skip them", QMessageBox.ButtonRole.RejectRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(skip)
    box.exec()
    return "allow" if box.clickedButton() is allow else "skip" if box.clickedButton() is skip else "cancel"
