"""The studio window's speed: cold start to the first window, opening a 500-scene project, scrolling its cards.

Run: .venv/bin/python benchmarks/bench_studio.py
Targets: cold start under 1.5 s with no torch import; open 500 scenes under 1 s; a scroll frame under 16.7 ms.
Runs offscreen (Qt's raster painter, as on a machine without a GPU) with its own settings and data folders.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_foundation import big_project  # noqa: E402

FRAME = 1 / 60
HOME = Path(tempfile.mkdtemp(prefix="dreamfactory-bench-"))
for _name in ("CONFIG", "DATA", "LOG"):
    os.environ[f"DREAMFACTORY_{_name}_DIR"] = str(HOME / _name.lower())

CHILD = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
def shown():
    heavy = sorted(m for m in ("torch", "diffusers", "transformers", "openai", "cv2", "moviepy") if m in sys.modules)
    visible = [w for w in app.topLevelWidgets() if w.isVisible()]
    print(json.dumps({"heavy": heavy, "windows": len(visible)}), flush=True)
    app.quit()
QTimer.singleShot(0, shown)  # runs once the event loop turns, after launch() has shown the window
from dreamfactory_studio.app.studio import launch
launch()
"""


def cold_starts(runs: int = 7) -> tuple[list[float], dict]:
    times, seen = [], {}
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        seen = json.loads(out.stdout.strip().splitlines()[-1])
    return times, seen


def make_project(root: Path, scenes: int = 500) -> Path:
    """A 500-scene project (three takes a scene) whose keyframes are 500 distinct 1024x576 PNGs."""
    import cv2
    import numpy as np

    from dreamfactory_studio.core.project_folder import ProjectFolder

    project = big_project(scenes)
    ProjectFolder.create(root, project).close()
    ramp = np.linspace(0, 255, 1024, dtype=np.float32)[None, :, None]
    for index, scene in enumerate(project.scenes):
        hue = np.array([(index * 37) % 255, (index * 91) % 255, (index * 53) % 255], np.float32)
        image = (ramp * 0.5 + hue * 0.5).astype(np.uint8).repeat(576, axis=0)
        cv2.putText(image, f"SCENE {index + 1}", (60, 300), cv2.FONT_HERSHEY_SIMPLEX, 4, (255, 255, 255), 8)
        cv2.imwrite(str(root / scene.keyframe.image), image)
    return root


def open_and_scroll(root: Path, runs: int = 5) -> dict:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from dreamfactory_studio.app.look import apply_look
    from dreamfactory_studio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_look(app)
    opens, thumbs = [], []
    for _ in range(runs):
        window = MainWindow()
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        start = time.perf_counter()
        assert window.open_project(str(root))
        window.timeline.viewport().repaint()  # the first cards drawn
        opens.append(time.perf_counter() - start)
        model, view = window.model, window.timeline
        visible = [
            r
            for r in range(model.rowCount())
            if view.visualRect(model.index(r)).intersects(view.viewport().rect())
        ]
        while any(model.card(r).image_state == "loading" for r in visible):
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # idle until something arrives
        thumbs.append(time.perf_counter() - start)
        if len(opens) < runs:
            window.close_project()
            window.close()
    frames = {"cold": [], "warm": []}
    window.thumbnails._cache.clear()
    bar = window.timeline.verticalScrollBar()
    step = max(1, window.timeline.viewport().height() // 3)
    for label in ("cold", "warm"):
        bar.setValue(0)
        app.processEvents()
        value = 0
        while value <= bar.maximum():  # the maximum grows while the batched layout goes on
            bar.setValue(value)
            value += step
            start = time.perf_counter()
            window.timeline.viewport().repaint()
            frames[label].append(time.perf_counter() - start)
            # A user scrolls at 60 frames a second: decoded thumbnails arrive in the time left in the frame.
            while time.perf_counter() - start < FRAME:
                app.processEvents()
                time.sleep(0.001)
        window.thumbnails.wait()
        app.processEvents()
    window.close_project()
    window.close()
    return {
        "opens": opens,
        "thumbs": thumbs,
        "frames": frames,
        "rows": model.rowCount(),
        "steps": len(frames["warm"]),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    starts, seen = cold_starts()
    root = make_project(HOME / "five-hundred")
    result = open_and_scroll(root)
    warm, cold = sorted(result["frames"]["warm"]), sorted(result["frames"]["cold"])
    p95 = lambda xs: xs[min(len(xs) - 1, int(len(xs) * 0.95))]  # noqa: E731
    print("| measure | median | max | target |")
    print("|---|---|---|---|")
    print(
        f"| cold start to the first window shown (`launch()`, new process) | {statistics.median(starts):.2f} s | "
        f"{max(starts):.2f} s | < 1.5 s |"
    )
    print(
        f"| modules loaded at that point, of torch, diffusers, transformers, openai, cv2, moviepy | "
        f"{', '.join(seen['heavy']) or 'none'} | | none |"
    )
    print(
        f"| open a {result['rows']}-scene project, to its first cards drawn | {ms(statistics.median(result['opens']))} | "
        f"{ms(max(result['opens']))} | < 1 s |"
    )
    print(
        f"| ... to the visible cards' thumbnails decoded (1024x576 PNGs) | {ms(statistics.median(result['thumbs']))} | "
        f"{ms(max(result['thumbs']))} | - |"
    )
    print(
        f"| scroll through {result['rows']} cards, {result['steps']} steps: frame time, thumbnails cached | "
        f"{ms(statistics.median(warm))} (p95 {ms(p95(warm))}) | {ms(max(warm))} | < 16.7 ms |"
    )
    print(
        f"| ... the same, first pass, thumbnails decoding meanwhile | "
        f"{ms(statistics.median(cold))} (p95 {ms(p95(cold))}) | {ms(max(cold))} | < 16.7 ms |"
    )
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
