"""The set loss of ProCrop: Hungarian matching, then L1 + GIoU on matched boxes and a
binary score (objectness) loss on every query, for the final and every auxiliary layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.procrop.box_ops import generalized_box_iou
from models.procrop.matcher import HungarianMatcher

__all__ = ["LossTerms", "SetCriterion"]

Matches = list[tuple[torch.Tensor, torch.Tensor]]


@dataclass(frozen=True, eq=False)
class LossTerms:
    """``total`` (weighted sum, to back-propagate) and its unweighted parts (final layer)."""

    total: torch.Tensor
    l1: torch.Tensor
    giou: torch.Tensor
    score: torch.Tensor


@dataclass(frozen=True, slots=True)
class SetCriterion:
    matcher: HungarianMatcher = HungarianMatcher()
    l1_weight: float = 5.0
    giou_weight: float = 2.0
    score_weight: float = 1.0
    positive_weight: float = 10.0  # one expert crop among 90 queries: up-weight the matched ones

    def _losses(self) -> dict[str, Callable[..., dict[str, torch.Tensor]]]:
        return {"boxes": self.loss_boxes, "scores": self.loss_scores}

    def loss_boxes(self, boxes: torch.Tensor, logits: torch.Tensor, targets: list[torch.Tensor], matches: Matches) -> dict[str, torch.Tensor]:
        pred = torch.cat([boxes[i, q] for i, (q, _) in enumerate(matches)])  # [M, 4]
        gt = torch.cat([t[j] for t, (_, j) in zip(targets, matches)])
        n = max(len(gt), 1)
        l1 = (pred - gt).abs().sum() / n
        giou = (1 - torch.diag(generalized_box_iou(pred, gt))).sum() / n
        return {"l1": l1, "giou": giou}

    def loss_scores(self, boxes: torch.Tensor, logits: torch.Tensor, targets: list[torch.Tensor], matches: Matches) -> dict[str, torch.Tensor]:
        target = torch.zeros_like(logits)  # [B, Q]
        for i, (q, _) in enumerate(matches):
            target[i, q] = 1.0
        weight = 1.0 + (self.positive_weight - 1.0) * target
        return {"score": F.binary_cross_entropy_with_logits(logits, target, weight=weight, reduction="sum") / weight.sum()}

    def layer(self, boxes: torch.Tensor, logits: torch.Tensor, targets: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        matches = self.matcher(boxes, logits, targets)
        out: dict[str, torch.Tensor] = {}
        for loss in self._losses().values():
            out.update(loss(boxes, logits, targets, matches))
        return out

    def __call__(self, layers: list[tuple[torch.Tensor, torch.Tensor]], targets: list[torch.Tensor]) -> LossTerms:
        """``layers``: ``(boxes (B, Q, 4), logits (B, Q))`` per decoder layer, the last is final."""
        total = torch.zeros(())
        parts: dict[str, torch.Tensor] = {}
        for boxes, logits in layers:
            parts = self.layer(boxes, logits, targets)
            total = total + self.l1_weight * parts["l1"] + self.giou_weight * parts["giou"] + self.score_weight * parts["score"]
        return LossTerms(total, parts["l1"].detach(), parts["giou"].detach(), parts["score"].detach())
