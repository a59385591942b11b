"""Everything computed once per image: :func:`analyse` -> :class:`Analysis`.

The image's subjects (:func:`models.subjects.detect_subjects`, in full-resolution pixels),
the default attention map (shared by the ``attention`` and ``tau`` methods, and its
rectangle search), and each method's own once-per-image part on first use, cached. Crops
of any number of requests are then milliseconds each (:func:`models.cropping.crop`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from models.attention import PreparedAttention, RectangleSearch, compute_attention
from models.constraints.cropper import AttentionAnalysis, AttentionCropper
from models.constraints.terms import MapIntegral
from models.imaging import LoadedImage
from models.once import LoadedOnce
from models.subjects import Subjects, detect_subjects

__all__ = ["Analysis", "analyse"]


@dataclass(frozen=True, eq=False)
class Analysis:
    """One image's analysis (see the module docstring); safe to share between threads."""

    image: LoadedImage
    subjects: Subjects
    saliency: str = "spectral"  # the attention map's saliency model
    faces: bool = True  # whether the map has the face prior
    procrop_files: tuple = (None, None)  # ProCrop's (weights, index) files; None: the bundled ones
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _cache: LoadedOnce = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cache", LoadedOnce(self.lock))  # one lock: a part may ask for another

    @property
    def image_size(self) -> tuple[int, int]:
        return (self.image.info.width, self.image.info.height)

    def cached(self, key: Hashable, compute: Callable[[], object]) -> object:
        """``compute()`` once per ``key`` for this image."""
        return self._cache.get(key, compute)

    def attention_analysis(self) -> AttentionAnalysis:
        """The default attention map (saliency + faces) and its integral image."""
        def build() -> AttentionAnalysis:
            if self.saliency == "spectral" and self.faces:
                return AttentionCropper().analyse(self.image)
            att = compute_attention(self.image, method=self.saliency, faces=self.faces)  # type: ignore[arg-type]
            return AttentionAnalysis(att, MapIntegral(att.values, att.image_size))

        return self.cached("attention", build)  # type: ignore[return-value]

    def prepared_attention(self) -> PreparedAttention:
        """The same map's rectangle search (the ``tau`` method and the GUI's slider)."""
        def build() -> PreparedAttention:
            att = self.attention_analysis().attention
            return PreparedAttention(self.image, att, RectangleSearch(att.values))

        return self.cached("prepared", build)  # type: ignore[return-value]


def analyse(image: LoadedImage, *, methods: tuple[str, ...] = ("attention",),
            attention: AttentionAnalysis | None = None, saliency: str = "spectral",
            faces: bool = True, procrop_files: tuple = (None, None)) -> Analysis:  # fmt: skip
    """Detect ``image``'s subjects and prepare ``methods`` now (others on first use).

    ``attention``: a default attention analysis already computed for this image (reused);
    ``saliency`` / ``faces``: the attention map's model and face prior (``attention`` and
    ``tau`` methods); ``procrop_files``: ProCrop's ``(weights, index)``.
    """
    from models.cropping.methods import get_method

    info = image.info
    subjects = detect_subjects(image.rgb).scaled_to(info.width, info.height)
    analysis = Analysis(image, subjects, saliency, faces, procrop_files)
    if attention is not None:
        analysis._cache.put("attention", attention)
    for name in methods:
        get_method(name).prepare(analysis)
    return analysis
