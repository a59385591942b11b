"""Box utilities on tensors: boxes are ``x0, y0, x1, y1`` normalised to [0, 1]."""

from __future__ import annotations

import torch

__all__ = ["box_iou", "generalized_box_iou", "inverse_sigmoid"]


def _area(boxes: torch.Tensor) -> torch.Tensor:
    return (boxes[..., 2] - boxes[..., 0]).clamp_min(0) * (boxes[..., 3] - boxes[..., 1]).clamp_min(0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(iou (N, M), union (N, M))`` of boxes ``a`` ``(N, 4)`` and ``b`` ``(M, 4)``."""
    lt = torch.max(a[:, None, :2], b[None, :, :2])  # [N, M, 2]
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp_min(0).prod(-1)  # [N, M]
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return inter / union.clamp_min(1e-9), union


def generalized_box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(N, M)`` generalised IoU (Rezatofighi et al. 2019), in [-1, 1]."""
    iou, union = box_iou(a, b)
    lt = torch.min(a[:, None, :2], b[None, :, :2])
    rb = torch.max(a[:, None, 2:], b[None, :, 2:])
    hull = (rb - lt).clamp_min(0).prod(-1)  # [N, M]
    return iou - (hull - union) / hull.clamp_min(1e-9)


def inverse_sigmoid(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    x = x.clamp(eps, 1 - eps)
    return torch.log(x / (1 - x))
