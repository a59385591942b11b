"""Retrieval fusion (seed Eq. 1): the query image's features attend to the retrieved maps.

The ``k`` retrieved reference maps ``(k, C_r, g, g)`` are flattened into ``k * g * g``
tokens, brought to the model width by a learnable projection head (plus a learned cell
embedding), and used as keys and values of a cross-attention whose queries are the query
image's tokens; the attended features are added back (residual) and normalised. Without
references (``refs=None``, the ablation) the module is the identity.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RetrievalFusion"]


class RetrievalFusion(nn.Module):
    def __init__(self, ref_channels: int, ref_cells: int, width: int, heads: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(ref_channels, width), nn.ReLU(), nn.Linear(width, width))
        self.cell = nn.Parameter(torch.zeros(ref_cells, width))
        nn.init.normal_(self.cell, std=0.02)
        self.attend = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(width)

    def forward(self, memory: torch.Tensor, pos: torch.Tensor, refs: torch.Tensor | None) -> torch.Tensor:
        """``memory`` ``(B, N, d)`` + ``pos`` ``(N, d)``; ``refs`` ``(B, k, C_r, g, g)`` or ``None``."""
        if refs is None or refs.shape[1] == 0:
            return memory
        b, k, c = refs.shape[:3]
        tokens = refs.flatten(3).transpose(2, 3)  # [B, k, g*g, C_r]
        kv = self.project(tokens) + self.cell  # [B, k, g*g, d]
        kv = kv.reshape(b, -1, kv.shape[-1])  # [B, k*g*g, d]
        attended, _ = self.attend(memory + pos, kv, kv, need_weights=False)
        return self.norm(memory + attended)
