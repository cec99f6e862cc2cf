"""The text phases with the offline writer: `new` + `run --until script` on the-last-ferry, as a user runs them.

Run: .venv/bin/python benchmarks/bench_crew.py
Target: under 2 s for the two commands together (issue 3).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "dreamfactory_studio", *args], check=True, capture_output=True)


def new_and_run(scenes: int, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp()) / "p"
        start = time.perf_counter()
        cli("new", str(STORY), str(folder), "--scenes", str(scenes))
        cli("run", str(folder), "--until", "script")
        times.append(time.perf_counter() - start)
        shutil.rmtree(folder.parent)
    return times


def main() -> None:
    print("| measure | median | max | target |")
    print("|---|---|---|---|")
    for scenes in (10, 30):
        times = new_and_run(scenes)
        target = "< 2 s" if scenes == 10 else "-"
        print(
            f"| `new` + `run --until script`, the-last-ferry, {scenes} scenes, offline writer "
            f"| {statistics.median(times):.2f} s | {max(times):.2f} s | {target} |"
        )


if __name__ == "__main__":
    main()
