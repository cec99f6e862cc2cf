"""The Base Frame panel: the frame every keyframe is held to, and the Base Description of what must never
change. The user pins or imports the frame and edits the description (theirs is kept from the monitor);
re-describing asks the monitor again and shows the difference before anything is replaced."""

from __future__ import annotations

import difflib
import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.scene_editor import IMAGE_FILTER
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.widgets import CommittingText, SessionView, perform, tool_button
from dreamfactory_studio.core.changes import Changes

FRAME_WIDTH = 320


class BaseFramePanel(QWidget, SessionView):
    pinSelectedRequested = Signal()
    redescribeRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("baseFramePanel")
        self.session: ProjectSession | None = None
        self.image = QLabel(
            objectName="baseFrameImage", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True
        )
        self.image.setMinimumSize(FRAME_WIDTH * 3 // 4, FRAME_WIDTH * 27 // 64)
        self.source = QLabel(objectName="baseFrameSource", wordWrap=True)

        self.pin_button = tool_button(
            "pinSelected",
            "base-frame",
            "Pin selected",
            "Pin the selected scene's keyframe as the Base Frame (B)",
            self.pinSelectedRequested.emit,
        )
        self.import_button = tool_button(
            "importBaseFrame", "import", "Import…", "Pin an image file as the Base Frame", self.import_image
        )
        self.unpin_button = tool_button(
            "unpinBaseFrame", "cancel", "Unpin", "Let the crew draw the Base Frame again", self.unpin
        )
        self.description = QPlainTextEdit(objectName="baseDescription")
        self.description.setPlaceholderText(
            "What must never change: style, palette, lighting, each character's face, hair and clothing, props, places."
        )
        self.description.setTabChangesFocus(True)
        self._text = CommittingText(self.description, "base_description")
        self._text.committed.connect(self._edited)
        self.edited_label = QLabel(objectName="descriptionOwner", wordWrap=True)
        self.redescribe_button = tool_button(
            "redescribe",
            "describe",
            "Re-describe",
            "Ask the monitor again; see the difference before replacing",
            self.redescribeRequested.emit,
        )

        buttons = QHBoxLayout()
        for b in (self.pin_button, self.import_button, self.unpin_button):
            buttons.addWidget(b)
        buttons.addStretch()
        owner = QHBoxLayout()
        owner.addWidget(self.edited_label, 1)
        owner.addWidget(self.redescribe_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        layout.addWidget(self.source)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("<b>Base Description</b>"))
        layout.addWidget(self.description, 1)
        layout.addLayout(owner)
        self.show_session(None)

    def show_session(self, session: ProjectSession | None) -> None:
        self._text.commit()
        self.session = session
        self.follow(session)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.fields & {"base_frame", "base_description"}:
            self.reload()

    def reload(self) -> None:
        session = self.session
        editable = session is not None and not session.read_only and not session.busy
        for widget in (self.pin_button, self.import_button, self.unpin_button, self.redescribe_button):
            widget.setEnabled(editable)
        self.description.setReadOnly(not editable)
        if session is None:
            self.image.setText("No project open")
            self.source.clear()
            self._text.load("")
            self.edited_label.clear()
            return
        project = session.project
        base = project.base_frame
        if base is None:
            self.image.setPixmap(QPixmap())
            self.image.setText("No Base Frame yet: draw the keyframes, or pin or import one.")
            self.source.clear()
            self.unpin_button.setEnabled(False)
        else:
            pixmap = QPixmap(session.asset_file(base.image))
            if pixmap.isNull():
                self.image.setText(
                    f"The Base Frame's image is missing ({base.image}). Pin or import another."
                )
            else:
                self.image.setPixmap(
                    pixmap.scaledToWidth(FRAME_WIDTH, Qt.TransformationMode.SmoothTransformation)
                )
            where = {"generated": "drawn by the crew", "take": "a take", "imported": "an imported image"}[
                base.source
            ]
            owner = "pinned by you" if base.pinned_by_user else "chosen by the crew"
            self.source.setText(f"{where.capitalize()}, {owner}.")
            self.unpin_button.setEnabled(editable and base.pinned_by_user)
        self._text.load(project.base_description.text)
        self.edited_label.setText(
            "Edited by you: the monitor keeps it."
            if project.base_description.user_edited
            else "Written by the monitor."
        )
        self.redescribe_button.setEnabled(editable and base is not None)

    def _edited(self, text: str, key: object) -> None:
        if self.session is not None:
            perform(
                self, self.session, "edit_base_description", text=text, merge_key=("base_description", key)
            )

    def import_image(self) -> None:
        if self.session is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import the Base Frame", "", IMAGE_FILTER)
        if path:
            perform(self, self.session, "import_base_frame", file=path)

    def unpin(self) -> None:
        if self.session is not None:
            perform(self, self.session, "unpin_base_frame")


def word_diff_html(old: str, new: str) -> str:
    """The change from ``old`` to ``new`` word by word: removed words struck through in red, new in green."""
    a, b = old.split(" "), new.split(" ")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(
                f'<span style="color:#d64545;text-decoration:line-through">{html.escape(" ".join(a[i1:i2]))}</span>'
            )
        if op in ("insert", "replace"):
            out.append(
                f'<span style="color:#2e9d6a;font-weight:bold">{html.escape(" ".join(b[j1:j2]))}</span>'
            )
        if op == "equal":
            out.append(html.escape(" ".join(a[i1:i2])))
    return " ".join(out).replace("\n", "<br>")


class DescriptionDiffDialog(QDialog):
    """The monitor's new Base Description against the current one; Replace takes it, Keep leaves it."""

    def __init__(self, current: str, proposed: str, user_edited: bool, parent=None):
        super().__init__(parent)
        self.setObjectName("describeDialog")
        self.setWindowTitle("The monitor's new Base Description")
        self.resize(640, 420)
        note = QLabel(
            "Removed words are struck through in red; new words are green."
            + (
                " The current description is yours: replacing it gives it back to the monitor."
                if user_edited
                else ""
            )
        )
        note.setWordWrap(True)
        self.view = QTextBrowser(objectName="descriptionDiff")
        self.view.setHtml(word_diff_html(current, proposed) if current != proposed else html.escape(proposed))
        buttons = QDialogButtonBox()
        self.replace = buttons.addButton("Replace", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Keep the current one", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
