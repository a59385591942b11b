"""Hungarian matching of predicted crops to ground-truth crops (DETR's matcher).

The cost of giving target ``t`` to query ``q`` is
``l1 * |box_q - box_t|_1 + giou * (-GIoU(box_q, box_t)) + score * (-sigmoid(logit_q))``;
:func:`scipy.optimize.linear_sum_assignment` finds the assignment of least total cost
(one query per target). Costs of a batch are computed at once, then split per image.
SciPy is imported on first use: only training matches, and the frozen build leaves SciPy out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models.errors import CropStudioError
from models.procrop.box_ops import generalized_box_iou

__all__ = ["HungarianMatcher"]


@dataclass(frozen=True, slots=True)
class HungarianMatcher:
    l1: float = 5.0
    giou: float = 2.0
    score: float = 1.0

    def cost(self, boxes: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """``(Q, T)`` costs of queries' ``boxes`` ``(Q, 4)`` / ``logits`` ``(Q,)`` against ``targets`` ``(T, 4)``."""
        l1 = torch.cdist(boxes, targets, p=1)  # [Q, T]
        giou = generalized_box_iou(boxes, targets)
        return self.l1 * l1 - self.giou * giou - self.score * logits.sigmoid()[:, None]

    @torch.no_grad()
    def __call__(
        self, boxes: torch.Tensor, logits: torch.Tensor, targets: list[torch.Tensor]
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per image, ``(query indices, target indices)``, both ``(min(Q, T),)`` long.

        ``boxes`` ``(B, Q, 4)``, ``logits`` ``(B, Q)``, ``targets[b]`` ``(T_b, 4)``.
        """
        try:
            from scipy.optimize import linear_sum_assignment
        except ImportError as exc:  # the frozen build: it infers, it does not train
            raise CropStudioError("training ProCrop needs SciPy; install Crop Studio from source (make test sets it up)") from exc
        b, q = logits.shape
        flat = torch.cat(list(targets)) if targets else boxes.new_zeros((0, 4))
        cost = self.cost(boxes.reshape(b * q, 4).float(), logits.reshape(-1).float(), flat.float())
        cost = cost.reshape(b, q, -1).cpu()  # [B, Q, sum T]
        out, start = [], 0
        for i, t in enumerate(targets):
            rows, cols = linear_sum_assignment(cost[i, :, start : start + len(t)].numpy())
            out.append((torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)))
            start += len(t)
        return out
