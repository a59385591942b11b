"""Attention maps and the seed's attention-rectangle searches (no Qt)."""

from models.attention.crop import AttentionCrop, PreparedAttention, attention_crop, prepare_attention
from models.attention.rectangles import AutoTau, RectangleSearch, RectResult, ratio_shapes
from models.attention.saliency import METHODS, AttentionMap, compute_attention, saliency_map

__all__ = [
    "METHODS",
    "AttentionCrop",
    "AttentionMap",
    "PreparedAttention",
    "AutoTau",
    "RectResult",
    "RectangleSearch",
    "attention_crop",
    "compute_attention",
    "prepare_attention",
    "ratio_shapes",
    "saliency_map",
]
