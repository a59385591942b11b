"""TinyViT, the image encoder of MobileSAM: an RGB image -> a ``(B, 256, H/16, W/16)`` map.

Architecture (Wu et al., "TinyViT: Fast Pretraining Distillation for Small Vision
Transformers", ECCV 2022; as configured by MobileSAM, Zhang et al. 2023, "Faster Segment
Anything"), written here from the published description so that MobileSAM's checkpoint
(``mobile_sam.pt``, keys ``image_encoder.*``) loads strictly into it:

* ``patch_embed``: two stride-2 3x3 conv + BatchNorm layers with a GELU between (stride 4);
* ``layers[0]``: MBConv blocks (1x1 expand, 3x3 depthwise, 1x1 project, residual);
* ``layers[1:]``: transformer blocks. Each attends inside local windows (with a learned
  bias per head and per absolute offset between two cells of a window, as in LeViT), then
  runs a 3x3 depthwise conv + BatchNorm on the token grid, then an MLP; pre-norm inside
  the attention and the MLP;
* every stage but the last ends with a patch merging (1x1 conv, 3x3 depthwise conv of
  stride 2, 1x1 conv) that widens the channels. MobileSAM keeps the merging into the last
  stage at stride 1, so the output stays at stride 16 (64x64 for a 1024 px input);
* ``neck``: SAM's neck, 1x1 conv to 256 channels, channel LayerNorm, 3x3 conv, LayerNorm;
* ``norm_head`` / ``head``: TinyViT's ImageNet classifier. MobileSAM's checkpoint carries
  it, so it is kept for a strict key match; the forward pass never uses it.

Parameter names follow the checkpoint (``Conv2d_BN`` is a ``Sequential`` of ``c`` and
``bn``; ``attn.qkv`` lays out ``q, k, v`` per head). The window attention pads and crops,
so any input size divisible by 32 works (resolutions are computed from the input, not
fixed at build time); the published weights were trained at 1024 px.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MOBILE_SAM", "TinyViT", "TinyViTConfig"]

NECK_CHANNELS = 256


@dataclass(frozen=True, slots=True)
class TinyViTConfig:
    """TinyViT sizes. The defaults are MobileSAM's ``vit_t`` (TinyViT-5M at 1024 px)."""

    img_size: int = 1024
    embed_dims: tuple[int, ...] = (64, 128, 160, 320)
    depths: tuple[int, ...] = (2, 2, 6, 2)
    num_heads: tuple[int, ...] = (2, 4, 5, 10)
    window_sizes: tuple[int, ...] = (7, 7, 14, 7)
    mlp_ratio: float = 4.0
    mbconv_expand_ratio: float = 4.0
    local_conv_size: int = 3
    num_classes: int = 1000  # the unused classifier head in MobileSAM's checkpoint
    neck_channels: int = NECK_CHANNELS
    last_stride: int = 1  # stride of the merging into the last stage (MobileSAM: 1)

    def __post_init__(self) -> None:
        n = len(self.embed_dims)
        if n < 2 or not (len(self.depths) == len(self.num_heads) == len(self.window_sizes) == n):
            raise ValueError("embed_dims, depths, num_heads and window_sizes need one entry per stage (2 or more)")
        if any(d % h for d, h in zip(self.embed_dims[1:], self.num_heads[1:])):
            raise ValueError("every attention stage's width must be divisible by its number of heads")


MOBILE_SAM = TinyViTConfig()


class Conv2dBN(nn.Sequential):
    """A bias-free conv (``c``) followed by BatchNorm (``bn``)."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, bn_init: float = 1.0) -> None:
        super().__init__()
        self.add_module("c", nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False))
        self.add_module("bn", nn.BatchNorm2d(cout))
        nn.init.constant_(self.bn.weight, bn_init)
        nn.init.zeros_(self.bn.bias)


class PatchEmbed(nn.Module):
    """Stride-4 stem: ``(B, 3, H, W)`` -> ``(B, C, H/4, W/4)``."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.seq = nn.Sequential(Conv2dBN(3, dim // 2, 3, 2), nn.GELU(), Conv2dBN(dim // 2, dim, 3, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.seq(x)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand, 3x3 depthwise, 1x1 project, + input, GELU."""

    def __init__(self, dim: int, expand: float) -> None:
        super().__init__()
        hidden = int(dim * expand)
        self.conv1 = Conv2dBN(dim, hidden)
        self.conv2 = Conv2dBN(hidden, hidden, 3, groups=hidden)
        self.conv3 = Conv2dBN(hidden, dim, bn_init=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, H, W]
        y = F.gelu(self.conv2(F.gelu(self.conv1(x))))
        return F.gelu(x + self.conv3(y))


