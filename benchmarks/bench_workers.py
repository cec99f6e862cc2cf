"""Clips of the-last-ferry on one worker, two workers and two Ray actors: the speed-up of the pool.

Run: .venv/bin/python benchmarks/bench_workers.py [--scenes 10] [--frames 6] [--steps 4]
The clips are a tiny random Stable Video Diffusion (tests/tiny_models.py) on the CPU, at 64x32, through the
real diffusers video backend, rendered by ``FilmMaker.render_clips`` on a ``WorkerPool`` of ``cpu`` workers
(each with one torch thread, as ``[compute] cpu_threads`` fixes it) or on Ray actors of a local cluster. The
first job of each worker loads the model; the time is the whole render, loads included, and the pixels of every
pool are checked to be the one worker's.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from dreamfactory_studio.backends.speech import Silence  # noqa: E402
from dreamfactory_studio.backends.video.diffusers_video import DiffusersVideo  # noqa: E402
from dreamfactory_studio.backends.worker_pool import WorkerPool  # noqa: E402
from dreamfactory_studio.core.model import Project  # noqa: E402
from dreamfactory_studio.core.project_folder import ProjectFolder  # noqa: E402
from dreamfactory_studio.core.settings import ExportSettings, VideoSettings  # noqa: E402
from dreamfactory_studio.export.film import FilmFormat, FilmMaker  # noqa: E402
from dreamfactory_studio.production.run_plan import RunRequest  # noqa: E402
from dreamfactory_studio.workspace import Workspace  # noqa: E402
from tests.film_projects import probe, small_settings  # noqa: E402
from tests.tiny_models import build_svd  # noqa: E402

STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"


def render(project_dir: Path, pool: WorkerPool, video: VideoSettings) -> tuple[float, list[np.ndarray]]:
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        maker = FilmMaker(
            folder,
            project,
            speech=Silence(),
            video=DiffusersVideo(video),
            worker=pool,
            settings=ExportSettings(),
            film_format=FilmFormat(96, 54, 12),
        )
        began = time.perf_counter()
        asyncio.run(maker.render_clips())
        seconds = time.perf_counter() - began
        return seconds, [probe(folder.asset_path(s.clip.video))["frames"] for s in project.scenes]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=10)
    parser.add_argument("--frames", type=int, default=6)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    model = build_svd(home / "svd")
    video = VideoSettings(
        backend="diffusers",
        model=str(model),
        width=64,
        height=32,
        frames=args.frames,
        steps=args.steps,
        decode_chunk=2,
    )
    source = home / "ferry"
    project = Project(title="The Last Ferry", story=STORY.read_text(), request={"scenes": args.scenes})
    with Workspace(ProjectFolder.create(source, project), settings=small_settings()) as workspace:
        asyncio.run(workspace.run(RunRequest()))

    pools = {"1 worker": lambda: WorkerPool(["cpu"]), "2 workers": lambda: WorkerPool(["cpu", "cpu"])}
    try:
        import ray

        ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False)
        pools["Ray, 2 local actors"] = lambda: WorkerPool(["cpu", "cpu"], ray_address="auto", gpus=0)
    except ImportError:
        print("(Ray is not installed: pip install 'dreamfactory-studio[ray]')")
    rows, reference = [], None
    for name, make in pools.items():
        target = home / name.replace(" ", "-").replace(",", "")
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
        pool = make()
        try:
            seconds, frames = render(target, pool, video)
        finally:
            pool.shutdown()
        same = reference is None or all(np.array_equal(a, b) for a, b in zip(reference, frames, strict=True))
        reference = reference or frames
        base = rows[0][1] if rows else seconds
        rows.append((name, seconds, base / seconds, same))
    print(
        f"| pool | {args.scenes} clips ({args.frames} frames, {args.steps} steps, 64x32) | speed-up | same pixels |"
    )
    print("|---|---|---|---|")
    for name, seconds, speedup, same in rows:
        print(f"| {name} | {seconds:.1f} s | {speedup:.2f}x | {'yes' if same else 'NO'} |")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
