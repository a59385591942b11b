"""The engine never imports Qt: import-linter's contract (pyproject.toml) plus a direct check."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed in this environment"
    done = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_qt_import_below_models():
    offenders = []
    for path in (ROOT / "models").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in {"PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6", "app"} for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"Qt/app imported from the engine: {offenders}"


def test_importing_the_engine_loads_no_qt():
    code = "import sys, models.attention, models.cli.main; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_the_circle_contract_can_fail(tmp_path):
    """The same contract types, on a two-module package with a circle and an upward import:
    lint-imports must refuse it (so the contracts above are not vacuous)."""
    pkg = tmp_path / "circ"
    (pkg / "low").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "low" / "a.py").write_text("from circ.low import b\n")
    (pkg / "low" / "b.py").write_text("from circ.low import a\nimport circ.cli\n")
    (pkg / "cli.py").write_text("import circ.low.a\n")
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["circ"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "no circles"\ntype = "acyclic_siblings"\nancestors = ["circ"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "cli on top"\ntype = "forbidden"\n'
        'source_modules = ["circ.low"]\nforbidden_modules = ["circ.cli"]\n'
    )
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    done = subprocess.run([exe, "--config", str(config)], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode != 0
    assert "no circles BROKEN" in done.stdout and "cli on top BROKEN" in done.stdout, done.stdout


def test_no_circle_is_ignored():
    """The no-circle contracts list no ignored imports (issue 16 removed the last two): a new
    circle must be untangled, not added to a list."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    acyclic = [c for c in contracts if c["type"] in {"acyclic_siblings", "independence"}]
    assert acyclic, "no import-circle contract in pyproject.toml"
    assert all(not c.get("ignore_imports") for c in acyclic), [c["name"] for c in acyclic if c.get("ignore_imports")]


def test_both_roots_have_a_circle_contract():
    """models/ and app/ each have a no-circle contract over all of their packages (issue 16)."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    covered = {a for c in contracts if c["type"] == "acyclic_siblings" for a in c["ancestors"]}
    assert {"models", "app"} <= covered, covered


def test_the_crop_contract_and_procrops_ranking_load_without_torch():
    # torch costs about a second to import: only a learned method's first use may pay it
    code = "import sys, models.cropping, models.procrop.ranking; sys.exit('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr or "torch was imported"
