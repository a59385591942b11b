"""The Ray engine (issue 5) on a local one-CPU Ray instance gives the same dataset as the local engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.dataset_builder.runner import BuildSettings, build_dataset
from tests.models.test_dataset_builder import make_photos

ray = pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_ray():
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": path, "OMP_NUM_THREADS": "1"}})  # fmt: skip
    yield ray
    ray.shutdown()


def test_ray_engine_builds_the_same_dataset(local_ray, tmp_path: Path) -> None:
    src = make_photos(tmp_path / "photos", 6)
    seen = []
    report = build_dataset(BuildSettings(src, tmp_path / "ray", 7, canvas=96, engine="ray"), progress=seen.append)
    assert (report.images, report.written, report.cancelled) == (7, 7, False)
    assert sorted(p.sample.index for p in seen) == list(range(7))
    build_dataset(BuildSettings(src, tmp_path / "local", 7, canvas=96))
    a, b = ((tmp_path / d / "annotations.json").read_text() for d in ("ray", "local"))
    assert a.replace("/ray", "") == b.replace("/local", "")
    assert local_ray.is_initialized()  # an instance the caller started is left running
