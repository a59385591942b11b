"""A batch's types: :class:`BatchOptions` (its settings, checked before anything is written),
:class:`BatchProgress` (after each image) and :class:`BatchReport` (the run's records)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.cropsets.manifest import OutputRecord
from models.cropsets.regions import RelativeBox
from models.cropsets.targets import Target
from models.errors import InvalidInputError
from models.export.naming import OutputNaming

__all__ = ["BatchOptions", "BatchProgress", "BatchReport", "ProgressCallback"]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """A batch's settings. ``keep`` / ``avoid`` hold for every image (fractions of it), on top
    of each image's own regions in the project file. ``project``: one project file for every
    image; ``None`` uses ``.cropstudio.json`` in each image's folder when there is one."""

    out_dir: Path
    targets: tuple[Target, ...]
    method: str = "attention"
    keep: tuple[RelativeBox, ...] = ()
    avoid: tuple[RelativeBox, ...] = ()
    naming: OutputNaming = field(default_factory=OutputNaming)
    quality: int = 90
    workers: int = 1
    overwrite: bool = False
    allow_upscale: bool = False
    dry_run: bool = False
    xmp: bool = False
    project: Path | None = None
    subjects: bool = True  # the subject rule: never cut a head (False: --subjects off)
    wait: float = 0.0  # seconds to wait for another run writing to out_dir (0: refuse at once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        object.__setattr__(self, "targets", tuple(self.targets))
        if self.project is not None:
            object.__setattr__(self, "project", Path(self.project))
        if not self.targets:
            raise InvalidInputError("a batch needs at least one target")
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"target names must be unique, got {', '.join(names)}")
        if isinstance(self.quality, bool) or not isinstance(self.quality, int) or not 1 <= self.quality <= 100:
            raise InvalidInputError(f"quality must be from 1 to 100, got {self.quality!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 1 <= self.workers <= 256:
            raise InvalidInputError(f"workers must be an integer from 1 to 256, got {self.workers!r}")
        if isinstance(self.wait, bool) or not isinstance(self.wait, (int, float)) or not 0 <= self.wait <= 86_400:
            raise InvalidInputError(f"wait must be from 0 to 86400 seconds, got {self.wait!r}")

    def settings(self) -> dict:
        """What every output's hash includes besides the image and its own regions."""
        return {"method": self.method, "format": self.naming.format, "quality": self.quality,
                "allow_upscale": self.allow_upscale, **({} if self.subjects else {"subjects": False})}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Reported after each image: ``done`` of ``total`` images; ``skipped`` when an earlier run did it all."""

    done: int
    total: int
    source: Path
    records: tuple[OutputRecord, ...]
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class BatchReport:
    """Every (image, target) record in source then target order, and what this run did."""

    records: tuple[OutputRecord, ...]
    written: int
    skipped: int
    failed: int
    analysed: int
    manifest: Path | None = None
    manifest_csv: Path | None = None
    cancelled: bool = False


ProgressCallback = Callable[[BatchProgress], None]
