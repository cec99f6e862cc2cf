"""The Workers view: each worker that draws (device or Ray node, the model it holds, its job and progress), and
a worker that failed with its reason. Read from the workspace's pool twice a second while it is shown."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

REFRESH_MS = 500


def describe(state) -> str:
    """A worker's line: who and where, what it holds, what it does."""
    parts = [f"{state.name} · {state.device}"]
    parts.append(f"holds {state.model}" if state.model else "no model loaded")
    if state.job:
        done = f" {state.progress[0]}/{state.progress[1]}" if state.progress else ""
        parts.append(f"drawing{done}")
    elif state.error:
        parts.append(state.error)
    else:
        parts.append("idle" if state.alive else "not started")
    parts.append(f"{state.jobs} job{'s' if state.jobs != 1 else ''}")
    return " · ".join(parts)


class WorkersPanel(QWidget):
    """The pool's workers, one line each; the in-process thread is said in a line of its own."""

    def __init__(self, pool_of, project_open=lambda: True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("workersPanel")
        self.pool_of = pool_of  # () -> the workspace's pool, or None until a model first drew
        self.project_open = project_open
        self.summary = QLabel(objectName="workersSummary", wordWrap=True)
        self.list = QListWidget(objectName="workersList")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        if not self.isVisible() and self.list.count():
            return
        pool = self.pool_of()
        states = pool.states() if pool is not None and hasattr(pool, "states") else []
        if not self.project_open():
            self.summary.setText("No project open.")
        elif pool is None:
            self.summary.setText(
                "No worker has started yet: the first take or clip a model draws starts them."
            )
        elif not states:
            self.summary.setText(
                "Models draw on a thread of the studio's own process (compute.worker = thread)."
            )
        else:
            one = len(states) == 1
            if getattr(pool, "ray_address", ""):
                where = "Ray actor" if one else "Ray actors"
            else:
                where = "worker process" if one else "worker processes"
            self.summary.setText(
                f"{len(states)} {where}; the sketch renderer, the camera move and servers (ComfyUI, OpenAI) "
                "draw in the studio's process."
            )
        while self.list.count() > len(states):
            self.list.takeItem(self.list.count() - 1)
        for row, state in enumerate(states):
            item = self.list.item(row) or QListWidgetItem()
            if self.list.item(row) is None:
                self.list.addItem(item)
            item.setText(describe(state))
            item.setForeground(
                QColor("#c0392b") if state.error and not state.job else self.palette().text().color()
            )
            item.setToolTip(state.error or "")
