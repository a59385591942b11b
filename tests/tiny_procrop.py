"""What the ProCrop training tests share: a small decoder config and the tiny folder with
its composition index (CPU, seconds)."""

from __future__ import annotations

from pathlib import Path

from models.procrop.encoder import build_encoder
from models.procrop.index import build_index, save_index
from models.procrop.model import ProCropConfig
from tests.tiny_data import tiny_folder

TINY_DECODER = ProCropConfig(width=32, heads=2, decoder_layers=1, queries=6, ffn=64, top_k=2)


def tiny_indexed_folder(root: Path) -> tuple[Path, Path]:
    """``(folder, index)``: :func:`~tests.tiny_data.tiny_folder` in ``root/data`` and the
    index of its crops in ``root/index``."""
    folder = tiny_folder(root / "data")
    return folder, save_index(build_index(folder, build_encoder()), root / "index")
