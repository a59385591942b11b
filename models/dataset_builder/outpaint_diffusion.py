"""The ``diffusion`` outpainting backend: Stable-Diffusion inpainting through ``diffusers``
(seed ProCrop appendix B), optionally steered by a ControlNet.

Configuring the weights
-----------------------
Nothing is downloaded at run time. The backend loads a **diffusers-format pipeline
folder** the user saved beforehand, given as ``model_dir=`` or ``$CROPSTUDIO_DIFFUSION_MODEL``.
On a machine with internet access, once::

    from diffusers import StableDiffusionInpaintPipeline
    pipe = StableDiffusionInpaintPipeline.from_pretrained("runwayml/stable-diffusion-inpainting")
    pipe.save_pretrained("/models/sd-inpainting")

The folder then holds ``model_index.json`` and one sub-folder per component (``unet/``,
``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``, optionally ``safety_checker/``
and ``feature_extractor/``). Any Stable-Diffusion 1.x/2.x inpainting checkpoint in that
layout works (a 9-channel UNet is best; a plain 4-channel text-to-image UNet also runs,
in diffusers' latent-blending mode).

A ControlNet is optional (``controlnet_dir=`` or ``$CROPSTUDIO_CONTROLNET_MODEL``): a
``ControlNetModel`` folder saved the same way (``config.json`` + weights), e.g.
``lllyasviel/control_v11p_sd15_inpaint`` (``control="inpaint"``, the default),
``lllyasviel/control_v11p_sd15_canny`` (``control="canny"``: Canny edges of the photo), or
a ControlNet trained on composition masks as in the seed (``control="composition"``: the
request's SAM label map, see :mod:`models.dataset_builder.conditioning`). The request's
composition masks are used only by that ControlNet; its caption is always the prompt.

Device
------
Diffusion needs a GPU: by default the backend runs on ``cuda`` and refuses to build without
one. On a CPU one 512 px fill (30 steps, each two passes of an ~860 M parameter UNet)
takes minutes, so a CPU run must be asked for explicitly with ``allow_cpu=True`` (the tests
do, with a tiny random pipeline).

What a fill does
----------------
1. The canvas is resized to about ``resolution``\\ :sup:`2` pixels (the size the model was
   trained at), each side a multiple of 8 (the VAE's stride).
2. The pipeline repaints the unknown area (mask = ``~known``) from the prompt
   (``request.caption`` or a neutral default) with ``torch.Generator().manual_seed(seed)``.
3. The result is resized back. The VAE shifts colours slightly, so the offset between the
   photo and the generated picture along the photo's edge is carried into the unknown area
   and faded out over ``feather`` pixels (no seam), then the known pixels are pasted back:
   they are exactly the photo's.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models.dataset_builder.outpaint import OutpaintRequest, register_outpainter
from models.errors import InvalidInputError
from models.resources import configured_path

__all__ = [
    "CONTROLNET_MODEL_ENV",
    "DEFAULT_NEGATIVE_PROMPT",
    "DEFAULT_PROMPT",
    "DIFFUSION_MODEL_ENV",
    "DiffusionOutpainter",
    "DiffusionSettings",
    "blend_known",
    "build_diffusion_outpainter",
    "composition_image",
    "fit_to_multiple",
]

log = logging.getLogger(__name__)

DIFFUSION_MODEL_ENV = "CROPSTUDIO_DIFFUSION_MODEL"
CONTROLNET_MODEL_ENV = "CROPSTUDIO_CONTROLNET_MODEL"
DEFAULT_PROMPT = "a professional photograph, natural continuation of the scene, high quality"
DEFAULT_NEGATIVE_PROMPT = "frame, border, text, watermark, seam, blurry, distorted"
CONTROL_MODES = ("inpaint", "canny", "composition")
_INSTALL_HINT = "pip install diffusers transformers (the versions pinned in requirements.lock)"


def fit_to_multiple(size: tuple[int, int], resolution: int, multiple: int = 8) -> tuple[int, int]:
    """``(w, h)`` with about ``resolution**2`` pixels, the aspect ratio of ``size = (w, h)``,
    each side a multiple of ``multiple`` (at least one multiple)."""
    w, h = size
    scale = resolution / np.sqrt(w * h)
    return tuple(max(multiple, int(round(s * scale / multiple)) * multiple) for s in (w, h))  # type: ignore[return-value]


def composition_image(labels: np.ndarray) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 rendering of an int label map for a ControlNet: label 0 black,
    every other label a fixed colour (a hash of the label, the same in every process)."""
    labels = np.asarray(labels)
    ids = labels.astype(np.uint64)
    rgb = np.stack([(ids * k + 17) % 223 + 32 for k in (2654435761, 2246822519, 3266489917)], axis=-1)
    rgb[labels == 0] = 0
    return rgb.astype(np.uint8)


