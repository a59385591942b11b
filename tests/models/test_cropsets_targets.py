"""models.cropsets.targets: target specs, TOML target sets, the bundled sets; naming of outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.export.naming import OutputNameError, OutputNaming
from models.cropsets.targets import (
    Target,
    bundled_target_sets,
    load_target_set,
    parse_size,
    parse_target,
    read_target_file,
    resolve_targets,
)
from models.errors import InvalidInputError
from models.geometry import AspectRatio


@pytest.mark.parametrize(
    "spec, ratio, size",
    [
        ("square 1:1 1080x1080", 1.0, (1080, 1080)),
        ("story 9:16 1080x1920", 9 / 16, (1080, 1920)),
        ("link 1.91:1 1200x628", 1.91, (1200, 628)),
        ("ratio 3:2", 1.5, None),
        ("banner 1500x500", 3.0, (1500, 500)),
        ("wide 1080x608 16/9", 16 / 9, (1080, 608)),
        ("num 1.5", 1.5, None),
    ],
)
def test_specs(spec, ratio, size):
    t = parse_target(spec)
    assert t.ratio.value == pytest.approx(ratio) and t.size == size
    assert parse_target(t.spec()) == t


def test_crop_ratio_is_the_sizes_exact_ratio():
    t = parse_target("link 1.91:1 1200x628")
    assert t.crop_ratio == 1200 / 628 and str(t.crop_aspect) == "300:157"
    assert str(parse_target("p 4:5 1080x1350").crop_aspect) == "4:5"
    assert str(parse_target("banner 1500x500").ratio) == "3:1"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("square", "expected NAME RATIO"),
        ("a b c d", "expected NAME RATIO"),
        ("sq 10x10x", "cannot read aspect ratio"),
        ("sq 1:1 2:1", "one ratio"),
        ("sq 10x10 20x20", "at most one size"),
        ("sq 1:1 1080x1000", "make them agree"),
        ("sq/x 1:1", "target name"),
        ("sq 1:1 0x10", "at least 1 pixel"),
        ("sq 1:1 100000x100000", "limit"),
        ("sq 0:1", "positive"),
    ],
)
def test_bad_specs_say_why(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_target(spec)


def test_bundled_sets_load_and_social_has_the_five_campaign_ratios():
    assert {"social", "web", "print"} <= set(bundled_target_sets())
    for name in bundled_target_sets():
        s = load_target_set(name)
        assert s.targets and all(t.size for t in s.targets) and s.description
    social = load_target_set("social")
    assert [str(t.ratio) for t in social.targets] == ["1:1", "4:5", "9:16", "1.91:1", "16:9"]
    assert social.targets[0] == Target("square", AspectRatio(1, 1), (1080, 1080))


def test_user_file_and_its_errors(tmp_path):
    good = tmp_path / "mine.toml"
    good.write_text('description = "x"\n[[target]]\nname = "a"\nratio = "2:1"\n'
                    '[[target]]\nname = "b"\nsize = [300, 100]\n[[target]]\nname = "c"\nratio = 1.5\n')
    s = load_target_set(good)
    assert s.name == "mine" and [t.spec() for t in s.targets] == ["a 2:1", "b 3:1 300x100", "c 1.5:1"]
    cases = {
        "[[target]]\nname = 'a'\n": "give a ratio",
        "[[target]]\nname = 'a'\nratio = '1:1'\nsizes = '1x1'\n": "unknown key 'sizes'",
        "[[target]]\nratio = '1:1'\n": "'name' is required",
        "[[target]]\nname = 'a'\nratio = true\n": "ratio must be",
        "[[target]]\nname = 'a'\nratio = '1:1'\n[[target]]\nname = 'a'\nratio = '2:1'\n": "two targets are named 'a'",
        "target = 3\n": "no \\[\\[target\\]\\] tables",
        "name = 'x'\n": "unknown key 'name'",
        "[[target\n": "not valid TOML",
        "[[target]]\nname = 'a'\nsize = '10 by 10'\n": "WIDTHxHEIGHT",
    }
    for i, (text, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.toml"
        path.write_text(text)
        with pytest.raises(InvalidInputError, match=message):
            read_target_file(path)


def test_unknown_set_lists_the_bundled_ones():
    with pytest.raises(InvalidInputError, match="social"):
        load_target_set("nope")
    with pytest.raises(InvalidInputError, match="no such file"):
        read_target_file(Path("/nonexistent/set.toml"))


def test_resolve_targets_merges_sets_and_specs_and_refuses_duplicates():
    targets = resolve_targets(["social"], ["extra 3:1"])
    assert [t.name for t in targets][-2:] == ["video", "extra"]
    with pytest.raises(InvalidInputError, match="unique"):
        resolve_targets(["social"], ["square 1:1"])
    with pytest.raises(InvalidInputError, match="no targets"):
        resolve_targets([], [])


def test_parse_size():
    assert parse_size("1080x1350") == (1080, 1350) and parse_size([3, 4]) == (3, 4)
    for bad in ("1080", "ax3", [1.5, 2], [True, 2]):
        with pytest.raises(InvalidInputError):
            parse_size(bad)


def test_naming(tmp_path):
    src = tmp_path / "shoot" / "beach.jpg"
    t = parse_target("square 1:1 1080x1080")
    assert OutputNaming().name(src, t, (1080, 1080)) == "beach_square_1080x1080.jpg"
    assert OutputNaming("{parent}/{target}/{stem}-{ratio}", "png").name(src, t, None) == "shoot/square/beach-1x1.png"
    assert OutputNaming().needs_size and not OutputNaming("{stem}_{target}").needs_size
    for template, message in [("{stem}_{size}", "unknown placeholder"), ("/abs/{stem}", "relative"),
                              ("{stem", "name template"), ("a\\b", "relative")]:  # fmt: skip
        with pytest.raises(InvalidInputError, match=message):
            OutputNaming(template)
    with pytest.raises(InvalidInputError, match="format"):
        OutputNaming(format="gif")
    with pytest.raises(OutputNameError, match="'..'"):
        OutputNaming("../{stem}").name(src, t, None)
