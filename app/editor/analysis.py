"""The once-per-image engine work, and the constrained-crop call, as plain functions for workers.

:func:`analyse_image` runs :meth:`AttentionCropper.analyse` (saliency, faces, integral
image) and builds the attention panel's rectangle search on the same map, so the map is
computed once and serves both the tau slider and the constrained crop. No Qt here: these run
on pool threads through :class:`app.common.workers.TaskRunner`.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import cropping
from models.attention import PreparedAttention
from models.constraints import CropProblem, Proposal
from models.constraints.cropper import AttentionAnalysis, AttentionCropper
from models.imaging import LoadedImage

__all__ = ["ConstrainedCrop", "ImageAnalysis", "analyse_image", "propose_crop"]


@dataclass(frozen=True, slots=True, eq=False)
class ImageAnalysis:
    """Everything computed once per image: the constraints analysis and the tau search, both
    parts of ``cropping`` (the one crop contract's analysis: the subjects too)."""

    image: LoadedImage
    analysis: AttentionAnalysis
    prepared: PreparedAttention
    cropping: cropping.Analysis


@dataclass(frozen=True, slots=True)
class ConstrainedCrop:
    """The answer to one constrained-crop request (``problem`` says which request)."""

    problem: CropProblem
    proposal: Proposal
    result: cropping.CropResult | None = None

    @property
    def left_out(self) -> tuple:
        """The heads this crop leaves out, with why (the window marks them)."""
        return self.result.left_out_heads if self.result is not None else ()


def analyse_image(image: LoadedImage, cropper: AttentionCropper) -> ImageAnalysis:
    """The slow part (about a second on a large photo): run it in a worker, once per image."""
    analysis = cropper.analyse(image)
    shared = cropping.analyse(image, methods=(), attention=analysis if cropper == AttentionCropper() else None)
    return ImageAnalysis(image, analysis, shared.prepared_attention(), shared)


def propose_crop(cropper: AttentionCropper, analysis: ImageAnalysis, problem: CropProblem) -> ConstrainedCrop:
    """The best crop for ``problem`` through the one crop contract (milliseconds; the subject
    rule included); raises InfeasibleError naming the conflict."""
    request = cropping.Request(problem.aspect, problem.keep, problem.avoid, method="attention")
    result = cropping.crop(analysis.cropping, request)
    return ConstrainedCrop(problem, Proposal(result.box, result.score or 0.0, ()), result)
