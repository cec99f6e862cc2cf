"""Installing the GPU stack from the window: the CLI's ``gpu-stack install`` in a child process, its output
shown as it comes, with Cancel. A cancelled or failed install leaves the stack that was there."""

from __future__ import annotations

import sys

from PySide6.QtCore import QProcess, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from dreamfactory_studio.backends import gpu_stack


def stack_summary() -> str:
    """One line for the settings: what is installed, or what is missing."""
    missing = gpu_stack.missing_parts()
    if missing:
        return f"Not installed: {', '.join(missing)} missing. The diffusers backends need it."
    versions = gpu_stack.installed_versions()
    where = " (managed folder)" if gpu_stack.managed_dir().is_dir() else ""
    return ", ".join(f"{name} {versions[name]}" for name in gpu_stack.GPU_STACK) + where


def studio_command() -> tuple[str, list[str]]:
    """The program and arguments that run this studio's own command line."""
    if getattr(sys, "frozen", False):  # the packaged app is its own command line
        return sys.executable, []
    return sys.executable, ["-m", "dreamfactory_studio"]


class GpuStackInstallDialog(QDialog):
    """Runs the install and shows pip's words; ``succeeded`` is emitted when the new stack is in place."""

    succeeded = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Install the GPU stack")
        self.resize(720, 420)
        self.state = QLabel(
            "Installing torch, diffusers and transformers with pip. This can take a few minutes."
        )
        self.state.setWordWrap(True)
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.state, self.output, self.buttons):
            layout.addWidget(widget)
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.cancelled = False

    def start(self) -> None:
        program, arguments = studio_command()
        self.process.start(program, [*arguments, "gpu-stack", "install"])

    def _read(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        self.output.moveCursor(self.output.textCursor().MoveOperation.End)
        self.output.insertPlainText(text)
        self.output.ensureCursorVisible()

    def _finished(self, code: int, _status) -> None:
        self._read()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        if self.cancelled:
            self.state.setText("Cancelled. The GPU stack is as it was.")
        elif code == 0:
            self.state.setText(f"✔ Installed: {stack_summary()}")
            self.succeeded.emit()
        else:
            self.state.setText("✘ The install failed; pip's words are below. The GPU stack is as it was.")

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.state.setText(f"✘ {studio_command()[0]} could not be started.")
            self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def reject(self) -> None:
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.cancelled = True
            self.state.setText("Cancelling…")
            # The install stops pip on terminate; pip writes only into a staging folder, so nothing is lost.
            self.process.terminate()
            QTimer.singleShot(5000, self.process, self.process.kill)
            return
        super().reject()
