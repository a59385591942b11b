"""Shared test setup.

GUI tests run headless (``QT_QPA_PLATFORM=offscreen``) unless ``--headed`` is given; the
platform must be chosen before the first QApplication exists, hence at import time.
QSettings are redirected to a per-test folder so tests never read or write the user's.

Hypothesis profiles (``HYPOTHESIS_PROFILE``): ``dev`` (the default) draws new examples on
every run, so local runs keep exploring; ``ci`` (set by ``.ci/run``) is derandomized, so
CI checks exactly the examples a local ``HYPOTHESIS_PROFILE=ci make test`` checked, and
a case found locally is pinned with ``@example`` rather than left to luck.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import sys
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("dev")
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

_HEADED = "--headed" in sys.argv[1:] or "--headed" in shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
if not _HEADED:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_HAS_QT = importlib.util.find_spec("PySide6") is not None

SAMPLES = Path(__file__).parents[1] / "resources" / "samples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--headed",
        action="store_true",
        default=False,
        help="show GUI tests on the real display instead of the offscreen platform",
    )


@pytest.fixture(autouse=True)
def _isolated_qsettings(request: pytest.FixtureRequest):
    """Point QSettings (INI format) at the test's tmp folder; a no-op without PySide6."""
    if not _HAS_QT:
        yield
        return
    from PySide6.QtCore import QSettings

    folder = request.getfixturevalue("tmp_path") / "qsettings"
    folder.mkdir(exist_ok=True)
    old_format = QSettings.defaultFormat()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    yield
    QSettings.setDefaultFormat(old_format)


@pytest.fixture
def sample_image() -> Path:
    """A 512x512 RGB JPEG."""
    return SAMPLES / "astronaut.jpg"
