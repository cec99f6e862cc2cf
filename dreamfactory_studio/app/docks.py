"""The main window's docks around the timeline: the scene editor, the Base Frame, Cast and decisions panels
(tabbed on the left), the story, the crew's chat and the workers (tabbed below)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QPlainTextEdit, QScrollArea, QWidget

Area = Qt.DockWidgetArea


def _dock(window: QMainWindow, name: str, title: str, widget: QWidget, area, *, scrolls: bool = True):
    dock = QDockWidget(title, window, objectName=name)
    if scrolls:
        # Scrolls rather than forcing its full height on the window, so the studio fits a laptop screen.
        scroller = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroller.setWidget(widget)
        widget = scroller
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def make_docks(
    window: QMainWindow,
    *,
    scene: QWidget,
    base: QWidget,
    cast: QWidget,
    story: QPlainTextEdit,
    chat: QWidget,
    decisions: QWidget,
    workers: QWidget,
) -> dict[str, QDockWidget]:
    """Dock the panels, by name: scene, base, cast, story, chat, decisions, workers."""
    docks = {
        "scene": _dock(window, "sceneDock", "Scene", scene, Area.RightDockWidgetArea),
        "base": _dock(window, "baseFrameDock", "Base Frame", base, Area.LeftDockWidgetArea),
        "cast": _dock(window, "castDock", "Cast", cast, Area.LeftDockWidgetArea),
        "story": _dock(window, "storyDock", "Story", story, Area.BottomDockWidgetArea, scrolls=False),
        "chat": _dock(window, "chatDock", "Crew", chat, Area.BottomDockWidgetArea, scrolls=False),
        "decisions": _dock(window, "decisionsDock", "Decisions", decisions, Area.LeftDockWidgetArea),
        "workers": _dock(window, "workersDock", "Workers", workers, Area.BottomDockWidgetArea, scrolls=False),
    }
    window.tabifyDockWidget(docks["story"], docks["chat"])
    window.tabifyDockWidget(docks["chat"], docks["workers"])
    window.tabifyDockWidget(docks["base"], docks["cast"])
    window.tabifyDockWidget(docks["cast"], docks["decisions"])
    docks["base"].raise_()
    docks["chat"].raise_()
    return docks
