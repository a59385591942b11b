"""`cropstudio suggest`: ranked ProCrop suggestions with the bundled weights and index."""

from __future__ import annotations

import json

from PIL import Image

from models.cli.main import main


def test_suggestions_are_ranked_inside_the_image_and_fit_the_ratio(sample_image, capsys):
    assert main(["suggest", str(sample_image), "--top", "3", "--aspect", "4:5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["suggestions"]
    assert 1 <= len(rows) <= 3 and [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for r in rows:
        x0, y0, x1, y1 = r["box"]
        assert 0 <= x0 < x1 <= out["width"] and 0 <= y0 < y1 <= out["height"]
        assert abs((x1 - x0) / (y1 - y0) - 0.8) < 0.02
    assert out["references"] and all("id" in ref for ref in out["references"])


def test_layout_regions_hold_for_every_suggestion(sample_image, capsys):
    # the astronaut's face kept (pixels), the flag's strip at the left edge left out (fractions)
    args = ["suggest", str(sample_image), "--top", "3", "--aspect", "4:5", "--keep", "175,40,300,190",
            "--avoid", "0,0.6,0.14,1", "--json"]  # fmt: skip
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)["suggestions"]
    assert rows
    for r in rows:
        x0, y0, x1, y1 = r["box"]
        assert x0 <= 175 and y0 <= 40 and x1 >= 300 and y1 >= 190
        assert x0 >= round(0.14 * 512) or y1 <= round(0.6 * 512)
        assert abs((x1 - x0) / (y1 - y0) - 0.8) < 0.02
    assert main(["suggest", str(sample_image), "--aspect", "4:1", "--keep", "0,0,0.5,0.9"]) == 2
    assert "error:" in capsys.readouterr().err


def test_out_dir_writes_each_suggestion_once(sample_image, tmp_path, capsys):
    args = ["suggest", str(sample_image), "--top", "2", "--out-dir", str(tmp_path), "--json"]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)["suggestions"]
    for r in rows:
        x0, y0, x1, y1 = r["box"]
        assert Image.open(r["output"]).size == (x1 - x0, y1 - y0)
    assert main(args) == 2  # the files exist: refused without --overwrite
    assert "exists" in capsys.readouterr().err
    assert main([*args, "--overwrite"]) == 0


def test_bad_arguments_are_one_error_line(sample_image, tmp_path, capsys):
    assert main(["suggest", str(sample_image), "--top", "0"]) == 2
    assert main(["suggest", str(tmp_path / "none.jpg")]) == 2
    assert main(["suggest", str(sample_image), "--index", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error:") for line in err)


def test_no_vote_shows_the_queries_own_boxes(capsys):
    from models.imaging import ANALYSIS_MAX_SIDE, load_image
    from models.procrop.predictor import load_predictor
    from models.procrop.ranking import rank
    from tests.conftest import SAMPLES

    photo = SAMPLES / "coffee.jpg"  # a photo whose near-copies vote its suggestions elsewhere
    runs = {}
    for flags in ((), ("--no-vote",)):
        assert main(["suggest", str(photo), "--top", "3", "--subjects", "off", "--json", *flags]) == 0
        runs[flags] = [r["box"] for r in json.loads(capsys.readouterr().out)["suggestions"]]
    image = load_image(photo, max_side=ANALYSIS_MAX_SIDE)
    predictor = load_predictor()
    predictor.set_image(image.rgb, size=(image.info.width, image.info.height))
    own = [[int(v) for v in s.box.as_tuple()] for s in rank(predictor.queries, 3, vote=False).items]
    voted = [[int(v) for v in s.box.as_tuple()] for s in rank(predictor.queries, 3).items]
    assert runs[("--no-vote",)] == own and runs[()] == voted and own != voted
