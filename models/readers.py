"""Bounded readers for the small data files the engine reads (project files, target sets,
annotations, index metadata, manifests): every reader has a bound.

* only regular files are opened (a FIFO would block forever, a device never ends);
* at most :data:`MAX_JSON_BYTES` are read;
* JSON and TOML nest at most :data:`MAX_DEPTH` levels (deeper input would exhaust the stack);
* integers have at most :data:`MAX_INT_DIGITS` digits (a 5,000-digit number is refused, not
  parsed for seconds or turned into an internal error).

Every violation is an :class:`~models.errors.InvalidInputError` naming the file and the limit.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from pathlib import Path

from models.errors import InvalidInputError

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "MAX_JSON_BYTES", "loads_bounded", "read_json_file", "read_text_file",
           "read_toml_file"]  # fmt: skip

MAX_JSON_BYTES = 512 * 1024 * 1024
"""Largest JSON / TOML file read (a data set's annotations.json of a million images fits)."""
MAX_DEPTH = 64
"""Deepest nesting of arrays and tables / objects."""
MAX_INT_DIGITS = 30
"""Most digits of an integer."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_TOML_STRING = re.compile(rb'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*')
_LONG_INT = re.compile(rb"[0-9_]{%d,}" % (MAX_INT_DIGITS + 1))


def _depth(data: bytes, strings: re.Pattern) -> int:
    """Deepest bracket nesting of ``data`` outside strings (and comments)."""
    import numpy as np

    bare = strings.sub(b"", data)
    codes = np.frombuffer(bare, dtype=np.uint8)
    step = np.isin(codes, (ord("["), ord("{"))).astype(np.int32) - np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


def _int(text: str) -> int:
    digits = text.lstrip("-+")
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError(f"an integer has {len(digits)} digits; at most {MAX_INT_DIGITS} are read")
    return int(text)


def loads_bounded(text: str | bytes, *, what: str) -> object:
    """``json.loads`` with the depth and integer bounds; ValueError (a JSONDecodeError or the
    bound that was hit) for anything else, so callers keep their ``except ValueError``."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if len(raw) > MAX_JSON_BYTES:
        raise ValueError(f"{what} is {len(raw) / 1e6:.0f} MB; at most {MAX_JSON_BYTES / 1e6:.0f} MB are read")
    if (raw.count(b"[") + raw.count(b"{")) > MAX_DEPTH and _depth(raw, _STRING) > MAX_DEPTH:
        raise ValueError(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw, parse_int=_int)
    except RecursionError:
        raise ValueError(f"{what} nests too deeply") from None


def read_text_file(path: str | os.PathLike, *, what: str, max_bytes: int = MAX_JSON_BYTES) -> str | None:
    """The UTF-8 text of the regular file ``path``; ``None`` when it does not exist.

    Raises InvalidInputError for a FIFO, device, socket or folder (before opening it), a file
    over ``max_bytes``, unreadable or not UTF-8.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(f"{what}: cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) \
            else "not a regular file"  # fmt: skip
        raise InvalidInputError(f"{what}: '{path}' is {kind}, not a regular file")
    if st.st_size > max_bytes:
        raise InvalidInputError(f"{what}: the file is {st.st_size / 1e6:.0f} MB, more than the "
                                f"{max_bytes / 1e6:.0f} MB read")  # fmt: skip
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        return data.decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{what}: not valid JSON or TOML: it is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInputError(f"{what}: cannot read it ({exc.strerror or exc})") from None


def read_json_file(path: str | os.PathLike, *, what: str) -> object | None:
    """A bounded JSON file (see the module docstring); ``None`` when it does not exist."""
    text = read_text_file(path, what=what)
    if text is None:
        return None
    try:
        return loads_bounded(text, what=what)
    except ValueError as exc:
        raise InvalidInputError(f"{what}: not valid JSON ({exc})") from None


def read_toml_file(path: str | os.PathLike, *, what: str) -> dict | None:
    """A bounded TOML file (see the module docstring); ``None`` when it does not exist."""
    text = read_text_file(path, what=what, max_bytes=16 * 1024 * 1024)
    if text is None:
        return None
    raw = text.encode("utf-8")
    if _depth(raw, _TOML_STRING) > MAX_DEPTH:
        raise InvalidInputError(f"{what}: not valid TOML (it nests deeper than {MAX_DEPTH} levels)")
    if _LONG_INT.search(_TOML_STRING.sub(b"", raw)):
        raise InvalidInputError(f"{what}: not valid TOML (a number has more than {MAX_INT_DIGITS} digits)")
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise InvalidInputError(f"{what}: not valid TOML (it nests too deeply)") from None
    except ValueError as exc:  # TOMLDecodeError, and int() refusing a huge number
        raise InvalidInputError(f"{what}: not valid TOML ({exc})") from None
