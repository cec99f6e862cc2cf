"""The model in its own process, a pool of workers, and Ray: a take in a child process, cancel, a child killed
mid-job (the scene fails with a message, the next job restarts it), two CPU workers giving the same pixels as
one, clips spread over them, a local Ray cluster, the window surviving a killed worker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import numpy as np
import pytest

from dreamfactory_studio.backends.worker_pool import WorkerPool, resolve_devices
from dreamfactory_studio.backends.worker_process import ProcessWorker, WorkerDied
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.settings import ImageSettings

from .worker_jobs import export_clips, painter, pixels, request


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


def test_first_and_last_frame_clips_over_two_workers_are_the_clips_of_one(made, tmp_path):
    from .tiny_video_families import build_wan

    wan = build_wan(tmp_path / "wan2.1-flf2v")
    one, two = WorkerPool(["cpu"]), WorkerPool(["cpu", "cpu"])
    try:
        alone = export_clips(made, tmp_path / "one", one, wan, clip_end="next", frames=5)
        shared = export_clips(made, tmp_path / "two", two, wan, clip_end="next", frames=5)
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


def test_killing_the_worker_mid_take_leaves_the_window_running_and_the_next_take_draws(
    window, project_dir, loop, sd15
):
    from dreamfactory_studio.core.settings import KeyframeSettings, save_settings

    from .film_projects import small_settings
    from .studio_window import saved, select, type_into

    settings = small_settings()
    settings.image = ImageSettings(backend="diffusers", model=str(sd15), steps=20)
    settings.keyframes = KeyframeSettings(width=64, height=64, retries=0)
    settings.compute.devices = ["cpu"]
    save_settings(settings)
    window.open_project(str(project_dir))
    scene = select(window, 2)
    type_into(window.scene_editor._texts["title"], "An edit not saved yet")
    takes = len(scene.takes)
    pool = window.session.workspace.backends.worker
    worker = pool.workers[0]
    killed = []

    def kill_when_drawing(changes):
        if worker.state.progress and worker.state.progress[0] >= 2 and not killed:
            killed.append(worker.pid)
            os.kill(worker.pid, signal.SIGKILL)

    window.session.changed.connect(kill_when_drawing)
    window.actions["regenerate"].trigger()
    with contextlib.suppress(BaseException):  # the take that fails
        loop.run_until_complete(window.jobs.current)
    loop.run_until_complete(asyncio.sleep(0.1))
    window.session.changed.disconnect(kill_when_drawing)
    assert killed, "the worker was killed mid-take"
    assert "stopped while drawing (killed by SIGKILL)" in window.statusBar().currentMessage()
    assert window.isVisible() and window.session.project.scenes[1].title == "An edit not saved yet"
    assert window.session.undo.canUndo(), "the undo stack is intact"
    window.docks["workers"].raise_()
    panel = window.docks["workers"].widget()
    panel.refresh()
    assert panel.summary.text().startswith("1 worker process;")
    assert "stopped (killed by SIGKILL)" in panel.list.item(0).text()
    window.actions["regenerate"].trigger()
    loop.run_until_complete(window.jobs.current)
    assert len(window.session.project.scenes[1].takes) == takes + 1 and worker.pid not in killed
    assert saved(project_dir).scenes[1].takes[-1].backend.startswith("diffusers")


def test_independent_jobs_run_at_most_limit_at_once_and_a_failure_stops_the_rest():
    from dreamfactory_studio.core.tasks import all_or_none

    running, most, ended = [0], [0], []

    async def job(n: int) -> int:
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            await asyncio.sleep(0.01)
            if n == 3:
                raise ValueError("job 3 failed")
            await asyncio.sleep(0.05 if n > 3 else 0)
            ended.append(n)
            return n
        finally:
            running[0] -= 1

    assert asyncio.run(all_or_none([job(n) for n in range(3)], limit=2)) == [0, 1, 2] and most[0] == 2
    ended.clear()
    with pytest.raises(ValueError, match="job 3 failed"):
        asyncio.run(all_or_none([job(n) for n in (3, 4, 5)]))
    assert ended == [], "the others were stopped"
