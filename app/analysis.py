"""The once-per-image engine work, and the constrained-crop call, as plain functions for workers.

:func:`analyse_image` runs :meth:`AttentionCropper.analyse` (saliency, faces, integral
image) and builds the attention panel's rectangle search on the same map, so the map is
computed once and serves both the tau slider and the constrained crop. No Qt here: these run
on pool threads through :class:`app.workers.TaskRunner`.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.attention import PreparedAttention, RectangleSearch
from models.constraints import CropProblem, Proposal
from models.constraints.cropper import AttentionAnalysis, AttentionCropper
from models.errors import InfeasibleError
from models.imaging import LoadedImage

__all__ = ["ConstrainedCrop", "ImageAnalysis", "analyse_image", "propose_crop"]


@dataclass(frozen=True, slots=True, eq=False)
class ImageAnalysis:
    """Everything computed once per image: the constraints analysis and the tau search."""

    image: LoadedImage
    analysis: AttentionAnalysis
    prepared: PreparedAttention


@dataclass(frozen=True, slots=True)
class ConstrainedCrop:
    """The answer to one constrained-crop request (``problem`` says which request)."""

    problem: CropProblem
    proposal: Proposal


def analyse_image(image: LoadedImage, cropper: AttentionCropper) -> ImageAnalysis:
    """The slow part (about a second on a large photo): run it in a worker, once per image."""
    analysis = cropper.analyse(image)
    att = analysis.attention
    return ImageAnalysis(image, analysis, PreparedAttention(image, att, RectangleSearch(att.values)))


def propose_crop(cropper: AttentionCropper, analysis: AttentionAnalysis, problem: CropProblem) -> ConstrainedCrop:
    """The best crop for ``problem`` (milliseconds); raises InfeasibleError naming the conflict."""
    proposals = cropper.propose(analysis, problem)
    if not proposals:  # the searcher found no candidate without saying why
        raise InfeasibleError("no crop satisfies these keep and avoid regions")
    return ConstrainedCrop(problem, proposals[0])
