"""Train ProCrop on a training folder's expert crops, on cached frozen-encoder features.

Only the small fusion + decoder network learns; the encoder is frozen, so its maps are
computed once per image (and its mirror image, for augmentation) by
:func:`models.nn.features.folder_features` and cached. Retrieval is done once, before
training, for every image and its mirror image, in the index the model will ship with,
**without the image's own expert crop** (the index is built from the same folder).
The hold-out images of :func:`models.eval.split.is_holdout` are kept out of training and
give the validation IoU stored in the weights' meta (unless ``holdout=False``).

``extra`` folders add training images, e.g. the weakly labelled output of the dataset
builder (``cropstudio build-dataset``): all of their images train (none validate). An
image there that records a ``source`` (the professional photo it was made from, relative
to the source folder) retrieves without that photo's own composition, as the folder's own
images do, and is left out when its source is a hold-out image: hold-out photos must not
reach training through their outpainted copies.

``pro`` (a folder of professional photographs without human crops, e.g. ``pro_portraits``)
adds its training fifths labelled with the photographer's own frame, any plain border
trimmed (:func:`~models.scorer.views.trimmed_frames`): what teaches the decoder that a good
photograph is left nearly whole. Each retrieves without its own frame (the index may hold
it, :func:`~models.procrop.index.build_index` ``pro``); its hold-out fifth gives a second
validation figure, ``pro_val_iou`` (``pro_limit`` keeps the first N training photos).

``blip_model`` (a local BLIP captioning folder) trains the optional text fusion (seed
Eq. 2): every image is captioned and its caption tokens embedded once, before training
(:func:`models.procrop.text.caption_and_embed`; a mirrored image keeps its caption).
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from models.errors import InvalidInputError
from models.eval.datasets import AnnotatedImage, load_annotations
from models.eval.split import extra_images, split_images
from models.nn.checkpoint import save_checkpoint, training_threads
from models.nn.features import folder_features
from models.procrop.criterion import SetCriterion
from models.procrop.encoder import CompositionEncoder, build_encoder
from models.procrop.index import CompositionIndex, load_index
from models.procrop.model import KIND, ProCropConfig, build_model
from models.procrop.predictor import default_index, top1_iou

__all__ = ["ProCropTraining", "train_procrop"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProCropTraining:
    epochs: int = 15
    batch: int = 16
    lr: float = 4e-4
    weight_decay: float = 1e-4
    clip: float = 0.1
    seed: int = 0
    holdout: bool = True
    retrieval: bool = True
    ema: float = 0.0  # > 0: the network returned is the exponential moving average of its weights, this decay per step

    def __post_init__(self) -> None:
        for name in ("epochs", "batch"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise InvalidInputError(f"ProCrop training: {name} must be a whole number of at least 1, got {value!r}")
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InvalidInputError(f"ProCrop training: {name} must be a positive number, got {value!r}")
        for name in ("ema", "weight_decay"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value < 1.0):
                raise InvalidInputError(f"ProCrop training: {name} must be in [0, 1), got {value!r}")


@dataclass(frozen=True, eq=False)
class _Split:
    """Cached inputs of a set of images: query maps ``(2, N, C, h, w)`` (plain, mirrored),
    retrieved reference maps ``(2, N, k, C_r, g, g)`` or ``None``, targets, ratios ``(N,)``."""

    images: list[AnnotatedImage]
    query: torch.Tensor
    refs: torch.Tensor | None
    ratios: torch.Tensor
    text: torch.Tensor | None = None  # (N, T, D) caption token embeddings, with ``blip_model``
    padding: torch.Tensor | None = None  # (N, T) True where no token


def _mirror(boxes: torch.Tensor) -> torch.Tensor:
    return torch.stack([1 - boxes[:, 2], boxes[:, 1], 1 - boxes[:, 0], boxes[:, 3]], 1)


def _vectors(encoder: CompositionEncoder, maps: dict[str, torch.Tensor]) -> np.ndarray:
    out = []
    for s in range(0, len(next(iter(maps.values()))), 64):
        out.append(encoder.describe({k: v[s : s + 64].float() for k, v in maps.items()})[1].numpy())
    return np.concatenate(out)


def _prepare(
    images: list[AnnotatedImage], exclude: list[list[str]], encoder: CompositionEncoder, config: ProCropConfig,
    index: CompositionIndex | None, mirror: bool, cache, progress, blip_model=None, text_progress=None,
) -> _Split:  # fmt: skip
    feats = folder_features([im.file for im in images], encoder, backbone_name=config.encoder,
                            size=config.input_size, mirror=mirror, cache=cache, progress=progress)  # fmt: skip
    views = [feats.maps] + ([feats.mirrored] if mirror else [])
    query = torch.stack([v[config.query_key] for v in views])  # [V, N, C, h, w] float16
    refs = None
    if index is not None:
        maps = torch.from_numpy(index.maps)
        per_view = []
        for v in views:
            _, idx = index.search(_vectors(encoder, v), config.top_k, exclude=exclude)
            per_view.append(maps[torch.from_numpy(idx).clamp_min(0)])  # [N, k, C_r, g, g]
        refs = torch.stack(per_view)
    ratios = torch.tensor([im.width / im.height for im in images], dtype=torch.float32)
    text = padding = None
    if blip_model is not None:
        from models.imaging import ANALYSIS_MAX_SIDE, load_image
        from models.procrop.text import caption_and_embed

        rgbs = [load_image(im.file, max_side=ANALYSIS_MAX_SIDE).rgb for im in images]
        feats = caption_and_embed(rgbs, blip_model, max_tokens=config.text_tokens, progress=text_progress)
        text, padding = feats.tensors()
        text = text.half()
    return _Split(images, query, refs, ratios, text, padding)


def _batch(split: _Split, ids: list[int], flips: list[bool]) -> tuple[tuple, list[torch.Tensor]]:
    """The model's inputs ``(query, ratios, refs, text, text_padding)`` and the targets."""
    view = torch.tensor([int(f) for f in flips])
    idx = torch.tensor(ids)
    query = split.query[view, idx].float()
    refs = split.refs[view, idx].float() if split.refs is not None else None
    text = split.text[idx].float() if split.text is not None else None
    padding = split.padding[idx] if split.padding is not None else None
    targets = []
    for i, f in zip(ids, flips):
        t = torch.tensor([c.as_tuple() for c in split.images[i].crops], dtype=torch.float32)
        targets.append(_mirror(t) if f else t)
    return (query, split.ratios[idx], refs, text, padding), targets


