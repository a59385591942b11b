"""Sine position embeddings of box coordinates and of feature-map cells (DETR / DAB-DETR)."""

from __future__ import annotations

import math

import torch

__all__ = ["grid_embedding", "sine_embedding"]


def sine_embedding(coords: torch.Tensor, dim: int, temperature: float = 10000.0) -> torch.Tensor:
    """``(..., n * dim / n)`` sine/cosine features of ``coords`` ``(..., n)`` in [0, 1]; ``dim``
    is split evenly between the ``n`` coordinates."""
    n = coords.shape[-1]
    per = dim // n
    if per % 2 or per * n != dim:
        raise ValueError(f"dim {dim} must be a multiple of 2 * {n}")
    freqs = temperature ** (torch.arange(per // 2, dtype=torch.float32, device=coords.device) * 2 / per)
    x = coords[..., None] * (2 * math.pi) / freqs  # [..., n, per/2]
    return torch.cat([x.sin(), x.cos()], -1).flatten(-2)  # [..., n * per]


def grid_embedding(h: int, w: int, dim: int) -> torch.Tensor:
    """``(h * w, dim)`` embeddings of cell centres of an ``h x w`` map, row-major."""
    ys = (torch.arange(h, dtype=torch.float32) + 0.5) / h
    xs = (torch.arange(w, dtype=torch.float32) + 0.5) / w
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return sine_embedding(torch.stack([xx, yy], -1).reshape(h * w, 2), dim)
