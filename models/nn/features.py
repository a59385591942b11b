"""Backbone features of every image of a data-set folder, computed once for training.

The backbone is frozen, so its features are a pure function of (backbone, input size,
image): training heads on them costs no backbone passes after the first, which makes
training practical on a 2-core CPU. ``cache`` stores them as one ``.pt`` file (float16)
keyed by the backbone, the input size and each image's name, size and content hash;
a stale or foreign cache file is recomputed, never trusted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.file_stamps import files_digest
from models.imaging import load_image
from models.nn.backbone import Backbone, image_tensor

__all__ = ["FolderFeatures", "folder_features"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class FolderFeatures:
    """``maps[name]`` is ``(N, C, h, w)`` float16 for image ``i`` of ``files``; ``mirrored``
    holds the same for the left-right mirrored images (or is ``None``)."""

    files: tuple[str, ...]
    maps: dict[str, torch.Tensor]
    mirrored: dict[str, torch.Tensor] | None

    def get(self, index: int, mirror: bool = False) -> dict[str, torch.Tensor]:
        src = self.mirrored if mirror and self.mirrored is not None else self.maps
        return {k: v[index : index + 1].float() for k, v in src.items()}

    def batch(self, indices: Sequence[int], mirror: Sequence[bool]) -> dict[str, torch.Tensor]:
        idx = torch.as_tensor(list(indices), dtype=torch.long)
        flip = torch.as_tensor(list(mirror), dtype=torch.bool)
        out = {}
        for k, v in self.maps.items():
            x = v[idx].float()
            if self.mirrored is not None and flip.any():
                x[flip] = self.mirrored[k][idx[flip]].float()
            out[k] = x
        return out


def _key(backbone_name: str, size: int, files: Sequence[str], mirror: bool) -> str:
    # names, sizes and contents (never times): a changed image invalidates the cache, a copy keeps it
    return files_digest(files, salt=f"features|{backbone_name}|{size}|{mirror}")


def folder_features(
    paths: Sequence[Path],
    backbone: Backbone,
    *,
    backbone_name: str,
    size: int,
    mirror: bool = True,
    cache: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FolderFeatures:
    """Features of ``paths`` (and of their mirror images when ``mirror``)."""
    files = tuple(str(p) for p in paths)
    key = _key(backbone_name, size, files, mirror)
    cache_file = Path(cache) / f"features-{key}.pt" if cache else None
    if cache_file is not None and cache_file.is_file():
        try:
            data = torch.load(cache_file, map_location="cpu", weights_only=True)
            if data.get("key") == key:
                log.info("features from cache %s", cache_file)
                return FolderFeatures(files, data["maps"], data.get("mirrored"))
        except Exception as exc:  # a damaged cache is recomputed
            log.warning("ignoring unreadable feature cache %s: %s", cache_file, exc)
    maps: dict[str, list[torch.Tensor]] = {k: [] for k in backbone.channels}
    flips: dict[str, list[torch.Tensor]] = {k: [] for k in backbone.channels}
    with torch.inference_mode():
        for i, path in enumerate(paths):
            rgb = load_image(path).rgb
            for k, v in backbone(image_tensor(rgb, size, backbone)).items():
                maps[k].append(v.half())
            if mirror:
                for k, v in backbone(image_tensor(np.ascontiguousarray(rgb[:, ::-1]), size, backbone)).items():
                    flips[k].append(v.half())
            if progress:
                progress(i + 1, len(paths))
    result = FolderFeatures(
        files,
        {k: torch.cat(v) for k, v in maps.items()},
        {k: torch.cat(v) for k, v in flips.items()} if mirror else None,
    )
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        torch.save({"key": key, "maps": result.maps, "mirrored": result.mirrored}, tmp)
        os.replace(tmp, cache_file)
    return result


def training_features(
    folder: str | os.PathLike,
    *,
    backbone_name: str,
    size: int,
    holdout: bool,
    limit: int | None,
    cache: str | os.PathLike | None,
    progress: Callable[[str, int, int], None] | None,
    extra: Sequence[str | os.PathLike] = (),
) -> tuple[list, FolderFeatures]:
    """The training images of an ``annotations.json`` folder (hold-out part left out when
    ``holdout``), then those of the ``extra`` folders (:func:`models.eval.split.extra_images`),
    and their frozen-backbone features (with mirrors): what every head's training starts from."""
    from models.errors import InvalidInputError
    from models.eval.datasets import load_annotations
    from models.eval.split import extra_images, split_images
    from models.nn.backbone import build_backbone

    images, _ = split_images(load_annotations(folder).items, holdout=holdout, limit=limit)
    if not images:
        raise InvalidInputError(f"no training images in {folder}")
    for more in extra:
        images += extra_images(more, holdout)[0]
    feats = folder_features(
        [im.file for im in images], build_backbone(backbone_name), backbone_name=backbone_name, size=size,
        cache=cache, progress=(lambda i, n: progress("features", i, n)) if progress else None,
    )  # fmt: skip
    return images, feats
