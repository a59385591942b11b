"""The window's wiring: which panel intent reaches which controller, which state which panel.

Plain functions over the parts the window built (no part knows the window).
"""

from __future__ import annotations

from app.cropsets.controller import CropSetController
from app.cropsets.panel import CropSetPanel
from app.editor.workbench import Workbench
from app.library.filmstrip import Filmstrip
from app.library.images import Library
from app.shell.canvas_area import CanvasArea, EditorPanels
from app.shell.opener import ImageOpener
from app.suggestions.panel import SuggestionsPanel

__all__ = ["wire_cropsets", "wire_editor", "wire_library"]


def wire_editor(area: CanvasArea, wb: Workbench, panels: EditorPanels, suggestions: SuggestionsPanel) -> None:
    """The canvas and the editor's panels to the workbench, and its state back to them."""
    v, lp = area.view, panels.layout
    v.crop_edited.connect(wb.edit_crop)
    v.crop_changing.connect(area.show_crop_info)
    v.region_drawn.connect(wb.add_region)
    v.region_edited.connect(wb.edit_region)
    v.region_changing.connect(wb.preview_region)
    v.region_released.connect(wb.end_preview)
    wb.preview_ready.connect(lambda box: v.set_crop(box))
    v.selection_changed.connect(lp.set_selected)
    v.draw_mode_changed.connect(lp.set_draw_mode)
    lp.draw_requested.connect(area.start_drawing)
    lp.delete_requested.connect(wb.delete_region)
    lp.clear_requested.connect(wb.clear_regions)
    lp.fit_requested.connect(wb.fit_to_layout)
    lp.selection_changed.connect(lambda sel: v.select_region(*(sel or (None, 0))))
    wb.layout_status.connect(lp.show_status)
    wb.state_changed.connect(area.render)
    wb.state_changed.connect(lambda state, _why: suggestions.mark_applied(state.box))
    wb.attention_crop.connect(area.follow_tau)
    wb.attention_crop.connect(area.show_left_out)
    wb.constrained_ready.connect(area.show_left_out)
    wb.attention_message.connect(panels.attention.show_result)
    panels.aspect.aspect_chosen.connect(wb.set_aspect)
    panels.aspect.swap_requested.connect(wb.swap_orientation)
    panels.attention.request_changed.connect(wb.set_attention_request)


def wire_library(area: CanvasArea, library: Library, filmstrip: Filmstrip, opener: ImageOpener) -> None:
    """The empty canvas, the filmstrip and the library to the opener."""
    library.paths_changed.connect(filmstrip.set_paths)
    area.empty.open_requested.connect(opener.open_dialog)
    area.empty.open_folder_requested.connect(opener.open_folder_dialog)
    area.empty.recent_chosen.connect(opener.open_any)
    library.thumbnail_ready.connect(filmstrip.set_thumbnail)
    filmstrip.image_chosen.connect(opener.open_path)


def wire_cropsets(cs: CropSetController, cp: CropSetPanel) -> None:
    """The crop-set panel's intents to its controller, and the controller's news back."""
    cp.set_requested.connect(cs.choose_set)
    cp.target_clicked.connect(cs.show_target)
    cp.reset_requested.connect(cs.reset_target)
    cp.choices_changed.connect(cs.set_choices)
    cp.export_requested.connect(lambda all_images: cs.export(all_images=all_images))
    cp.cancel_requested.connect(cs.cancel_export)
    cs.set_changed.connect(cp.show_set)
    cs.pending.connect(cp.show_pending)
    cs.result_ready.connect(cp.show_result)
    cs.active_changed.connect(cp.set_active)
    cs.status.connect(cp.show_status)
    cs.exporter.started.connect(lambda total: cp.set_exporting(True, total))
    cs.exporter.progress.connect(cp.show_progress)
    cs.exporter.finished.connect(lambda _report: cp.set_exporting(False))
    cs.set_choices(cp.choices())
