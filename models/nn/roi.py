"""RoI and RoD pooling of feature maps over boxes in normalised image coordinates.

``roi_pool(features, boxes, k)`` samples a ``k x k`` grid of cell centres inside each box
with bilinear interpolation (``torch.nn.functional.grid_sample``), the RoIAlign idea with
one sample per cell. It needs no torchvision, and its gradient flows to the features.

``rod_pool(features, boxes, k)`` is GAIC's RoDAlign: the whole map with the box's inside
set to zero (cells whose centre lies in the box), averaged over a ``k x k`` grid of the
whole image: what the crop discards.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["rod_pool", "roi_pool"]


def _checked(features: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """``features`` as ``(1, C, h, w)`` (a ``(C, h, w)`` map gains the batch axis); raises
    ValueError unless it is one image's map and ``boxes`` is ``(N, 4)``."""
    if features.dim() == 3:
        features = features.unsqueeze(0)
    if features.dim() != 4 or features.shape[0] != 1:
        raise ValueError(f"features must be (1, C, h, w), got {tuple(features.shape)}")
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be (N, 4), got {tuple(boxes.shape)}")
    return features


def roi_pool(features: torch.Tensor, boxes: torch.Tensor, k: int) -> torch.Tensor:
    """``(N, C, k, k)`` features of ``N`` boxes on one image.

    ``features`` is ``(1, C, h, w)`` or ``(C, h, w)``; ``boxes`` is ``(N, 4)`` as
    ``x0, y0, x1, y1`` normalised to [0, 1] of the image the features were computed on.
    """
    features = _checked(features, boxes)
    n = boxes.shape[0]
    steps = (torch.arange(k, dtype=boxes.dtype, device=boxes.device) + 0.5) / k  # cell centres
    xs = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * steps  # (N, k)
    ys = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * steps
    grid = torch.stack(torch.broadcast_tensors(xs[:, None, :], ys[:, :, None]), dim=-1)  # (N, k, k, 2)
    grid = grid.reshape(1, n * k, k, 2) * 2 - 1  # grid_sample's [-1, 1], align_corners=False
    out = F.grid_sample(features.to(boxes.dtype), grid, mode="bilinear", align_corners=False)  # (1, C, N*k, k)
    return out.reshape(features.shape[1], n, k, k).permute(1, 0, 2, 3)


def rod_pool(features: torch.Tensor, boxes: torch.Tensor, k: int) -> torch.Tensor:
    """``(N, C, k, k)``: the map outside each box (inside zeroed), average-pooled to ``k x k``."""
    features = _checked(features, boxes)
    _, c, h, w = features.shape
    xs = (torch.arange(w, dtype=boxes.dtype, device=boxes.device) + 0.5) / w
    ys = (torch.arange(h, dtype=boxes.dtype, device=boxes.device) + 0.5) / h
    inside_x = (xs[None, :] >= boxes[:, 0:1]) & (xs[None, :] < boxes[:, 2:3])  # (N, w)
    inside_y = (ys[None, :] >= boxes[:, 1:2]) & (ys[None, :] < boxes[:, 3:4])  # (N, h)
    outside = ~(inside_y[:, :, None] & inside_x[:, None, :])  # (N, h, w)
    pooled = F.adaptive_avg_pool2d(features.to(boxes.dtype) * outside[:, None].to(boxes.dtype), k)
    return pooled  # (N, C, k, k)
