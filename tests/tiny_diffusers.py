"""Tiny randomly initialised Hugging Face models, written to a folder, fully offline.

They have the real architectures and file layouts (what ``from_pretrained`` reads), with
a few thousand parameters, so the loading and inference code of the diffusion backend and
of the conditioning inputs runs in the tests in seconds without any download:

* :func:`save_tiny_inpaint_pipeline`: a Stable-Diffusion inpainting pipeline folder
  (9-channel UNet, VAE, CLIP text encoder, a CLIP BPE tokenizer from a 40-token vocab, DDIM);
* :func:`save_tiny_controlnet`: a ControlNet folder that fits that pipeline;
* :func:`save_tiny_blip`: a BLIP captioning folder (model + processor with a BERT vocab).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import torch

CROSS_DIM = 16
BLOCKS = (16, 32)


def _clip_tokenizer(folder: Path):
    """A CLIP BPE tokenizer over single lowercase letters plus a few merges."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["<|startoftext|>", "<|endoftext|>", "!"] + list(string.ascii_lowercase)
    tokens += [c + "</w>" for c in string.ascii_lowercase] + ["ph", "ot</w>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\np h\no t</w>\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=16)


def save_tiny_inpaint_pipeline(folder: Path, seed: int = 0) -> Path:
    """A tiny ``StableDiffusionInpaintPipeline`` saved in diffusers' folder layout."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = _clip_tokenizer(folder.parent / f"{folder.name}-tokenizer-src")
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=9,  # latents 4 + mask 1 + masked-image latents 4
        out_channels=4,
        block_out_channels=BLOCKS,
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=CROSS_DIM,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,  # 4 blocks: stride 8, like SD's VAE
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
    )
    text = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=CROSS_DIM,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=16,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionInpaintPipeline(
        vae=vae,
        text_encoder=text,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


def save_tiny_controlnet(folder: Path, seed: int = 0) -> Path:
    """A tiny ``ControlNetModel`` matching :func:`save_tiny_inpaint_pipeline`'s UNet."""
    from diffusers import ControlNetModel

    torch.manual_seed(seed)
    net = ControlNetModel(
        in_channels=4,
        block_out_channels=BLOCKS,
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=CROSS_DIM,
        attention_head_dim=4,
        norm_num_groups=8,
        conditioning_embedding_out_channels=(8, 8, 8, 8),  # 3 stride-2 steps: pixels -> latents
    )
    net.save_pretrained(folder)
    return folder


def save_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """A tiny ``BlipForConditionalGeneration`` + ``BlipProcessor`` folder."""
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "the", "sea", "dog", "sky", "tree", "city"]
    vocab = folder.parent / f"{folder.name}-vocab.txt"
    vocab.write_text("\n".join(words) + "\n")
    tokenizer = BertTokenizer(str(vocab), model_max_length=16)
    processor = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": 32, "width": 32}),
        tokenizer=tokenizer,
    )
    ids = {"bos_token_id": 2, "sep_token_id": 3, "eos_token_id": 3, "pad_token_id": 0}
    config = BlipConfig(
        text_config={
            "vocab_size": len(words),
            "hidden_size": 16,
            "encoder_hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 32,
            **ids,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=16,
    )
    model = BlipForConditionalGeneration(config)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder
