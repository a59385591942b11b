"""The heatmap network: a small top-down pyramid on the frozen backbone (seed Table 8).

The stride-32 features go through two 3x3 conv + BN + ReLU layers, are upsampled and added
to 1x1 projections of the stride-16 and stride-8 features, and a last 1x1 conv gives one
logit per stride-8 cell (40 x 40 for a 320 px input). ``sigmoid`` of it is the heatmap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["HeatmapConfig", "HeatmapHead"]


@dataclass(frozen=True, slots=True)
class HeatmapConfig:
    """Architecture and input size; stored with the weights."""

    backbone: str = "efficientnet-lite0"
    input_size: int = 320
    width: int = 96
    in_channels: tuple[int, int, int] = (40, 112, 320)  # s8, s16, s32

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> HeatmapConfig:
        return cls(**{**data, "in_channels": tuple(data["in_channels"])})


class HeatmapHead(nn.Module):
    def __init__(self, config: HeatmapConfig = HeatmapConfig()) -> None:
        super().__init__()
        c8, c16, c32 = config.in_channels
        ch = config.width
        self.top = nn.Sequential(
            nn.Conv2d(c32, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
            nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.ReLU(),
        )  # fmt: skip
        self.lateral16 = nn.Conv2d(c16, ch, 1)
        self.lateral8 = nn.Conv2d(c8, ch, 1)
        self.mix16 = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU())
        self.out = nn.Sequential(nn.Conv2d(ch, ch // 2, 3, padding=1), nn.ReLU(), nn.Conv2d(ch // 2, 1, 1))

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits ``(B, h8, w8)`` from the backbone's ``{"s8", "s16", "s32"}`` maps."""
        x = self.top(features["s32"])
        x = F.interpolate(x, size=features["s16"].shape[-2:], mode="bilinear", align_corners=False)
        x = self.mix16(x + self.lateral16(features["s16"]))
        x = F.interpolate(x, size=features["s8"].shape[-2:], mode="bilinear", align_corners=False)
        return self.out(x + self.lateral8(features["s8"]))[:, 0]
