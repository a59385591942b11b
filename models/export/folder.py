"""The output folder: the one place that turns a relative output name into a file on disk.

:class:`OutputFolder` resolves ``--out`` once (it may itself be a link, e.g. to another disk)
and from then on never follows a symbolic link inside it: every folder on the way to an
output is opened relative to its parent with ``O_NOFOLLOW``, and a file is put in place by
renaming (or hard-linking, without overwrite) a temporary file into that folder, which
replaces a link at the name rather than writing through it. Names are checked by
:func:`safe_relative` (no absolute names, no ``..``, no hidden parts, no backslashes).

Temporary files live in the folder's own work folder (:data:`WORK_DIR`) with names only
this program makes (:data:`TEMP_RE`); each name is appended to the work folder's temp
journal before the file is created, and :meth:`OutputFolder.clean_temporaries` (run while
a writer holds the folder's lock, see :mod:`models.export.lock`) deletes only the files that
journal lists. A path that is one of the run's inputs is never replaced.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from models.errors import ExportError
from models.export.atomic import append_to_fd
from models.export.paths import _rel, require_regular_file, safe_relative

__all__ = ["TEMP_RE", "WORK_DIR", "OutputFolder", "as_folder", "require_regular_file", "safe_relative"]

log = logging.getLogger(__name__)

WORK_DIR = ".cropstudio-work"
"""The hidden work folder inside an output folder: temporary files, their journal, the lock."""
TEMP_JOURNAL = "temporaries.txt"
TEMP_RE = re.compile(r"^cs-[0-9a-f]{24}\.tmp$")
"""The only names this program gives temporary files (and the only ones its cleanup deletes)."""

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_FDS = os.open in os.supports_dir_fd and os.name == "posix"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link (links inside the output folder are not followed)"
    if exc.errno == errno.ENOTDIR:
        return "a part of it is a file, not a folder"
    if exc.errno == errno.EXDEV:
        return "it is on another disk than the output folder (a mount point inside --out)"
    return exc.strerror or str(exc)


@dataclass(frozen=True, slots=True)
class OutputFolder:
    """An output folder, resolved once. Picklable (no open descriptors): pool workers get a copy.

    ``inputs`` holds ``(st_dev, st_ino)`` of files that must never be replaced (the sources).
    Use :meth:`open` to make one; every method raises ExportError with a message for users.
    """

    root: Path
    identity: tuple[int, int]
    inputs: frozenset[tuple[int, int]] = field(default=frozenset())

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = True, inputs: Iterable[str | os.PathLike] = (),
             what: str = "output folder") -> OutputFolder:  # fmt: skip
        """Resolve ``path`` (links in it followed, once), creating it when missing and ``create``."""
        given = Path(path).expanduser()
        try:
            if create:
                given.mkdir(parents=True, exist_ok=True)
            root = given.resolve(strict=True)
            st = os.stat(root)
        except FileExistsError:
            raise ExportError(f"{what} '{given}' is a file, not a folder") from None
        except FileNotFoundError:
            raise ExportError(f"{what} '{given}' does not exist") from None
        except NotADirectoryError:
            raise ExportError(f"{what} '{given}' is under a file, not a folder") from None
        except (OSError, RuntimeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ExportError(f"cannot use the {what} '{given}': {reason}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise ExportError(f"{what} '{given}' is a file, not a folder")
        ids = set()
        for p in inputs:
            with contextlib.suppress(OSError):
                s = os.stat(p)
                ids.add((s.st_dev, s.st_ino))
        return cls(root, (st.st_dev, st.st_ino), frozenset(ids))

    def with_inputs(self, inputs: Iterable[str | os.PathLike]) -> OutputFolder:
        """A copy that also protects ``inputs``."""
        extra = OutputFolder.open(self.root, create=False, inputs=inputs).inputs
        return OutputFolder(self.root, self.identity, self.inputs | extra)

    def path(self, name: str | PurePosixPath) -> Path:
        """The absolute path of ``name`` (for messages and manifests; writing goes through the methods)."""
        return self.root.joinpath(*safe_relative(str(name)).parts)

    # -- folders ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _dir(self, parts: tuple[str, ...], *, create: bool) -> Iterator[int]:
        """A descriptor of the folder ``root/parts`` reached without following any link."""
        fd = self._root_fd()
        try:
            done = []
            for part in parts:
                done.append(part)
                try:
                    nfd = _open_dir(part, fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o777, dir_fd=fd) if _FDS else os.mkdir(_at(fd, part), 0o777)
                    nfd = _open_dir(part, fd)
                except OSError as exc:
                    raise ExportError(f"cannot write into '{self.root.joinpath(*done)}': {_why_not_dir(part, fd, exc)}")\
                        from None
                os.close(fd)
                fd = nfd
            yield fd
        finally:
            os.close(fd)

    def _root_fd(self) -> int:
        try:
            fd = os.open(self.root, os.O_RDONLY | _DIRECTORY)
        except OSError as exc:
            raise ExportError(f"cannot use the output folder '{self.root}': {_reason(exc)}") from None
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != self.identity:
            os.close(fd)
            raise ExportError(f"the output folder '{self.root}' was replaced while this run was writing to it")
        return fd

    def check_writable(self) -> None:
        """Raise ExportError now if no file can be created in the folder (read-only, no space)."""
        with self._dir((WORK_DIR,), create=True) as wd:
            name = f"cs-{secrets.token_hex(12)}.tmp"
            try:
                os.close(_create(name, wd))
                _unlink(name, wd)
            except OSError as exc:
                raise ExportError(f"cannot write in the output folder '{self.root}': {_reason(exc)}") from None

    # -- reading ------------------------------------------------------------------------------
    def read_text(self, name: str) -> str | None:
        """The text of the regular file ``name`` in the folder, ``None`` when missing; a link or
        anything but a regular file is ignored with a warning (never followed)."""
        rel = _rel(name, hidden=True)
        try:
            with self._dir(rel.parent.parts, create=False) as d:
                fd = os.open(rel.name, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=d) if _FDS \
                    else os.open(_at(d, rel.name), os.O_RDONLY)  # fmt: skip
        except FileNotFoundError:
            return None
        except (OSError, ExportError) as exc:
            log.warning("%s ignored: %s", self.root / rel, _reason(exc) if isinstance(exc, OSError) else exc)
            return None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                log.warning("%s ignored: not a regular file", self.root / rel)
                return None
            return fh.read().decode("utf-8", errors="replace")

    def is_file(self, name: str) -> bool:
        """Whether ``name`` is a regular file reached without links."""
        st = self._lstat(name)
        return st is not None and stat.S_ISREG(st.st_mode)

    def exists(self, name: str) -> bool:
        """Whether anything (a file, a folder, a link) is at ``name``."""
        return self._lstat(name) is not None

    def _lstat(self, name: str) -> os.stat_result | None:
        rel = _rel(name, hidden=True)
        try:
            with self._dir(rel.parent.parts, create=False) as d:
                return os.stat(rel.name, dir_fd=d, follow_symlinks=False) if _FDS else os.lstat(_at(d, rel.name))
        except (OSError, ExportError):
            return None

    # -- writing ------------------------------------------------------------------------------
    def write(self, name: str, produce: Callable[[BinaryIO], None], *, overwrite: bool = False,
              hidden: bool = False) -> Path:  # fmt: skip
        """Write a file at ``name`` atomically: ``produce(fh)`` fills a temporary file in the
        work folder, which is fsync'ed and moved into place.

        Without ``overwrite`` an existing entry (file, folder or link) is never replaced (a hard
        link fails atomically if the name exists). With it, a file is replaced by a rename: a
        link at the name is replaced, never written through. ``hidden`` allows the folder's own
        dot-files (manifests, journals) and is not for user-given names.

        Raises
        ------
        ExportError
            The name exists (without ``overwrite``), is a folder, is one of the inputs, a part of
            its folder is a file or a link, or writing failed (read-only, disk full).
        """
        rel = _rel(name, hidden)
        dst = self.root.joinpath(*rel.parts)
        with self._dir((WORK_DIR,), create=True) as wd, self._dir(rel.parent.parts, create=True) as d:
            tmp = self._new_temporary(wd)
            try:
                fd = _create(tmp, wd)
                with os.fdopen(fd, "wb") as fh:
                    produce(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                self._place(tmp, wd, rel.name, d, dst, overwrite)
            except ExportError:
                raise
            except Exception as exc:
                reason = _reason(exc) if isinstance(exc, OSError) else str(exc) or type(exc).__name__
                raise ExportError(f"cannot write '{dst}': {reason}") from exc
            finally:
                with contextlib.suppress(OSError):
                    _unlink(tmp, wd)  # left after a failure or a hard link; gone after a rename
            with contextlib.suppress(OSError):
                os.fsync(d)  # make the rename durable
        return dst

    def write_text(self, name: str, text: str, *, hidden: bool = False) -> Path:
        """Replace ``name`` with ``text`` (UTF-8) atomically (manifests: always replaced)."""
        return self.write(name, lambda fh: fh.write(text.encode("utf-8")), overwrite=True, hidden=hidden)

    def append(self, name: str, data: bytes, *, fsync: bool = False, what: str = "the journal") -> None:
        """Append ``data`` in one ``write`` to the folder's file ``name`` (created when missing),
        never through a link (a planted link is refused)."""
        if not data:
            return
        rel = _rel(name, hidden=True)
        try:
            with self._dir(rel.parent.parts, create=True) as d:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _BINARY | getattr(os, "O_NONBLOCK", 0)
                fd = os.open(rel.name, flags, 0o666, dir_fd=d) if _FDS else os.open(_at(d, rel.name), flags, 0o666)
                append_to_fd(fd, data, fsync=fsync)
        except OSError as exc:
            raise ExportError(f"cannot write {what} '{self.root / rel}': {_reason(exc)}") from None

    def remove(self, name: str, *, hidden: bool = False) -> None:
        """Delete the file ``name`` (one this run wrote, e.g. a finished journal); never a folder."""
        rel = _rel(name, hidden)
        with contextlib.suppress(FileNotFoundError), self._dir(rel.parent.parts, create=False) as d:
            st = os.stat(rel.name, dir_fd=d, follow_symlinks=False) if _FDS else os.lstat(_at(d, rel.name))
            if not stat.S_ISDIR(st.st_mode):
                _unlink(rel.name, d)

    def _place(self, tmp: str, wd: int, name: str, d: int, dst: Path, overwrite: bool) -> None:
        try:
            st = os.stat(name, dir_fd=d, follow_symlinks=False) if _FDS else os.lstat(_at(d, name))
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise ExportError(f"cannot write '{dst}': a folder has that name")
        if st is not None and (st.st_dev, st.st_ino) in self.inputs:
            raise ExportError(f"cannot write '{dst}': it is one of the input images (choose another --out or --name)")
        if st is not None and not overwrite:
            raise _exists(dst)
        if overwrite:
            os.replace(tmp, name, src_dir_fd=wd, dst_dir_fd=d) if _FDS else os.replace(_at(wd, tmp), _at(d, name))
            return
        try:
            if _FDS:
                os.link(tmp, name, src_dir_fd=wd, dst_dir_fd=d, follow_symlinks=False)
            else:
                os.link(_at(wd, tmp), _at(d, name))
        except FileExistsError:
            raise _exists(dst) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
            os.replace(tmp, name, src_dir_fd=wd, dst_dir_fd=d) if _FDS else os.replace(_at(wd, tmp), _at(d, name))

    # -- temporaries --------------------------------------------------------------------------
    def _new_temporary(self, wd: int) -> str:
        """A fresh temporary name, recorded in the temp journal before the file exists."""
        tmp = f"cs-{secrets.token_hex(12)}.tmp"
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _BINARY
        fd = os.open(TEMP_JOURNAL, flags, 0o666, dir_fd=wd) if _FDS else os.open(_at(wd, TEMP_JOURNAL), flags, 0o666)
        try:
            os.write(fd, (tmp + "\n").encode())
        finally:
            os.close(fd)
        return tmp

    def clean_temporaries(self) -> int:
        """Delete the temporary files a killed run left, i.e. those listed in the temp journal
        that still exist as regular files in the work folder; then empty the journal. Only call
        it while holding the folder's writer lock. Returns how many were deleted."""
        text = self.read_text(f"{WORK_DIR}/{TEMP_JOURNAL}")
        if not text:
            return 0
        removed = 0
        with self._dir((WORK_DIR,), create=False) as wd:
            for name in dict.fromkeys(text.split()):
                if not TEMP_RE.match(name):
                    continue
                with contextlib.suppress(OSError):
                    st = os.stat(name, dir_fd=wd, follow_symlinks=False) if _FDS else os.lstat(_at(wd, name))
                    if stat.S_ISREG(st.st_mode):
                        _unlink(name, wd)
                        removed += 1
                        log.info("removed %s/%s/%s, left by an interrupted run", self.root, WORK_DIR, name)
            with contextlib.suppress(OSError):
                _unlink(TEMP_JOURNAL, wd)
        return removed


    def remove_work_dir_if_empty(self) -> None:
        """Remove the work folder when it holds nothing but an emptied temp journal (one-file exports
        leave no trace); a folder with a lock or a temporary file stays."""
        with contextlib.suppress(OSError, ExportError), self._dir((WORK_DIR,), create=False) as wd:
            names = os.listdir(wd)
            if names and names != [TEMP_JOURNAL]:
                return
            text = self.read_text(f"{WORK_DIR}/{TEMP_JOURNAL}") or ""
            if any(TEMP_RE.match(n) and self._lstat(f"{WORK_DIR}/{n}") for n in text.split()):
                return
            if names:
                _unlink(TEMP_JOURNAL, wd)
            with self._dir((), create=False) as root:
                os.rmdir(WORK_DIR, dir_fd=root)


