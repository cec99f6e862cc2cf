"""Foundation speed: `--version` wall time, and save/load of a 500-scene project.

Run: .venv/bin/python benchmarks/bench_foundation.py
Targets: --version under 0.5 s (no torch import); save and load of 500 scenes under 0.3 s each.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dreamfactory_studio.core.model import Character, Project, Scene, Take
from dreamfactory_studio.core.project_folder import ProjectFolder

SCRIPT = (
    "Amara climbs down into the engine room with a lantern while Tomas waits on deck. The fog presses "
    "against the portholes; the engine coughs once more and falls silent. She sets the lantern on a crate. "
)


def version_wall_time(runs: int = 15) -> list[float]:
    exe = shutil.which("dreamfactory-studio", path=str(Path(sys.executable).parent))
    command = [exe, "--version"] if exe else [sys.executable, "-m", "dreamfactory_studio", "--version"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def big_project(scenes: int = 500) -> Project:
    characters = [
        Character(name=f"Person {i}", description="tall, faded blue coat, grey hair") for i in range(6)
    ]
    project = Project(title="Bench", story=SCRIPT * 50, characters=characters)
    for index in range(scenes):
        scene = Scene(
            title=f"Scene {index + 1}",
            script=SCRIPT * 2,
            narration=SCRIPT,
            shot="medium",
            camera="slow push in",
            characters=[c.id for c in characters[:3]],
            keyframe_description=SCRIPT,
        )
        for seed in range(3):
            scene.takes.append(
                Take(
                    image=f"assets/{index:060d}{seed:04d}.png",
                    seed=seed,
                    prompt=SCRIPT,
                    backend="sketch",
                    score=0.8,
                )
            )
        scene.selected_take = scene.takes[0].id
        project.scenes.append(scene)
    return project


def save_load_times(runs: int = 10) -> tuple[list[float], list[float], int]:
    root = Path(tempfile.mkdtemp()) / "bench"
    project = big_project()
    saves, loads = [], []
    with ProjectFolder.create(root, project) as folder:
        for _ in range(runs):
            start = time.perf_counter()
            folder.save(project)
            saves.append(time.perf_counter() - start)
            start = time.perf_counter()
            folder.load()
            loads.append(time.perf_counter() - start)
        size = folder.project_file.stat().st_size
    shutil.rmtree(root.parent)
    return saves, loads, size


def main() -> None:
    version = version_wall_time()
    saves, loads, size = save_load_times()
    print("| measure | median | max | target |")
    print("|---|---|---|---|")
    print(
        f"| `dreamfactory-studio --version` wall time | {statistics.median(version):.3f} s | {max(version):.3f} s | < 0.5 s |"
    )
    print(
        f"| save 500 scenes ({size / 1e6:.1f} MB project.json) | {statistics.median(saves):.3f} s | {max(saves):.3f} s | < 0.3 s |"
    )
    print(f"| load 500 scenes | {statistics.median(loads):.3f} s | {max(loads):.3f} s | < 0.3 s |")


if __name__ == "__main__":
    main()
