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

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar, QWidget

from dreamfactory_studio.app import scene_actions
from dreamfactory_studio.app.editorial_actions import import_edit, restore_cut
from dreamfactory_studio.app.look import icon
from dreamfactory_studio.app.state import RULES, ActionContext, WindowState
from dreamfactory_studio.core.model import PHASES
from dreamfactory_studio.core.operations import OPERATIONS

STD = QKeySequence.StandardKey


@dataclass(frozen=True)
class Bindings:
    """Every platform binding of a standard key (a bare ``StandardKey`` in ``keys`` is its first only)."""

    key: QKeySequence.StandardKey


@dataclass(frozen=True)
class Action:
    id: str
    text: str
    trigger: Callable[[ActionContext, bool], object] | str | None
    """Called with the :class:`ActionContext` and the checked state; a string names a method of the window
    (opening, saving, dialogs of the window's own); None for undo and redo, which the undo group makes."""
    keys: tuple = ()
    picture: str = ""
    tip: str = ""
    menus: tuple[str, ...] = ()
    toolbar: str = ""
    when: str = ""
    """The enabling rule (:data:`~dreamfactory_studio.app.state.RULES`); empty: always enabled, or the operation's."""
    timeline: bool = False
    """The keys act only where the timeline has focus (Del or P must not fire while typing)."""
    checkable: bool = False
    op: str = ""
    """The operation it does (``core.operations``), whose enabling rule it takes."""

    @property
    def rule(self) -> str:
        return self.when or (OPERATIONS[self.op].when if self.op else "")


def _runs(method: str, *args) -> Callable[[ActionContext, bool], object]:
    """A call of the run controller's ``method``."""
    return lambda c, _checked: getattr(c.runs, method)(*args)


