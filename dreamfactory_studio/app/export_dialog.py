"""The export dialog: the film and its options, the PDF storyboard, PNG keyframes, SRT and CSV beside it, a
progress bar with cancel, and a button that shows the film in its folder at the end. It runs the same
``export_project`` as the CLI's ``export``, as a job of the window."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from dreamfactory_studio.app.forms import FormDialog
from dreamfactory_studio.app.jobs import Jobs
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.core.events import Event, ExportProgress, ModelLoading
from dreamfactory_studio.core.settings import Settings

JOB = "Export the film"
STAGES = {  # each stage's share of the bar, in the order an export goes through them
    "narration": (0.0, 0.15, "Speaking the narration"),
    "clips": (0.15, 0.45, "Rendering the clips"),
    "video": (0.45, 0.95, "Writing the film"),
    "pdf": (0.95, 1.0, "Writing the PDF storyboard"),
}


def _slug(title: str) -> str:
    return re.sub(r"[^\w-]+", "-", title.strip().lower()).strip("-") or "film"


COMPANIONS = (("pdfOn", "pdf"), ("framesOn", "frames"), ("csvOn", "csv"), ("timelineOn", "timeline"))
"""Each companion file's box and the field for its place."""
INPUTS = (
    "output", "chooseOutput", "resolution", "fps", "transition", "crossfade", "srt", "burnSubtitles", "titleCard",
    "endCard", "music", "chooseMusic", *(name for pair in COMPANIONS for name in pair),
)  # fmt: skip
"""Every input of the form: disabled while an export runs."""


