"""The record of a batch: one :class:`OutputRecord` per (source image, target).

While a batch runs, every record is appended to a journal (``.cropstudio-batch.jsonl`` in
the output folder): a ``writing`` record just before a file is exported, then the final
one. A killed run leaves the journal behind; the next run reads it (with the previous
manifest) to skip what is done. Because images are written atomically, a file that exists
after a ``writing`` record is complete. At the end of a run the journal is folded into
``manifest.json`` and ``manifest.csv`` (written atomically) and removed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from models.export.folder import OutputFolder, as_folder
from models.readers import loads_bounded

__all__ = ["BOX_CONVENTION", "DETERMINISTIC_ERRORS", "JOURNAL_NAME", "MANIFEST_CSV", "MANIFEST_JSON", "ErrorKind",
           "OutputRecord", "Status", "append_journal", "read_previous", "write_manifests"]  # fmt: skip

log = logging.getLogger(__name__)

JOURNAL_NAME = ".cropstudio-batch.jsonl"
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
MANIFEST_FORMAT = "cropstudio-manifest"
MANIFEST_VERSION = 1
BOX_CONVENTION = "x0,y0,x1,y1 in full-resolution pixels of the upright source image, half-open"

Status = Literal["ok", "error", "planned", "writing"]
"""``ok`` written (this run or an earlier one); ``error`` not written, see ``error``;
``planned`` a dry run's crop; ``writing`` (journal only) about to be written."""
ErrorKind = Literal["infeasible", "upscale", "exists", "read", "export", "name"]
DETERMINISTIC_ERRORS: frozenset[str] = frozenset({"infeasible", "upscale", "read"})
"""Errors that the same image and settings always give again: not retried on a rerun."""


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One target of one image: what was (or would be) written, or why not.

    ``source`` is the image's absolute path; ``output`` the file's path relative to the
    output folder; ``box`` the crop in the source's full-resolution upright pixels
    (half-open); ``hash`` the content hash of the image bytes and every setting of this output.
    """

    source: str
    target: str
    status: Status
    method: str
    hash: str
    output: str | None = None
    box: tuple[int, int, int, int] | None = None
    output_size: tuple[int, int] | None = None
    image_size: tuple[int, int] | None = None
    score: float | None = None
    manual: str | None = None  # "project" or "xmp" when a manual crop was used
    note: str | None = None
    error: str | None = None
    error_kind: ErrorKind | None = None

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> OutputRecord:
        fields = dict(data)
        for key in ("box", "output_size", "image_size"):
            if fields.get(key) is not None:
                fields[key] = tuple(int(v) for v in fields[key])
        return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)


_CSV_FIELDS = ("source", "target", "status", "output", "x0", "y0", "x1", "y1", "out_w", "out_h",
               "image_w", "image_h", "score", "method", "manual", "note", "error", "error_kind", "hash")  # fmt: skip


def _csv_row(r: OutputRecord) -> dict:
    box = r.box or (None,) * 4
    out = r.output_size or (None, None)
    img = r.image_size or (None, None)
    row = {"source": r.source, "target": r.target, "status": r.status, "output": r.output,
           "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3], "out_w": out[0], "out_h": out[1],
           "image_w": img[0], "image_h": img[1], "score": r.score, "method": r.method, "manual": r.manual,
           "note": r.note, "error": r.error, "error_kind": r.error_kind, "hash": r.hash}  # fmt: skip
    return {k: "" if v is None else v for k, v in row.items()}


def append_journal(out_dir: Path | OutputFolder, records: Iterable[OutputRecord]) -> None:
    """Append ``records`` to the journal, one JSON line each, in one ``write`` (safe from
    several processes: the file is opened for appending; a link planted there is refused)."""
    data = "".join(json.dumps(r.to_json(), separators=(",", ":")) + "\n" for r in records).encode()
    as_folder(out_dir).append(JOURNAL_NAME, data, what="the batch journal")


def _read_manifest(folder: OutputFolder) -> list[OutputRecord]:
    path = folder.root / MANIFEST_JSON
    try:
        text = folder.read_text(MANIFEST_JSON)
        if text is None:
            return []
        data = loads_bounded(text, what=str(path))
        if data.get("format") != MANIFEST_FORMAT or data.get("version") != MANIFEST_VERSION:
            log.warning("%s is not a version %d Crop Studio manifest; earlier outputs are not reused", path,
                        MANIFEST_VERSION)  # fmt: skip
            return []
        return [OutputRecord.from_json(r) for r in data["outputs"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s cannot be read (%s); earlier outputs are not reused", path, exc)
        return []


def _read_journal(folder: OutputFolder) -> list[OutputRecord]:
    records = []
    path = folder.root / JOURNAL_NAME
    lines = (folder.read_text(JOURNAL_NAME) or "").splitlines()
    for i, line in enumerate(lines, 1):
        try:
            records.append(OutputRecord.from_json(loads_bounded(line, what=path.name)))
        except (ValueError, TypeError, KeyError, AttributeError):
            log.debug("%s line %d unreadable (a run killed while writing it); ignored", path.name, i)
    return records


def read_previous(out_dir: Path | OutputFolder) -> dict[tuple[str, str], OutputRecord]:
    """The latest record of every (source, target) from the manifest and then the journal."""
    latest: dict[tuple[str, str], OutputRecord] = {}
    folder = as_folder(out_dir, create=False)
    for record in _read_manifest(folder) + _read_journal(folder):
        latest[record.key] = record
    return latest


def write_manifests(out_dir: Path | OutputFolder, records: Iterable[OutputRecord]) -> tuple[Path, Path]:
    """Write ``manifest.json`` and ``manifest.csv`` atomically, then remove the journal."""
    records = list(records)
    payload = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "box_convention": BOX_CONVENTION,
               "outputs": [r.to_json() for r in records]}  # fmt: skip
    folder = as_folder(out_dir)
    json_path = folder.write_text(MANIFEST_JSON, json.dumps(payload, indent=1) + "\n")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_csv_row(r) for r in records)
    csv_path = folder.write_text(MANIFEST_CSV, buffer.getvalue())
    try:
        folder.remove(JOURNAL_NAME, hidden=True)
    except OSError as exc:
        log.warning("the batch journal %s could not be removed (%s)", folder.root / JOURNAL_NAME, exc)
    return json_path, csv_path
