"""The model in its own process, a pool of workers, and Ray: a take in a child process, cancel, a child killed
mid-job (the scene fails with a message, the next job restarts it), two CPU workers giving the same pixels as
one, clips spread over them, a local Ray cluster, the window surviving a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal

import numpy as np
import pytest

from dreamfactory_studio.backends.image import ImageRequest
from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
from dreamfactory_studio.backends.worker_pool import WorkerPool, resolve_devices
from dreamfactory_studio.backends.worker_process import ProcessWorker, WorkerDied
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.settings import ImageSettings

from .tiny_models import build_sd15


@pytest.fixture(scope="module")
def sd15(tmp_path_factory):
    return build_sd15(tmp_path_factory.mktemp("workers") / "sd15")


def painter(path) -> DiffusersBackend:
    return DiffusersBackend(ImageSettings(backend="diffusers", model=str(path), device="cpu"))


def request(seed=5, steps=3) -> ImageRequest:
    return ImageRequest(prompt="a ferry in fog", seed=seed, width=64, height=64, steps=steps)


def pixels(drawn) -> np.ndarray:
    return np.asarray(drawn.image)


def test_a_take_in_the_worker_process_is_the_take_drawn_in_process(sd15):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(
        1
    )  # as a cpu worker draws: with a fixed number of threads (the pixels depend on it)
    try:
        here = painter(sd15)
        here.load(lambda _m: None)
        expected = pixels(here.generate(request(), lambda *_: None, lambda: False))
    finally:
        torch.set_num_threads(threads)
    worker = ProcessWorker("cpu")
    steps, loading = [], []
    try:
        drawn = asyncio.run(
            worker.generate(painter(sd15), request(), lambda d, t: steps.append(d), loading.append)
        )
        again = asyncio.run(worker.generate(painter(sd15), request(seed=6), lambda *_: None, lambda _m: None))
        assert worker.pid is not None and worker.pid != os.getpid()
    finally:
        worker.shutdown()
    assert np.array_equal(pixels(drawn), expected)
    assert steps == [1, 2, 3] and loading, "progress and loading messages come back from the child"
    assert worker.loads == 1 and worker.state.jobs == 2 and worker.state.model.startswith("diffusers")
    assert not np.array_equal(pixels(again), expected)


def test_cancel_stops_the_child_at_its_next_step_and_it_draws_on(sd15):
    worker = ProcessWorker("cpu")

    async def go():
        job = None

        def step(done, _total):
            if done == 1:
                job.cancel()

        job = asyncio.ensure_future(worker.generate(painter(sd15), request(steps=25), step, lambda _m: None))
        with pytest.raises(asyncio.CancelledError):
            await job
        return await worker.generate(painter(sd15), request(), lambda *_: None, lambda _m: None)

    try:
        assert asyncio.run(go()).image.size == (64, 64)
    finally:
        worker.shutdown()


def test_a_child_killed_mid_job_fails_that_job_and_the_next_one_restarts_it(sd15):
    worker = ProcessWorker("cpu")
    first = {}

    async def go():
        def step(done, _total):
            if done == 2 and "pid" not in first:
                first["pid"] = worker.pid
                os.kill(worker.pid, signal.SIGKILL)

        with pytest.raises(WorkerDied, match=r"stopped while drawing \(killed by SIGKILL\).*starts again"):
            await worker.generate(painter(sd15), request(steps=25), step, lambda _m: None)
        assert worker.state.error == "stopped (killed by SIGKILL)" and not worker.state.alive
        return await worker.generate(painter(sd15), request(), lambda *_: None, lambda _m: None)

    try:
        drawn = asyncio.run(go())
        assert worker.pid != first["pid"], "a new child"
    finally:
        worker.shutdown()
    assert drawn.image.size == (64, 64)


def test_two_cpu_workers_draw_candidates_at_once_with_the_pixels_of_one(sd15):
    one, two = WorkerPool(["cpu"]), WorkerPool(["cpu", "cpu"])

    async def draw(pool):
        return await asyncio.gather(
            *(
                pool.generate(painter(sd15), request(seed=s), lambda *_: None, lambda _m: None)
                for s in (11, 12, 13)
            )
        )

    try:
        alone, shared = asyncio.run(draw(one)), asyncio.run(draw(two))
        assert [w.state.jobs for w in two.workers] in ([2, 1], [1, 2]), "both workers drew"
        assert two.loads == 2 and two.size == 2
    finally:
        one.shutdown()
        two.shutdown()
    assert all(np.array_equal(pixels(a), pixels(b)) for a, b in zip(alone, shared, strict=True))


def test_devices_that_do_not_exist_are_refused_plainly(capsys, tmp_path, project_dir):
    assert resolve_devices(["cpu", "CPU"]) == ["cpu", "cpu"]
    with pytest.raises(BadInput, match="'tpu:0' is not a device"):
        resolve_devices(["tpu:0"])
    with pytest.raises(BadInput, match="there is no GPU cuda:7"):
        resolve_devices(["cuda:7"])
    assert (
        main(["export", str(project_dir), "--devices", "cuda:7", "--timeline", str(tmp_path / "c.otio")]) == 2
    )
    assert "there is no GPU cuda:7: this machine has none" in capsys.readouterr().err


def test_the_thread_worker_stays_for_debugging():
    pool = WorkerPool(["cpu"], worker="thread")
    assert pool.workers == [] and pool.size == 1


def test_a_ray_address_that_cannot_be_reached_says_how_to_start_one(monkeypatch):
    from dreamfactory_studio.backends import ray_workers

    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a cluster of this process is running")
    from dreamfactory_studio.core.errors import BackendError

    with pytest.raises(BackendError, match=r"cannot reach a Ray cluster at 127.0.0.1:1.*ray start --head"):
        ray_workers.connect("127.0.0.1:1")


def clip_settings(model):
    from dreamfactory_studio.core.settings import VideoSettings

    return VideoSettings(
        backend="diffusers", model=str(model), width=64, height=32, frames=3, steps=2, decode_chunk=2
    )


@pytest.fixture(scope="module")
def svd(tmp_path_factory):
    from .tiny_models import build_svd

    return build_svd(tmp_path_factory.mktemp("svd") / "svd")


def export_clips(made, target, pool, svd):
    """Render the project's clips with the tiny SVD on ``pool``; the clips' frames in scene order."""
    from dreamfactory_studio.backends.speech import Silence
    from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo
    from dreamfactory_studio.core.project_folder import ProjectFolder
    from dreamfactory_studio.core.settings import ExportSettings
    from dreamfactory_studio.export.film import FilmFormat, FilmMaker

    from .film_projects import copy_project, probe

    with ProjectFolder.open(copy_project(made, target)) as folder:
        project = folder.load()
        maker = FilmMaker(
            folder,
            project,
            speech=Silence(),
            video=DiffusersVideo(clip_settings(svd)),
            worker=pool,
            settings=ExportSettings(),
            film_format=FilmFormat(96, 54, 12),
        )
        asyncio.run(maker.render_clips())
        return [probe(folder.asset_path(s.clip.video))["frames"] for s in project.scenes]


def test_clips_spread_over_two_workers_are_the_clips_of_one(made, tmp_path, svd):
    one, two = WorkerPool(["cpu"]), WorkerPool(["cpu", "cpu"])
    try:
        alone = export_clips(made, tmp_path / "one", one, svd)
        shared = export_clips(made, tmp_path / "two", two, svd)
        assert all(w.state.jobs >= 1 for w in two.workers), "both workers rendered clips"
    finally:
        one.shutdown()
        two.shutdown()
    assert len(alone) == len(shared) and all(np.array_equal(a, b) for a, b in zip(alone, shared, strict=True))


RAY_CASES = ("an_export_whose_clips_ran_on_ray_equals_the_local_one", "a_ray_worker_lost_mid_job_is_retried")


def test_ray_cases_in_a_process_of_their_own():
    """A local Ray cluster beside Qt in the test process crashed it at teardown, so the Ray cases run in a
    pytest of their own (tests/ray_cases.py)."""
    import subprocess
    import sys

    from .paths import REPO

    pytest.importorskip("ray")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/ray_cases.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
