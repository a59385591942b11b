"""`cropstudio crop`: constraints hold in the printed box, exports, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from models.cli.main import main
from models.geometry import Box

PHOTO = Path(__file__).resolve().parents[2] / "resources" / "samples" / "astronaut.jpg"


def crop(capsys, *argv):
    code = main(["crop", str(PHOTO), *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "aspect, keep, avoid",
    [
        ("16:9", ["0.5,0,1,0.5"], []),  # the top-right quarter stays in frame for the headline
        ("4:5", ["200,60,260,160"], ["0,0,100,512"]),
        ("1:1", [], ["0,400,512,512"]),
        ("1.91:1", ["0.2,0,0.8,0.1"], []),
    ],
)
def test_constraints_hold_in_the_printed_box(capsys, aspect, keep, avoid):
    args = ["--aspect", aspect, "--json"] + [a for k in keep for a in ("--keep", k)] + [a for v in avoid for a in ("--avoid", v)]
    code, out, err = crop(capsys, *args)
    assert code == 0, err
    data = json.loads(out)
    box = Box(*data["box"])
    for k in data["keep"]:
        assert box.contains(Box(*k), tol=0.5)
    for a in data["avoid"]:
        assert box.intersection(Box(*a)) is None
    w, h = (float(v) for v in aspect.split(":"))
    assert abs(box.width - box.height * w / h) <= 1 + w / h
    assert Box(0, 0, 512, 512).contains(box)


def test_export_with_exact_size_and_no_overwrite(tmp_path, capsys):
    out = tmp_path / "banner.png"
    code, _, err = crop(capsys, "--aspect", "1.91:1", "--keep", "0.5,0,1,0.5", "--out", out, "--size", "382x200")
    assert code == 0, err
    assert Image.open(out).size == (382, 200)
    code, _, err = crop(capsys, "--aspect", "1.91:1", "--out", out)
    assert code == 2 and "exists" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--aspect", "3:1", "--keep", "0,0,300,300"], "largest 3:1 box"),
        (["--aspect", "1:1", "--keep", "0,0,300,300", "--avoid", "250,250,400,400"], "overlaps avoid region"),
        (["--aspect", "1:1", "--keep", "0,0,600,100"], "not inside"),
        (["--aspect", "1:1", "--keep", "1,2,3"], "four numbers"),
        (["--keep", "0,0,1,1"], "--aspect is required"),
        (["--aspect", "1:1", "--method", "magic"], "unknown method"),
        (["--aspect", "1:1", "--size", "big"], "WxH"),
        (["--aspect", "1:1", "--size", "100000x100000"], "limit"),
        (["--aspect", "1000000000:1"], "ratios from 1:512 to 512:1 fit"),  # issue 15 item 6: not a 0 px box
        (["--aspect", "1000:1"], "would be 512x0.512 px"),  # nor a 1 px one
    ],
)
def test_impossible_or_bad_requests_give_one_clear_line(capsys, args, message):
    code, _, err = crop(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_units_can_be_forced(capsys):
    code, out, _ = crop(capsys, "--aspect", "1:1", "--keep", "0,0,1,1", "--units", "px", "--json")
    assert code == 0 and json.loads(out)["keep"] == [[0.0, 0.0, 1.0, 1.0]]
    code, out, _ = crop(capsys, "--aspect", "1:1", "--keep", "0,0,0.5,0.5", "--json")
    assert json.loads(out)["keep"] == [[0.0, 0.0, 256.0, 256.0]]


def test_list_methods(capsys):
    code, out, _ = crop(capsys, "--list-methods")
    assert code == 0 and "attention" in out.split() and "centred" in out.split()
    assert "procrop-no-vote" in out.split()
    assert main(["crop", "--list-methods"]) == 0  # no photo needed to list them
    assert capsys.readouterr().out == out
    assert main(["crop", "--aspect", "1:1"]) == 2
    assert capsys.readouterr().err.startswith("error: an image is required")


def test_every_method_honours_the_layout(capsys):
    """The centred box meets the avoid region; the one contract moves it out (it used to refuse)."""
    code, out, err = crop(capsys, "--aspect", "1:1", "--method", "centred", "--avoid", "0,0,512,100", "--json")
    assert code == 0, err
    assert Box(*json.loads(out)["box"]).intersection(Box(0, 0, 512, 100)) is None


# The astronaut's head (hair to chin) as models.subjects finds it, rounded outward: issue 17's cases.
def _head() -> Box:
    from models import cropping
    from models.imaging import load_image

    (head,) = cropping.analyse(load_image(PHOTO), methods=()).subjects.heads
    return Box(int(head.box.x0), int(head.box.y0), -int(-head.box.x1), -int(-head.box.y1))


@pytest.mark.parametrize("aspect", ["16:9", "1.91:1", "3:1"])
@pytest.mark.parametrize("method", ["attention", "heatmap", "proposal", "centred"])
def test_the_astronauts_head_is_never_cut(capsys, aspect, method):
    code, out, err = crop(capsys, "--aspect", aspect, "--method", method, "--json")
    assert code == 0, err
    data = json.loads(out)
    box, head = Box(*data["box"]), _head()
    if head.height <= 512 / float(aspect.split(":")[0]) * float(aspect.split(":")[1]):
        assert box.contains(head, tol=0.5), data
        assert data["violations"] == [] and data["left_out_heads"] == []
    else:  # taller than any crop of the ratio: the face is kept whole, and the JSON says the head is cut
        from models import cropping
        from models.imaging import load_image

        (found,) = cropping.analyse(load_image(PHOTO), methods=()).subjects.heads
        assert box.contains(found.face, tol=0.5) and data["left_out_heads"][0]["head"] == 1, data


def test_subjects_off_lets_the_method_cut_the_head(capsys):
    code, out, _ = crop(capsys, "--aspect", "16:9", "--method", "heatmap", "--subjects", "off", "--json")
    assert code == 0
    assert not Box(*json.loads(out)["box"]).contains(_head(), tol=0.5)  # 0,65,512,353 before issue 17


@pytest.mark.parametrize("ratio", ["1000000000:1", "1000:1", "1:1000"])
def test_crop_and_batch_refuse_a_ratio_alike(capsys, tmp_path, ratio):
    """Issue 15 item 6: crop accepted these (a 0 px or 1 px box); one rule now, one message."""
    code, _, err = crop(capsys, "--aspect", ratio)
    assert code == 2 and "each side at least 1 whole pixel" in err
    message = err.strip().removeprefix("error: ")
    code = main(["batch", str(PHOTO), "--target", f"x {ratio}", "--out", str(tmp_path / "out"), "--dry-run"])
    _, err = capsys.readouterr()
    assert code != 0 and message in err
