"""Fusion of the query image's tokens with retrieved compositions (seed Eq. 1) and, when a
model is trained with it, with the image's caption (seed Eq. 2).

Retrieval (:class:`RetrievalFusion`):

The ``k`` retrieved reference maps ``(k, C_r, g, g)`` are flattened into ``k * g * g``
tokens, brought to the model width by a learnable projection head (plus a learned cell
embedding), and used as keys and values of a cross-attention whose queries are the query
image's tokens; the attended features are added back (residual) and normalised. Without
references (``refs=None``, the ablation) the module is the identity.

Text (:class:`TextFusion`): the ``T`` image-grounded BLIP token embeddings of the caption
(:mod:`models.procrop.text`) go through their own learnable projection head to the model
width and serve as keys and values of a cross-attention from the retrieval-fused tokens;
as in the seed, the multi-modal tokens are then concatenated with the retrieval-fused ones
(``(B, 2N, d)``, the position embedding repeated), and the decoder reads both. Padding
tokens of short captions are masked out. Without text (``text=None``) it is the identity.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["RetrievalFusion", "TextFusion"]


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


class TextFusion(nn.Module):
    def __init__(self, text_dim: int, width: int, heads: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(text_dim, width), nn.ReLU(), nn.Linear(width, width))
        self.attend = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(width)

    def forward(self, memory: torch.Tensor, pos: torch.Tensor, text: torch.Tensor | None,
                padding: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """``memory`` ``(B, N, d)`` + ``pos`` ``(N, d)``; ``text`` ``(B, T, D_t)`` or ``None``;
        ``padding`` ``(B, T)`` bool, True where a caption has no token. Returns the decoder's
        memory ``(B, 2N, d)`` and its positions ``(2N, d)`` (unchanged without text)."""
        if text is None:
            return memory, pos
        kv = self.project(text.to(memory))  # [B, T, d]
        if padding is not None:
            padding = padding.bool().clone()
            padding[:, 0] &= ~padding.all(1)  # an empty caption keeps one key (no NaN)
        attended, _ = self.attend(memory + pos, kv, kv, key_padding_mask=padding, need_weights=False)
        multimodal = self.norm(memory + attended)  # [B, N, d]
        return torch.cat([memory, multimodal], 1), torch.cat([pos, pos], 0)
