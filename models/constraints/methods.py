"""The constraints engine as evaluation methods (registered with models.eval.registry).

``attention``: :class:`~models.constraints.cropper.AttentionCropper` through the evaluation
protocol: keep = the request's keep regions, avoid = its avoid regions, the ratio as given
(a free-ratio request searches the image's own ratio and the common print ratios).
``attention-optuna``: the same score searched by Optuna (300 TPE trials); run only when
named (``--method attention-optuna``), it is slower and never better than the exact search.
``heatmap``: the same terms and exact search on the learned aesthetic heatmap (seed sec.
3.3); ``heatmap-optuna`` searches it with Optuna instead. ``proposal``: the grid proposals
ranked by the judge, issue 18's crop scorer (seed sec. 3.2). ``saliency`` is another name for
``attention`` (the name the issue's CLI uses).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from models.constraints.blackbox import OptunaSearch
from models.constraints.cropper import AttentionAnalysis, AttentionCropper
from models.constraints.problem import CropProblem
from models.errors import InfeasibleError
from models.eval.baselines import centred_crop
from models.eval.protocol import CropRequest
from models.eval.registry import register_method
from models.geometry import AspectRatio, Box
from models.imaging import LoadedImage

__all__ = ["AttentionMethod", "FREE_RATIOS"]

log = logging.getLogger(__name__)

FREE_RATIOS: tuple[float, ...] = (1.0, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9)


@dataclass(frozen=True, slots=True)
class AttentionMethod:
    cropper: AttentionCropper = field(default_factory=AttentionCropper)  # or any cropper with propose()
    name: str = "attention"

    def analyse(self, image: LoadedImage) -> AttentionAnalysis:
        return self.cropper.analyse(image)

    def crop(self, analysis: AttentionAnalysis, request: CropRequest) -> Box:
        w, h = request.image_size
        ratios = (request.aspect,) if request.aspect is not None else (w / h, *FREE_RATIOS)
        best = None
        for ratio in ratios:
            problem = CropProblem(request.image_size, AspectRatio(ratio, 1.0), request.keep, request.avoid)
            try:
                (proposal,) = self.cropper.propose(analysis, problem)
            except InfeasibleError as exc:
                log.debug("ratio %.3f infeasible: %s", ratio, exc)
                continue
            if best is None or proposal.score > best.score:
                best = proposal
        if best is None:  # nothing satisfies the request: the evaluation still needs a box
            log.info("no feasible crop; falling back to the centred crop")
            return centred_crop(request)
        return best.box


def _attention_optuna() -> AttentionMethod:
    return AttentionMethod(AttentionCropper(searcher=OptunaSearch()), name="attention-optuna")


def _heatmap() -> AttentionMethod:
    from models.constraints.learned import heatmap_cropper

    return AttentionMethod(heatmap_cropper(), name="heatmap")


def _heatmap_optuna() -> AttentionMethod:
    from models.constraints.learned import heatmap_cropper

    return AttentionMethod(heatmap_cropper(searcher=OptunaSearch()), name="heatmap-optuna")


def _proposal() -> AttentionMethod:
    from models.constraints.learned import ProposalCropper

    return AttentionMethod(ProposalCropper(), name="proposal")  # type: ignore[arg-type]


def _saliency() -> AttentionMethod:
    return AttentionMethod(name="saliency")


register_method("attention", AttentionMethod, tasks=("constraints",))
register_method("attention-optuna", _attention_optuna, tasks=("constraints",), by_default=False)
register_method("saliency", _saliency, tasks=("constraints",), by_default=False)
register_method("heatmap", _heatmap, tasks=("constraints",))
register_method("heatmap-optuna", _heatmap_optuna, tasks=("constraints",), by_default=False)
register_method("proposal", _proposal, tasks=("constraints",))