class ExportDialog(FormDialog):
    """``ui/export.ui``, filled from the settings; :meth:`start` exports, the window's jobs run it."""

    def __init__(
        self, session: ProjectSession, jobs: Jobs, settings: Settings, parent: QWidget | None = None
    ):
        super().__init__("export", parent)
        self.session, self.jobs = session, jobs
        self.result = None
        f = self.find
        name = _slug(session.project.title)
        exports = session.folder.root / "exports"
        f("output").setText(str(exports / f"{name}.mp4"))
        f("resolution").setCurrentText(settings.defaults.resolution)
        f("fps").setCurrentText(str(settings.defaults.fps))
        f("transition").setCurrentText(settings.export.transition)
        f("crossfade").setValue(settings.export.crossfade or 0.5)
        f("burnSubtitles").setChecked(settings.export.subtitles == "burn")
        f("titleCard").setChecked(settings.export.title_card)
        f("endCard").setChecked(settings.export.end_card)
        f("music").setText(settings.export.music)
        self._chosen: set[str] = set()  # the companion files whose place the user chose
        for box, field in COMPANIONS:
            f(field).setEnabled(False)
            f(box).toggled.connect(f(field).setEnabled)
            f(field).textEdited.connect(lambda _t, name=field: self._chosen.add(name))
        f("output").textChanged.connect(self._follow_output)
        self._follow_output(f("output").text())
        f("transition").currentTextChanged.connect(lambda t: f("crossfade").setEnabled(t == "crossfade"))
        f("crossfade").setEnabled(settings.export.transition == "crossfade")
        f("chooseOutput").clicked.connect(self._choose_output)
        f("chooseMusic").clicked.connect(self._choose_music)
        f("exportButton").clicked.connect(self.start)
        f("cancelButton").clicked.connect(self.jobs.cancel)
        f("closeButton").clicked.connect(self.dialog.reject)
        f("showButton").clicked.connect(self.show_in_folder)
        self.jobs.finished.connect(self._finished)
        self._set_running(False)
        f("showButton").setEnabled(False)

    # -- the form -------------------------------------------------------------------------------------------

    def _follow_output(self, text: str) -> None:
        """Keep the PDF, PNG and CSV beside the film, named after it, unless the user placed them."""
        film = Path(text.strip() or "film.mp4").expanduser()
        places = {
            "pdf": film.with_suffix(".pdf"),
            "frames": film.with_name(f"{film.stem}-frames"),
            "csv": film.with_name(f"{film.stem}-shots.csv"),
            "timeline": film.with_suffix(".xml"),
        }
        for name, place in places.items():
            if name not in self._chosen:
                self.find(name).setText(str(place))

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.dialog, "Export the film as", self.find("output").text(), "MP4 video (*.mp4)"
        )
        if path:
            self.find("output").setText(path if path.lower().endswith(".mp4") else f"{path}.mp4")

    def _choose_music(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.dialog, "Music under the film", "", "Audio (*.mp3 *.wav *.ogg *.m4a *.flac);;All files (*)"
        )
        if path:
            self.find("music").setText(path)

    def options(self):
        """The form as the exporter's options (checked by the exporter itself before any work)."""
        from dreamfactory_studio.export.exporter import ExportOptions

        f = self.find

        def path(name: str, box: str | None = None) -> Path | None:
            text = f(name).text().strip()
            if box is not None and not f(box).isChecked():
                return None
            return Path(text).expanduser() if text else None

        return ExportOptions(
            output=path("output") or Path(),
            pdf=path("pdf", "pdfOn"),
            frames=path("frames", "framesOn"),
            srt=path("srt"),
            csv=path("csv", "csvOn"),
            timeline=path("timeline", "timelineOn"),
            resolution=f("resolution").currentText().strip(),
            fps=int(f("fps").currentText()),
            transition=f("transition").currentText(),
            crossfade=f("crossfade").value(),
            burn_subtitles=f("burnSubtitles").isChecked(),
            music=path("music"),
            title_card=f("titleCard").isChecked(),
            end_card=f("endCard").isChecked(),
        )

    # -- running --------------------------------------------------------------------------------------------

    def _set_running(self, running: bool) -> None:
        f = self.find
        f("exportButton").setEnabled(not running)
        f("cancelButton").setEnabled(running)
        f("closeButton").setEnabled(not running)
        for name in INPUTS:  # nothing the running export reads can change under it
            f(name).setEnabled(not running)
        if not running:  # and back as the form has them
            f("crossfade").setEnabled(f("transition").currentText() == "crossfade")
            for box, field in COMPANIONS:
                f(field).setEnabled(f(box).isChecked())

    def start(self) -> None:
        options = self.options()
        if not str(options.output).strip() or options.output == Path():
            self.find("stage").setText("Say where the film goes.")
            return
        self.result = None
        self.find("showButton").setEnabled(False)
        self.find("progress").setValue(0)
        self.find("stage").setText("Starting…")
        task = self.jobs.start(JOB, lambda: self.session.export(options, emit=self.on_event), self._done)
        if task is not None:
            self._set_running(True)

    def on_event(self, event: Event) -> None:
        if isinstance(event, ModelLoading):
            self.find("stage").setText(f"Loading the model: {event.message}")
        elif isinstance(event, ExportProgress) and event.stage in STAGES and event.total:
            start, end, what = STAGES[event.stage]
            share = start + (end - start) * min(1.0, event.done / event.total)
            self.find("progress").setValue(max(self.find("progress").value(), round(share * 1000)))
            detail = f" ({event.message})" if event.message else ""
            self.find("stage").setText(f"{what}{detail}…")

    def _done(self, result) -> None:
        self.result = result
        self.find("progress").setValue(1000)
        minutes, seconds = divmod(round(result.duration), 60)
        made = f"rendered {result.renders} clip(s), reused {result.scenes - result.renders}"
        warnings = "".join(f"\nWarning: {w}" for w in result.warnings)
        written = ", ".join(p.name for p in (result.video, result.edit) if p is not None)
        self.find("stage").setText(
            f"Wrote {written} ({result.scenes} scenes, {minutes}:{seconds:02d}); {made}.{warnings}"
        )
        self.find("showButton").setEnabled(True)

    def _finished(self, what: str, error: str) -> None:
        if what != JOB:
            return
        self._set_running(False)
        if error == "cancelled":
            self.find("stage").setText(
                "Cancelled; no partial film was left behind. Clips made so far are kept."
            )
            self.find("progress").setValue(0)
        elif error:
            self.find("stage").setText(f"Failed: {error}")

    def discard(self) -> None:
        """Let the dialog go (its project closed, or a new one is opened in its place)."""
        self.jobs.finished.disconnect(self._finished)
        self.dialog.reject()
        self.dialog.deleteLater()

    def show_in_folder(self) -> None:
        if self.result is not None:
            shown = self.result.video or self.result.edit
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(shown).parent)))
