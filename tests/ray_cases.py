"""The Ray cases of tests/test_workers.py, run by it in a process of their own (a local Ray cluster beside the
Qt tests crashed that process at teardown). Run alone: .venv/bin/python -m pytest tests/ray_cases.py"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from dreamfactory_studio.backends.worker_pool import WorkerPool
from dreamfactory_studio.backends.worker_process import ProcessWorker

from .worker_jobs import export_clips, painter, pixels, request


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=3, log_to_driver=False, include_dashboard=False)
    yield ray
    ray.shutdown()


def test_an_export_whose_clips_ran_on_ray_equals_the_local_one(made, tmp_path, svd, cluster):
    local, remote = WorkerPool(["cpu"]), WorkerPool(["cpu", "cpu"], ray_address="auto", gpus=0)
    try:
        here = export_clips(made, tmp_path / "local", local, svd)
        there = export_clips(made, tmp_path / "ray", remote, svd)
        assert sum(w.state.jobs for w in remote.workers) == len(there)
        assert all(w.state.device.startswith("ray node") for w in remote.workers)
    finally:
        local.shutdown()
        remote.shutdown()
    assert all(np.array_equal(a, b) for a, b in zip(here, there, strict=True))


def test_a_ray_worker_lost_mid_job_is_retried_and_the_take_is_made(sd15, cluster):
    pool = WorkerPool(["cpu"], ray_address="auto", gpus=0)
    worker = pool.workers[0]
    killed = []

    def step(done, _total):
        if done >= 2 and not killed:
            killed.append(True)
            worker.kill()

    try:
        drawn = asyncio.run(pool.generate(painter(sd15), request(steps=60), step, lambda _m: None))
    finally:
        pool.shutdown()
    assert killed and drawn.image.size == (64, 64)
    local = ProcessWorker("cpu")  # a CPU worker's torch threads are fixed, as a Ray CPU actor's are
    try:
        here = asyncio.run(local.generate(painter(sd15), request(steps=60), lambda *_: None, lambda _m: None))
    finally:
        local.shutdown()
    assert np.array_equal(pixels(drawn), pixels(here))
