"""BLIP from a local folder, loaded once: the captioner of the dataset builder's outpainting
prompts and the text branch of ProCrop (:mod:`models.procrop.text`) share this one loader.

The folder is ``model_dir=`` or ``$CROPSTUDIO_BLIP_MODEL``; nothing is downloaded at run time,
and without a folder every entry point raises :class:`~models.errors.InvalidInputError`
saying what to set. Make the folder once, on a machine with internet::

    from transformers import BlipForConditionalGeneration, BlipProcessor
    name = "Salesforce/blip-image-captioning-base"
    BlipForConditionalGeneration.from_pretrained(name).save_pretrained("/models/blip")
    BlipProcessor.from_pretrained(name).save_pretrained("/models/blip")

(the folder then holds ``config.json``, ``model.safetensors``, ``preprocessor_config.json``,
and the tokenizer's ``vocab.txt`` / ``tokenizer_config.json``).

Importing this module imports neither torch nor transformers: they load with the model.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from models.errors import InvalidInputError
from models.imaging import check_rgb
from models.resources import configured_path

__all__ = ["BLIP_MODEL_ENV", "blip_dir", "caption_image", "load_blip"]

log = logging.getLogger(__name__)

BLIP_MODEL_ENV = "CROPSTUDIO_BLIP_MODEL"


def blip_dir(model_dir: str | os.PathLike | None) -> Path:
    """The BLIP folder: ``model_dir``, else ``$CROPSTUDIO_BLIP_MODEL``; InvalidInputError
    when neither is set or the folder has no ``config.json``."""
    path = configured_path(model_dir, BLIP_MODEL_ENV)
    if path is None:
        raise InvalidInputError(
            f"captions need a local BLIP model: pass model_dir=DIR or set {BLIP_MODEL_ENV} to a folder saved "
            f"with BlipForConditionalGeneration/BlipProcessor.save_pretrained(DIR)"
        )
    if not (path / "config.json").is_file():
        raise InvalidInputError(f"{path} is not a BLIP model folder (no config.json)")
    return path


def load_blip(model_dir: str | os.PathLike | None, device: str = "cpu") -> tuple[Any, Any]:
    """``(processor, model)`` of the BLIP folder (see :func:`blip_dir`), in eval mode on
    ``device``; loaded once per folder and device, then shared by every caller."""
    return _load(blip_dir(model_dir).resolve(), device)


@functools.lru_cache(maxsize=2)
def _load(path: Path, device: str) -> tuple[Any, Any]:
    if importlib.util.find_spec("transformers") is None:
        raise InvalidInputError("captions need the transformers package: pip install transformers (see requirements.lock)")
    from transformers import BlipForConditionalGeneration, BlipProcessor

    try:
        processor = BlipProcessor.from_pretrained(path, local_files_only=True)
        model = BlipForConditionalGeneration.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        first = " ".join(str(exc).strip().splitlines()[:2])[:400]
        raise InvalidInputError(f"cannot load the BLIP model from {path}: {type(exc).__name__}: {first}") from None
    log.info("loaded BLIP captioner %s on %s", path, device)
    return processor, model.to(device).eval()


def caption_image(rgb: np.ndarray, model_dir: str | os.PathLike | None = None, *, device: str = "cpu", max_new_tokens: int = 30) -> str:
    """A one-line caption of an ``(H, W, 3)`` uint8 RGB image by the local BLIP model
    (``model_dir`` or ``$CROPSTUDIO_BLIP_MODEL``; loaded once, then cached)."""
    import torch
    from PIL import Image

    processor, model = load_blip(model_dir, device)
    inputs = processor(images=Image.fromarray(check_rgb(rgb)), return_tensors="pt").to(device)
    with torch.inference_mode():
        ids = model.generate(**inputs, max_new_tokens=max_new_tokens)  # (1, tokens)
    return " ".join(processor.decode(ids[0], skip_special_tokens=True).split())
