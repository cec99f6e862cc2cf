"""A dismissible line above the timeline: after the first storyboard drawn with sketches, how to get real
pictures. Dismissed once, it stays away (the window's settings remember)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

TEXT = (
    "These keyframes are sketches, drawn offline. For real pictures, <a href='models'>get a model</a> that fits "
    "this machine (Settings ▸ Models), or set an image server; then draw again any scene (Ctrl+R) or all of them."
)


class SketchNotice(QFrame):
    """The line, with a link to the Models page and a close button."""

    modelsRequested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="sketchNotice", visible=False)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(TEXT, wordWrap=True, objectName="sketchNoticeText")
        self.label.linkActivated.connect(lambda _link: self.modelsRequested.emit())
        close = QToolButton(text="×", objectName="dismissSketchNotice", autoRaise=True)
        close.setToolTip("Do not show this again")
        close.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
