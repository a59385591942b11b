"""The ProCrop network: query features + retrieved compositions -> scored crop proposals.

``ProCropNet(query_map, image_ratio, refs)``:

1. the query encoder map ``(B, C_q, h, w)`` (EfficientNet-Lite0 stride 32 by default) is
   projected to ``width`` channels, pooled to at most ``grid x grid`` tokens, and given a
   sine position embedding and an embedding of the image's log aspect ratio (images are
   squashed to squares, so the model needs to be told);
2. :class:`~models.procrop.fusion.RetrievalFusion` lets those tokens attend to the ``k``
   retrieved reference maps (seed Eq. 1), or passes them through without retrieval;
   a model configured with ``text=True`` then fuses BLIP's image-grounded caption tokens
   (:class:`~models.procrop.fusion.TextFusion`, seed Eq. 2; :mod:`models.procrop.text`).
   A model without the text branch has no ``text_fusion`` parameters, so checkpoints
   saved before it existed load and behave unchanged;
3. :class:`~models.procrop.decoder.AnchorDecoder` turns them into ``queries`` boxes with
   scores, per decoder layer (the last is the prediction, the others auxiliary).

A config with ``members > 1`` is an ensemble (:class:`ProCropEnsemble`): that many networks
of one config (trained with seeds ``seed, seed + 1, ...``) on the same inputs. It proposes
every member's boxes, and each box's score is the members' vote: the mean, over members, of
the probability of that member's query nearest to it (:func:`nearest_vote`). Seeds differ
in where they place their queries, so the pool is richer than any one member's, and a box
the members agree on ranks above one only its own member likes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from models.errors import InvalidInputError
from models.procrop.box_ops import box_iou, inverse_sigmoid
from models.procrop.decoder import AnchorDecoder
from models.procrop.encoder import REF_CHANNELS, REF_GRID
from models.procrop.fusion import RetrievalFusion, TextFusion
from models.procrop.position import grid_embedding

__all__ = ["KIND", "ProCropConfig", "ProCropEnsemble", "ProCropNet", "ProCropOutput", "build_model", "nearest_vote"]

log = logging.getLogger(__name__)

KIND = "procrop"


@dataclass(frozen=True, slots=True)
class ProCropConfig:
    encoder: str = "efficientnet-lite0"
    input_size: int = 320
    query_key: str = "s32"
    query_channels: int = 320
    ref_channels: int = REF_CHANNELS
    ref_grid: int = REF_GRID
    top_k: int = 4  # retrieved references per image
    grid: int = 10  # query tokens: at most grid x grid
    width: int = 96
    heads: int = 4
    encoder_layers: int = 1
    decoder_layers: int = 2
    queries: int = 90
    ffn: int = 192
    dropout: float = 0.1
    retrieval: bool = True  # trained with retrieved references (False: the ablation)
    text: bool = False  # fuses BLIP caption tokens (seed Eq. 2); needs a BLIP model to run
    text_dim: int = 768  # width of the BLIP token embeddings (BLIP base: 768)
    text_tokens: int = 32  # caption tokens kept (models.procrop.text.DEFAULT_TEXT_TOKENS)
    members: int = 1  # > 1: an ensemble of that many networks (seeds seed, seed + 1, ...), see ProCropEnsemble

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ProCropConfig:
        return cls(**data)  # fields added later (text, ...) take their defaults


@dataclass(frozen=True, eq=False)
class ProCropOutput:
    """``boxes`` ``(B, Q, 4)`` x0y0x1y1 normalised (may stray slightly outside [0, 1]),
    ``logits`` ``(B, Q)`` crop scores; ``layers`` every decoder layer's pair (last = these)."""

    boxes: torch.Tensor
    logits: torch.Tensor
    layers: list[tuple[torch.Tensor, torch.Tensor]]


