"""Attention maps and the seed's attention-rectangle searches (no Qt)."""

from models.attention.crop import AttentionCrop, attention_crop
from models.attention.rectangles import AutoTau, RectangleSearch, RectResult, ratio_shapes
from models.attention.saliency import METHODS, AttentionMap, compute_attention, saliency_map

__all__ = [
    "METHODS",
    "AttentionCrop",
    "AttentionMap",
    "AutoTau",
    "RectResult",
    "RectangleSearch",
    "attention_crop",
    "compute_attention",
    "ratio_shapes",
    "saliency_map",
]
