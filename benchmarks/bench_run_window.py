"""Running the crew from the window: how long the UI thread stalls while a model draws and while a film is
exported, and what running from the window costs against the CLI on the same project.

Run: .venv/bin/python benchmarks/bench_run_window.py [--runs 5] [--skip-run] [--python-gc]
Targets: the largest UI stall under 50 ms during a generation and during an export; a run from the window
within 10% of the same run from the CLI.
A QTimer asks to tick every 10 ms on the UI thread; a stall is a gap between ticks (so 10 ms is no stall).
Runs offscreen, with its own settings and data folders.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HOME = Path(tempfile.mkdtemp(prefix="dreamfactory-bench-"))
for _name in ("CONFIG", "DATA", "LOG"):
    os.environ[f"DREAMFACTORY_{_name}_DIR"] = str(HOME / _name.lower())

STORY = REPO / "resources" / "sample" / "the-last-ferry.txt"


class Ticks:
    """Gaps between the ticks of a 10 ms QTimer on the UI thread, in ms."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = 0.0
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self._last:
            self.gaps.append((now - self._last) * 1000)
        self._last = now

    def __enter__(self):
        self._last = 0.0
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()

    def summary(self) -> str:
        gaps = sorted(self.gaps)
        p99 = gaps[int(len(gaps) * 0.99) - 1]
        return f"largest {max(gaps):.0f} ms, p99 {p99:.0f} ms over {len(gaps)} ticks"


def settings(**changes):
    from dreamfactory_studio.core.settings import Settings, SpeechSettings

    made = Settings(speech=SpeechSettings(backend="silence"))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        setattr(getattr(made, section), key, value)
    return made


def new_project(root: Path, scenes: int) -> Path:
    from dreamfactory_studio.core.new_project import new_project

    shutil.rmtree(root, ignore_errors=True)
    with new_project(STORY, root, scenes=scenes):
        pass
    return root


def cli_run(root: Path) -> float:
    from dreamfactory_studio.cli import main

    start = time.perf_counter()
    assert main(["run", str(root), "--quiet"]) == 0
    return time.perf_counter() - start


def window_job(window, loop, start) -> float:
    """Start a job in the window with ``start()`` and run the loop until it ends; its wall time."""
    asyncio.set_event_loop(loop)  # the CLI's asyncio.run leaves no loop set
    began = time.perf_counter()
    start()
    task = window.jobs.current
    assert task is not None, window.statusBar().currentMessage()
    loop.run_until_complete(task)
    loop.run_until_complete(asyncio.sleep(0))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenes", type=int, default=10)
    parser.add_argument(
        "--python-gc",
        action="store_true",
        help="leave collection to Python, on any thread (as before 2026-12-02)",
    )
    parser.add_argument("--skip-run", action="store_true", help="only the stalls while drawing and exporting")
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from dreamfactory_studio.app.main_window import MainWindow
    from dreamfactory_studio.core.settings import save_settings
    from dreamfactory_studio.export.exporter import ExportOptions

    app = QApplication([])
    if not args.python_gc:
        from dreamfactory_studio.app.main_thread_gc import MainThreadCollector

        MainThreadCollector(parent=app).install()  # as the studio's launch() does
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    rows = []

    # 1. The same offline run (the-last-ferry, all phases, 10 keyframes at 1024x576), CLI against window.
    save_settings(settings())
    cli, studio = [], []
    for run in range(1 if args.skip_run else args.runs):
        if args.skip_run:  # the project the takes and the export below need, made by the CLI
            cli_run(new_project(HOME / "win-0", args.scenes))
            break
        cli.append(cli_run(new_project(HOME / f"cli-{run}", args.scenes)))
        window = MainWindow()
        window.actions["stopAfterPhase"].setChecked(False)
        window.open_project(str(new_project(HOME / f"win-{run}", args.scenes)))
        studio.append(window_job(window, loop, window.actions["run"].trigger))
        window.close()
    if cli:
        c, w = statistics.median(cli), statistics.median(studio)
        rows.append(
            (
                f"`run`, offline crew, the-last-ferry, {args.scenes} keyframes 1024x576 (median of {args.runs})",
                f"CLI {c:.2f} s, window {w:.2f} s: {100 * (w - c) / c:+.1f}%",
                "within 10%",
            )
        )

    # 2. A generation with a tiny diffusers pipeline on the CPU (model loading included), from the window.
    # Built in another process, so that torch is first imported where the studio imports it: on the GPU worker.
    model = HOME / "sd15"
    subprocess.run(
        [sys.executable, "-c", f"from tests.tiny_models import build_sd15; build_sd15({str(model)!r})"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    save_settings(
        settings(
            image__backend="diffusers",
            image__model=str(model),
            image__steps=25,
            keyframes__width=128,
            keyframes__height=128,
            keyframes__retries=0,
        )
    )
    window = MainWindow()
    window.open_project(str(HOME / "win-0"))
    for number, what in (
        (3, "first take: torch imported and the model loaded"),
        (4, "next take, model loaded"),
    ):
        window.timeline.select_ids([window.session.project.scenes[number - 1].id])
        with Ticks() as drawing:
            seconds = window_job(window, loop, window.actions["regenerate"].trigger)
        rows.append(
            (
                f"UI stall while drawing with tiny SD-1.5 on the CPU, 128x128, 25 steps: {what} ({seconds:.1f} s)",
                drawing.summary(),
                "< 50 ms",
            )
        )

    # 3. An export of the same project, 1280x720 24 fps, crossfades, with a PDF, from the window's job.
    save_settings(settings())
    out = HOME / "out"
    options = ExportOptions(output=out / "film.mp4", pdf=out / "board.pdf")
    with Ticks() as exporting:
        seconds = window_job(
            window, loop, lambda: window.jobs.start("export", lambda: window.session.export(options))
        )
    rows.append(
        (
            f"UI stall while exporting: {args.scenes} scenes, 1280x720, 24 fps, MP4 + PDF ({seconds:.1f} s)",
            exporting.summary(),
            "< 50 ms",
        )
    )
    window.close()

    print("| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    loop.close()  # joins the loop's executor threads
    shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    main()
