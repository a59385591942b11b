"""The record of a dataset build, on disk, crash-safe.

``OUT/manifest.jsonl`` is the journal: one JSON line per finished sample (``"kind":
"sample"``) and per finished refinement round (``"kind": "round"``), appended with one
``write`` then ``fsync``. A sample's image is written atomically *before* its line, so a
line always names a complete image; an image without a line (a kill in between) is made
again. ``OUT/manifest.json`` holds the run's settings (written before the first sample, so
a rerun can check it is the same run) and, at the end, a summary. ``OUT/annotations.json``
is the data set in the ``../shared/data`` format, rewritten atomically every few samples
and at the end: it is always valid, at worst a little behind the journal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.export.atomic import append_json_lines, write_text_atomically
from models.dataset_builder.expand import Expansion
from models.dataset_builder.quality import QualityReport
from models.errors import ExportError

__all__ = ["ANNOTATIONS", "IMAGES_DIR", "JOURNAL", "MANIFEST", "RoundRecord", "SampleRecord", "append_journal",
           "read_journal", "read_manifest", "write_annotations", "write_manifest"]  # fmt: skip

log = logging.getLogger(__name__)

JOURNAL = "manifest.jsonl"
MANIFEST = "manifest.json"
ANNOTATIONS = "annotations.json"
IMAGES_DIR = "images"
FORMAT = "cropstudio-dataset-build"
VERSION = 1

SampleStatus = Literal["ok", "rejected", "error"]
"""``ok`` written; ``rejected`` every attempt failed the quality filter; ``error`` the
source could not be read (both final: a rerun does not retry them)."""


@dataclass(frozen=True, slots=True)
class SampleRecord:
    """One sample. ``file`` is the image path relative to the output folder; ``label`` the
    photo's frame normalised to the canvas ``[x0, y0, x1, y1]``; ``source`` the source image
    relative to the source folder, ``region`` the part of it used (normalised); ``seed``
    the derived seed of the attempt that was kept (``attempts`` made in all);
    ``extra`` pseudo-labels added by refinement rounds, as ``(round, box)``."""

    index: int
    status: SampleStatus
    source: str
    region: tuple[float, float, float, float]
    backend: str
    seed: int
    attempts: int
    file: str | None = None
    width: int | None = None
    height: int | None = None
    label: tuple[float, float, float, float] | None = None
    expansion: Expansion | None = None
    quality: QualityReport | None = None
    error: str | None = None

    def to_json(self) -> dict:
        out = {"kind": "sample", "index": self.index, "status": self.status, "file": self.file,
               "width": self.width, "height": self.height,
               "label": None if self.label is None else [round(v, 6) for v in self.label],
               "source": self.source, "region": [round(v, 6) for v in self.region], "backend": self.backend,
               "seed": self.seed, "attempts": self.attempts,
               "expansion": None if self.expansion is None else self.expansion.to_json(),
               "quality": None if self.quality is None else self.quality.to_json(), "error": self.error}  # fmt: skip
        return out

    @classmethod
    def from_json(cls, d: dict) -> SampleRecord:
        return cls(
            index=int(d["index"]), status=d["status"], source=str(d["source"]),
            region=tuple(float(v) for v in d["region"]), backend=str(d["backend"]), seed=int(d["seed"]),
            attempts=int(d["attempts"]), file=d.get("file"), width=d.get("width"), height=d.get("height"),
            label=None if d.get("label") is None else tuple(float(v) for v in d["label"]),
            expansion=None if d.get("expansion") is None else Expansion.from_json(d["expansion"]),
            quality=None if d.get("quality") is None else QualityReport.from_json(d["quality"]),
            error=d.get("error"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """A finished refinement round: the pseudo-labels it added, per sample index."""

    round: int
    labels: dict[int, tuple[tuple[float, float, float, float], ...]]
    meta: dict

    def to_json(self) -> dict:
        return {"kind": "round", "round": self.round, "meta": self.meta,
                "labels": {str(k): [[round(v, 6) for v in b] for b in boxes] for k, boxes in self.labels.items()}}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> RoundRecord:
        labels = {int(k): tuple(tuple(float(v) for v in b) for b in boxes) for k, boxes in d["labels"].items()}
        return cls(int(d["round"]), labels, dict(d.get("meta") or {}))


def append_journal(out: Path, records: Iterable[SampleRecord | RoundRecord]) -> None:
    """Append ``records`` (one ``write``, then ``fsync``: a kill leaves whole lines, or one
    partial last line that :func:`read_journal` drops)."""
    append_json_lines(out / JOURNAL, (r.to_json() for r in records), what="the build journal", fsync=True)


def read_journal(out: Path) -> tuple[dict[int, SampleRecord], dict[int, RoundRecord]]:
    """The latest record of each sample index and of each round. A partial or unreadable line
    (a run killed while writing it) is dropped and the journal rewritten without it, so the
    next append starts on a fresh line."""
    path = out / JOURNAL
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return {}, {}
    samples: dict[int, SampleRecord] = {}
    rounds: dict[int, RoundRecord] = {}
    good: list[str] = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line:
            continue
        try:
            d = json.loads(line)
            if d.get("kind") == "round":
                r = RoundRecord.from_json(d)
                rounds[r.round] = r
            else:
                s = SampleRecord.from_json(d)
                samples[s.index] = s
            good.append(line)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("%s line %d is incomplete (a run was killed while writing it); dropped", path.name, i + 1)
    if len(good) != sum(1 for line in lines if line) or (text and not text.endswith("\n")):
        write_text_atomically(path, "".join(line + "\n" for line in good))
    return samples, rounds


def read_manifest(out: Path) -> dict | None:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ExportError(f"'{out / MANIFEST}' cannot be read ({exc}); remove the folder or choose another") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExportError(f"'{out / MANIFEST}' is not a Crop Studio dataset-build manifest")
    return data


def write_manifest(out: Path, identity: dict, settings: dict, summary: dict | None = None) -> Path:
    payload = {"format": FORMAT, "version": VERSION, "identity": identity, "settings": settings,
               "box_convention": "x0,y0,x1,y1 normalised to the canvas", "journal": JOURNAL, "summary": summary}  # fmt: skip
    return write_text_atomically(out / MANIFEST, json.dumps(payload, indent=1) + "\n")


def write_annotations(out: Path, name: str, samples: dict[int, SampleRecord], rounds: dict[int, RoundRecord]) -> Path:
    """``annotations.json`` of the ``ok`` samples in index order: the frame first, then each
    round's pseudo-labels (``label_kinds`` names each crop: ``frame``, ``round-1``...)."""
    images = []
    for index in sorted(samples):
        s = samples[index]
        if s.status != "ok":
            continue
        crops, kinds = [list(s.label)], ["frame"]
        for r in sorted(rounds):
            for box in rounds[r].labels.get(index, ()):
                crops.append(list(box))
                kinds.append(f"round-{r}")
        images.append({"file": s.file, "width": s.width, "height": s.height, "crops": crops, "source": s.source,
                       "label_kinds": kinds})  # fmt: skip
    payload = {"name": name, "images": images}
    return write_text_atomically(out / ANNOTATIONS, json.dumps(payload, separators=(",", ":")) + "\n")
