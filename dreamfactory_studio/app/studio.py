"""Starting the Qt application on the qasync loop."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from dreamfactory_studio.core.errors import StudioError

X11_PACKAGES = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 "
    "libxkbcommon-x11-0 libxcb-randr0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0"
)


def _missing_x11_library() -> str | None:
    """The system library Qt's X11 plugin lacks, or None when it loads."""
    import ctypes

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        return None
    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        found = re.search(r"(lib[\w.+-]+\.so[.\d]*)", str(exc).replace(str(plugin), ""))
        return found.group(1) if found else str(exc)
    return None


def _check_display() -> None:
    """Say plainly what is missing, where Qt itself would abort with a core dump."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise StudioError(
            "no display to open the studio window on. Run it in a desktop session, under `xvfb-run`, "
            "or use the command line (`dreamfactory-studio --help`)."
        )
    if not os.environ.get("WAYLAND_DISPLAY"):
        missing = _missing_x11_library()
        if missing:
            raise StudioError(
                f"Qt cannot open a window on X11: the system library {missing} is missing. Install the X11 "
                f"libraries Qt needs (Debian/Ubuntu: `sudo apt-get install {X11_PACKAGES}`) and start again."
            )


def launch(project: str | None = None, *, read_only: bool = False) -> int:
    """Open the studio window (on ``project`` when given) and run until it closes; return the exit code."""
    _check_display()
    import qasync
    from PySide6.QtWidgets import QApplication

    from dreamfactory_studio.app.look import apply_look
    from dreamfactory_studio.app.main_thread_gc import MainThreadCollector
    from dreamfactory_studio.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("DreamFactory Studio")
    app.setOrganizationName("DreamFactory")
    app.setDesktopFileName("dreamfactory-studio")
    apply_look(app)
    MainThreadCollector(parent=app).install()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow()
    window.show()
    if project:
        # After the window is up, so that a recovery or read-only question has a window to belong to.
        loop.call_soon(lambda: window.open_project(project, read_only=read_only))
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())
    return 0
