"""Screenshots of the studio on the sample project: the main window, the Base Frame panel, the crew's chat, the
decisions, the settings and export dialogs, the animatic.

    python scripts/screenshots.py [--out docs/screenshots] [--size 1280x800,1920x1080]

Runs offscreen (no display needed) with its own settings and data folders, so nothing of yours is touched or
shown. The main window's picture is the one in the README; at each further size the main window is drawn again
as ``main-window-WxH.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--size", default="1280x800,1920x1080", help="the main window's sizes, WxH[,WxH...]")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in size.split("x")) for size in args.size.split(",")]
    width, height = sizes[0]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="dreamfactory-shots-"))
    for name in ("CONFIG", "DATA", "LOG"):
        os.environ[f"DREAMFACTORY_{name}_DIR"] = str(home / name.lower())
    sys.path.insert(0, str(REPO))

    from PySide6.QtWidgets import QApplication

    from dreamfactory_studio.app.look import apply_look
    from dreamfactory_studio.app.main_window import MainWindow
    from dreamfactory_studio.app.settings_dialog import SettingsDialog
    from dreamfactory_studio.workspace.sample import sample_project

    app = QApplication([])
    apply_look(app)
    window = MainWindow()
    window.resize(width, height)
    window.show()
    if not window.open_project(str(sample_project())):
        print("the sample project did not open", file=sys.stderr)
        return 1
    window.timeline.select_ids([window.session.project.scenes[2].id])

    def settle(seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
        window.thumbnails.wait()
        app.processEvents()

    settle()
    args.out.mkdir(parents=True, exist_ok=True)
    shots = {
        "main-window.png": window.grab(),
        "base-frame-panel.png": window.docks["base"].grab(),
        "crew-chat.png": window.docks["chat"].grab(),
    }
    window.docks["decisions"].raise_()
    settle(0.2)
    shots["decisions-panel.png"] = window.docks["decisions"].grab()
    window.docks["base"].raise_()
    window.open_export()
    settle(0.2)
    shots["export-dialog.png"] = window.export_dialog.dialog.grab()
    window.export_dialog.dialog.reject()
    window.play_animatic()
    window.animatic.toggle()  # paused, a second into scene 3
    window.animatic.seek(window.animatic.clock.starts[2] + 1.0)
    settle(0.3)
    shots["animatic.png"] = window.animatic.grab()
    window.animatic.close()
    settings = SettingsDialog(window)
    settings.dialog.show()
    settle(0.2)
    shots["settings-dialog.png"] = settings.dialog.grab()
    settings.dialog.reject()
    for size in sizes[1:]:
        window.resize(*size)
        settle(0.3)
        shots[f"main-window-{size[0]}x{size[1]}.png"] = window.grab()
    for name, pixmap in shots.items():
        path = args.out / name
        pixmap.save(str(path))
        print(f"{path} ({pixmap.width()}x{pixmap.height()})")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
