"""The hidden ``cropstudio-gui --smoke-test OUT_DIR IMAGE`` used by ``make dist-check``."""

from __future__ import annotations

from app.main import main


def test_smoke_test_crops_suggests_exports_and_quits_0(qapp, sample_image, tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(sample_image), "--smoke-test", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "smoke-test: constrained crop" in printed and "smoke-test: procrop suggestion" in printed
    assert "smoke-test: OK" in printed
    assert [p.suffix for p in out.iterdir() if p.is_file()] == [".jpg"]


def test_smoke_test_needs_an_image(qapp, tmp_path):
    assert main(["--smoke-test", str(tmp_path)]) == 2
