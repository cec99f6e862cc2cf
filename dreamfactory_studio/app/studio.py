"""Starting the Qt application on the qasync loop."""

from __future__ import annotations

import asyncio
import os
import sys

from dreamfactory_studio.core.errors import StudioError


def _check_display() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise StudioError(
                "no display to open the studio window on. Run it in a desktop session, under `xvfb-run`, "
                "or use the command line (`dreamfactory-studio --help`)."
            )


def launch(project: str | None = None, *, read_only: bool = False) -> int:
    """Open the studio window (on ``project`` when given) and run until it closes; return the exit code."""
    _check_display()
    import qasync
    from PySide6.QtWidgets import QApplication

    from dreamfactory_studio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("DreamFactory Studio")
    app.setOrganizationName("DreamFactory")
    window = MainWindow()
    if project:
        window.open_project(project, read_only=read_only)
    window.show()
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    qasync.run(closed.wait())
    return 0