@torch.no_grad()
def _validate(model, split: _Split) -> float:
    model.eval()
    ious = []
    for s in range(0, len(split.images), 64):
        ids = list(range(s, min(s + 64, len(split.images))))
        inputs, targets = _batch(split, ids, [False] * len(ids))
        out = model(*inputs)
        for b, t in enumerate(targets):
            ious.append(top1_iou(out.boxes[b], out.logits[b], t))
    model.train()
    return float(np.mean(ious)) if ious else float("nan")


def _relative(im: AnnotatedImage, folder: str | os.PathLike) -> str:
    return im.file.relative_to(Path(folder).resolve()).as_posix()


def pro_images(folder: str | os.PathLike, *, holdout: bool = True, limit: int | None = None,
               cache: str | os.PathLike | None = None) -> tuple[list[AnnotatedImage], list[AnnotatedImage]]:  # fmt: skip
    """``(train, held out)`` professional photographs of ``folder``, each labelled with its
    trimmed frame (see the module docstring); ``limit`` keeps the first N training photos."""
    from models.scorer.views import trimmed_frames

    aset = load_annotations(folder)
    train, held = split_images(aset.items, holdout=holdout)
    train = train[:limit] if limit is not None else train
    frames = trimmed_frames([im.file for im in train + held], cache)
    labelled = [replace(im, crops=(frame,)) for im, frame in zip(train + held, frames)]
    return labelled[: len(train)], labelled[len(train) :]


