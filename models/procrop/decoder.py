"""A Conditional-DETR-style decoder with learnable anchor boxes (DAB-DETR's refinement).

Each of ``queries`` queries owns an anchor box, a learnable ``x0, y0, x1, y1``. In every
layer the anchor's sine embedding, through an MLP, is the query's positional part (the
conditional spatial query: it tells cross-attention where to look); after the layer a box
head predicts a delta in logit space and the anchor moves (detached between layers, as in
DAB-DETR). A score head, parallel to the box head, rates each query's crop.

Boxes are ``1.2 * sigmoid(z) - 0.1`` per coordinate, so an image edge (0 or 1) is reached at
a finite logit: many expert crops touch the frame.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from models.procrop.position import sine_embedding

__all__ = ["AnchorDecoder", "anchor_init", "to_box", "to_logit"]

SPAN, OFFSET = 1.2, 0.1


def to_box(z: torch.Tensor) -> torch.Tensor:
    return SPAN * z.sigmoid() - OFFSET


def to_logit(box: torch.Tensor) -> torch.Tensor:
    p = ((box + OFFSET) / SPAN).clamp(1e-4, 1 - 1e-4)
    return torch.log(p / (1 - p))


def anchor_init(n: int) -> torch.Tensor:
    """``(n, 4)`` initial anchors: sizes 0.55..1 (crops keep most of a photo) on centres
    around the middle, cycled deterministically."""
    sizes = [1.0, 0.9, 0.8, 0.7, 0.55]
    centres = [0.5, 0.4, 0.6]
    combos = [(w, h, cx, cy) for w, h in itertools.product(sizes, sizes) for cx, cy in itertools.product(centres, centres)]
    combos.sort(key=lambda c: (abs(c[2] - 0.5) + abs(c[3] - 0.5), -c[0] * c[1]))
    out = []
    for w, h, cx, cy in itertools.islice(itertools.cycle(combos), n):
        x0, x1 = max(0.0, cx - w / 2), min(1.0, cx + w / 2)
        y0, y1 = max(0.0, cy - h / 2), min(1.0, cy + h / 2)
        out.append([x0, y0, x1, y1])
    return torch.tensor(out, dtype=torch.float32)


def _mlp(i: int, h: int, o: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


def _box_features(box: torch.Tensor) -> torch.Tensor:
    """``cx, cy, w, h`` of ``x0, y0, x1, y1`` boxes, clamped to [0, 1]."""
    b = box.clamp(0, 1)
    return torch.stack([(b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2, b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]], -1)


class DecoderLayer(nn.Module):
    def __init__(self, width: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.cross_attn = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(width, ffn), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ffn, width))
        self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(3))

    def forward(self, tgt: torch.Tensor, qpos: torch.Tensor, memory: torch.Tensor, mpos: torch.Tensor) -> torch.Tensor:
        q = tgt + qpos  # [B, Q, d]
        tgt = self.norms[0](tgt + self.self_attn(q, q, tgt, need_weights=False)[0])
        tgt = self.norms[1](tgt + self.cross_attn(tgt + qpos, memory + mpos, memory, need_weights=False)[0])
        return self.norms[2](tgt + self.ffn(tgt))


class AnchorDecoder(nn.Module):
    def __init__(self, width: int, heads: int, layers: int, queries: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.width = width
        self.anchors = nn.Parameter(to_logit(anchor_init(queries)))  # [Q, 4] logits
        self.content = nn.Parameter(torch.zeros(queries, width))
        nn.init.normal_(self.content, std=0.02)
        self.query_pos = _mlp(2 * width, width, width)
        self.layers = nn.ModuleList(DecoderLayer(width, heads, ffn, dropout) for _ in range(layers))
        self.box_head = _mlp(width, width, 4)
        self.score_head = nn.Linear(width, 1)
        nn.init.zeros_(self.box_head[-1].weight)
        nn.init.zeros_(self.box_head[-1].bias)

    def forward(self, memory: torch.Tensor, mpos: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer ``(boxes (B, Q, 4) x0y0x1y1, logits (B, Q))`` from ``memory`` ``(B, N, d)``."""
        b = memory.shape[0]
        z = self.anchors.unsqueeze(0).expand(b, -1, -1)  # [B, Q, 4]
        tgt = self.content.unsqueeze(0).expand(b, -1, -1)
        out = []
        for i, layer in enumerate(self.layers):
            qpos = self.query_pos(sine_embedding(_box_features(to_box(z.detach())), 2 * self.width))
            tgt = layer(tgt, qpos, memory, mpos)
            z = (z if i == 0 else z.detach()) + self.box_head(tgt)  # anchors learn through layer 0
            out.append((to_box(z), self.score_head(tgt).squeeze(-1)))
        return out