class ProCropNet(nn.Module):
    def __init__(self, config: ProCropConfig = ProCropConfig()) -> None:
        super().__init__()
        self.config = c = config
        self.input_proj = nn.Conv2d(c.query_channels, c.width, 1)
        self.ratio_embed = nn.Linear(1, c.width)
        layer = nn.TransformerEncoderLayer(c.width, c.heads, c.ffn, c.dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c.encoder_layers, enable_nested_tensor=False) if c.encoder_layers else None
        self.fusion = RetrievalFusion(c.ref_channels, c.ref_grid**2, c.width, c.heads, c.dropout)
        self.text_fusion = TextFusion(c.text_dim, c.width, c.heads, c.dropout) if c.text else None
        self.decoder = AnchorDecoder(c.width, c.heads, c.decoder_layers, c.queries, c.ffn, c.dropout)

    def memory(self, query_map: torch.Tensor, image_ratio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.input_proj(query_map)  # [B, d, h, w]
        if x.shape[-1] > self.config.grid or x.shape[-2] > self.config.grid:
            x = F.adaptive_avg_pool2d(x, self.config.grid)
        h, w = x.shape[-2:]
        pos = grid_embedding(h, w, self.config.width).to(x)  # [h*w, d]
        tokens = x.flatten(2).transpose(1, 2)  # [B, h*w, d]
        tokens = tokens + self.ratio_embed(image_ratio.log().reshape(-1, 1).to(x))[:, None, :]
        if self.encoder is not None:
            tokens = self.encoder(tokens + pos)
        return tokens, pos

    def forward(self, query_map: torch.Tensor, image_ratio: torch.Tensor, refs: torch.Tensor | None = None,
                text: torch.Tensor | None = None, text_padding: torch.Tensor | None = None) -> ProCropOutput:  # fmt: skip
        """``query_map`` ``(B, C_q, h, w)``, ``image_ratio`` ``(B,)`` width / height,
        ``refs`` ``(B, k, C_r, g, g)`` retrieved maps or ``None`` (no retrieval);
        ``text`` ``(B, T, text_dim)`` caption token embeddings and ``text_padding`` ``(B, T)``
        (True where no token), only for a model with ``config.text`` (``None``: no text)."""
        memory, pos = self.memory(query_map, image_ratio)
        memory = self.fusion(memory, pos, refs)
        if text is not None and self.text_fusion is None:
            raise ValueError("this ProCrop model has no text branch (config.text is False); pass text=None")
        if self.text_fusion is not None:
            memory, pos = self.text_fusion(memory, pos, text, text_padding)
        layers = self.decoder(memory, pos)
        boxes, logits = layers[-1]
        return ProCropOutput(boxes, logits, layers)


def nearest_vote(boxes: list[torch.Tensor], logits: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Every member's boxes ``(M * Q, 4)`` and their logits after the vote: each box's
    probability is the mean over the ``M`` members of the probability of that member's
    query nearest to it (largest IoU; a member's own box is its own nearest). One member's
    boxes and logits come back unchanged."""
    pool = torch.cat(boxes)
    if len(boxes) == 1:
        return pool, logits[0]
    inside = pool.clamp(0, 1)
    votes = [p.sigmoid()[box_iou(inside, b.clamp(0, 1))[0].argmax(1)] for b, p in zip(boxes, logits, strict=True)]
    return pool, inverse_sigmoid(torch.stack(votes).mean(0), eps=1e-6)


class ProCropEnsemble(nn.Module):
    """``config.members`` networks of one config on the same inputs; see the module docstring.
    Built to be evaluated (each member is trained on its own, :mod:`models.procrop.train`):
    its output's ``layers`` holds the fused last layer only."""

    def __init__(self, config: ProCropConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(ProCropNet(replace(config, members=1)) for _ in range(config.members))

    def forward(self, query_map: torch.Tensor, image_ratio: torch.Tensor, refs: torch.Tensor | None = None,
                text: torch.Tensor | None = None, text_padding: torch.Tensor | None = None) -> ProCropOutput:  # fmt: skip
        """As :meth:`ProCropNet.forward`; ``(B, members * queries)`` boxes and voted logits."""
        outs = [m(query_map, image_ratio, refs, text, text_padding) for m in self.members]
        fused = [nearest_vote([o.boxes[b] for o in outs], [o.logits[b] for o in outs]) for b in range(query_map.shape[0])]
        boxes, logits = torch.stack([f[0] for f in fused]), torch.stack([f[1] for f in fused])
        return ProCropOutput(boxes, logits, [(boxes, logits)])


def build_model(config: ProCropConfig = ProCropConfig()) -> ProCropNet | ProCropEnsemble:
    """An untrained network of ``config``: one :class:`ProCropNet`, or an ensemble of them."""
    if config.members < 1:
        raise InvalidInputError(f"a ProCrop model needs at least one member, got {config.members}")
    model = ProCropNet(config) if config.members == 1 else ProCropEnsemble(config)
    log.debug("procrop model: %d parameters", sum(p.numel() for p in model.parameters()))
    return model


