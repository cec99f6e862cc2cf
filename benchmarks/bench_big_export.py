"""The export of a very long film: how its cost grows with the number of scenes.

Run: .venv/bin/python benchmarks/bench_big_export.py [--scenes 2000] [--repo DIR]
Makes a project of N scenes (one shared 160x90 keyframe, a line of narration each, silent speech), exports it
at 160x90 with a PDF storyboard, and prints the wall time, how many times project.json was saved and the
bytes this process wrote (``wchar`` and ``write_bytes`` of /proc/self/io; ffmpeg's own writes are not counted,
and they are the same either way). ``--repo`` runs another checkout of the studio (an older commit) for the
before-and-after table.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path


def proc_io() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = int(value)
    return fields


def make_project(root: Path, scenes: int):
    from PIL import Image

    from dreamfactory_studio.core.model import PHASES, PhaseState, Project, Scene, Take
    from dreamfactory_studio.core.project_folder import ProjectFolder

    buffer = io.BytesIO()
    Image.new("RGB", (160, 90), (90, 120, 200)).save(buffer, format="PNG")
    project = Project(title="Long", story="A very long film.")
    folder = ProjectFolder.create(root, project)
    asset = folder.add_asset(buffer.getvalue(), ".png")
    project = folder.load()
    for number in range(1, scenes + 1):
        take = Take(image=asset, seed=number, prompt=f"scene {number}", backend="sketch")
        project.scenes.append(
            Scene(
                title=f"Scene {number}",
                script=f"Moment {number}.",
                narration=f"Line {number}.",
                takes=[take],
                selected_take=take.id,
            )
        )
    project.phases = {p: PhaseState(status="done") for p in PHASES}
    folder.save(project)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo))
    from dreamfactory_studio.core.project_folder import ProjectFolder
    from dreamfactory_studio.core.settings import ExportSettings, Settings, SpeechSettings
    from dreamfactory_studio.export.exporter import ExportOptions

    work = Path(tempfile.mkdtemp(prefix="bench-big-export-"))
    settings = Settings(
        speech=SpeechSettings(backend="silence"), export=ExportSettings(title_card=False, end_card=False)
    )
    folder = make_project(work / "p", args.scenes)
    project = folder.load()
    saves = [0]
    original = ProjectFolder.save

    def counted(self, project):
        saves[0] += 1
        return original(self, project)

    ProjectFolder.save = counted
    options = ExportOptions(work / "out" / "film.mp4", pdf=work / "out" / "film.pdf", resolution="160x90")
    before, started = proc_io(), time.perf_counter()
    try:  # this checkout's export, whichever API it has
        from dreamfactory_studio.backends.backend_set import Backends
        from dreamfactory_studio.export.exporter import export_project

        with Backends(settings) as backends:
            result = asyncio.run(export_project(folder, project, backends, options))
    except ImportError:
        from dreamfactory_studio.export.exporter import export_project

        result = asyncio.run(export_project(folder, project, settings, options))
    seconds, after = time.perf_counter() - started, proc_io()
    folder.close()
    wrote = {k: (after[k] - before[k]) / 2**20 for k in ("wchar", "write_bytes")}
    size = (work / "p" / "project.json").stat().st_size / 2**20
    print(
        f"| {args.scenes} scenes | {seconds:.0f} s | {saves[0]} | {wrote['wchar']:.0f} MiB | {wrote['write_bytes']:.0f} MiB | {size:.1f} MiB | {result.renders} |"
    )


if __name__ == "__main__":
    main()
