"""RoI pooling of feature maps over boxes in normalised image coordinates.

``roi_pool(features, boxes, k)`` samples a ``k x k`` grid of cell centres inside each box
with bilinear interpolation (``torch.nn.functional.grid_sample``), the RoIAlign idea with
one sample per cell. It needs no torchvision, and its gradient flows to the features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["roi_pool"]


def roi_pool(features: torch.Tensor, boxes: torch.Tensor, k: int) -> torch.Tensor:
    """``(N, C, k, k)`` features of ``N`` boxes on one image.

    ``features`` is ``(1, C, h, w)`` or ``(C, h, w)``; ``boxes`` is ``(N, 4)`` as
    ``x0, y0, x1, y1`` normalised to [0, 1] of the image the features were computed on.
    """
    if features.dim() == 3:
        features = features.unsqueeze(0)
    if features.dim() != 4 or features.shape[0] != 1:
        raise ValueError(f"features must be (1, C, h, w), got {tuple(features.shape)}")
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"boxes must be (N, 4), got {tuple(boxes.shape)}")
    n = boxes.shape[0]
    steps = (torch.arange(k, dtype=boxes.dtype, device=boxes.device) + 0.5) / k  # cell centres
    xs = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * steps  # (N, k)
    ys = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * steps
    grid = torch.stack(torch.broadcast_tensors(xs[:, None, :], ys[:, :, None]), dim=-1)  # (N, k, k, 2)
    grid = grid.reshape(1, n * k, k, 2) * 2 - 1  # grid_sample's [-1, 1], align_corners=False
    out = F.grid_sample(features.to(boxes.dtype), grid, mode="bilinear", align_corners=False)  # (1, C, N*k, k)
    return out.reshape(features.shape[1], n, k, k).permute(1, 0, 2, 3)
