"""Issue 15's cases, one test each: writes stay inside --out (byte for byte outside it), only
our own files are ever deleted, one writer per folder, non-regular inputs refused, bounded
options and readers, failures reported as failures, clear errors instead of internal ones."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main
from models.errors import InvalidInputError
from models.export import OutputFolder, writer_lock

SQ = ["--target", "sq 1:1 200x200"]


def photo(path: Path, w: int = 640, h: int = 480, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    a = (rng.random((h, w, 3)) * 80).astype(np.uint8)
    a[h // 4 : h // 2, w // 2 : 3 * w // 4] = (230, 200, 40)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, quality=90) if path.suffix == ".jpg" else Image.fromarray(a).save(path)
    return path


def snapshot(root: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file under ``root`` (links not followed), except under ``skip``: relative name -> sha256."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if skip is not None and Path(dirpath).resolve().is_relative_to(skip.resolve()):
            continue
        for name in filenames:
            p = Path(dirpath) / name
            key = p.relative_to(root).as_posix()
            out[key] = b"link:" + os.readlink(p).encode() if p.is_symlink() else hashlib.sha256(p.read_bytes()).digest()
    return out


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


# -- 1. --name cannot leave --out, nor replace an original -------------------------------------
def test_1_name_with_a_format_spec_fill_cannot_replace_an_original(tmp_path, capsys):
    orig = tmp_path / "orig"
    photo(orig / "a.jpg")
    before = snapshot(tmp_path)
    template = "{stem:/>1.0}" + str(orig).lstrip("/") + "/{stem}"
    code, _, err = run(capsys, "batch", orig, *SQ, "--out", tmp_path / "out", "--overwrite", "--name", template)
    assert code == 2 and "format spec" in one_error(err)
    assert snapshot(tmp_path) == before  # nothing written anywhere, the original untouched
    with Image.open(orig / "a.jpg") as im:
        assert im.size == (640, 480)


@pytest.mark.parametrize("template", ["{stem:%}", "{w:d}", "{stem:>300}", "{stem!r}", "{stem.real}", "{0}", "{}"])
def test_1_bad_templates_are_clear_errors(tmp_path, capsys, template):
    photo(tmp_path / "in" / "a.jpg")
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--name", template)
    assert code == 2 and "name template" in one_error(err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("template", ["/abs/{stem}", "../{stem}", "a/../../{stem}", "{stem}/./x", ".hidden/{stem}",
                                      "a//{stem}", "a\\{stem}"])  # fmt: skip
def test_1_names_leaving_the_folder_are_refused(tmp_path, capsys, template):
    photo(tmp_path / "in" / "a.jpg")
    before = snapshot(tmp_path)
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--name", template)
    assert code == 2
    assert {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("out/")} == before


# -- 2. cleanup deletes only what this program listed, and nothing before validation ----------
def test_2_a_users_file_that_looks_like_a_temporary_survives(tmp_path, capsys):
    user = tmp_path / "userdir"
    photo(user / "img0003.jpg")
    victim = user / "project" / "sub" / ".report.docx.00112233aabb.tmp"
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"the user's report")
    before = snapshot(tmp_path)
    code, _, err = run(capsys, "batch", user / "img0003.jpg", *SQ, "--out", user)
    assert code == 2 and "inside the output folder" in one_error(err)
    assert snapshot(tmp_path) == before


def test_2_cleanup_removes_only_journaled_temporaries(tmp_path):
    folder = OutputFolder.open(tmp_path / "out")
    work = tmp_path / "out" / ".cropstudio-work"
    folder.write("a.txt", lambda fh: fh.write(b"x"))
    mine = "cs-" + "ab" * 12 + ".tmp"
    (work / mine).write_bytes(b"left by a kill")
    (work / "temporaries.txt").write_text(f"{mine}\n../../escape\ncs-{'cd' * 12}.tmp\n")
    other = work / ("cs-" + "ef" * 12 + ".tmp")  # looks like ours but is not in the journal
    other.write_bytes(b"not listed")
    (tmp_path / "escape").write_bytes(b"outside")
    assert folder.clean_temporaries() == 1
    assert not (work / mine).exists() and other.read_bytes() == b"not listed"
    assert (tmp_path / "escape").read_bytes() == b"outside" and (tmp_path / "out" / "a.txt").read_bytes() == b"x"


# -- 3. links inside --out are never followed ----------------------------------------------------
def test_3_a_link_inside_out_is_not_followed(tmp_path, capsys):
    originals = tmp_path / "originals"
    photo(originals / "img.jpg")
    src = tmp_path / "in"
    photo(src / "img.jpg", seed=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(originals, target_is_directory=True)
    before = snapshot(originals)
    code, _, err = run(capsys, "batch", src, *SQ, "--out", out, "--overwrite", "--name", "link/{stem}")
    assert code == 2 and "symbolic link" in err
    assert snapshot(originals) == before


def test_3_a_planted_journal_link_gets_nothing(tmp_path, capsys):
    photo(tmp_path / "in" / "a.jpg")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (out / ".cropstudio-batch.jsonl").symlink_to(victim)
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", out, "--method", "centred")
    assert code == 2 and "symbolic link" in err
    assert victim.read_text() == "keep me\n"


def test_3_out_may_itself_be_a_link(tmp_path, capsys):
    photo(tmp_path / "in" / "a.jpg")
    (tmp_path / "disk").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "disk", target_is_directory=True)
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred")
    assert code == 0, err
    assert (tmp_path / "disk" / "a_sq_200x200.jpg").is_file()


def test_3_an_input_is_never_replaced_even_with_overwrite(tmp_path, capsys):
    folder = tmp_path / "shots"
    photo(folder / "a_sq_200x200.jpg")  # an input named like the output it would get
    before = snapshot(tmp_path)
    code, _, err = run(capsys, "batch", folder / "a_sq_200x200.jpg", *SQ, "--out", tmp_path / "o", "--overwrite",
                       "--name", "../shots/{stem}")  # fmt: skip
    assert code == 2
    assert snapshot(tmp_path, skip=tmp_path / "o") == before
    crop_out = folder / "a_sq_200x200.jpg"
    code, _, err = run(capsys, "crop", crop_out, "--aspect", "1:1", "--method", "centred", "--out", crop_out,
                       "--overwrite")  # fmt: skip
    assert code == 2 and "input" in one_error(err)
    assert snapshot(tmp_path, skip=tmp_path / "o") == before


# -- 4. one writer per output folder; the manifest never lists good outputs as errors -----------
def test_4_a_second_run_is_refused_while_one_writes(tmp_path, capsys):
    photo(tmp_path / "in" / "a.jpg")
    folder = OutputFolder.open(tmp_path / "out")
    with writer_lock(folder):
        code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred")
        assert code == 2 and f"another batch is writing to {folder.root} (pid {os.getpid()})" in one_error(err)
        code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred",
                           "--wait", "0.3")  # fmt: skip
        assert code == 2 and "after waiting" in err
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred")
    assert code == 0, err
    code, stdout, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred")
    assert code == 0 and stdout.startswith("0 written, 1 already done, 0 failed")
    outputs = json.loads((tmp_path / "out" / "manifest.json").read_text())["outputs"]
    assert [r["status"] for r in outputs] == ["ok"]


def test_4_a_waiting_run_goes_on_when_the_first_ends(tmp_path, capsys):
    photo(tmp_path / "in" / "a.jpg")
    folder = OutputFolder.open(tmp_path / "out")
    released = threading.Event()

    def hold():
        with writer_lock(folder):
            released.wait(0.5)

    t = threading.Thread(target=hold)
    t.start()
    try:
        code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred",
                           "--wait", "30")  # fmt: skip
    finally:
        released.set()
        t.join()
    assert code == 0, err


# -- 5. a FIFO (or another non-regular file) is refused before it is opened ------------------
@pytest.fixture
def alarm():
    """Fail instead of hanging forever if something opens a FIFO."""
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail("hung on a FIFO"))
    signal.alarm(60)
    yield
    signal.alarm(0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_5_a_fifo_input_is_refused(tmp_path, capsys, alarm):
    fifo = tmp_path / "in" / "pipe.jpg"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    code, _, err = run(capsys, "batch", fifo, *SQ, "--out", tmp_path / "out", "--method", "centred")
    assert code == 2 and "FIFO" in err
    code, _, err = run(capsys, "crop", fifo, "--aspect", "1:1")
    assert code == 2 and "FIFO" in one_error(err)
    os.mkfifo(tmp_path / "t.toml")
    code, _, err = run(capsys, "batch", tmp_path / "in", "--targets", tmp_path / "t.toml", "--out", tmp_path / "o")
    assert code == 2 and "FIFO" in one_error(err)


# -- 6. wrong acceptances (the aspect and tau bounds are issue 16's crop contract) -------------
def test_6_silent_upscale_is_refused_and_allowed_with_a_warning(tmp_path, capsys):
    src = photo(tmp_path / "a.png", 64, 48)
    code, _, err = run(capsys, "crop", src, "--aspect", "16:9", "--method", "centred", "--size", "17000x17000",
                       "--out", tmp_path / "o.jpg")  # fmt: skip
    assert code == 2 and "upscaled" in one_error(err) and not (tmp_path / "o.jpg").exists()
    code, out, err = run(capsys, "crop", src, "--aspect", "1:1", "--method", "centred", "--size", "480x480",
                         "--out", tmp_path / "o.png", "--allow-upscale", "--json")  # fmt: skip
    assert code == 0 and "upscaled x10" in err
    data = json.loads(out)
    assert data["output_size"] == [480, 480] and data["upscale"] == pytest.approx(10.0)
    with Image.open(tmp_path / "o.png") as im:
        assert im.size == (480, 480)


@pytest.mark.parametrize("size", ["99999999x1", "30001x10", "1x0", "x5", "1" * 5000 + "x1"])
def test_6_output_sizes_are_bounded(tmp_path, capsys, size):
    src = photo(tmp_path / "a.png", 64, 48)
    code, _, err = run(capsys, "crop", src, "--aspect", "1:1", "--method", "centred", "--size", size,
                       "--out", tmp_path / "o.jpg")  # fmt: skip
    assert code == 2 and "--size" in one_error(err)


def png_claiming(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_6_a_header_only_png_is_refused(tmp_path, capsys):
    src = tmp_path / "tall.png"
    src.write_bytes(png_claiming(1, 100_000))
    code, _, err = run(capsys, "crop", src, "--aspect", "1:1", "--method", "centred", "--out", tmp_path / "o.png")
    assert code == 2 and "cannot hold them" in one_error(err)
    assert not (tmp_path / "o.png").exists()


# -- 7. failures are failures -------------------------------------------------------------------
def test_7_an_unusable_backend_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    photo(tmp_path / "src" / "a.jpg")
    monkeypatch.delenv("CROPSTUDIO_DIFFUSION_MODEL", raising=False)
    code, _, err = run(capsys, "build-dataset", tmp_path / "src", tmp_path / "out", "--samples", "2",
                       "--backend", "diffusion")  # fmt: skip
    assert code == 2 and not (tmp_path / "out").exists()
    one_error(err)
    code, _, err = run(capsys, "build-dataset", tmp_path / "src", tmp_path / "out", "--samples", "2",
                       "--backend-option", "no_such_option=3")  # fmt: skip
    assert code == 2 and "no_such_option" in one_error(err) and not (tmp_path / "out").exists()


def test_7_failed_samples_exit_2_and_are_retried(tmp_path, capsys):
    src = tmp_path / "src"
    photo(src / "a.jpg", 160, 120)
    bad = src / "b.jpg"
    bad.write_bytes(photo(tmp_path / "tmp.jpg", 160, 120).read_bytes()[:300])  # truncated
    argv = ("build-dataset", src, tmp_path / "out", "--samples", "4", "--canvas", "128", "--json")
    code, out, err = run(capsys, *argv)
    assert code == 2 and "a rerun retries them" in one_error(err)
    failed = json.loads(out)["failed"]
    assert failed >= 1
    bad.write_bytes((tmp_path / "tmp.jpg").read_bytes())  # the user fixes the file
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    report = json.loads(out)
    assert report["failed"] == 0 and report["written"] == failed


# -- 8. internal errors become clear messages ---------------------------------------------------
def test_8_a_file_where_a_name_needs_a_folder(tmp_path, capsys):
    photo(tmp_path / "in" / "img0000.jpg")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "img0000").write_bytes(b"a file")
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred",
                       "--name", "{stem}/{target}")  # fmt: skip
    assert code == 2 and "is a file, not a folder" in err
    one_error(err)
    assert (tmp_path / "out" / "img0000").read_bytes() == b"a file"


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_8_suggest_out_dir_that_cannot_be_a_folder(tmp_path, capsys, where):
    src = photo(tmp_path / "a.jpg", 160, 120)
    (tmp_path / "f").write_bytes(b"x")
    out = tmp_path / "f" if where == "file" else tmp_path / "f" / "sub"
    code, _, err = run(capsys, "suggest", src, "--out-dir", out)
    assert code == 2 and "file" in one_error(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_8_suggest_and_index_refuse_a_read_only_folder(tmp_path, capsys):
    src = photo(tmp_path / "a.jpg", 160, 120)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = run(capsys, "suggest", src, "--out-dir", ro)
        assert code == 2
        one_error(err)
        code, _, err = run(capsys, "index", "build", tmp_path, "--out", ro / "idx")
        assert code == 2
        one_error(err)
    finally:
        ro.chmod(0o755)


def test_8_index_build_out_under_a_file_is_refused_before_encoding(tmp_path, capsys, monkeypatch):
    import models.procrop.encoder as encoder_module

    photo(tmp_path / "photos" / "a.jpg", 160, 120)
    (tmp_path / "f").write_bytes(b"x")
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: pytest.fail("encoded before checking --out"))
    code, _, err = run(capsys, "index", "build", tmp_path / "photos", "--out", tmp_path / "f" / "idx")
    assert code == 2 and "file" in one_error(err)


def _tiny_index(folder: Path, maps: np.ndarray | None = None, vectors: np.ndarray | None = None) -> Path:
    from models.procrop.index import CompositionIndex, IndexItem, save_index

    n = 3
    v = vectors if vectors is not None else np.eye(n, 8, dtype=np.float32)
    m = maps if maps is not None else np.zeros((n, 4, 2, 2), np.float16)
    items = tuple(IndexItem(f"x{i}#0", f"x{i}.jpg", (0.0, 0.0, 1.0, 1.0)) for i in range(n))
    return save_index(CompositionIndex("test-encoder", v, m, items, source="t"), folder)


def test_8_a_truncated_or_mis_shaped_index_is_refused(tmp_path, capsys):
    idx = _tiny_index(tmp_path / "idx")
    code, _, err = run(capsys, "index", "info", idx)
    assert code == 0, err
    maps = (idx / "maps.npz").read_bytes()
    (idx / "maps.npz").write_bytes(maps[: len(maps) // 2])
    code, _, err = run(capsys, "index", "info", idx)
    assert code == 2 and "not a readable ProCrop index" in one_error(err)
    meta = json.loads((idx / "items.json").read_text())
    _tiny_index(tmp_path / "idx2")
    meta2 = json.loads((tmp_path / "idx2" / "items.json").read_text())
    meta2["map_shape"] = [4, 3, 3]
    (tmp_path / "idx2" / "items.json").write_text(json.dumps(meta2))
    code, _, err = run(capsys, "index", "info", tmp_path / "idx2")
    assert code == 2 and "maps of shape" in one_error(err)
    assert meta["count"] == 3


def test_8_index_out_dot_leaves_no_old_folder(tmp_path, monkeypatch):
    idx = _tiny_index(tmp_path / "w" / "idx")
    monkeypatch.chdir(idx)
    _tiny_index(Path("."))
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["idx"]
    assert sorted(p.name for p in idx.iterdir()) == ["index.faiss", "items.json", "maps.npz"]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("payload", [nested(100_000), '{"format": "cropstudio-project", "version": ' + "9" * 5000 + "}"])
def test_8_deep_or_huge_project_files_are_clear_errors(tmp_path, capsys, payload):
    photo(tmp_path / "in" / "a.jpg")
    (tmp_path / "in" / ".cropstudio.json").write_text(payload)
    code, _, err = run(capsys, "batch", tmp_path / "in", *SQ, "--out", tmp_path / "out", "--method", "centred")
    assert code == 2 and "project file" in one_error(err)


@pytest.mark.parametrize("payload", ["x = " + nested(100_000), "[[target]]\nname = 'a'\nsize = [" + "9" * 5000 + ", 1]"])
def test_8_deep_or_huge_target_files_are_clear_errors(tmp_path, capsys, payload):
    photo(tmp_path / "in" / "a.jpg")
    (tmp_path / "t.toml").write_text(payload)
    code, _, err = run(capsys, "batch", tmp_path / "in", "--targets", tmp_path / "t.toml", "--out", tmp_path / "o")
    assert code == 2 and "not valid TOML" in one_error(err)


@pytest.mark.parametrize("payload", ['{"name": "x", "images": ' + nested(100_000) + "}",
                                     '{"name": "x", "images": [{"file": "a.jpg", "width": ' + "9" * 5000 + "}]}"])
def test_8_deep_or_huge_annotations_are_clear_errors(tmp_path, capsys, payload):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "annotations.json").write_text(payload)
    code, _, err = run(capsys, "build-dataset", tmp_path / "set", tmp_path / "out", "--samples", "1")
    assert code == 2 and "annotations.json" in one_error(err)


# -- 9. lower ----------------------------------------------------------------------------------
def test_9_an_index_of_nan_or_nothing_is_refused(tmp_path, capsys):
    v = np.eye(3, 8, dtype=np.float32)
    v[1, 2] = np.nan
    idx = _tiny_index(tmp_path / "nan", vectors=v)
    code, _, err = run(capsys, "index", "info", idx)
    assert code == 2 and "NaN" in one_error(err)
    meta = json.loads((idx / "items.json").read_text())
    meta["items"], meta["count"] = [], 0
    (idx / "items.json").write_text(json.dumps(meta))
    code, _, err = run(capsys, "index", "info", idx)
    assert code == 2 and "no compositions" in one_error(err)


def test_9_out_that_is_a_parent_of_the_input_says_so(tmp_path, capsys):
    photo(tmp_path / "shoot" / "a.jpg")
    code, _, err = run(capsys, "batch", tmp_path / "shoot" / "a.jpg", *SQ, "--out", tmp_path)
    assert code == 2 and "inside the output folder" in one_error(err)


@pytest.mark.parametrize("file", ["../../etc/passwd", "/etc/passwd", "a/../../x.jpg"])
def test_9_eval_annotations_cannot_point_outside_the_data_set(tmp_path, file):
    from models.eval.datasets import load_annotations

    (tmp_path / "set").mkdir()
    data = {"name": "x", "images": [{"file": file, "width": 10, "height": 10, "crops": [[0, 0, 1, 1]]}]}
    (tmp_path / "set" / "annotations.json").write_text(json.dumps(data))
    with pytest.raises(InvalidInputError, match="inside the data-set folder"):
        load_annotations(tmp_path / "set")


@pytest.mark.parametrize("version", ["1.0", "true", '"1"'])
def test_9_project_version_must_be_an_integer(tmp_path, version):
    from models.cropsets.project import load_project

    path = tmp_path / ".cropstudio.json"
    path.write_text('{"format": "cropstudio-project", "version": ' + version + ', "images": {}}')
    with pytest.raises(InvalidInputError, match="schema version"):
        load_project(path)


@pytest.mark.parametrize(("command", "bound"), [("crop", "1..30000"), ("batch", "no format specs"), ("batch", "0..86400"),
                                                ("suggest", "1..100"), ("build-dataset", "64..4096")])  # fmt: skip
def test_help_shows_the_bounds(capsys, command, bound):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert bound in " ".join(capsys.readouterr().out.split())


def test_8_read_only_folders_are_refused_before_any_work_even_as_root(tmp_path, capsys, monkeypatch):
    """The read-only case simulated (tests may run as root, who writes anywhere): creating a file fails."""
    import models.export.folder as folder_module
    import models.procrop.encoder as encoder_module
    import models.procrop.index as index_module

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    src = photo(tmp_path / "a.jpg", 160, 120)
    monkeypatch.setattr(folder_module, "_create", denied)
    monkeypatch.setattr(index_module.tempfile, "mkdtemp", denied)
    monkeypatch.setattr(encoder_module, "build_encoder", lambda *a, **k: pytest.fail("encoded before checking --out"))
    code, _, err = run(capsys, "suggest", src, "--out-dir", tmp_path / "ro")
    assert code == 2 and "Permission denied" in one_error(err)
    code, _, err = run(capsys, "index", "build", tmp_path, "--out", tmp_path / "ro" / "idx")
    assert code == 2 and "Permission denied" in one_error(err)
    code, _, err = run(capsys, "batch", src, *SQ, "--out", tmp_path / "ro2", "--method", "centred")
    assert code == 2 and "Permission denied" in one_error(err)
