"""Export: the film's throughput against a bare ffmpeg encode of the same frames, and `render` end to end.

Run: .venv/bin/python benchmarks/bench_export.py [--runs 2]
Targets (issue 5): export throughput at 1280x720, 24 fps, at least 0.7 of a bare ffmpeg encode of the same
frames with the same x264 settings; `render` of the-last-ferry with the offline defaults under 60 s.

The export is timed with every clip cached (a re-export): narration and clips are the render's cost and are
timed there. The bare encode reads the very frames the export piped to ffmpeg, decoded beforehand into a raw
file, so it pays for encoding alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dreamfactory_studio.backends.backend_set import Backends  # noqa: E402
from dreamfactory_studio.backends.video.ffmpeg import ffmpeg_exe  # noqa: E402
from dreamfactory_studio.core.project_folder import ProjectFolder  # noqa: E402
from dreamfactory_studio.core.settings import load_settings  # noqa: E402
from dreamfactory_studio.export.assembly import FilmPicture  # noqa: E402
from dreamfactory_studio.export.exporter import ExportOptions  # noqa: E402
from dreamfactory_studio.export.film import FilmFormat, FilmMaker  # noqa: E402
from dreamfactory_studio.export.timeline import build_timeline  # noqa: E402
from dreamfactory_studio.workspace import Workspace  # noqa: E402

STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"
CLI = [sys.executable, "-m", "dreamfactory_studio"]


def render(work: Path) -> tuple[float, str]:
    out = work / "ferry.mp4"
    started = time.perf_counter()
    done = subprocess.run(
        [*CLI, "render", str(STORY), str(out), "--pdf", str(work / "ferry.pdf"), "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout


def export_once(project_dir: Path, out: Path) -> tuple[float, int]:
    with Workspace.open(project_dir) as workspace:
        started = time.perf_counter()
        result = asyncio.run(workspace.export(ExportOptions(out)))
        seconds = time.perf_counter() - started
    assert result.renders == 0, "the clips should all be cached"
    return seconds, result.timeline.frames


def raw_frames(project_dir: Path, raw: Path) -> tuple[int, FilmFormat]:
    """The film's frames exactly as the export makes them, written to a raw RGB file."""
    settings = load_settings()
    film_format = FilmFormat.parse(settings.defaults.resolution, settings.defaults.fps)
    with ProjectFolder.open(project_dir) as folder, Backends(settings) as backends:
        project = folder.load()
        maker = FilmMaker(
            folder,
            project,
            speech=backends.speech,
            video=backends.video,
            worker=backends.worker,
            settings=settings.export,
            film_format=film_format,
        )
        plans = asyncio.run(maker.prepare())
        timeline = build_timeline(plans, settings.export, film_format.fps, title=project.title)
        picture = FilmPicture(timeline, film_format, False, project.title)
        with raw.open("wb") as handle:
            for n in range(timeline.frames):
                handle.write(picture.frame(n / film_format.fps).tobytes())
        picture.close()
    return timeline.frames, film_format


def bare_encode(raw: Path, film_format: FilmFormat, out: Path) -> float:
    export = load_settings().export
    command = [
        ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
        "-s", f"{film_format.width}x{film_format.height}", "-r", str(film_format.fps), "-i", str(raw),
        "-c:v", "libx264", "-preset", export.preset, "-crf", str(export.quality), "-pix_fmt", "yuv420p",
        "-threads", str(os.cpu_count() or 2), str(out),
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    runs = parser.parse_args().runs
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        renders = []
        for run in range(runs):
            target = work / f"render-{run}"
            target.mkdir()
            seconds, printed = render(target)
            renders.append(seconds)
        film_line = next(line for line in printed.splitlines() if line.startswith("wrote"))
        project_dir = work / f"render-{runs - 1}" / "ferry.dreamfactory"
        frames, film_format = raw_frames(project_dir, work / "frames.rgb")
        export_times, bare_times = [], []
        for _ in range(runs):
            export_times.append(export_once(project_dir, work / "again.mp4")[0])
            bare_times.append(bare_encode(work / "frames.rgb", film_format, work / "bare.mp4"))
        export_fps = frames / statistics.median(export_times)
        bare_fps = frames / statistics.median(bare_times)
        settings = load_settings()
        speech = Backends(settings).speech.label
        print(
            f"film: {film_line.removeprefix('wrote ')}; speech: {speech}; x264 preset {settings.export.preset}"
        )
        print()
        print("| measure | result | target |")
        print("|---|---|---|")
        print(
            f"| `render` the-last-ferry, offline defaults, with `--pdf` (median of {runs}) | "
            f"{statistics.median(renders):.1f} s (max {max(renders):.1f} s) | < 60 s |"
        )
        print(
            f"| export {film_format.width}x{film_format.height} at {film_format.fps} fps, clips cached, "
            f"{frames} frames | {export_fps:.0f} frames/s | - |"
        )
        print(f"| bare ffmpeg encode of the same frames | {bare_fps:.0f} frames/s | - |")
        print(f"| ratio export / bare | {export_fps / bare_fps:.2f} | >= 0.7 |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
