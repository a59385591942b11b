"""The retrieval database: composition vectors of professional photos in a FAISS index.

An index is a folder, written atomically (a temporary sibling folder, then a rename)::

    index.faiss   the unit composition vectors, searched by inner product (= cosine):
                  exact (``IndexFlatIP``) up to 50,000 items, inverted lists above
                  (``IndexIVFFlat``, 4 sqrt(N) lists, 32 probed): a flat scan of 255k
                  vectors costs ~100 ms a query on this CPU, the lists well under 5 ms
                  (``python -m tests.bench.retrieval`` prints both, with the recall)
    maps.npz      ``maps`` (N, 64, 4, 4) float16: per-item reference maps for the fusion
    items.json    format, encoder, dimensions, and per item an ``id`` and its provenance
                  (source file relative to the built folder, the region used, its size)

No pixels are stored. Items of an ``annotations.json`` folder are its expert-crop regions
(the professional compositions); items of a plain folder of photos are the whole photos.
``pro`` adds a folder of professional photographs (e.g. ``pro_portraits``) whose items are
the photographers' own frames, any plain border trimmed
(:func:`~models.scorer.views.trim_plain_border`); their ids carry the folder's name.
``holdout`` leaves out the hold-out fifth of every folder (``cropstudio index build
--exclude-holdout``: :func:`~models.eval.split.is_holdout`), so the images that weights are chosen on never
retrieve their own composition. ``provenance`` (in ``items.json``, shown by ``cropstudio
index info``) records the folders, their counts and labels, the hold-out rule and the
encoder.
An index only fits models trained with the same encoder (it is checked at load).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.errors import InvalidInputError
from models.export.paths import require_regular_file
from models.geometry import Box
from models.imaging import load_image
from models.readers import read_json_file

__all__ = [
    "EXACT_LIMIT",
    "FORMAT",
    "describe_structure",
    "IMAGE_SUFFIXES",
    "STRUCTURES",
    "CompositionIndex",
    "IndexItem",
    "build_index",
    "load_index",
    "save_index",
]

log = logging.getLogger(__name__)

FORMAT = 1
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"})
_FILES = ("index.faiss", "maps.npz", "items.json")
STRUCTURES = ("auto", "flat", "ivf")
EXACT_LIMIT = 50_000  # "auto": exact search up to this many items, inverted lists above
DEFAULT_NPROBE = 32


def _faiss_index(vectors: np.ndarray, structure: str = "auto", nprobe: int = DEFAULT_NPROBE):
    """A FAISS index over ``vectors`` (unit rows): exact, or inverted lists for large sets."""
    import faiss

    if structure not in STRUCTURES:
        raise InvalidInputError(f"unknown index structure {structure!r}; choose one of {', '.join(STRUCTURES)}")
    if nprobe < 1:
        raise InvalidInputError(f"nprobe must be at least 1, got {nprobe}")
    n, dim = vectors.shape
    if structure == "auto":
        structure = "flat" if n <= EXACT_LIMIT else "ivf"
    if structure == "flat" or n < 2:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    nlist = max(1, min(int(4 * np.sqrt(n)), n // 39))  # FAISS wants >= 39 training points a list
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).permutation(n)[: 64 * nlist]]  # deterministic k-means
    index.train(sample)
    index.add(vectors)
    index.nprobe = min(nprobe, nlist)
    index.make_direct_map()  # vectors can be read back (load_index)
    return index


def describe_structure(index) -> str:
    """``"exact"`` or ``"ivf nlist=N nprobe=P"``: how a FAISS index searches."""
    import faiss

    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        return "exact"
    return f"ivf nlist={ivf.nlist} nprobe={ivf.nprobe}"


@dataclass(frozen=True, slots=True)
class IndexItem:
    """Where a stored composition came from: ``file`` relative to the indexed folder,
    ``region`` the normalised ``x0, y0, x1, y1`` used (the whole photo: ``0, 0, 1, 1``)."""

    id: str
    file: str
    region: tuple[float, float, float, float]


@dataclass(eq=False)
class CompositionIndex:
    """Vectors ``(N, D)`` float32 (unit rows), maps ``(N, C, g, g)`` float16, and their items."""

    encoder: str
    vectors: np.ndarray
    maps: np.ndarray
    items: tuple[IndexItem, ...]
    source: str = ""
    _faiss: object = field(default=None, repr=False)
    provenance: dict = field(default_factory=dict)
    structure: str = "auto"  # when ``_faiss`` is not given: see :data:`STRUCTURES`

    def __post_init__(self) -> None:
        n = len(self.items)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != n or self.maps.shape[0] != n:
            raise InvalidInputError(f"index arrays do not match its {n} items: {self.vectors.shape}, {self.maps.shape}")
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        self.maps = np.ascontiguousarray(self.maps, dtype=np.float16)
        if self._faiss is None:
            self._faiss = _faiss_index(self.vectors, self.structure)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def search_structure(self) -> str:
        """How it searches: ``"exact"`` or ``"ivf nlist=N nprobe=P"``."""
        return describe_structure(self._faiss)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def search(
        self, queries: np.ndarray, k: int, *, exclude: Sequence[Sequence[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(similarities (Q, k), indices (Q, k))`` of the ``k`` nearest items per query.

        ``exclude[q]`` lists source files never returned for query ``q`` (training retrieves
        for an image without its own expert crop). Fewer than ``k`` hits are padded with
        index ``-1`` and similarity ``-inf``.
        """
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if q.shape[1] != self.dim:
            raise InvalidInputError(f"query vectors have {q.shape[1]} dimensions, the index {self.dim}")
        if k < 1:
            raise InvalidInputError(f"k must be at least 1, got {k}")
        extra = max((len(e) for e in exclude), default=0) * 4 if exclude else 0  # headroom for dropped hits
        fetch = min(len(self), k + extra)
        sims = np.full((len(q), k), -np.inf, np.float32)
        idx = np.full((len(q), k), -1, np.int64)
        if fetch == 0:
            return sims, idx
        s, i = self._faiss.search(q, fetch)
        for row in range(len(q)):
            banned = set(exclude[row]) if exclude else set()
            keep = [(a, b) for a, b in zip(s[row], i[row]) if b >= 0 and self.items[b].file not in banned][:k]
            for col, (a, b) in enumerate(keep):
                sims[row, col], idx[row, col] = a, b
        return sims, idx