def train_procrop(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: ProCropTraining = ProCropTraining(),
    config: ProCropConfig = ProCropConfig(),
    index: str | os.PathLike | None = None,
    limit: int | None = None,
    cache: str | os.PathLike | None = None,
    command: str = "",
    progress: Callable[[str, int, int], None] | None = None,
    extra: tuple[str | os.PathLike, ...] = (),
    pro: str | os.PathLike | None = None,
    pro_limit: int | None = None,
    blip_model: str | os.PathLike | None = None,
) -> dict:
    """Train, write the weights to ``out`` and return the checkpoint's ``meta``.

    ``config.members > 1`` trains that many networks one after another, each exactly as a
    single run with seed ``settings.seed + i`` would, and writes them as one ensemble
    (:class:`~models.procrop.model.ProCropEnsemble`, weights stored in float16); its
    validation figures are the ensemble's, each member's curve is kept in the meta.
    ``settings.ema > 0`` keeps the exponential moving average of each network's weights
    (``torch.optim.swa_utils.AveragedModel``, that decay per step) and saves it instead of the
    last weights; the curve shows both (``raw_val_iou`` beside ``val_iou``), the training
    itself is the run without it."""
    folder = Path(folder)
    aset = load_annotations(folder)
    train_images, val_images = split_images(aset.items, holdout=settings.holdout, limit=limit)
    if not train_images:
        raise InvalidInputError(f"no training images in {folder}")
    exclude = [[im.file.relative_to(aset.folder).as_posix()] for im in train_images]
    extra_counts = {}
    for more in extra:
        images, sources = extra_images(more, settings.holdout)
        train_images, exclude = train_images + images, exclude + [[src] if src else [] for src in sources]
        extra_counts[Path(more).name] = len(images)
    pro_val: list[AnnotatedImage] = []
    if pro is not None:
        pro_train, pro_val = pro_images(pro, holdout=settings.holdout, limit=pro_limit, cache=cache)
        train_images = train_images + pro_train
        exclude = exclude + [[_relative(im, pro)] for im in pro_train]
        extra_counts[Path(pro).name] = len(pro_train)
    encoder = build_encoder(config.encoder)
    if (encoder.query_key, encoder.channels[encoder.query_key], encoder.input_size) != (config.query_key, config.query_channels, config.input_size):
        config = ProCropConfig(**{**config.to_dict(), "query_key": encoder.query_key,
                                  "query_channels": encoder.channels[encoder.query_key], "input_size": encoder.input_size})  # fmt: skip
    if blip_model is not None:
        from models.procrop.text import blip_text_dim

        config = ProCropConfig(**{**config.to_dict(), "text": True, "text_dim": blip_text_dim(blip_model)})
    db = None
    index_path = Path(index) if index is not None else default_index()
    if settings.retrieval:
        db = load_index(index_path)
        if db.encoder != config.encoder:
            raise InvalidInputError(f"index {index_path} was built with {db.encoder}, the model uses {config.encoder}")
    stage = (lambda name: (lambda i, n: progress(name, i, n))) if progress else (lambda name: None)
    train = _prepare(train_images, exclude, encoder, config, db, True, cache, stage("features"), blip_model,
                     stage("captions"))  # fmt: skip
    val_exclude = [[im.file.relative_to(aset.folder).as_posix()] for im in val_images]
    val = _prepare(val_images, val_exclude, encoder, config, db, False, cache, stage("validation features"),
                   blip_model, stage("validation captions")) if val_images else None  # fmt: skip
    pro_split = (_prepare(pro_val, [[_relative(im, pro)] for im in pro_val], encoder, config, db, False, cache,
                          stage("pro validation features")) if pro_val else None)  # fmt: skip
    model, curve, figures, seconds = _fit_members(config, settings, train, val, pro_split, progress)
    meta = {
        "command": command, "seed": settings.seed, "data": folder.name, "images": len(train_images), "extra": extra_counts,
        "holdout_excluded": settings.holdout, "validation_images": len(val_images), "epochs": settings.epochs,
        "batch": settings.batch, "lr": settings.lr, "weight_decay": settings.weight_decay, "retrieval": settings.retrieval,
        **({"ema": settings.ema} if settings.ema else {}),
        **training_threads(),
        "index": {"path": index_path.name, "items": len(db), "source": db.source} if db is not None else None,
        "text": {"blip_model": Path(blip_model).name} if blip_model is not None else None,
        **figures, "curve": curve, "pro_validation_images": len(pro_val), "train_seconds": round(seconds, 1),
        **({"member_seeds": [settings.seed + i for i in range(config.members)], "weights_dtype": "float16"} if config.members > 1 else {}),
    }  # fmt: skip
    config = ProCropConfig(**{**config.to_dict(), "retrieval": settings.retrieval})
    state = _half(model.state_dict()) if config.members > 1 else model.state_dict()
    save_checkpoint(out, KIND, config.to_dict(), state, meta)
    return meta


