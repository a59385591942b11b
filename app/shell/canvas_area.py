"""The window's centre: the empty state or the image view, a banner for problems above it and
the crop's readout under it; and the rendering of the workbench's state on the view and the
editor's panels (the view's guides and heat overlay remembered in ``QSettings``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.editor.analysis import ImageAnalysis
from app.editor.canvas.guides import GUIDES
from app.editor.canvas.heads import left_out_message
from app.editor.image_view import ImageView
from app.editor.panels.aspect import AspectPanel
from app.editor.panels.attention import AttentionPanel
from app.editor.panels.layout import LayoutPanel
from app.editor.state import CropState, RegionKind
from app.editor.workbench import Workbench
from app.library.filmstrip import Filmstrip
from app.shell.empty_state import EmptyCanvas
from models.geometry import Box
from models.imaging import LoadedImage

__all__ = ["CanvasArea", "EditorPanels"]

_SETTINGS_GUIDES = "view/guides"
_SETTINGS_HEAT = "view/heat"


class EditorPanels:
    """The panels the workbench's state is rendered on (built by the window, docked there)."""

    def __init__(self, aspect: AspectPanel, attention: AttentionPanel, layout: LayoutPanel, filmstrip: Filmstrip):
        self.aspect, self.attention, self.layout, self.filmstrip = aspect, attention, layout, filmstrip


