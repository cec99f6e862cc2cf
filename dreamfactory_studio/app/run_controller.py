"""Runs of the crew from the window: start one from a plan, follow it in the chat and the progress bar,
cancel it, offer Retry after a failure, and close the window once a run asked to stop has stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QProgressBar, QStatusBar, QToolButton

from dreamfactory_studio.app.look import icon
from dreamfactory_studio.app.state import ActionContext
from dreamfactory_studio.app.widgets import guarded
from dreamfactory_studio.core.events import Event, PhaseStarted
from dreamfactory_studio.production.run_plan import RunPlan, RunRequest


class RunController(QObject):
    """The window's runs: one at a time, as the window's job. ``plan`` is the run under way, ``progress`` the
    :class:`RunProgress` the bar shows; the state's ``failed`` is what Retry runs after one failed. It follows a
    run in ``chat`` (``on_event`` and ``stop``), shows its bar in ``status_bar`` and calls ``after_run`` once a
    run went well."""

    def __init__(self, context: ActionContext, chat, status_bar: QStatusBar, after_run: Callable[[], object]):
        super().__init__(context.parent)
        self.context = context
        self.state = context.state
        self.jobs = context.jobs
        self.chat = chat
        self.status_bar = status_bar
        self.after_run = after_run
        self.plan: RunPlan | None = None
        self.progress = None
        self.close_after_job = False
        self.bar = QProgressBar(objectName="jobProgress", maximumWidth=420, textVisible=False)
        self.bar.setRange(0, 0)
        self._tick = QTimer(self, interval=100)  # the bar follows the run ten times a second, not per event
        self._tick.timeout.connect(self._show_progress)
        self.cancel_button = QToolButton(objectName="cancelJob", text="Cancel", icon=icon("cancel"))
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.clicked.connect(self.jobs.cancel)
        for widget in (self.bar, self.cancel_button):
            widget.hide()
            status_bar.addPermanentWidget(widget)
        self.jobs.started.connect(self._job_started)
        self.jobs.finished.connect(self._job_finished)

    def _status(self, text: str, timeout: int = 0) -> None:
        self.status_bar.showMessage(text, timeout)

    # -- starting -----------------------------------------------------------------------------------------

    def start(self, request: RunRequest | RunPlan, label: str = "") -> None:
        """Run the production as ``request`` asks (planned now, once), as the window's job, with the chat and
        progress following. A request the project cannot carry out is refused in one dialog."""
        from dreamfactory_studio.production.run_progress import RunProgress

        session = self.state.session
        if session is None:
            return
        self.context.views.commit_fields()
        plan = request
        if isinstance(request, RunRequest):
            planned: list[RunPlan] = []
            if not guarded(self.context.parent, "Cannot run", lambda: planned.append(session.plan(request))):
                return
            plan = planned[0]
        plan = replace(plan, title=label) if label else plan
        self.plan, self.state.failed = plan, None
        self.progress = RunProgress()
        task = self.jobs.start(plan.title, lambda: session.run(plan, emit=self.on_event), self._done)
        if task is None:
            self.plan = self.progress = None
            return
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(300)
        self._show_progress()
        self._tick.start()

    def run_next(self) -> None:
        """Run: the phases not done yet, or only the next one when "Stop After Each Phase" is on."""
        self.start(RunRequest(step=self.state.stepping))

    def run_phase(self, phase: str) -> None:
        self.start(RunRequest(phase=phase))

    def rerun_from_selected(self) -> None:
        scene_id = self.state.current
        if self.state.session is not None and scene_id is not None:
            self.start(RunRequest(from_scene=scene_id))

    def regenerate(self, scene_id: str | None) -> None:
        session = self.state.session
        if session is None or scene_id is None:
            return
        self.start(
            RunRequest(from_scene=scene_id, only=True),
            f"Draw a new take of scene {session.number_of(scene_id)}",
        )

    def retry(self) -> None:
        """Run the failed run again from where it stopped."""
        if self.state.failed is not None and not self.jobs.running:
            self.start(self.state.failed)

    # -- following ----------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        self.chat.on_event(event)
        if self.progress is not None:
            self.progress(event)
        if isinstance(event, PhaseStarted):
            self._status(f"The crew is on the {event.title}…")

    def _show_progress(self) -> None:
        if self.progress is not None:
            self.bar.setValue(round(self.progress.fraction * 1000))
            self.bar.setFormat(self.progress.status_line())

    def _done(self, ran: list[str]) -> None:
        """After a run went well (called after the job's end is shown): say where a stepped run stopped."""
        session = self.state.session
        self.after_run()
        if session is None or not self.state.stepping or not ran:
            return
        following = RunPlan.following(session.project)
        if following is not None:
            self._status(
                f"Stopped after the {ran[-1]} phase: edit what you like, then Run (F5) to go on with the "
                f"{following} phase."
            )
        else:
            self._status("Every phase is done: export the film (Ctrl+Shift+E), or re-run any scene or phase.")

    def _failed_scene(self) -> str | None:
        session = self.state.session
        failed = [s.id for s in session.project.scenes if (a := session.activity.get(s.id)) and a.error]
        return failed[0] if failed else None

    # -- the window's jobs --------------------------------------------------------------------------------

    def _job_started(self, what: str) -> None:
        self.bar.show()
        self.cancel_button.show()
        self._status(f"{what}…")
        self.context.views.update_actions()

    def _job_finished(self, what: str, error: str) -> None:
        run, self.plan, self.progress = self.plan, None, None
        self._tick.stop()
        self.bar.hide()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMinimumWidth(0)
        self.cancel_button.hide()
        if run is not None and error:
            self.chat.stop()
        if run is not None and error and error != "cancelled" and self.state.session is not None:
            self.state.failed = run.retry(self.state.session.project, self._failed_scene())
        self.context.views.update_actions()
        if error == "cancelled":
            self._status(f"{what}: cancelled; everything finished before is kept.", 8000)
        elif error:
            self._status(f"{what}: failed: {error}")
            if run is not None and not self.close_after_job:
                self._offer_retry(what, error)
            elif not self.close_after_job:
                QMessageBox.warning(self.context.parent, what, error)
        else:
            self._status(f"{what}: done.", 5000)
        if self.close_after_job:
            self.close_after_job = False
            QTimer.singleShot(0, self.context.parent.close)

    def _offer_retry(self, what: str, error: str) -> None:
        start = self.state.failed.start if self.state.failed is not None else None
        where = f" from scene {self.state.session.number_of(start)}" if start else ""
        answer = QMessageBox.question(
            self.context.parent,
            what,
            f"{error}\n\nEverything finished before this is kept. Retry{where}? (Later: Production → Retry.)",
            QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Close,
        )
        if answer == QMessageBox.StandardButton.Retry:
            self.retry()

    def ask_to_stop(self, closing: bool) -> bool:
        """A job is running and the project or the window is to close: ask to cancel it. Return whether the
        job was asked to stop (when ``closing``, the window closes once it has)."""
        text = (
            f"“{self.jobs.what}” is running. Stop it and close? Everything it finished is saved."
            if closing
            else f"“{self.jobs.what}” is running. Cancel it? Everything it finished is kept."
        )
        if (
            QMessageBox.question(self.context.parent, "A job is running", text)
            != QMessageBox.StandardButton.Yes
        ):
            return False
        self.close_after_job = closing
        self.jobs.cancel()
        return True
