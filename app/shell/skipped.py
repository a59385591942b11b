"""Files that are no readable image: kept out of the Library and Open Recent, said once.

:class:`SkippedFiles` follows the library (its thumbnail loads are the check: a text file named
``.jpg`` or a truncated JPEG fails there) and the window's loads: a file the user opened enters
the recent list only once it has proved readable. Everything left out — a folder scan's
other files too — is gathered and reported in one message when the library's thumbnails are done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.library.images import Library, forget_recent, remember_recent
from app.editor.session import image_key

__all__ = ["SkippedFiles", "short_reason"]

SHOWN = 6  # names in the message


def short_reason(why: str) -> str:
    """The short reason of an engine message (``"cannot read 'x': truncated"`` -> ``"truncated"``)."""
    return why.split(": ", 1)[1] if why.startswith("cannot read") and ": " in why else why


class SkippedFiles(QObject):
    reported = Signal(list)  # the files left out, once they are said
    recent_changed = Signal()

    def __init__(self, library: Library, report: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library = library
        self._report = report
        self._skipped: list[tuple[Path, str]] = []
        self._remember: set[Path] = set()  # opened by the user: recent once they prove readable
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._flush)
        library.rejected.connect(self._on_rejected)
        library.thumbnail_ready.connect(lambda path, _rgb: self.readable(path))

    def remember_when_readable(self, paths: Iterable[str | Path]) -> None:
        self._remember.update(image_key(p) for p in paths)

    def readable(self, path: str | Path) -> None:
        """``path`` was read (its thumbnail, or the image itself): a recent file if the user opened it."""
        key = image_key(path)
        if key in self._remember:
            self._remember.discard(key)
            remember_recent(key)
            self.recent_changed.emit()

    def unreadable(self, path: str | Path) -> None:
        """``path`` cannot be read: out of the library and the recent list (its load said why)."""
        key = image_key(path)
        self._remember.discard(key)
        self._library.remove(key)
        forget_recent(key)
        self.recent_changed.emit()

    def folder_skipped(self, skipped: list[tuple[Path, str]]) -> None:
        """A folder scan's other files (a new folder: what was gathered before is moot)."""
        self._skipped = list(skipped)
        if skipped:
            self._timer.start()

    @Slot(object, str)
    def _on_rejected(self, path: Path, why: str) -> None:
        self._remember.discard(image_key(path))
        forget_recent(path)
        self._skipped.append((path, why))
        self._timer.start()

    @Slot()
    def _flush(self) -> None:
        if self._library.is_loading_thumbnails():  # more may fail: one message for all of them
            self._timer.start()
            return
        skipped, self._skipped = self._skipped, []
        if not skipped:
            return
        n = len(skipped)
        names = "; ".join(f"{p.name} ({short_reason(why)})" for p, why in skipped[:SHOWN]) + ("; …" if n > SHOWN else "")
        self._report(f"Left out of the Library: {n} file{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} "
                     f"no readable image: {names}")  # fmt: skip
        self.reported.emit([p for p, _ in skipped])