# -- building -------------------------------------------------------------------------------
def _sources(folder: Path, *, frames: bool = False, skip: Callable[[str], bool] | None = None) -> list[tuple[Path, str, Box | None]]:
    """``(image path, relative name, normalised region)`` of every composition in ``folder``
    whose file name ``skip`` does not reject; the region is ``None`` for ``frames`` (the
    photographer's trimmed frame, found from the pixels while building)."""
    from models.eval.datasets import ANNOTATIONS_FILE, load_annotations

    skip = skip or (lambda name: False)
    if (folder / ANNOTATIONS_FILE).is_file():
        aset = load_annotations(folder)
        images = [im for im in aset.items if not skip(im.file.name)]
        rel = lambda im: im.file.relative_to(aset.folder).as_posix()  # noqa: E731
        if frames:
            return [(im.file, rel(im), None) for im in images]
        return [(im.file, rel(im), c) for im in images for c in im.crops]
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    files = [p for p in files if not skip(p.name)]
    return [(p, p.relative_to(folder).as_posix(), None if frames else Box(0.0, 0.0, 1.0, 1.0)) for p in files]


def _folder(path: str | os.PathLike) -> Path:
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise InvalidInputError(f"not a folder: {folder}")
    return folder.resolve()


def _encode(sources: list, encoder, progress: Callable[[int, int], None] | None) -> tuple[list, list, list, dict[str, int]]:
    """Vectors, reference maps, items and per-folder counts of ``((path, name, region), tag)``
    sources (``region`` ``None``: the trimmed frame); unreadable images are skipped."""
    from models.errors import ImageReadError
    from models.scorer.views import trim_plain_border

    vectors, maps, items = [], [], []
    counts: dict[str, int] = {}
    per_folder: dict[str, int] = {}
    for n, ((path, name, region), tag) in enumerate(sources):
        try:
            rgb = load_image(path).rgb
        except ImageReadError as exc:
            log.warning("skipping %s: %s", path, exc)
            continue
        h, w = rgb.shape[:2]
        region = trim_plain_border(rgb) if region is None else region
        x0, y0 = int(region.x0 * w), int(region.y0 * h)
        x1, y1 = max(x0 + 1, round(region.x1 * w)), max(y0 + 1, round(region.y1 * h))
        comp = encoder.encode(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
        key = f"{tag}/{name}" if tag else name
        j = counts[key] = counts.get(key, -1) + 1
        items.append(IndexItem(f"{key}#{j}", name, tuple(round(v, 6) for v in region.as_tuple())))
        per_folder[tag] = per_folder.get(tag, 0) + 1
        vectors.append(comp.vector)
        maps.append(comp.ref_map.astype(np.float16))
        if progress:
            progress(n + 1, len(sources))
    return vectors, maps, items, per_folder


def build_index(
    folder: str | os.PathLike,
    encoder,
    *,
    pro: str | os.PathLike | None = None,
    holdout: Callable[[str], bool] | None = None,
    limit: int | None = None,
    structure: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> CompositionIndex:
    """Encode every composition of ``folder`` and of ``pro`` (see the module docstring) with
    ``encoder`` (a :class:`~models.procrop.encoder.CompositionEncoder`). Unreadable images
    are skipped. ``holdout`` (file name -> held out, e.g. :func:`models.eval.split.is_holdout`)
    leaves those images out of every folder; ``limit`` keeps the first ``limit`` compositions of
    each folder."""
    parts = [(_folder(folder), False)] + ([(_folder(pro), True)] if pro is not None else [])
    sources = [(src, root.name if frames else "") for root, frames in parts
               for src in _sources(root, frames=frames, skip=holdout)[:limit]]  # fmt: skip
    if not sources:
        raise InvalidInputError(f"no images in {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    vectors, maps, items, per_folder = _encode(sources, encoder, progress)
    if not items:
        raise InvalidInputError(f"no readable images in {folder}")
    provenance = {
        "folders": [{"name": root.name, "labels": "photographers' frames, plain borders trimmed" if frames
                     else "expert crops (annotations.json) or whole photos",
                     "items": per_folder.get(root.name if frames else "", 0)}
                    for root, frames in parts],
        "holdout_excluded": holdout is not None, "encoder": encoder.name, "pixels": "none (vectors and 4x4 maps only)",
    }  # fmt: skip
    source = " + ".join(root.name for root, _ in parts)
    return CompositionIndex(encoder.name, np.stack(vectors), np.stack(maps), tuple(items), source=source,
                            structure=structure, provenance=provenance)  # fmt: skip


# -- files ----------------------------------------------------------------------------------
def save_index(index: CompositionIndex, out: str | os.PathLike) -> Path:
    """Write ``index`` to the folder ``out`` atomically (replacing an older index there)."""
    import faiss

    out = check_index_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        faiss.write_index(index._faiss, str(tmp / "index.faiss"))
        np.savez_compressed(tmp / "maps.npz", maps=index.maps)
        meta = {
            "format": FORMAT, "kind": "procrop-index", "encoder": index.encoder, "source": index.source,
            "provenance": index.provenance, "count": len(index), "dim": index.dim, "map_shape": list(index.maps.shape[1:]),
            "items": [{"id": it.id, "file": it.file, "region": list(it.region)} for it in index.items],
        }  # fmt: skip
        (tmp / "items.json").write_text(json.dumps(meta, indent=0))
        for p in tmp.iterdir():
            os.chmod(p, 0o644)
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "index")
        try:
            os.replace(tmp, out)
        except BaseException:
            if old is not None:  # put the earlier index back
                os.replace(old / "index", out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InvalidInputError(f"cannot write the index folder '{out}': {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def check_index_out(out: str | os.PathLike) -> Path:
    """``out`` resolved (``--out .`` names the folder itself), when an index can be written there:
    missing, or an index folder; its parent exists or can be made and is writable. Cheap: callers
    run it before encoding anything.

    Raises InvalidInputError saying what is wrong.
    """
    given = Path(out).expanduser()
    out = given.resolve()
    if out.exists() and (not out.is_dir() or any(p.name not in _FILES for p in out.iterdir())):
        raise InvalidInputError(f"{given} exists and is not an index folder; choose another --out")
    if out.parent == out:
        raise InvalidInputError(f"{given} is the root folder; choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{out.name}.probe.", dir=out.parent))
        probe.rmdir()
    except FileExistsError:
        raise InvalidInputError(f"cannot write the index folder '{given}': a part of its path is a file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write the index folder '{given}': {_why(exc)}") from None
    return out


def _why(exc: OSError) -> str:
    import errno

    return "a part of its path is a file" if exc.errno == errno.ENOTDIR else exc.strerror or str(exc)


def _get(meta: object, key: str) -> object:
    return meta.get(key) if isinstance(meta, dict) else None


def _check_loaded(meta: dict, items: tuple[IndexItem, ...], vectors: np.ndarray, maps: np.ndarray) -> None:
    """The arrays agree with the header (``count``, ``dim``, ``map_shape``) and hold finite numbers."""
    count, dim, shape = meta.get("count"), meta.get("dim"), meta.get("map_shape")
    if not items:
        raise ValueError("it holds no compositions")
    if count != len(items) or vectors.shape != (len(items), dim):
        raise ValueError(f"the header says {count} items of {dim} dimensions; items.json lists {len(items)}, "
                         f"index.faiss holds {vectors.shape}")  # fmt: skip
    if not isinstance(shape, list) or maps.ndim != 4 or list(maps.shape) != [len(items), *shape]:
        raise ValueError(f"maps.npz holds maps of shape {list(maps.shape)}; the header says "
                         f"{len(items)} x {shape}")  # fmt: skip
    if not np.isfinite(vectors).all() or not np.isfinite(maps).all():
        raise ValueError("it holds NaN or infinite values")


def load_index(folder: str | os.PathLike) -> CompositionIndex:
    """The index saved in ``folder``; a clear error for a missing or foreign folder."""
    import faiss

    folder = Path(folder).expanduser()
    missing = [f for f in _FILES if not (folder / f).is_file()]
    if missing:
        raise InvalidInputError(f"{folder} is not a ProCrop index (missing {', '.join(missing)}); "
                                "build one with `cropstudio index build FOLDER --out DIR`")  # fmt: skip
    try:
        meta = read_json_file(folder / "items.json", what=f"{folder}/items.json")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("kind") != "procrop-index":
            raise ValueError(f"format {_get(meta, 'format')!r}, kind {_get(meta, 'kind')!r}")
        items = tuple(IndexItem(str(d["id"]), str(d["file"]), tuple(float(v) for v in d["region"]))
                      for d in meta["items"])  # fmt: skip
        for name in ("maps.npz", "index.faiss"):
            require_regular_file(folder / name, "index file")
        with np.load(folder / "maps.npz", allow_pickle=False) as z:
            maps = z["maps"]
        flat = faiss.read_index(str(folder / "index.faiss"))
        if describe_structure(flat) != "exact":
            faiss.extract_index_ivf(flat).make_direct_map()  # to read the vectors back
        vectors = flat.reconstruct_n(0, flat.ntotal)
        _check_loaded(meta, items, vectors, maps)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{folder} is not a readable ProCrop index: {exc}") from None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise InvalidInputError(f"{folder} is not a readable ProCrop index: {exc or type(exc).__name__}") from None
    provenance = meta.get("provenance")
    return CompositionIndex(meta["encoder"], vectors, maps, items, source=meta.get("source", ""), _faiss=flat,
                            provenance=provenance if isinstance(provenance, dict) else {})  # fmt: skip
