"""Every action of the main window, written once: its id, text, keys, icon, where it sits in the menus and the
toolbar, and when it is enabled. The menus, the toolbar, the shortcuts dialog and the enabling are all made from
:data:`ACTIONS` (after napari's ``Action`` and Krita AI Diffusion's ``ui/actions.py``).

A menu place is ``"Menu:group"`` (``"Menu/Submenu"`` for a submenu); :data:`MENUS` gives each menu's groups in
order, with ``|`` for a separator and ``Title/`` for a submenu; within a group, actions keep the table's order.
The toolbar's groups are :data:`TOOLBAR`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from dreamfactory_studio.app import scene_actions
from dreamfactory_studio.app.editorial_actions import import_edit, restore_cut
from dreamfactory_studio.app.look import icon
from dreamfactory_studio.core.model import PHASES

if TYPE_CHECKING:
    from dreamfactory_studio.app.main_window import MainWindow

STD = QKeySequence.StandardKey


@dataclass(frozen=True)
class Bindings:
    """Every platform binding of a standard key (a bare ``StandardKey`` in ``keys`` is its first only)."""

    key: QKeySequence.StandardKey


@dataclass(frozen=True)
class WindowState:
    """What the window's actions are enabled by."""

    open: bool = False
    writable: bool = False  # open, and not read-only
    editable: bool = False  # writable, and no job running on it
    selected: bool = False  # scenes selected on the timeline
    has_scene: bool = False  # a current scene
    has_base_frame: bool = False
    running: bool = False  # a job of the window's
    can_retry: bool = False  # a run failed and can go on
    has_cut: bool = False  # scenes an edit cut, to restore


@dataclass(frozen=True)
class Action:
    id: str
    text: str
    trigger: Callable[[MainWindow, bool], object] | None
    """Called with the window and the checked state; None for undo and redo, which the undo group makes."""
    keys: tuple = ()
    picture: str = ""
    tip: str = ""
    menus: tuple[str, ...] = ()
    toolbar: str = ""
    enabled_when: Callable[[WindowState], bool] | None = None
    """None: always enabled."""
    timeline: bool = False
    """The keys act only where the timeline has focus (Del or P must not fire while typing)."""
    checkable: bool = False


def _editable(s: WindowState) -> bool:
    return s.editable


def _on_scene(s: WindowState) -> bool:
    return s.editable and s.has_scene


def _on_selection(s: WindowState) -> bool:
    return s.editable and s.selected


