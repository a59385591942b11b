"""The composition index: build from a folder, search, save / load, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main
from models.errors import InvalidInputError
from models.procrop.encoder import build_encoder
from models.procrop.index import CompositionIndex, IndexItem, build_index, load_index, save_index
from tests.tiny_data import NAMES, tiny_folder



@pytest.fixture(scope="module")
def encoder():
    return build_encoder()


@pytest.fixture(scope="module")
def index(encoder, tmp_path_factory):
    return build_index(tiny_folder(tmp_path_factory.mktemp("idx")), encoder)


def _synthetic(n: int, dim: int = 8, seed: int = 0) -> CompositionIndex:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    items = tuple(IndexItem(f"f{i // 2}.jpg#{i % 2}", f"f{i // 2}.jpg", (0.0, 0.0, 1.0, 1.0)) for i in range(n))
    return CompositionIndex("test", v, rng.standard_normal((n, 2, 1, 1)), items)


def test_build_from_expert_crops(index, encoder):
    assert len(index) == 4 and index.encoder == encoder.name
    assert index.items[0].id == "images/astronaut.jpg#0" and index.items[0].region == (0.0, 0.0, 0.8, 0.9)
    assert index.maps.dtype == np.float16 and index.maps.shape == (4, 64, 4, 4)
    sims, idx = index.search(index.vectors, 1)
    assert list(idx[:, 0]) == [0, 1, 2, 3]  # each composition is its own nearest neighbour
    assert np.allclose(sims[:, 0], 1.0, atol=1e-4)


def test_search_matches_brute_force_and_excludes():
    db = _synthetic(20)
    q = db.vectors[:3] + 0.1
    sims, idx = db.search(q, 5)
    brute = np.argsort(-(q @ db.vectors.T), axis=1)[:, :5]
    assert np.array_equal(idx, brute)
    _, idx = db.search(db.vectors[:1], 3, exclude=[["f0.jpg"]])
    assert all(db.items[i].file != "f0.jpg" for i in idx[0])
    sims, idx = db.search(db.vectors[:1], 25)  # more than stored: padded
    assert idx[0, -1] == -1 and np.isneginf(sims[0, -1])
    with pytest.raises(InvalidInputError, match="dimensions"):
        db.search(np.zeros((1, 3), np.float32), 1)


def test_inverted_lists_for_large_indexes(tmp_path):
    # clustered vectors, as real compositions are; queries near stored items
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((40, 16))
    v = (centres[rng.integers(0, 40, 4000)] + 0.3 * rng.standard_normal((4000, 16))).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    items = tuple(IndexItem(f"f{i}.jpg#0", f"f{i}.jpg", (0.0, 0.0, 1.0, 1.0)) for i in range(len(v)))
    maps = np.zeros((len(v), 2, 1, 1))
    exact = CompositionIndex("test", v, maps, items)
    ivf = CompositionIndex("test", v, maps, items, structure="ivf")
    assert exact.search_structure == "exact" and ivf.search_structure == "ivf nlist=102 nprobe=32"
    q = v[:50] + 0.05 * rng.standard_normal((50, 16)).astype(np.float32)
    _, want = exact.search(q, 10)
    _, got = ivf.search(q, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want)])
    assert recall >= 0.95 and np.array_equal(got[:, 0], want[:, 0])
    _, idx = ivf.search(v[:1], 3, exclude=[["f0.jpg"]])
    assert 0 not in idx[0] and (idx[0] >= 0).all()
    back = load_index(save_index(ivf, tmp_path / "ivf"))
    assert back.search_structure == ivf.search_structure and np.allclose(back.vectors, v)
    assert np.array_equal(back.search(q, 10)[1], got)
    with pytest.raises(InvalidInputError, match="unknown index structure"):
        CompositionIndex("test", v[:5], maps[:5], items[:5], structure="hnsw")


def test_save_load_round_trip(index, tmp_path):
    out = save_index(index, tmp_path / "db")
    assert sorted(p.name for p in out.iterdir()) == ["index.faiss", "items.json", "maps.npz"]
    back = load_index(out)
    assert back.items == index.items and back.encoder == index.encoder
    assert np.array_equal(back.maps, index.maps) and np.allclose(back.vectors, index.vectors)
    save_index(back, out)  # replacing an index is fine
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "photo.jpg").write_bytes(b"x")
    with pytest.raises(InvalidInputError, match="not an index folder"):
        save_index(index, tmp_path / "other")
    with pytest.raises(InvalidInputError, match="not a ProCrop index"):
        load_index(tmp_path / "other")


def test_plain_folder_indexes_whole_photos(encoder, tmp_path):
    db = build_index(tiny_folder(tmp_path / "plain", annotations=False), encoder, limit=2)
    assert len(db) == 2 and db.items[0].region == (0.0, 0.0, 1.0, 1.0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="no images"):
        build_index(tmp_path / "empty", encoder)


def test_cli_build_and_info(tmp_path, capsys):
    folder = tiny_folder(tmp_path / "data")
    assert main(["index", "build", str(folder), "--out", str(tmp_path / "db"), "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["items"] == 4 and built["encoder"] == "efficientnet-lite0"
    assert main(["index", "info", str(tmp_path / "db"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["items"] == 4 and info["images"] == 4 and info["map_shape"] == [64, 4, 4]
    assert main(["index", "info", str(tmp_path / "nothing")]) == 2
    assert "not a ProCrop index" in capsys.readouterr().err


def _pro_folder(root: Path) -> Path:
    """The tiny folder as professional photographs: every crop the full frame, and the
    first photo inside a plain white border (12 px of 128) that must be trimmed."""
    folder = tiny_folder(root)
    data = json.loads((folder / "annotations.json").read_text())
    for e in data["images"]:
        e["crops"] = [[0.0, 0.0, 1.0, 1.0]]
    first = folder / data["images"][0]["file"]
    img = Image.open(first)
    framed = Image.new("RGB", (img.width + 24, img.height + 24), (255, 255, 255))
    framed.paste(img, (12, 12))
    framed.save(first)
    data["images"][0]["width"], data["images"][0]["height"] = framed.size
    (folder / "annotations.json").write_text(json.dumps(data))
    return folder


def test_professional_frames_join_the_index_trimmed_with_provenance(encoder, tmp_path):
    from models.eval.split import is_holdout

    experts, pro = tiny_folder(tmp_path / "experts"), _pro_folder(tmp_path / "pro")
    db = build_index(experts, encoder, pro=pro)
    assert len(db) == 8 and db.source == "experts + pro"
    pro_items = [it for it in db.items if it.id.startswith("pro/")]
    assert [it.id for it in pro_items] == [f"pro/images/{n}#0" for n in NAMES]
    assert all(it.file == f"images/{n}" for it, n in zip(pro_items, NAMES))  # as training excludes them
    w, h = Image.open(pro / "images" / NAMES[0]).size
    assert pro_items[0].region == pytest.approx((12 / w, 12 / h, 1 - 12 / w, 1 - 12 / h), abs=0.02)
    assert pro_items[1].region == (0.0, 0.0, 1.0, 1.0)
    assert [f["items"] for f in db.provenance["folders"]] == [4, 4]
    assert db.provenance["holdout_excluded"] is False
    kept = build_index(experts, encoder, pro=pro, holdout=is_holdout)
    expected = [n for n in NAMES if not is_holdout(n)]
    assert 0 < len(expected) < len(NAMES)  # the tiny set has a hold-out image to drop
    assert [it.file for it in kept.items] == [f"images/{n}" for n in expected] * 2
    assert kept.provenance["holdout_excluded"] is True
    loaded = load_index(save_index(kept, tmp_path / "db"))
    assert loaded.provenance == kept.provenance and loaded.source == "experts + pro"


def test_cli_index_build_with_professional_frames(tmp_path, capsys):
    experts, pro = tiny_folder(tmp_path / "experts"), _pro_folder(tmp_path / "pro")
    args = ["index", "build", str(experts), "--pro", str(pro), "--exclude-holdout", "--out", str(tmp_path / "db"), "--json"]
    assert main(args) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["provenance"]["holdout_excluded"] is True and built["source"] == "experts + pro"
    assert main(["index", "info", str(tmp_path / "db"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["provenance"] == built["provenance"]
