"""The crew's conversation: one tab per role and an All tab, streaming each message as its words arrive, and a
line where the person gives a phase's crew their direction.

Words are shown as they come, gathered for at most :data:`FLUSH_MS` first: a text view lays its text out again
on each insert, and one insert a token made a run from the window twice as slow as from the CLI."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.decision_text import readable
from dreamfactory_studio.app.widgets import tool_button
from dreamfactory_studio.core.events import (
    Event,
    MessageFinished,
    MessageStarted,
    PhaseFinished,
    TokenReceived,
)
from dreamfactory_studio.core.model import PHASES, TranscriptMessage

ROLES = {
    "ceo": "CEO",
    "director": "Director",
    "producer": "Producer",
    "screenwriter": "Screenwriter",
    "art_director": "Art Director",
    "monitor": "Monitor",
}
"""The tabs after All, with the titles a transcript read back from disk is shown with."""
OTHER_TITLES = {"studio": "DreamFactory", "painter": "Painter"}
FLUSH_MS = 40


class ChatView(QPlainTextEdit):
    """One tab's messages: a heading (who, where it came from, phase, time) and the words, appended at the
    end as they stream in. It follows the newest words unless the user has scrolled up to read."""

    def __init__(self, name: str):
        super().__init__(objectName=name, readOnly=True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.messages = 0
        self._open = False
        self._body = 0
        self._bold = QTextCharFormat()
        self._bold.setFontWeight(700)
        self._plain = QTextCharFormat()
        self._dim = QTextCharFormat()
        self._dim.setFontItalic(True)
        self._dim.setForeground(QColor(self.palette().color(QPalette.ColorRole.PlaceholderText)))

    def _append(self, text: str, bold: bool = False, dim: bool = False) -> None:
        bar = self.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, self._bold if bold else self._dim if dim else self._plain)
        if following:
            bar.setValue(bar.maximum())

    def begin(self, heading: str) -> None:
        self.end(cut_off=True)
        self._append(("\n\n" if self.messages else "") + heading + "\n", bold=True)
        self.messages += 1
        self._open = True
        self._body = self.document().characterCount() - 1

    def replace_body(self, text: str) -> None:
        """Put ``text`` in place of what streamed into the open message (a decision, written out)."""
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._body)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text, self._plain)

    def add(self, text: str, *, reasoning: bool = False) -> None:
        """Words of the message; a reasoning model's thinking is shown dimmed and in italics."""
        self._append(text, dim=reasoning)

    def end(self, cut_off: bool = False) -> None:
        if self._open and cut_off:
            self._append(" [cut off]")
        self._open = False

    def reset(self) -> None:
        self.clear()
        self.messages = 0
        self._open = False


FOLDED = 240


def fold(reasoning: str) -> str:
    """A saved message's thinking, folded to its start (the whole of it is in the transcript file)."""
    text = " ".join(reasoning.split())
    return f"thinking: {text[:FOLDED]}{'…' if len(text) > FOLDED else ''}"


def heading(title: str, source: str, phase: str, when: datetime) -> str:
    who = title if source in ("", "studio", title) else f"{title} ({source})"
    return f"{who} · {phase} · {when.astimezone():%H:%M:%S}"


