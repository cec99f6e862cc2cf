"""Small pieces the panels share: text fields that commit as one undoable edit, guarded calls, and following
an open session's changes."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from dreamfactory_studio.app.look import icon
from dreamfactory_studio.core.errors import StudioError, advised
from dreamfactory_studio.core.operations import OPERATIONS

COMMIT_DELAY_MS = 700


def tool_button(
    name: str, picture: str, text: str, tip: str, slot: Callable[[], object], *, with_text: bool = True
) -> QToolButton:
    """A panel's button: an icon from ``resources/icons``, its text beside it (or only in the tip)."""
    button = QToolButton(objectName=name, text=text, toolTip=tip)
    button.setIcon(icon(picture))
    button.setToolButtonStyle(
        Qt.ToolButtonStyle.ToolButtonTextBesideIcon if with_text else Qt.ToolButtonStyle.ToolButtonIconOnly
    )
    button.clicked.connect(lambda _checked=False: slot())
    return button


def guarded(parent: QWidget | None, title: str, action: Callable[[], object]) -> bool:
    """Run an edit; an error the user can cause is shown in one dialog, and False is returned."""
    try:
        action()
    except StudioError as exc:
        QMessageBox.warning(parent, title, advised(exc, "window"))
        return False
    return True


def perform(parent: QWidget | None, session, op_id: str, **values) -> bool:
    """Do operation ``op_id`` on ``session`` as one undo step (:meth:`ProjectSession.do`); a refusal is shown in
    one dialog titled as the operation declares, and False is returned."""
    return guarded(parent, OPERATIONS[op_id].refused, lambda: session.do(op_id, **values))


class SessionView:
    """A panel that shows an open session: :meth:`follow` points it at a session (or none), after which the
    session's ``changed`` records reach :meth:`on_changes` and its busy state :meth:`on_busy`. Each panel
    filters the record for what it shows; nothing outside tells it to reload."""

    _followed = None

    def follow(self, session) -> None:
        old = self._followed
        if old is session:
            return
        if old is not None:
            try:
                old.changed.disconnect(self.on_changes)
                old.busyChanged.disconnect(self.on_busy)
            except (RuntimeError, TypeError):  # the session is already gone
                pass
        self._followed = session
        if session is not None:
            session.changed.connect(self.on_changes)
            session.busyChanged.connect(self.on_busy)

    def on_changes(self, changes) -> None:
        raise NotImplementedError

    def on_busy(self, _busy: bool) -> None:
        self.reload()  # what may be edited changes


class _UndoToWindow(QObject):
    """Sends Ctrl+Z and Ctrl+Shift+Z in a text field to the window's undo stack (after committing the
    field), so that one undo history covers every edit."""

    def __init__(self, field: CommittingText):
        super().__init__(field.widget)
        self.field = field

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ShortcutOverride and (
            event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo)
        ):
            self.field.commit()
            event.ignore()
            return True
        if event.type() == QEvent.Type.FocusOut:
            self.field.commit()
            self.field.run += 1
        return False


class CommittingText(QObject):
    """Wraps a QLineEdit or QPlainTextEdit: typing commits after a pause and on leaving the field; a run of
    typing in one field merges into one undo step (``merge_key``)."""

    committed = Signal(str, object)  # text, merge key

    def __init__(self, widget: QLineEdit | QPlainTextEdit, name: str):
        super().__init__(widget)
        self.widget, self.name = widget, name
        self.run = 0
        self._loading = False
        self._timer = QTimer(self, singleShot=True, interval=COMMIT_DELAY_MS)
        self._timer.timeout.connect(self.commit)
        self._last = ""
        widget.textChanged.connect(self._typed)
        if isinstance(widget, QPlainTextEdit):
            widget.setUndoRedoEnabled(False)
        else:
            widget.editingFinished.connect(self.commit)
        widget.installEventFilter(_UndoToWindow(self))

    def text(self) -> str:
        w = self.widget
        return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()

    def load(self, text: str) -> None:
        """Show ``text`` (from the project) unless the field already holds it."""
        self._timer.stop()
        self._last = text
        if self.text() == text:
            return
        self._loading = True
        try:
            if isinstance(self.widget, QPlainTextEdit):
                self.widget.setPlainText(text)
            else:
                self.widget.setText(text)
        finally:
            self._loading = False

    def _typed(self, *_args) -> None:
        if not self._loading:
            self._timer.start()

    def commit(self) -> None:
        self._timer.stop()
        text = self.text()
        if text != self._last:
            self._last = text
            self.committed.emit(text, (self.name, self.run))


class ElidedLabel(QLabel):
    """A one-line label that never widens its panel: a text longer than its width ends in "…", and the whole
    text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full = ""
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self.full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        return self.full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.width(), 40)
        super().setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, width))
