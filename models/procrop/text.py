"""Text features of a photo for ProCrop's optional multi-modal fusion (seed Eq. 2, appendix C).

BLIP captions the photo (:func:`models.nn.blip.caption_image`, a local
``BlipForConditionalGeneration`` folder: ``model_dir=`` or ``$CROPSTUDIO_BLIP_MODEL``), then
the same model embeds the image-caption pair: the caption's tokens go through BLIP's text
transformer (the captioner's own, causal as it was trained) with cross-attention to BLIP's
ViT features of the image. The result is one ``D``-dim vector per caption token, each
grounded in the image: the seed's "multi-modal embeddings from image-text pairs".

Tokens are padded to ``max_tokens`` so that a batch (or a training cache) is one array,
with a mask of the padding. Nothing is downloaded; without a configured folder every entry
point raises :class:`~models.errors.InvalidInputError` saying what to set.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.errors import InvalidInputError
from models.imaging import check_rgb
from models.nn.blip import BLIP_MODEL_ENV, blip_dir, caption_image, load_blip  # BLIP_MODEL_ENV: also read from here (predictor)

__all__ = ["BLIP_MODEL_ENV", "DEFAULT_TEXT_TOKENS", "TextFeatures", "blip_text_dim", "caption_and_embed", "embed_caption"]

log = logging.getLogger(__name__)

DEFAULT_TEXT_TOKENS = 32  # caption tokens kept (BLIP captions are ~10-20 tokens)


@dataclass(frozen=True, eq=False)
class TextFeatures:
    """Captions and their image-grounded token embeddings.

    ``tokens`` ``(N, T, D)`` float32, zero past each caption's end; ``padding`` ``(N, T)``
    bool, True where there is no token (the ``key_padding_mask`` convention of
    :class:`torch.nn.MultiheadAttention`); ``captions`` the N captions.
    """

    captions: tuple[str, ...]
    tokens: np.ndarray
    padding: np.ndarray

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tokens (N, T, D) float32, padding (N, T) bool)`` as tensors for the model."""
        return torch.from_numpy(self.tokens), torch.from_numpy(self.padding)


def blip_text_dim(model_dir: str | os.PathLike | None = None) -> int:
    """The width ``D`` of the token embeddings of a BLIP folder (768 for BLIP base), read
    from its ``config.json`` without loading the weights."""
    path = blip_dir(model_dir) / "config.json"
    try:
        return int(json.loads(path.read_text())["text_config"]["hidden_size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} does not describe a BLIP model ({type(exc).__name__}: {exc})") from None


@torch.inference_mode()
def embed_caption(rgb: np.ndarray, caption: str, model_dir: str | os.PathLike | None = None, *,
                  max_tokens: int = DEFAULT_TEXT_TOKENS, device: str = "cpu") -> np.ndarray:  # fmt: skip
    """``(T, D)`` float32 embeddings of ``caption``'s tokens (``T <= max_tokens``), each
    attending to BLIP's features of the ``(H, W, 3)`` uint8 RGB image."""
    from PIL import Image

    if max_tokens < 2:
        raise InvalidInputError(f"max_tokens must be at least 2, got {max_tokens}")
    processor, model = load_blip(model_dir, device)
    inputs = processor(images=Image.fromarray(check_rgb(rgb)), text=caption, return_tensors="pt",
                       truncation=True, max_length=max_tokens).to(device)  # fmt: skip
    ids = inputs["input_ids"].clone()  # [1, T]: [CLS] words [SEP]
    ids[:, 0] = model.config.text_config.bos_token_id  # the captioner reads captions after its BOS
    image = model.vision_model(pixel_values=inputs["pixel_values"]).last_hidden_state  # [1, P, D_v]
    out = model.text_decoder.bert(input_ids=ids, attention_mask=inputs["attention_mask"],
                                  encoder_hidden_states=image, is_decoder=True)  # fmt: skip
    hidden = out.last_hidden_state[0][inputs["attention_mask"][0].bool()]  # [T, D]
    return hidden.float().cpu().numpy()


def caption_and_embed(images: Sequence[np.ndarray], model_dir: str | os.PathLike | None = None, *,
                      max_tokens: int = DEFAULT_TEXT_TOKENS, device: str = "cpu",
                      progress: Callable[[int, int], None] | None = None) -> TextFeatures:  # fmt: skip
    """Caption each ``(H, W, 3)`` uint8 RGB image with BLIP and embed the pair (see the
    module docstring): the text inputs of a ProCrop model with ``text=True``, for training
    caches and for inference. ``progress(done, total)`` is called after each image."""
    _, model = load_blip(model_dir, device)  # fails early, saying what to configure
    captions, rows = [], []
    for i, rgb in enumerate(images):
        caption = caption_image(rgb, model_dir, device=device)
        captions.append(caption)
        rows.append(embed_caption(rgb, caption, model_dir, max_tokens=max_tokens, device=device))
        if progress is not None:
            progress(i + 1, len(images))
    dim = model.config.text_config.hidden_size
    tokens = np.zeros((len(rows), max_tokens, dim), np.float32)
    padding = np.ones((len(rows), max_tokens), bool)
    for i, row in enumerate(rows):
        tokens[i, : len(row)] = row
        padding[i, : len(row)] = False
    log.debug("embedded %d captions with BLIP", len(rows))
    return TextFeatures(tuple(captions), tokens, padding)
