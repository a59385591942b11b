"""Smoke test of the frozen build: ``python build_spec/smoke_test.py [dist/cropstudio]``.

Runs the bundle's two executables from a temporary folder outside the source tree (with the
sample image copied out of the bundle, and CROPSTUDIO_RESOURCES unset) so nothing can be read
from the checkout. Every check prints its command, exit code, time and the tail of its
output; the script exits 1 when any check fails. Needs only the standard library.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT_S = 600


def _run(name: str, cmd: list[str], cwd: Path, env: dict[str, str], check=None) -> bool:
    shown = " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd))
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"FAIL {name}: timed out after {TIMEOUT_S} s\n    $ {shown}")
        return False
    secs = time.perf_counter() - start
    problem = None if proc.returncode == 0 else f"exit code {proc.returncode}"
    if problem is None and check is not None:
        try:
            problem = check(proc.stdout)
        except Exception as exc:  # a malformed output is a failure, not a crash of this script
            problem = f"unexpected output ({type(exc).__name__}: {exc})"
    print(f"{'ok  ' if problem is None else 'FAIL'} {name} ({secs:.1f} s){'' if problem is None else ': ' + problem}")
    print(f"    $ {shown}")
    for line in proc.stdout.strip().splitlines()[-6:] + (proc.stderr.strip().splitlines()[-3:] if problem else []):
        print(f"    | {line[:160]}")
    return problem is None


ASTRONAUT_HEAD = (144, 0, 315, 185)  # x0, y0, x1, y1 of the head in astronaut.jpg (512x512)


def main(argv: list[str]) -> int:
    bundle = Path(argv[0] if argv else "dist/cropstudio").resolve()
    cli, gui = bundle / "cropstudio", bundle / "cropstudio-gui"
    for exe in (cli, gui):
        if not exe.is_file():
            print(f"FAIL: {exe} not found (run `make dist` first)")
            return 1
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROPSTUDIO_") and k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    results = []
    with tempfile.TemporaryDirectory(prefix="cropstudio-smoke-") as tmp:
        work = Path(tmp)
        image = work / "astronaut.jpg"
        shutil.copy(bundle / "_internal" / "resources" / "samples" / "astronaut.jpg", image)

        def crop_json(out: str) -> str | None:
            data = json.loads(out)
            return None if data else "empty JSON"

        def suggest_json(out: str) -> str | None:
            data = json.loads(out)
            items = data.get("suggestions", data) if isinstance(data, dict) else data
            return None if len(items) == 3 else f"expected 3 suggestions, got {len(items)}"

        def head_whole(out: str) -> str | None:
            """The crop keeps Eileen Collins' whole head (hair to chin): the head box the source
            tree's detector gives (models.subjects.detect_subjects), within 4 px."""
            x0, y0, x1, y1 = json.loads(out)["box"]
            hx0, hy0, hx1, hy1 = ASTRONAUT_HEAD
            inside = x0 <= hx0 + 4 and y0 <= hy0 + 4 and x1 >= hx1 - 4 and y1 >= hy1 - 4
            return None if inside and abs((x1 - x0) / (y1 - y0) - 16 / 9) < 0.02 else f"box {[x0, y0, x1, y1]} cuts the head"

        def exported(_out: str) -> str | None:
            return None if (work / "out" / "crop.jpg").is_file() else "out/crop.jpg not written"

        def gui_ok(out: str) -> str | None:
            return None if "smoke-test: OK" in out and any((work / "gui").glob("*.jpg")) else "no OK line or no file"

        (work / "out").mkdir()
        results.append(_run("cli --version", [str(cli), "--version"], work, env))
        results.append(_run("cli crop (heatmap, 16:9, keep)", [str(cli), "crop", "astronaut.jpg", "--aspect", "16:9",
                             "--keep", "0.5,0,1,0.5", "--method", "heatmap", "--json"], work, env, crop_json))
        results.append(_run("cli crop (attention, 16:9): the head stays whole", [str(cli), "crop", "astronaut.jpg",
                             "--aspect", "16:9", "--json"], work, env, head_whole))  # fmt: skip
        results.append(_run("cli suggest (ProCrop)", [str(cli), "suggest", "astronaut.jpg", "--top", "3", "--json"],
                            work, env, suggest_json))
        results.append(_run("cli crop --out (export)", [str(cli), "crop", "astronaut.jpg", "--aspect", "4:5",
                             "--out", "out/crop.jpg"], work, env, exported))
        samples = bundle / "_internal" / "resources" / "samples"

        def dataset_ok(_out: str) -> str | None:
            built = work / "dataset"
            files = list((built / "images").glob("*.jpg"))
            return None if len(files) == 3 and (built / "annotations.json").is_file() else f"{len(files)} images"

        results.append(_run("cli build-dataset (opencv backend)", [str(cli), "build-dataset", str(samples), "dataset",
                            "--samples", "3", "--json"], work, env, dataset_ok))  # fmt: skip
        results.append(_run("gui --version", [str(gui), "--version"], work, env))
        results.append(_run("gui offscreen smoke test", [str(gui), "astronaut.jpg", "--smoke-test", "gui"],
                            work, env, gui_ok))
    failed = results.count(False)
    print(f"{len(results) - failed}/{len(results)} checks passed" + (f", {failed} FAILED" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