class PatchMerging(nn.Module):
    """``(B, C, H, W)`` -> ``(B, C', H/s, W/s)``: 1x1 conv, depthwise 3x3 of stride ``s``, 1x1 conv."""

    def __init__(self, dim: int, out_dim: int, stride: int) -> None:
        super().__init__()
        self.conv1 = Conv2dBN(dim, out_dim)
        self.conv2 = Conv2dBN(out_dim, out_dim, 3, stride, groups=out_dim)
        self.conv3 = Conv2dBN(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(F.gelu(self.conv2(F.gelu(self.conv1(x)))))


class WindowAttention(nn.Module):
    """Multi-head self-attention over the ``w * w`` cells of a window, with a learned bias
    per head for each offset ``(|dy|, |dx|)`` between two cells (``w * w`` offsets)."""

    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)  # per head: q, k, v of head_dim each
        self.proj = nn.Linear(dim, dim)
        self.attention_biases = nn.Parameter(torch.zeros(heads, window * window))
        rows = torch.arange(window).repeat_interleave(window)  # cell -> row, row-major
        cols = torch.arange(window).repeat(window)
        offset = (rows[:, None] - rows[None]).abs() * window + (cols[:, None] - cols[None]).abs()
        self.register_buffer("bias_index", offset, persistent=False)  # [w*w, w*w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(windows, w*w, C)`` -> same shape."""
        n, t, _ = x.shape
        qkv = self.qkv(self.norm(x)).view(n, t, self.heads, 3, self.head_dim).permute(3, 0, 2, 1, 4)
        q, k, v = qkv.unbind(0)  # [n, heads, t, head_dim]
        bias = self.attention_biases[:, self.bias_index]  # [heads, t, t]
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        return self.proj(out.transpose(1, 2).reshape(n, t, -1))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(self.norm(x))))


def _to_windows(x: torch.Tensor, w: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """``(B, H, W, C)`` zero-padded to multiples of ``w`` -> ``(B * nH * nW, w*w, C)``."""
    b, h, wd, c = x.shape
    x = F.pad(x, (0, 0, 0, -wd % w, 0, -h % w))
    ph, pw = x.shape[1:3]
    x = x.view(b, ph // w, w, pw // w, w, c).transpose(2, 3)
    return x.reshape(-1, w * w, c), (ph, pw)


def _from_windows(x: torch.Tensor, w: int, b: int, padded: tuple[int, int], h: int, wd: int) -> torch.Tensor:
    ph, pw = padded
    x = x.view(b, ph // w, pw // w, w, w, -1).transpose(2, 3).reshape(b, ph, pw, -1)
    return x[:, :h, :wd]


class TinyViTBlock(nn.Module):
    """Window attention, 3x3 depthwise conv (``local_conv``), MLP; residual around the first and last."""

    def __init__(self, dim: int, heads: int, window: int, mlp_ratio: float, local_conv: int) -> None:
        super().__init__()
        self.window = window
        self.attn = WindowAttention(dim, heads, window)
        self.local_conv = Conv2dBN(dim, dim, local_conv, groups=dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(B, C, H, W)`` -> same shape."""
        b, c, h, w = x.shape
        tokens = x.permute(0, 2, 3, 1)  # [B, H, W, C]
        windows, padded = _to_windows(tokens, self.window)
        tokens = tokens + _from_windows(self.attn(windows), self.window, b, padded, h, w)
        x = self.local_conv(tokens.permute(0, 3, 1, 2))  # [B, C, H, W]
        tokens = x.flatten(2).transpose(1, 2)  # [B, H*W, C]
        tokens = tokens + self.mlp(tokens)
        return tokens.transpose(1, 2).reshape(b, c, h, w)


class Stage(nn.Module):
    """``blocks`` then an optional ``downsample`` (patch merging)."""

    def __init__(self, blocks: Sequence[nn.Module], downsample: nn.Module | None) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.downsample(x) if self.downsample is not None else x


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of a ``(B, C, H, W)`` map (SAM's neck)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class TinyViT(nn.Module):
    """See the module docstring. ``forward``: ``(B, 3, H, W)`` normalised pixels ->
    ``(B, neck_channels, H/16, W/16)`` (with the default ``last_stride=1``)."""

    def __init__(self, config: TinyViTConfig = MOBILE_SAM) -> None:
        super().__init__()
        self.config = c = config
        self.img_size = c.img_size
        dims = c.embed_dims
        self.patch_embed = PatchEmbed(dims[0])
        self.layers = nn.ModuleList()
        for i, dim in enumerate(dims):
            last = i == len(dims) - 1
            merge = None if last else PatchMerging(dim, dims[i + 1], c.last_stride if i == len(dims) - 2 else 2)
            if i == 0:
                blocks = [MBConv(dim, c.mbconv_expand_ratio) for _ in range(c.depths[0])]
            else:
                blocks = [TinyViTBlock(dim, c.num_heads[i], c.window_sizes[i], c.mlp_ratio, c.local_conv_size)
                          for _ in range(c.depths[i])]  # fmt: skip
            self.layers.append(Stage(blocks, merge))
        self.norm_head = nn.LayerNorm(dims[-1])
        self.head = nn.Linear(dims[-1], c.num_classes) if c.num_classes > 0 else nn.Identity()
        self.neck = nn.Sequential(
            nn.Conv2d(dims[-1], c.neck_channels, 1, bias=False),
            LayerNorm2d(c.neck_channels),
            nn.Conv2d(c.neck_channels, c.neck_channels, 3, padding=1, bias=False),
            LayerNorm2d(c.neck_channels),
        )
        self.apply(_init)

    @property
    def stride(self) -> int:
        return 4 * 2 ** (len(self.config.embed_dims) - 2) * self.config.last_stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x)  # [B, C0, H/4, W/4]
        for stage in self.layers:
            x = stage(x)
        return self.neck(x)  # [B, 256, H/stride, W/stride]


def _init(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
