"""models.nn.blip: the one BLIP loader (captions for the dataset builder, token features for
ProCrop's text branch), on a tiny random BLIP folder written offline (tests/tiny_diffusers.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.errors import InvalidInputError
from models.nn import blip

ROOT = Path(__file__).parents[2]
needs_transformers = pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="transformers not installed")


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def test_module_imports_without_torch_or_transformers():
    code = "import sys, models.nn.blip, models.dataset_builder.conditioning; " \
        "assert not {'torch', 'transformers'} & set(sys.modules), sorted({'torch', 'transformers'} & set(sys.modules))"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_caption_needs_a_model(monkeypatch, tmp_path):
    monkeypatch.delenv(blip.BLIP_MODEL_ENV, raising=False)
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(InvalidInputError, match=blip.BLIP_MODEL_ENV):
        blip.caption_image(image)
    with pytest.raises(InvalidInputError, match="not a BLIP model folder"):
        blip.caption_image(image, tmp_path)


@needs_transformers
def test_tiny_blip_caption(offline, tmp_path, monkeypatch):
    from tests.tiny_diffusers import save_tiny_blip

    folder = save_tiny_blip(tmp_path / "blip")
    image = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    text = blip.caption_image(image, folder, max_new_tokens=5)
    assert isinstance(text, str) and text == text.strip()
    monkeypatch.setenv(blip.BLIP_MODEL_ENV, str(folder))
    assert blip.caption_image(image, max_new_tokens=5) == text  # greedy decoding: deterministic
    with pytest.raises(InvalidInputError, match="RGB"):
        blip.caption_image(image[..., 0], folder)


@needs_transformers
def test_one_model_shared_by_the_captioner_and_procrop_text(offline, tmp_path):
    """The folder given as a path or through the setting, from either caller: one load."""
    from models.procrop import text
    from tests.tiny_diffusers import save_tiny_blip

    folder = save_tiny_blip(tmp_path / "blip")
    first = blip.load_blip(folder)
    assert blip.load_blip(str(folder)) is first
    assert text.BLIP_MODEL_ENV == blip.BLIP_MODEL_ENV
    assert text.blip_text_dim(folder) == first[1].config.text_config.hidden_size