def _half(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` with its floating-point tensors in float16 (an ensemble's file stays near one
    network's size; ``load_state_dict`` copies them back into float32 parameters)."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def _fit_members(config: ProCropConfig, settings: ProCropTraining, train: _Split, val: _Split | None,
                 pro_split: _Split | None, progress: Callable[[str, int, int], None] | None) -> tuple:  # fmt: skip
    """``(model, curve, figures, seconds)``: one network (its curve), or ``config.members`` of
    them, member ``i`` from seed ``settings.seed + i``, in one ensemble whose figures are
    measured on its float16-rounded weights (as it is stored)."""
    one = ProCropConfig(**{**config.to_dict(), "members": 1})
    label = (lambda i: f"member {i + 1}/{config.members}: ") if config.members > 1 else (lambda i: "")
    fitted = [_fit(one, replace(settings, seed=settings.seed + i), train, val, pro_split, progress, label(i))
              for i in range(config.members)]  # fmt: skip
    seconds = sum(t for _, _, t in fitted)
    if config.members == 1:
        model, curve, _ = fitted[0]
        last = curve[-1]
        return model, curve, {"train_loss": last["loss"], "val_iou": last.get("val_iou"), "pro_val_iou": last.get("pro_val_iou")}, seconds
    model = build_model(config)
    for member, (fit, _, _) in zip(model.members, fitted, strict=True):
        member.load_state_dict(_half(fit.state_dict()))
    curve = [{"member_seed": settings.seed + i, "curve": c} for i, (_, c, _) in enumerate(fitted)]
    figures = {"train_loss": round(float(np.mean([c[-1]["loss"] for _, c, _ in fitted])), 5),
               "val_iou": round(_validate(model, val), 4) if val is not None else None,
               "pro_val_iou": round(_validate(model, pro_split), 4) if pro_split is not None else None}  # fmt: skip
    return model, curve, figures, seconds


def _fit(config: ProCropConfig, settings: ProCropTraining, train: _Split, val: _Split | None, pro_split: _Split | None,
         progress: Callable[[str, int, int], None] | None, label: str = "") -> tuple[torch.nn.Module, list[dict], float]:  # fmt: skip
    """One network of ``config`` trained from ``settings.seed``: ``(model, curve, seconds)``."""
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    model = build_model(config)
    averaged = None
    if settings.ema:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(settings.ema), use_buffers=True)
    kept = averaged.module if averaged is not None else model  # what is validated and returned
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    steps = settings.epochs * math.ceil(len(train.images) / settings.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, settings.lr, total_steps=steps, pct_start=0.05)
    criterion = SetCriterion()
    curve: list[dict] = []
    started = time.perf_counter()
    order = list(range(len(train.images)))
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        total, count = 0.0, 0
        for s in range(0, len(order), settings.batch):
            ids = order[s : s + settings.batch]
            inputs, targets = _batch(train, ids, [rng.random() < 0.5 for _ in ids])
            loss = criterion(model(*inputs).layers, targets)
            opt.zero_grad()
            loss.total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
            opt.step()
            sched.step()
            if averaged is not None:
                averaged.update_parameters(model)
            total, count = total + loss.total.item(), count + 1
        point = {"epoch": epoch + 1, "loss": round(total / count, 5)}
        for key, split in (("val_iou", val), ("pro_val_iou", pro_split)):
            if split is not None and (epoch + 1 == settings.epochs or (epoch + 1) % 5 == 0):
                point[key] = round(_validate(kept, split), 4)
                if averaged is not None:  # the raw weights beside the average, for the comparison
                    point[f"raw_{key}"] = round(_validate(model, split), 4)
        curve.append(point)
        log.info("procrop %sepoch %d/%d: %s", label, epoch + 1, settings.epochs, point)
        if progress:
            progress("epochs", epoch + 1, settings.epochs)
    return kept, curve, time.perf_counter() - started