class CanvasArea(QWidget):
    """The centre widget; ``say`` shows a status-bar message for a number of milliseconds."""

    def __init__(self, workbench: Workbench, say: Callable[[str, int], None], parent: QWidget) -> None:
        super().__init__(parent)
        self._workbench, self._say = workbench, say
        self.view = ImageView(self)
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet("QLabel { background: #7a2e2e; color: white; padding: 6px; }")
        self.banner.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        self.empty = EmptyCanvas(self)  # until the first photo: what to do, and the recent files
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.view)
        layout.addWidget(self._stack, 1)
        self._crop_info = QLabel(self)  # under the canvas: no status message can cover it
        self._crop_info.setObjectName("crop-readout")
        self._crop_info.setStyleSheet("#crop-readout { background: #262626; color: #d8d8d8; padding: 2px 6px; }")
        self._crop_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self._crop_info)
        self._crop_info.hide()  # until there is a crop
        self.panels: EditorPanels | None = None  # set by the window once its docks exist
        self.guide_actions: dict[str, QAction] = {}  # the View menu's, set by the window

    def report(self, message: str) -> None:
        """A problem the user must see: in the banner above the view (and the status bar)."""
        self._say(message, 0)
        self.banner.setText(message)
        self.banner.show()

    def show_loaded(self, image: LoadedImage) -> None:
        """A new image: on the view, in the workbench, its analysis under way."""
        self._stack.setCurrentWidget(self.view)
        self.view.set_image(image.rgb, (image.info.width, image.info.height))
        self.banner.hide()
        self._workbench.open_image(image)
        if self.panels is not None:
            self.panels.attention.show_result("Computing the attention map…")

    def show_analysis(self, result: ImageAnalysis) -> None:
        """The current image's analysis: its heat map and heads on the view, then the workbench's."""
        self.view.set_heat(result.prepared.attention.values)
        subjects = result.prepared.attention.subjects
        self.view.set_heads([h.box for h in subjects.heads] if subjects is not None else ())
        self._workbench.set_analysis(result)

    # -- rendering ---------------------------------------------------------------------------
    @Slot(object, str)
    def render(self, state: CropState, why: str) -> None:
        ratio, p = state.ratio, self.panels
        self.view.set_ratio_lock(ratio.value if ratio is not None else None)
        self.view.set_crop(state.box, state.extra)
        self.view.set_regions(state.keep, state.avoid)
        if p is not None:
            p.aspect.set_choice(state.aspect)
            p.attention.set_fixed_ratio(ratio is not None)
            p.layout.set_regions(state.keep, state.avoid)
            p.layout.set_selected(self.view.selected_region())
        self.show_crop_info(state.box)
        path = self._workbench.session.current_path()
        stack = self._workbench.session.undo_stack()
        if p is not None and path is not None and stack is not None:
            p.filmstrip.set_edited(path, stack.count() > 0)

    @Slot(object)
    def follow_tau(self, crop: object) -> None:
        """The slider shows the tau the crop was made with (the automatic one too)."""
        tau = getattr(crop, "tau", None)
        if self.panels is not None and crop is not None and getattr(crop, "auto", None) is not None and tau is not None:
            self.panels.attention.show_tau(tau)

    @Slot(object)
    def show_crop_info(self, box: Box | None) -> None:
        state = self._workbench.session.state()
        if box is None or state is None:
            self._crop_info.setText("")
            self._crop_info.setVisible(False)
            return
        self._crop_info.setVisible(True)
        w, h = round(box.width), round(box.height)
        label = state.aspect.label if state.aspect.kind != "free" else f"free {w / h:.3g}:1" if h else "free"
        self._crop_info.setText(
            f"crop {w} x {h} px at {round(box.x0)},{round(box.y0)}  ·  {label}  ·  image {state.image_size[0]} x "
            f"{state.image_size[1]}  ·  zoom {self.view.zoom():.0%}"
        )

    def crop_readout(self) -> str:
        """The crop's size, position and ratio as the bar under the canvas shows them."""
        return self._crop_info.text()

    def show_left_out(self, result: object) -> None:
        """Mark the heads a crop result leaves out and say so in the status line. The result
        (an AttentionCrop, or a ConstrainedCrop's proposal) lists them in ``left_out``
        (heads or head boxes) when the subject rule could not keep every head whole."""
        left = getattr(result, "left_out", None)
        if left is None:
            left = getattr(getattr(result, "proposal", None), "left_out", None) or ()
        boxes = {getattr(h, "box", h) for h in left}
        heads = self.view.heads_item().heads()
        self.view.set_heads(heads, [i for i, box in enumerate(heads) if box in boxes])
        if boxes:
            self._say(left_out_message(len(boxes), len(heads)), 10_000)

    # -- canvas intents ------------------------------------------------------------------
    @Slot(object)
    def start_drawing(self, kind: RegionKind | None) -> None:
        """The next drag on the canvas draws a ``kind`` region."""
        if kind is not None and not self.view.has_image():
            if self.panels is not None:
                self.panels.layout.set_draw_mode(None)
            return
        self.view.set_draw_mode(kind)
        self.view.setFocus()

    @Slot()
    def delete_selected_region(self) -> None:
        selected = self.view.selected_region()
        if selected is not None:
            self._workbench.delete_region(*selected)

    def set_guide(self, kind: str, on: bool) -> None:
        guides = set(self.view.guides())
        (guides.add if on else guides.discard)(kind)
        self.view.set_guides(guides)
        QSettings().setValue(_SETTINGS_GUIDES, sorted(guides))

    @Slot()
    def cycle_guides(self) -> None:
        """Show the next guide alone (thirds, phi, spiral, diagonals, grid, none)."""
        shown = [k for k in GUIDES if k in self.view.guides()]
        order = [*GUIDES, None]
        nxt = order[(order.index(shown[0]) + 1) % len(order)] if len(shown) == 1 else GUIDES[0]
        for kind, action in self.guide_actions.items():
            action.setChecked(kind == nxt)

    @Slot(bool)
    def set_heat_visible(self, on: bool) -> None:
        self.view.set_heat_visible(on)
        QSettings().setValue(_SETTINGS_HEAT, "true" if on else "false")

    def restore_view_settings(self, heat: QAction) -> None:
        """Tick the guides and the heat overlay as they were last time."""
        settings = QSettings()
        guides = settings.value(_SETTINGS_GUIDES, ["thirds"])
        guides = [guides] if isinstance(guides, str) else list(guides or [])
        for kind, action in self.guide_actions.items():
            action.setChecked(kind in guides)
        heat.setChecked(str(settings.value(_SETTINGS_HEAT, "false")).lower() == "true")