class ChatPanes(QWidget):
    """The chat dock's content. Feed it the production's events (:meth:`on_event`) or a whole transcript
    (:meth:`show_transcript`); ``directionGiven`` asks the window to set a phase's direction."""

    directionGiven = Signal(str, str)  # phase, text

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tabs = QTabWidget(objectName="chatTabs", documentMode=True)
        self.views: dict[str, ChatView] = {"all": ChatView("chatAll")}
        self.tabs.addTab(self.views["all"], "All")
        for role, title in ROLES.items():
            self.views[role] = ChatView(f"chat_{role}")
            self.tabs.addTab(self.views[role], title)
        self._streaming: list[ChatView] = []
        self._streamed = False
        self._pending: list[tuple[str, bool]] = []  # words not shown yet, each with whether it is thinking
        self._thinking = False
        self._flush = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush.timeout.connect(self.flush)

        self.phase = QComboBox(objectName="directionPhase", toolTip="The phase whose crew hears your word")
        self.phase.addItems(PHASES)
        self.direction = QLineEdit(
            objectName="direction",
            placeholderText="Your direction to this phase's crew; it goes into its next conversation",
            clearButtonEnabled=True,
        )
        self.direction.returnPressed.connect(self._give)
        self.give = tool_button("giveDirection", "describe", "Direct", "Give this direction", self._give)
        self.raw = QCheckBox(
            "Raw", objectName="rawDecisions", toolTip="Show the crew's decisions as written (JSON)"
        )
        self.raw.toggled.connect(lambda _on: self.show_transcript(self._messages))
        self._messages: list[TranscriptMessage] = []
        self.phase.currentTextChanged.connect(lambda _p: self.load_direction())
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.phase, self.direction, self.give, self.raw):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(row)
        self._directions: dict[str, str] = {}
        self.set_editable(False)

    # -- directions -----------------------------------------------------------------------------------------

    def set_directions(self, directions: dict[str, str]) -> None:
        self._directions = dict(directions)
        self.load_direction()

    def load_direction(self) -> None:
        self.direction.setText(self._directions.get(self.phase.currentText(), ""))

    def set_editable(self, editable: bool) -> None:
        for widget in (self.direction, self.give, self.phase):
            widget.setEnabled(editable)

    def _give(self) -> None:
        text = self.direction.text().strip()
        if text != self._directions.get(self.phase.currentText(), ""):
            self.directionGiven.emit(self.phase.currentText(), text)

    # -- messages -------------------------------------------------------------------------------------------

    def _targets(self, role: str) -> list[ChatView]:
        return [self.views["all"], *([self.views[role]] if role in self.views else [])]

    def _words(self, message: TranscriptMessage) -> str:
        return message.text if self.raw.isChecked() else readable(message.text, message.phase)

    def show_transcript(self, messages: list[TranscriptMessage]) -> None:
        """Show a project's whole conversation, as saved (decisions written out unless Raw is on)."""
        self._messages = list(messages)
        for view in self.views.values():
            view.reset()
            view.setUpdatesEnabled(False)
        try:
            for message in messages:
                title = ROLES.get(message.role) or OTHER_TITLES.get(message.role, message.role)
                for view in self._targets(message.role):
                    view.begin(heading(title, message.source, message.phase, message.time))
                    if message.reasoning:
                        view.add(f"{fold(message.reasoning)}\n", reasoning=True)
                    view.add(self._words(message))
                    view.end()
        finally:
            for view in self.views.values():
                view.setUpdatesEnabled(True)
                view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())

    def flush(self) -> None:
        """Show the words that arrived since the last flush."""
        self._flush.stop()
        if self._pending:
            runs: list[tuple[str, bool]] = []
            for text, reasoning in self._pending:
                if self._thinking and not reasoning:
                    text = "\n" + text  # the answer after the thinking: a line of its own
                self._thinking = reasoning
                if runs and runs[-1][1] == reasoning:
                    runs[-1] = (runs[-1][0] + text, reasoning)
                else:
                    runs.append((text, reasoning))
            self._pending.clear()
            for view in self._streaming:
                for text, reasoning in runs:
                    view.add(text, reasoning=reasoning)

    def on_event(self, event: Event) -> None:
        if isinstance(event, MessageStarted):
            self.flush()
            self._streaming = self._targets(event.role)
            self._streamed = self._thinking = False
            for view in self._streaming:
                view.begin(heading(event.title, event.source, event.phase, datetime.now().astimezone()))
        elif isinstance(event, TokenReceived):
            self._streamed = self._streamed or not event.reasoning
            self._pending.append((event.text, event.reasoning))
            if not self._flush.isActive():
                self._flush.start()
        elif isinstance(event, MessageFinished):
            self.flush()
            self._messages.append(event.message)
            words = self._words(event.message)
            for view in self._streaming:
                if not self._streamed:
                    view.add(words)
                elif words != event.message.text and not event.message.reasoning:
                    view.replace_body(words)  # the decision, streamed as JSON, written out
                view.end()
            self._streaming = []
        elif isinstance(event, PhaseFinished) and event.status != "done":
            self.stop()

    def stop(self) -> None:
        """A run ended (cancelled or failed): a message still streaming is marked as cut off."""
        self.flush()
        for view in self._streaming:
            view.end(cut_off=True)
        self._streaming = []

    def text(self, role: str = "all") -> str:
        return self.views[role].toPlainText()
