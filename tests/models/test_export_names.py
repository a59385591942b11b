"""Property: no --name template, however odd, makes a name that resolves outside --out; and
:class:`OutputFolder` writes only where the name says, even with links planted in the folder."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.cropsets.targets import parse_target
from models.errors import InvalidInputError
from models.export import OutputFolder, OutputNaming

PIECES = st.sampled_from(["{stem}", "{target}", "{w}", "{h}", "{ratio}", "{parent}", "/", "..", ".", "\\", ":", "!",
                          "{", "}", "{stem:/>3}", "{w:d}", "{stem!r}", "{0}", "{}", "%", " ", "a", "~", "$HOME",
                          "\x00", "\n", "C:", "//", "{stem.x}", "{stem[0]}"])  # fmt: skip
TEMPLATES = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=12).map("".join)
STEMS = st.sampled_from(["a", "..", ".", "...", "x y", "-", "ü", ".hidden", "a" * 250])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=TEMPLATES, stem=STEMS, parent=STEMS)
def test_no_template_resolves_outside_the_folder(tmp_path, template, stem, parent):
    root = tmp_path / "out"
    source = tmp_path / "src" / parent / f"{stem}.jpg"
    target = parse_target("sq 1:1 10x10")
    try:
        name = OutputNaming(template).name(source, target, (10, 10))
    except InvalidInputError:
        return
    parts = PurePosixPath(name).parts
    assert not PurePosixPath(name).is_absolute() and ".." not in parts and "." not in parts
    assert all(not p.startswith(".") and "\\" not in p and "\x00" not in p for p in parts)
    resolved = Path(os.path.normpath(root / name))
    assert resolved.is_relative_to(root) and resolved != root


def test_writes_land_only_where_named(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.jpg").write_bytes(b"original")
    folder = OutputFolder.open(tmp_path / "out")
    (tmp_path / "out" / "ln").symlink_to(outside, target_is_directory=True)
    (tmp_path / "out" / "f.jpg").symlink_to(outside / "keep.jpg")
    for name, overwrite in (("ln/keep.jpg", True), ("f.jpg", False)):
        try:
            folder.write(name, lambda fh: fh.write(b"new"), overwrite=overwrite)
        except Exception:  # noqa: BLE001 - refusals are fine; the point is where bytes land
            pass
    folder.write("f.jpg", lambda fh: fh.write(b"new"), overwrite=True)  # replaces the link, not its target
    assert (outside / "keep.jpg").read_bytes() == b"original"
    assert not (tmp_path / "out" / "f.jpg").is_symlink() and (tmp_path / "out" / "f.jpg").read_bytes() == b"new"
