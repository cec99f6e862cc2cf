"""The window's state without Qt: the open session, the scenes selected on the timeline, the job and the failed
run; what the actions are enabled by (:class:`WindowState` and the rules operations name); and the small context
an action's callback receives (:class:`ActionContext`), as napari's actions receive a ``ViewerModel``.

Nothing here imports Qt or the main window: the action table, the scene actions and the run controller see the
window only through :class:`Views`, the few things they may ask of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dreamfactory_studio.app.jobs import Jobs
    from dreamfactory_studio.app.session import ProjectSession
    from dreamfactory_studio.production.run_plan import RunPlan


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


RULES: dict[str, Callable[[WindowState], bool]] = {
    "open": lambda s: s.open,
    "writable": lambda s: s.writable,
    "editable": lambda s: s.editable,
    "on_scene": lambda s: s.editable and s.has_scene,
    "on_selection": lambda s: s.editable and s.selected,
    "has_base_frame": lambda s: s.editable and s.has_base_frame,
    "has_cut": lambda s: s.editable and s.has_cut,
    "can_retry": lambda s: s.editable and s.can_retry,
    "running": lambda s: s.running,
}
"""The enabling rules by name: an action's ``when``, and an operation's (``core.operations``)."""


@dataclass
class StudioState:
    """What the window holds open, kept by the window as it changes: the session (None: the start page), the
    current scene and the selected ones (ids, in timeline order), the jobs, the run that failed and can be
    retried, and whether a run stops after each phase."""

    jobs: Jobs
    session: ProjectSession | None = None
    current: str | None = None
    selected: tuple[str, ...] = ()
    failed: RunPlan | None = None
    stepping: bool = False

    def window_state(self) -> WindowState:
        session = self.session
        writable = session is not None and not session.read_only
        project = session.project if session is not None else None
        return WindowState(
            open=session is not None,
            writable=writable,
            editable=writable and not session.busy,
            selected=bool(session is not None and self.selected),
            has_scene=self.current is not None,
            has_base_frame=bool(project and project.base_frame),
            running=self.jobs.running,
            can_retry=self.failed is not None,
            has_cut=bool(project and project.cut_scenes),
        )


class Views(Protocol):
    """What an action may ask of the window's views."""

    def select_scenes(self, scene_ids: list[str]) -> None:
        """Select these scenes on the timeline, the first current (shown in the scene editor)."""

    def focus(self, view: str) -> None:
        """Put the keyboard in a view: ``timeline``, ``title``, ``script`` or ``base_description``."""

    def say(self, text: str, timeout_ms: int = 0) -> None:
        """A line in the status bar."""

    def commit_fields(self) -> None:
        """What is being typed in a panel becomes its edit now."""

    def update_actions(self) -> None: ...


@dataclass
class ActionContext:
    """What an action's callback receives: the state, the views, the widget its dialogs sit on, the jobs and the
    run controller (set once the window has made it)."""

    state: StudioState
    views: Views
    parent: Any = None
    runs: Any = field(default=None)

    @property
    def session(self) -> ProjectSession | None:
        return self.state.session

    @property
    def jobs(self) -> Jobs:
        return self.state.jobs
