"""The crop of a Library image that was never opened in this session (for a worker; no Qt).

The same decision the window would show on opening it: the crop saved for it in an earlier
session (the folder's project file or the per-user store), else the constrained crop of its
saved layout regions, else the attention crop at the window's aspect choice and tau.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.editor.analysis import analyse_image, propose_crop
from app.cropsets.project import read_saved
from app.editor.state import AspectChoice, CropState, reshape_box
from models.attention.crop import EXPERT_FREE_RATIOS
from models.constraints import CropProblem
from models.constraints.cropper import AttentionCropper
from models.errors import CropStudioError
from models.geometry import AspectRatio
from models.imaging import load_image

__all__ = ["CropRecipe", "UnopenedCrops", "crop_unopened", "crop_all_unopened"]

LOAD_MAX_SIDE = 2048  # as the window loads (app.shell.window.LOAD_MAX_SIDE): the same map, the same crop


@dataclass(frozen=True, slots=True)
class CropRecipe:
    """What the window would crop a new image with."""

    aspect: AspectChoice
    tau: float | None
    cropper: AttentionCropper
    store: Path | None = None


@dataclass(frozen=True, slots=True)
class UnopenedCrops:
    states: dict[Path, CropState]
    failed: tuple[tuple[Path, str], ...]
    cancelled: bool = False


def crop_unopened(path: Path, recipe: CropRecipe) -> CropState:
    """``path``'s crop state (raises CropStudioError for a file that cannot be read)."""
    image = load_image(path, max_side=LOAD_MAX_SIDE)
    state = CropState((image.info.width, image.info.height), aspect=recipe.aspect)
    try:
        saved, _warning = read_saved(path, recipe.store)
    except OSError:
        saved = None
    if saved is not None and not saved.is_empty():
        state = saved.apply_to(state)
        if state.box is not None and not (saved.crop is None and (state.keep or state.avoid)):
            return state
    analysis = analyse_image(image, recipe.cropper)
    if state.keep or state.avoid:
        ratio = state.ratio or AspectRatio(*state.image_size)
        crop = propose_crop(recipe.cropper, analysis.analysis, CropProblem(state.image_size, ratio, state.keep,
                                                                           state.avoid))  # fmt: skip
        return state.with_(box=crop.proposal.box)
    try:
        found = analysis.prepared.crop(tau=recipe.tau, aspect=state.ratio, ratio_bounds=EXPERT_FREE_RATIOS)
        return state.with_(box=found.boxes[0])
    except CropStudioError:  # no crop of the ratio keeps tau: the largest centred one, as the window does
        ratio = state.ratio
        return state.with_(box=reshape_box(None, ratio.value if ratio else None, *state.image_size))


def crop_all_unopened(
    paths: Sequence[Path],
    recipe: CropRecipe,
    *,
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> UnopenedCrops:
    """:func:`crop_unopened` for each path (in a worker); one bad file does not stop the rest."""
    states: dict[Path, CropState] = {}
    failed: list[tuple[Path, str]] = []
    for i, path in enumerate(paths):
        if is_cancelled is not None and is_cancelled():
            return UnopenedCrops(states, tuple(failed), cancelled=True)
        try:
            states[path] = crop_unopened(path, recipe)
        except CropStudioError as exc:
            failed.append((path, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a bug on one file must not lose the batch
            failed.append((path, f"unexpected error: {type(exc).__name__}: {exc}"))
        if progress is not None:
            progress(i + 1, len(paths))
    return UnopenedCrops(states, tuple(failed))