def _resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``rgb`` resized to ``size = (w, h)``: area averaging to shrink, bicubic to enlarge."""
    shrink = size[0] * size[1] < rgb.shape[0] * rgb.shape[1]
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _pipeline_dir(model_dir: str | os.PathLike | None) -> Path:
    path = configured_path(model_dir, DIFFUSION_MODEL_ENV)
    if path is None:
        raise InvalidInputError(
            f"the diffusion backend needs local Stable-Diffusion inpainting weights: pass model_dir=DIR "
            f"or set {DIFFUSION_MODEL_ENV} to a diffusers pipeline folder (one saved with "
            f"StableDiffusionInpaintPipeline.from_pretrained(...).save_pretrained(DIR))"
        )
    if not (path / "model_index.json").is_file():
        raise InvalidInputError(
            f"{path} is not a diffusers pipeline folder (no model_index.json); save one with "
            f"StableDiffusionInpaintPipeline.from_pretrained('runwayml/stable-diffusion-inpainting').save_pretrained(DIR)"
        )
    return path


def _controlnet_dir(controlnet_dir: str | os.PathLike | None) -> Path | None:
    path = configured_path(controlnet_dir, CONTROLNET_MODEL_ENV)
    if path is None:
        return None
    if not (path / "config.json").is_file():
        raise InvalidInputError(f"{path} is not a ControlNet folder (no config.json); save one with ControlNetModel.save_pretrained(DIR)")
    return path


def _device(device: str | None, allow_cpu: bool) -> str:
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidInputError(f"device {device!r} asked for, but torch sees no CUDA GPU")
    if device == "cpu" and not allow_cpu:
        raise InvalidInputError(
            "the diffusion backend needs a GPU (no CUDA device found): on a CPU one fill takes minutes. "
            "Pass allow_cpu=True to run on the CPU anyway, or use the opencv backend"
        )
    return device


def _require_diffusers() -> None:
    for package in ("diffusers", "transformers"):
        if importlib.util.find_spec(package) is None:
            raise InvalidInputError(f"the diffusion backend needs the {package} package: {_INSTALL_HINT}")


@dataclass(frozen=True, slots=True)
class DiffusionSettings:
    """How a fill runs: ``steps`` denoising steps, ``guidance_scale`` (classifier-free),
    ``resolution`` (the working canvas has about ``resolution**2`` pixels), ``feather``
    (px of the seam correction, at the canvas' size), ``controlnet_scale``, ``control``
    (what conditions the ControlNet, one of :data:`CONTROL_MODES`), and the prompts."""

    steps: int = 30
    guidance_scale: float = 7.5
    resolution: int = 512
    feather: int = 16
    controlnet_scale: float = 1.0
    control: str = "inpaint"
    prompt: str = DEFAULT_PROMPT
    negative_prompt: str = DEFAULT_NEGATIVE_PROMPT

    def __post_init__(self) -> None:
        if self.steps < 1 or self.resolution < 64 or self.feather < 0 or self.guidance_scale < 0:
            raise InvalidInputError(
                f"diffusion settings out of range: steps {self.steps} (>= 1), resolution {self.resolution} (>= 64), "
                f"feather {self.feather} (>= 0), guidance_scale {self.guidance_scale} (>= 0)"
            )
        if self.control not in CONTROL_MODES:
            raise InvalidInputError(f"unknown ControlNet conditioning {self.control!r}; choose one of {', '.join(CONTROL_MODES)}")


class DiffusionOutpainter:
    """The ``diffusion`` backend (see the module docstring). Build it with
    :func:`build_diffusion_outpainter` (or ``build_outpainter("diffusion", ...)``); the
    pipeline is loaded once, and each :meth:`fill` is one diffusion run."""

    name = "diffusion"

    def __init__(self, pipeline: Any, device: str, settings: DiffusionSettings, controlled: bool = False) -> None:
        self.pipeline = pipeline
        self.device = device
        self.settings = settings
        self.controlled = controlled

    def fill(self, request: OutpaintRequest) -> np.ndarray:
        """``request.canvas`` with its unknown pixels generated; known pixels unchanged."""
        import torch
        from PIL import Image

        s = self.settings
        h, w = request.known.shape
        size = fit_to_multiple((w, h), s.resolution)
        image = Image.fromarray(_resize(request.canvas, size))
        unknown = cv2.resize((~request.known).astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR)
        mask = Image.fromarray(np.where(unknown > 0, 255, 0).astype(np.uint8))  # any unknown share: repaint
        kwargs: dict[str, Any] = {}
        if self.controlled:
            kwargs["control_image"] = self._control_image(request, size)
            kwargs["controlnet_conditioning_scale"] = s.controlnet_scale
        generator = torch.Generator(device=self.device).manual_seed(int(request.seed))
        with torch.inference_mode():
            out = self.pipeline(
                prompt=request.caption or s.prompt,
                negative_prompt=s.negative_prompt,
                image=image,
                mask_image=mask,
                height=size[1],
                width=size[0],
                num_inference_steps=s.steps,
                guidance_scale=s.guidance_scale,
                generator=generator,
                output_type="np",
                **kwargs,
            )
        generated = np.clip(np.asarray(out.images[0]) * 255.0 + 0.5, 0, 255).astype(np.uint8)  # (h', w', 3)
        generated = _resize(generated, (w, h))
        return blend_known(request.canvas, request.known, generated, s.feather)

    def _control_image(self, request: OutpaintRequest, size: tuple[int, int]) -> Any:
        """The ControlNet's condition at the working ``size``: a PIL image, or for the
        inpaint ControlNet a ``(1, 3, h, w)`` tensor with unknown pixels at -1."""
        import torch
        from PIL import Image

        mode = self.settings.control
        if mode == "composition":
            if request.composition is None:
                raise InvalidInputError(
                    "the composition ControlNet needs the request's composition masks (configure a SAM checkpoint)"
                )
            labels = cv2.resize(request.composition.astype(np.int32), size, interpolation=cv2.INTER_NEAREST)
            return Image.fromarray(composition_image(labels))
        if mode == "canny":
            grey = cv2.cvtColor(request.canvas, cv2.COLOR_RGB2GRAY)
            edges = cv2.Canny(grey, 100, 200)
            inner = cv2.erode(request.known.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            edges[~inner] = 0  # no edges along the photo's border nor in the unknown area
            edges = cv2.resize(edges, size, interpolation=cv2.INTER_NEAREST)
            return Image.fromarray(np.repeat(edges[..., None], 3, axis=2))
        rgb = _resize(request.canvas, size).astype(np.float32) / 255.0
        known = cv2.resize(request.known.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
        rgb[~known] = -1.0  # the inpaint ControlNet's marker of pixels to generate
        return torch.from_numpy(rgb.transpose(2, 0, 1)[None].copy())  # (1, 3, h, w)


def blend_known(canvas: np.ndarray, known: np.ndarray, generated: np.ndarray, feather: int) -> np.ndarray:
    """``generated`` with ``canvas``'s known pixels pasted back exactly, and, within
    ``feather`` px of them, the generated pixels shifted by the (smoothed) photo-minus-generated
    offset along the photo's edge, fading linearly to nothing: colour continuity, no seam.

    ``canvas``, ``generated``: ``(H, W, 3)`` uint8; ``known``: ``(H, W)`` bool.
    """
    out = generated.copy()
    if feather > 0 and (~known).any():
        k = known.astype(np.float32)
        offset = (canvas.astype(np.float32) - generated.astype(np.float32)) * k[..., None]
        sigma = max(1.0, feather / 2.0)
        num = cv2.GaussianBlur(offset, (0, 0), sigma)
        den = cv2.GaussianBlur(k, (0, 0), sigma)
        smooth = num / np.maximum(den, 1e-3)[..., None]  # the offset near the photo, extended a little
        dist = cv2.distanceTransform((~known).astype(np.uint8), cv2.DIST_L2, 5)  # px to the photo
        weight = np.clip(1.0 - dist / float(feather), 0.0, 1.0) * (den > 1e-3)
        shifted = generated.astype(np.float32) + smooth * weight[..., None]
        out = np.clip(shifted + 0.5, 0, 255).astype(np.uint8)
    out[known] = canvas[known]
    return out


def _load_pipeline(path: Path, controlnet: Path | None, device: str, dtype: Any, safety_checker: bool) -> Any:
    import diffusers

    # without accelerate, diffusers loads in full (and says so at every load unless told)
    extra: dict[str, Any] = {"low_cpu_mem_usage": importlib.util.find_spec("accelerate") is not None}
    if not safety_checker:
        extra |= {"safety_checker": None, "requires_safety_checker": False}
    try:
        if controlnet is None:
            pipe = diffusers.StableDiffusionInpaintPipeline.from_pretrained(
                path, dtype=dtype, local_files_only=True, **extra
            )
        else:
            net = diffusers.ControlNetModel.from_pretrained(controlnet, dtype=dtype, local_files_only=True)
            pipe = diffusers.StableDiffusionControlNetInpaintPipeline.from_pretrained(
                path, controlnet=net, dtype=dtype, local_files_only=True, **extra
            )
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:  # missing / broken component files
        first = " ".join(str(exc).strip().splitlines()[:2])[:400]
        raise InvalidInputError(f"cannot load the diffusion pipeline from {path}: {type(exc).__name__}: {first}") from None
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def _resolve(model_dir, controlnet_dir, settings: dict) -> tuple[Path, Path | None, DiffusionSettings]:
    """The pipeline and ControlNet folders and the settings, checked (diffusers installed, the
    folders configured and there, the options known, a ControlNet where the control needs one)."""
    _require_diffusers()
    path = _pipeline_dir(model_dir)
    controlnet = _controlnet_dir(controlnet_dir)
    try:
        config = DiffusionSettings(**settings)
    except TypeError:
        known = ", ".join(DiffusionSettings.__dataclass_fields__)
        raise InvalidInputError(f"unknown diffusion options {sorted(settings)}; known: {known}") from None
    if controlnet is None and config.control != "inpaint":
        raise InvalidInputError(
            f"control={config.control!r} conditions a ControlNet: pass controlnet_dir=DIR or set {CONTROLNET_MODEL_ENV}"
        )
    return path, controlnet, config


def check_diffusion_options(
    model_dir: str | os.PathLike | None = None, *, controlnet_dir: str | os.PathLike | None = None,
    device: str | None = None, allow_cpu: bool = False, dtype: str | None = None, safety_checker: bool = True,
    **settings: Any,
) -> None:  # fmt: skip
    """What :func:`build_diffusion_outpainter` checks before loading anything: diffusers is
    installed, the weights folders are configured and exist, the options are known. Raises
    InvalidInputError like it; loads nothing (the build checks this before its run starts)."""
    _resolve(model_dir, controlnet_dir, settings)
    if dtype is not None and dtype not in ("float16", "bfloat16", "float32"):
        raise InvalidInputError(f"unknown dtype {dtype!r}; choose float16, bfloat16 or float32")


@register_outpainter("diffusion")
def build_diffusion_outpainter(
    model_dir: str | os.PathLike | None = None,
    *,
    controlnet_dir: str | os.PathLike | None = None,
    device: str | None = None,
    allow_cpu: bool = False,
    dtype: str | None = None,
    safety_checker: bool = True,
    **settings: Any,
) -> DiffusionOutpainter:
    """The ``diffusion`` backend, loaded from local folders only (see the module docstring).

    ``model_dir``: a diffusers inpainting pipeline folder (default ``$CROPSTUDIO_DIFFUSION_MODEL``);
    ``controlnet_dir``: an optional ControlNet folder (default ``$CROPSTUDIO_CONTROLNET_MODEL``);
    ``device``: ``"cuda"`` (default when a GPU is there), ``"cuda:1"``, ``"cpu"`` (needs
    ``allow_cpu=True``: minutes per fill); ``dtype``: ``"float16"`` (default on a GPU) or
    ``"float32"`` (default on the CPU); ``safety_checker``: keep the folder's NSFW checker
    (it blacks out flagged fills, which the quality filter then rejects); ``settings``: the
    fields of :class:`DiffusionSettings` (``steps``, ``guidance_scale``, ``resolution``...).

    Raises :class:`~models.errors.InvalidInputError` when diffusers is not installed, no
    weights are configured or they do not load, or no GPU is there and CPU was not allowed.
    """
    path, controlnet, config = _resolve(model_dir, controlnet_dir, settings)
    where = _device(device, allow_cpu)
    if where == "cpu":
        log.warning("diffusion outpainting on the CPU: expect minutes per 512 px fill")
    import torch

    name = dtype or ("float32" if where == "cpu" else "float16")
    if name not in ("float16", "bfloat16", "float32"):
        raise InvalidInputError(f"unknown dtype {name!r}; choose float16, bfloat16 or float32")
    pipe = _load_pipeline(path, controlnet, where, getattr(torch, name), safety_checker)
    log.info("loaded diffusion pipeline %s%s on %s", path, f" + ControlNet {controlnet}" if controlnet else "", where)
    return DiffusionOutpainter(pipe, where, config, controlled=controlnet is not None)