def as_folder(out: str | os.PathLike | OutputFolder, *, create: bool = True) -> OutputFolder:
    """``out`` itself when it is an :class:`OutputFolder`, else the folder at that path, opened."""
    return out if isinstance(out, OutputFolder) else OutputFolder.open(out, create=create)


def _exists(dst: Path) -> ExportError:
    return ExportError(f"cannot write '{dst}': it exists (--overwrite, or overwrite=True, replaces it)")


def _why_not_dir(part: str, parent: int, exc: OSError) -> str:
    """Why ``part`` could not be opened as a folder: a link (never followed), a file, or the OS's reason."""
    try:
        st = os.stat(part, dir_fd=parent, follow_symlinks=False) if _FDS else os.lstat(_at(parent, part))
    except OSError:
        return _reason(exc)
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link (links inside the output folder are not followed)"
    if not stat.S_ISDIR(st.st_mode):
        return "it is a file, not a folder"
    return _reason(exc)


def _open_dir(part: str, parent: int) -> int:
    flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW
    if _FDS:
        return os.open(part, flags, dir_fd=parent)
    path = _at(parent, part)  # no dir_fd on this platform: check the part is no link first (racy)
    if os.path.islink(path):
        raise OSError(errno.ELOOP, "symbolic link", path)
    return os.open(path, os.O_RDONLY)


def _create(name: str, wd: int) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
    return os.open(name, flags, 0o666, dir_fd=wd) if _FDS else os.open(_at(wd, name), flags, 0o666)


def _unlink(name: str, d: int) -> None:
    os.unlink(name, dir_fd=d) if _FDS else os.unlink(_at(d, name))


def _at(fd: int, name: str) -> str:  # pragma: no cover - platforms without dir_fd (Windows)
    raise ExportError("this platform lacks the dir_fd file operations the output folder needs")