ACTIONS: tuple[Action, ...] = (
    Action("new", "&New Project from a Story…", lambda w, _c: w.new_project(), (STD.New,), "new",
           menus=("&File:open",), toolbar="file"),
    Action("open", "&Open Project…", lambda w, _c: w.choose_project(), (STD.Open,), "open",
           menus=("&File:open",), toolbar="file"),
    Action("sample", "Open the &Sample Project", lambda w, _c: w.open_sample(), (), "sample",
           menus=("&File:open",)),
    Action("save", "&Save", lambda w, _c: w.save(), (STD.Save,), "save", menus=("&File:save",),
           toolbar="file", enabled_when=lambda s: s.writable),
    Action("close", "&Close Project", lambda w, _c: w.close_project(), (STD.Close,), menus=("&File:save",),
           enabled_when=lambda s: s.open),
    Action("quit", "&Quit", lambda w, _c: w.close(), (STD.Quit,), menus=("&File:quit",)),
    Action("undo", "&Undo", None, (Bindings(STD.Undo),), "undo", menus=("&Edit:history",), toolbar="history"),
    Action("redo", "&Redo", None, ("Ctrl+Shift+Z", "Ctrl+Y"), "redo", menus=("&Edit:history",),
           toolbar="history"),
    Action("insert", "&Insert Scene After", lambda w, _c: scene_actions.insert_scene(w), ("Ins",), "insert",
           menus=("&Edit:scenes",), toolbar="scenes", enabled_when=_editable, timeline=True),
    Action("duplicate", "D&uplicate Scene", lambda w, _c: scene_actions.duplicate_scenes(w), ("Ctrl+D",), "duplicate",
           menus=("&Edit:scenes",), toolbar="scenes", enabled_when=_on_selection, timeline=True),
    Action("delete", "&Delete Scenes", lambda w, _c: scene_actions.delete_scenes(w), (STD.Delete, "Backspace"), "delete",
           menus=("&Edit:scenes",), toolbar="scenes", enabled_when=_on_selection, timeline=True),
    Action("earlier", "Move Scene &Earlier", lambda w, _c: scene_actions.move_selected(w, -1), ("Ctrl+Shift+Left",),
           "earlier", menus=("&Edit:order",), toolbar="scenes", enabled_when=_on_selection, timeline=True),
    Action("later", "Move Scene &Later", lambda w, _c: scene_actions.move_selected(w, +1), ("Ctrl+Shift+Right",), "later",
           menus=("&Edit:order",), toolbar="scenes", enabled_when=_on_selection, timeline=True),
    Action("pin", "&Pin Keyframe", lambda w, _c: w.scene_editor.toggle_pin(), ("P",), "pin",
           menus=("&Scene:frames",), toolbar="frames", enabled_when=_on_scene, timeline=True),
    Action("baseFrame", "Pin as &Base Frame", lambda w, _c: scene_actions.pin_base_frame(w), ("B",), "base-frame",
           menus=("&Scene:frames",), toolbar="frames", enabled_when=_on_scene, timeline=True),
    Action("regenerate", "Draw a &New Take", lambda w, _c: w.runs.regenerate(w.current_scene_id()),
           ("Ctrl+R",), "regenerate", menus=("&Scene:frames", "&Production:redraw"), toolbar="frames",
           enabled_when=_on_scene),
    Action("redrawRegion", "Redraw a &Region…", lambda w, _c: scene_actions.redraw_region(w), ("Ctrl+G",),
           "regenerate", "Draw a box of the keyframe again in place, the rest kept, as a new take",
           menus=("&Scene:frames",), enabled_when=_on_scene),
    Action("drawEndFrame", "Draw the &End Frame", lambda w, _c: scene_actions.draw_end_frame(w), (),
           "regenerate", "Draw the frame the scene's camera move ends on; its clip ends there",
           menus=("&Scene:frames",), enabled_when=_on_scene),
    Action("importTake", "&Import Image as Take…", lambda w, _c: w.scene_editor.import_image(), ("Ctrl+I",),
           "import", menus=("&Scene:frames",), toolbar="frames", enabled_when=_on_scene),
    Action("run", "&Run", lambda w, _c: w.runs.run_next(), ("F5",), "run",
           "Run the phases not done yet (or only the next one)", menus=("&Production:run",), toolbar="run",
           enabled_when=_editable),
    Action("stopAfterPhase", "&Stop After Each Phase", lambda w, checked: w.remember_step(checked),
           ("Ctrl+F5",), "run-step", "Stop after each phase, so that you can edit before the crew goes on",
           menus=("&Production:run",), toolbar="run", checkable=True),
    *(
        Action(f"runPhase_{phase}", f"Run the {phase.capitalize()} Phase",
               lambda w, _c, p=phase: w.runs.run_phase(p), menus=("&Production/Run One &Phase",),
               enabled_when=_editable)
        for phase in PHASES
    ),
    Action("rerunFrom", "Re-run Keyframes &From This Scene", lambda w, _c: w.runs.rerun_from_selected(),
           ("Shift+F5",), "run-from",
           "Keep the scenes before this one and draw this one and every later one again",
           menus=("&Production:rerun",), toolbar="run", enabled_when=_on_scene),
    Action("retry", "Re&try the Failed Run", lambda w, _c: w.runs.retry(), ("Ctrl+Shift+R",), "regenerate",
           "Go on from where the failed run stopped (a scene, or the conversation so far)",
           menus=("&Production:redraw",), enabled_when=lambda s: s.editable and s.can_retry),
    Action("redescribe", "Re-&describe the Base Frame", lambda w, _c: scene_actions.redescribe(w), ("Ctrl+Shift+D",),
           "describe", menus=("&Scene:job",), enabled_when=lambda s: s.editable and s.has_base_frame),
    Action("cancelJob", "&Cancel the Running Job", lambda w, _c: w.jobs.cancel(), ("Esc",), "cancel",
           menus=("&Scene:job", "&Production:job"), toolbar="run", enabled_when=lambda s: s.running),
    Action("export", "&Export Film…", lambda w, _c: w.open_export(), ("Ctrl+Shift+E",), "export",
           menus=("&File:settings", "&Production:export"), toolbar="run", enabled_when=_editable),
    Action("importEdit", "&Take Back an Edit…", lambda w, _c: import_edit(w), ("Ctrl+Shift+I",), "import",
           "Read an .otio or XML edit an editor changed: the new order, trims and cut scenes, as one undo step",
           menus=("&File:settings", "&Production:export"), enabled_when=_editable),
    Action("restoreCut", "Restore &Cut Scenes…", lambda w, _c: restore_cut(w), (), menus=("&Edit:scenes",),
           enabled_when=lambda s: s.editable and s.has_cut),
    Action("animatic", "&Play the Animatic", lambda w, _c: w.play_animatic(), ("Ctrl+Shift+P",), "run",
           "Play the storyboard with its narration from the selected scene (Space pauses, arrows step)",
           menus=("&View:docks",), enabled_when=lambda s: s.open),
    Action("editScript", "Edit the &Script", lambda w, _c: w.scene_editor.script.setFocus(), ("Ctrl+E",),
           menus=("&Scene:script",), enabled_when=_on_scene),
    Action("focusTimeline", "Go to the &Timeline", lambda w, _c: w.timeline.setFocus(), ("Ctrl+1",),
           menus=("&View:focus",)),
    Action("focusScene", "Go to the Scene &Editor", lambda w, _c: w.scene_editor.title.setFocus(),
           ("Ctrl+2",), menus=("&View:focus",)),
    Action("focusBase", "Go to the Base &Description", lambda w, _c: w.base_panel.description.setFocus(),
           ("Ctrl+3",), menus=("&View:focus",)),
    Action("settings", "S&ettings…", lambda w, _c: w.open_settings(), ("Ctrl+,",), "settings",
           menus=("&File:settings",), toolbar="settings"),
    Action("shortcuts", "&Keyboard Shortcuts", lambda w, _c: w.show_shortcuts(), ("F1", "Ctrl+/"),
           "keyboard", menus=("&Help:help",)),
    Action("about", "&About DreamFactory Studio", lambda w, _c: w.show_about(), menus=("&Help:help",)),
)  # fmt: skip