ACTIONS: tuple[Action, ...] = (
    Action("new", "&New Project from a Story…", "new_project", (STD.New,), "new",
           menus=("&File:open",), toolbar="file"),
    Action("open", "&Open Project…", "choose_project", (STD.Open,), "open",
           menus=("&File:open",), toolbar="file"),
    Action("sample", "Open the &Sample Project", "open_sample", (), "sample", menus=("&File:open",)),
    Action("save", "&Save", "save", (STD.Save,), "save", menus=("&File:save",),
           toolbar="file", when="writable"),
    Action("close", "&Close Project", "close_project", (STD.Close,), menus=("&File:save",), when="open"),
    Action("quit", "&Quit", "close", (STD.Quit,), menus=("&File:quit",)),
    Action("undo", "&Undo", None, (Bindings(STD.Undo),), "undo", menus=("&Edit:history",), toolbar="history"),
    Action("redo", "&Redo", None, ("Ctrl+Shift+Z", "Ctrl+Y"), "redo", menus=("&Edit:history",),
           toolbar="history"),
    Action("insert", "&Insert Scene After", lambda c, _: scene_actions.insert_scene(c), ("Ins",), "insert",
           menus=("&Edit:scenes",), toolbar="scenes", timeline=True, op="insert_scene"),
    Action("duplicate", "D&uplicate Scene", lambda c, _: scene_actions.duplicate_scenes(c), ("Ctrl+D",),
           "duplicate", menus=("&Edit:scenes",), toolbar="scenes", timeline=True, op="duplicate_scene"),
    Action("delete", "&Delete Scenes", lambda c, _: scene_actions.delete_scenes(c), (STD.Delete, "Backspace"),
           "delete", menus=("&Edit:scenes",), toolbar="scenes", timeline=True, op="delete_scenes"),
    Action("earlier", "Move Scene &Earlier", lambda c, _: scene_actions.move_selected(c, -1),
           ("Ctrl+Shift+Left",), "earlier", menus=("&Edit:order",), toolbar="scenes", timeline=True,
           op="move_scenes"),
    Action("later", "Move Scene &Later", lambda c, _: scene_actions.move_selected(c, +1), ("Ctrl+Shift+Right",),
           "later", menus=("&Edit:order",), toolbar="scenes", timeline=True, op="move_scenes"),
    Action("pin", "&Pin Keyframe", "toggle_pin", ("P",), "pin",
           menus=("&Scene:frames",), toolbar="frames", timeline=True, op="pin_scene"),
    Action("baseFrame", "Pin as &Base Frame", lambda c, _: scene_actions.pin_base_frame(c), ("B",), "base-frame",
           menus=("&Scene:frames",), toolbar="frames", timeline=True, op="pin_base_frame"),
    Action("regenerate", "Draw a &New Take", lambda c, _: c.runs.regenerate(c.state.current),
           ("Ctrl+R",), "regenerate", menus=("&Scene:frames", "&Production:redraw"), toolbar="frames",
           when="on_scene"),
    Action("redrawRegion", "Redraw a &Region…", lambda c, _: scene_actions.redraw_region(c), ("Ctrl+G",),
           "regenerate", "Draw a box of the keyframe again in place, the rest kept, as a new take",
           menus=("&Scene:frames",), when="on_scene"),
    Action("drawEndFrame", "Draw the &End Frame", lambda c, _: scene_actions.draw_end_frame(c), (),
           "regenerate", "Draw the frame the scene's camera move ends on; its clip ends there",
           menus=("&Scene:frames",), when="on_scene"),
    Action("importTake", "&Import Image as Take…", "import_take", ("Ctrl+I",),
           "import", menus=("&Scene:frames",), toolbar="frames", op="import_take"),
    Action("run", "&Run", _runs("run_next"), ("F5",), "run",
           "Run the phases not done yet (or only the next one)", menus=("&Production:run",), toolbar="run",
           when="editable"),
    Action("stopAfterPhase", "&Stop After Each Phase", "remember_step",
           ("Ctrl+F5",), "run-step", "Stop after each phase, so that you can edit before the crew goes on",
           menus=("&Production:run",), toolbar="run", checkable=True),
    *(
        Action(f"runPhase_{phase}", f"Run the {phase.capitalize()} Phase", _runs("run_phase", phase),
               menus=("&Production/Run One &Phase",), when="editable")
        for phase in PHASES
    ),
    Action("rerunFrom", "Re-run Keyframes &From This Scene", _runs("rerun_from_selected"),
           ("Shift+F5",), "run-from",
           "Keep the scenes before this one and draw this one and every later one again",
           menus=("&Production:rerun",), toolbar="run", when="on_scene"),
    Action("retry", "Re&try the Failed Run", _runs("retry"), ("Ctrl+Shift+R",), "regenerate",
           "Go on from where the failed run stopped (a scene, or the conversation so far)",
           menus=("&Production:redraw",), when="can_retry"),
    Action("redescribe", "Re-&describe the Base Frame", lambda c, _: scene_actions.redescribe(c),
           ("Ctrl+Shift+D",), "describe", menus=("&Scene:job",), when="has_base_frame"),
    Action("cancelJob", "&Cancel the Running Job", lambda c, _: c.jobs.cancel(), ("Esc",), "cancel",
           menus=("&Scene:job", "&Production:job"), toolbar="run", when="running"),
    Action("export", "&Export Film…", "open_export", ("Ctrl+Shift+E",), "export",
           menus=("&File:settings", "&Production:export"), toolbar="run", when="editable"),
    Action("importEdit", "&Take Back an Edit…", lambda c, _: import_edit(c), ("Ctrl+Shift+I",), "import",
           "Read an .otio or XML edit an editor changed: the new order, trims and cut scenes, as one undo step",
           menus=("&File:settings", "&Production:export"), op="conform"),
    Action("restoreCut", "Restore &Cut Scenes…", lambda c, _: restore_cut(c), (), menus=("&Edit:scenes",),
           op="restore_scenes"),
    Action("animatic", "&Play the Animatic", "play_animatic", ("Ctrl+Shift+P",), "run",
           "Play the storyboard with its narration from the selected scene (Space pauses, arrows step)",
           menus=("&View:docks",), when="open"),
    Action("editScript", "Edit the &Script", lambda c, _: c.views.focus("script"), ("Ctrl+E",),
           menus=("&Scene:script",), when="on_scene"),
    Action("focusTimeline", "Go to the &Timeline", lambda c, _: c.views.focus("timeline"), ("Ctrl+1",),
           menus=("&View:focus",)),
    Action("focusScene", "Go to the Scene &Editor", lambda c, _: c.views.focus("title"),
           ("Ctrl+2",), menus=("&View:focus",)),
    Action("focusBase", "Go to the Base &Description", lambda c, _: c.views.focus("base_description"),
           ("Ctrl+3",), menus=("&View:focus",)),
    Action("settings", "S&ettings…", "open_settings", ("Ctrl+,",), "settings",
           menus=("&File:settings",), toolbar="settings"),
    Action("shortcuts", "&Keyboard Shortcuts", "show_shortcuts", ("F1", "Ctrl+/"),
           "keyboard", menus=("&Help:help",)),
    Action("about", "&About DreamFactory Studio", "show_about", menus=("&Help:help",)),
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


def make_actions(
    window: QMainWindow, context: ActionContext, undo_group, timeline: QWidget
) -> dict[str, QAction]:
    """The window's QActions, by id, from :data:`ACTIONS`, with their keys attached where they act: a callback
    gets ``context``, a named method is the window's own."""
    made: dict[str, QAction] = {}
    for spec in ACTIONS:
        if spec.trigger is None:
            make = undo_group.createUndoAction if spec.id == "undo" else undo_group.createRedoAction
            action = make(window, spec.text)
            action.setObjectName(spec.id)
        else:
            action = QAction(spec.text, window, objectName=spec.id, checkable=spec.checkable)
            # A checkable action follows its checked state however it is set (a click, a key, setChecked).
            signal = action.toggled if spec.checkable else action.triggered
            if isinstance(spec.trigger, str):
                method = getattr(window, spec.trigger)
                signal.connect(lambda checked=False, m=method, s=spec: m(checked) if s.checkable else m())
            else:
                signal.connect(lambda checked=False, s=spec: s.trigger(context, checked))
        if spec.picture:
            action.setIcon(icon(spec.picture))
        action.setShortcuts(_keys(spec))
        if spec.tip:
            action.setStatusTip(spec.tip)
        if spec.timeline:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            timeline.addAction(action)
        else:
            window.addAction(action)
        made[spec.id] = action
    return made


def make_menus(
    window: QMainWindow, actions: dict[str, QAction], extra: dict[str, list[QAction]]
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


def make_toolbar(window: QMainWindow, actions: dict[str, QAction]) -> QToolBar:
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
    """Enable each action as its rule says for ``state``."""
    for spec in ACTIONS:
        if spec.rule:
            actions[spec.id].setEnabled(RULES[spec.rule](state))


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
