"""The text phases with the offline writer: `new` + `run --until script` on the-last-ferry, as a user runs them.

Run: .venv/bin/python benchmarks/bench_crew.py
Targets: under 2 s for the two commands together (issue 3); a story at the 256 KiB limit through the script in
under 30 s, in time linear in its length (issue 28: the split was quadratic in sentences).
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


def long_stories(folder: Path) -> dict[str, Path]:
    """Two stories just under the 256 KiB limit: the sample told again and again (3,200 sentences in 1,900
    paragraphs), and 25,000 two-word sentences."""
    import random

    told, text, index = [], STORY.read_text(), 0
    while sum(len(p) + 2 for p in told) + len(text) < 255 * 1024:
        told.append(text.replace("ferry", f"ferry {index}"))
        index += 1
    random.seed(2)
    short = ""
    while len(short) < 250 * 1024:
        names, verbs = ("Mara", "Tom", "Ivo", "Lena"), ("ran", "sat", "wept", "sang", "hid", "rose")
        sentences = (f"{random.choice(names)} {random.choice(verbs)}." for _ in range(random.randint(3, 9)))
        short += " ".join(sentences) + "\n\n"
    stories = {"told again": "\n\n".join(told), "short sentences": short}
    paths = {}
    for name, story in stories.items():
        paths[name] = folder / f"{name.replace(' ', '-')}.txt"
        paths[name].write_text(story)
    return paths


def new_and_run(scenes: int, runs: int = 5, story: Path = STORY) -> list[float]:
    times = []
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp()) / "p"
        start = time.perf_counter()
        cli("new", str(story), str(folder), "--scenes", str(scenes))
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
    with tempfile.TemporaryDirectory() as folder:
        for name, story in long_stories(Path(folder)).items():
            for scenes in (12, 300):
                times = new_and_run(scenes, runs=2, story=story)
                print(
                    f"| `new` + `run --until script`, 256 KiB story ({name}), {scenes} scenes "
                    f"| {statistics.median(times):.2f} s | {max(times):.2f} s | < 30 s |"
                )


if __name__ == "__main__":
    main()