MENUS: dict[str, tuple[str, ...]] = {
    "&File": ("open", "Open &Recent/", "|", "save", "|", "settings", "|", "quit"),
    "&Edit": ("history", "|", "scenes", "|", "order"),
    "&Scene": ("script", "|", "frames", "|", "job"),
    "&Production": ("run", "Run One &Phase/", "|", "rerun", "redraw", "|", "job", "|", "export"),
    "&View": ("docks", "|", "focus"),
    "&Help": ("help",),
}
TOOLBAR = ("file", "history", "scenes", "frames", "run", "settings")


def _keys(action: Action) -> list[QKeySequence]:
    keys: list[QKeySequence] = []
    for key in action.keys:
        keys += QKeySequence.keyBindings(key.key) if isinstance(key, Bindings) else [QKeySequence(key)]
    return keys


def make_actions(window: MainWindow) -> dict[str, QAction]:
    """The window's QActions, by id, from :data:`ACTIONS`, with their keys attached where they act."""
    made: dict[str, QAction] = {}
    for spec in ACTIONS:
        if spec.trigger is None:
            make = (
                window.undo_group.createUndoAction
                if spec.id == "undo"
                else window.undo_group.createRedoAction
            )
            action = make(window, spec.text)
            action.setObjectName(spec.id)
        else:
            action = QAction(spec.text, window, objectName=spec.id, checkable=spec.checkable)
            action.triggered.connect(lambda checked=False, s=spec: s.trigger(window, checked))
        if spec.picture:
            action.setIcon(icon(spec.picture))
        action.setShortcuts(_keys(spec))
        if spec.tip:
            action.setStatusTip(spec.tip)
        if spec.timeline:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            window.timeline.addAction(action)
        else:
            window.addAction(action)
        made[spec.id] = action
    return made


def make_menus(
    window: MainWindow, actions: dict[str, QAction], extra: dict[str, list[QAction]]
) -> dict[str, QMenu]:
    """The menu bar from :data:`MENUS` and each action's places; ``extra`` adds actions the table does not hold
    to a ``"Menu:group"`` (the docks' toggles). Return the menus by path, submenus included."""
    placed: dict[str, list[str]] = {}
    for spec in ACTIONS:
        for place in spec.menus:
            placed.setdefault(place if ":" in place or "/" in place else f"{place}:", []).append(spec.id)
    menus: dict[str, QMenu] = {}
    for title, layout in MENUS.items():
        menu = menus[title] = window.menuBar().addMenu(title)
        for item in layout:
            if item == "|":
                menu.addSeparator()
            elif item.endswith("/"):
                path = f"{title}/{item[:-1]}"
                submenu = menus[path] = menu.addMenu(item[:-1])
                for name in placed.get(path, []):
                    submenu.addAction(actions[name])
            else:
                for name in placed.get(f"{title}:{item}", []):
                    menu.addAction(actions[name])
                for action in extra.get(f"{title}:{item}", []):
                    menu.addAction(action)
    return menus


def make_toolbar(window: MainWindow, actions: dict[str, QAction]) -> QToolBar:
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    for number, group in enumerate(TOOLBAR):
        if number:
            toolbar.addSeparator()
        for spec in ACTIONS:
            if spec.toolbar == group:
                toolbar.addAction(actions[spec.id])
    return toolbar


def update_enabled(actions: dict[str, QAction], state: WindowState) -> None:
    """Enable each action as its ``enabled_when`` says for ``state``."""
    for spec in ACTIONS:
        if spec.enabled_when is not None:
            actions[spec.id].setEnabled(spec.enabled_when(state))


SPECIAL_KEYS = frozenset(
    "Undo Redo Cut Copy Paste Find Open Save New Close Back Forward Refresh Help Print".split()
)
"""Keys of their own on a few keyboards (Sun's, media keyboards) that the platform's standard bindings add."""


def _special_key(keys: str) -> bool:
    """Whether a key sequence is one of those, or F13 and up: not a key most people have."""
    return keys in SPECIAL_KEYS or bool(re.fullmatch(r"F(1[3-9]|[2-3][0-9])", keys))


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """Every action that has a shortcut, with its keys, as the Help list shows them."""
    rows = []
    for spec in ACTIONS:
        action = actions[spec.id]
        named = (s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
        keys = ", ".join(k for k in named if not _special_key(k))
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), keys))
    return rows
