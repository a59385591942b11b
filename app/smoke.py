"""``cropstudio-gui --smoke-test IMAGE OUT_DIR``: a release check of a (frozen) build.

Opens the image in the real window, computes a constrained crop (16:9, a keep region on the
top-right quarter), a ProCrop suggestion, exports the crop into ``OUT_DIR`` and returns 0;
1 with a ``smoke-test: FAIL`` line on the first step that fails or times out. Used by
``make dist-check`` (build_spec/smoke_test.py) under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance

from models.geometry import Box

__all__ = ["run_smoke_test"]


class _Failed(Exception):
    pass


def _wait(ok: SignalInstance, fail: SignalInstance | None, timeout_s: float, what: str) -> object:
    """Run the event loop until ``ok`` (its argument is returned) or ``fail`` fires, or time out."""
    loop = QEventLoop()
    got: dict[str, object] = {}

    def done(value: object = None) -> None:
        got["ok"] = value
        loop.quit()

    def failed(message: object = None) -> None:
        got["fail"] = message
        loop.quit()

    ok.connect(done)
    if fail is not None:
        fail.connect(failed)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    ok.disconnect(done)
    if fail is not None:
        fail.disconnect(failed)
    if "fail" in got:
        raise _Failed(f"{what}: {got['fail']}")
    if "ok" not in got:
        raise _Failed(f"{what}: timed out after {timeout_s:.0f} s")
    return got["ok"]


def run_smoke_test(window, image: Path, out_dir: Path, timeout_s: float = 300.0) -> int:  # noqa: ANN001
    """Drive ``window`` (an app.shell.window.MainWindow) through open, crop, suggest, export."""
    from app.export.planning import ExportSettings
    from app.editor.state import ratio_choice

    try:
        window.open_path(image)
        _wait(window.analysis_ready, window.load_failed, timeout_s, "open")
        w, h = window.crop_state().image_size
        print(f"smoke-test: opened {image.name} {w}x{h}", flush=True)

        window.workbench.set_aspect(ratio_choice("16:9"))
        window.workbench.add_region("keep", Box(w * 0.5, 0, w, h * 0.5))
        result = _wait(window.workbench.constrained_ready, window.workbench.constrained_failed, timeout_s, "constrained crop")
        box = result.proposal.box
        print(f"smoke-test: constrained crop 16:9 keep top-right -> {[round(v) for v in box.as_tuple()]}", flush=True)

        from models.procrop.predictor import load_predictor

        predictor = load_predictor()
        predictor.set_image(window.current_image().rgb, size=(w, h))
        best = predictor.suggest(1).items[0]  # whole pixels of the full-size image
        print(f"smoke-test: procrop suggestion {[int(v) for v in best.box.as_tuple()]} score {best.score:.3f}", flush=True)

        out_dir.mkdir(parents=True, exist_ok=True)
        if not window.export(ExportSettings(folder=out_dir)):
            raise _Failed("export: not started")
        report = _wait(window.export_finished, None, timeout_s, "export")
        if report.failed or not report.written:
            raise _Failed(f"export: {report.failed or 'nothing written'}")
        print(f"smoke-test: exported {', '.join(p.name for p in report.written)}", flush=True)
    except _Failed as exc:
        print(f"smoke-test: FAIL {exc}", flush=True)
        return 1
    print("smoke-test: OK", flush=True)
    return 0
