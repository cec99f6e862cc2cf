"""The crew's decisions, to change between phases: where the production stands, the style with its palette and
lighting, the story outline and each character's look. What the person changes is marked as theirs, and the
crew keeps it when it runs again (the CLI's ``edit --style/--outline/--character``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.widgets import CommittingText, SessionView, perform, tool_button
from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.model import PHASES, STYLES

MARKS = {"done": "✓", "stale": "stale", "failed": "failed", "running": "…", "pending": "–"}


class DecisionsPanel(QWidget, SessionView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("decisionsPanel")
        self.session: ProjectSession | None = None
        self.summary = QLabel(objectName="productionSummary", wordWrap=True)
        self.style_box = QComboBox(objectName="style", editable=True)
        self.style_box.addItems(STYLES)
        self.palette = QLineEdit(objectName="palette")
        self.lighting = QLineEdit(objectName="lighting")
        self.outline = QPlainTextEdit(objectName="outline", tabChangesFocus=True)
        self.outline.setPlaceholderText("The story's outline, written in the story phase")
        self.cast = QListWidget(objectName="characters", wordWrap=True)  # a long name wraps, never cut
        self.cast.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cast.currentItemChanged.connect(lambda *_: self._show_character())
        self.name = QLineEdit(objectName="characterName")
        self.look = QPlainTextEdit(objectName="characterLook", tabChangesFocus=True)
        self.look.setPlaceholderText("Face, hair, clothing, age, props: the same words in every scene")
        self.add_button = tool_button(
            "addCharacter", "insert", "Add", "Add a character the crew will keep", self.add_character
        )
        self._fields = {
            "style": CommittingText(self.style_box.lineEdit(), "style"),
            "palette": CommittingText(self.palette, "palette"),
            "lighting": CommittingText(self.lighting, "lighting"),
            "outline": CommittingText(self.outline, "outline"),
            "name": CommittingText(self.name, "name"),
            "description": CommittingText(self.look, "description"),
        }
        for field in self._fields.values():
            field.committed.connect(lambda text, key, f=field: self._edited(f.name, text, key))

        form = QFormLayout()
        form.addRow("Style", self.style_box)
        form.addRow("Palette", self.palette)
        form.addRow("Lighting", self.lighting)
        form.addRow("Outline", self.outline)
        people = QHBoxLayout()
        people.addWidget(self.cast, 1)
        detail = QVBoxLayout()
        detail.addWidget(self.name)
        detail.addWidget(self.look, 1)
        people.addLayout(detail, 2)
        heading = QHBoxLayout()
        heading.addWidget(QLabel("<b>Characters</b>"), 1)
        heading.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addLayout(heading)
        layout.addLayout(people, 1)
        self.show_session(None)

    def show_session(self, session: ProjectSession | None) -> None:
        for field in self._fields.values():
            field.commit()  # what was being typed goes to the project it belongs to
        self.session = session
        self.follow(session)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if changes.fields & {"task", "style", "outline", "characters", "phases"}:
            self.reload()

    def _character(self):
        item = self.cast.currentItem()
        if self.session is None or item is None:
            return None
        wanted = item.data(Qt.ItemDataRole.UserRole)
        return next((c for c in self.session.project.characters if c.id == wanted), None)

    def reload(self) -> None:
        session = self.session
        project = session.project if session else None
        editable = bool(session and not session.read_only and not session.busy)
        if project is None:
            self.summary.setText("No project is open.")
        else:
            task = project.task
            plan = (
                f"{task.mode} film, {task.scenes} scenes, for {task.audience or 'anyone'}, {task.aspect}"
                if task
                else "The task is not defined yet."
            )
            stands = "   ".join(f"{p} {MARKS[project.phases[p].status]}" for p in PHASES)
            self.summary.setText(f"{plan}\n{stands}")
        style = project.style if project else None
        self._fields["style"].load(style.style if style else "")
        self._fields["palette"].load(style.palette if style else "")
        self._fields["lighting"].load(style.lighting if style else "")
        self._fields["outline"].load(project.outline if project else "")
        for widget in (self.style_box, self.palette, self.lighting, self.outline):
            widget.setEnabled(editable)
        for widget in (self.palette, self.lighting):
            widget.setEnabled(editable and style is not None)
        current = self.cast.currentItem().data(Qt.ItemDataRole.UserRole) if self.cast.currentItem() else None
        self.cast.blockSignals(True)
        self.cast.clear()
        for character in project.characters if project else []:
            mine = " (yours)" if character.user_edited else ""
            item = QListWidgetItem(f"{character.name}{mine}")
            item.setData(Qt.ItemDataRole.UserRole, character.id)
            self.cast.addItem(item)
            if character.id == current:
                self.cast.setCurrentItem(item)
        if self.cast.currentItem() is None and self.cast.count():
            self.cast.setCurrentRow(0)
        self.cast.blockSignals(False)
        self.add_button.setEnabled(editable)
        self._show_character()

    def _show_character(self) -> None:
        character = self._character()
        self._fields["name"].load(character.name if character else "")
        self._fields["description"].load(character.description if character else "")
        editable = bool(self.session and not self.session.read_only and not self.session.busy)
        for widget in (self.name, self.look):
            widget.setEnabled(editable and character is not None)

    def _edited(self, name: str, text: str, key) -> None:
        session = self.session
        if session is None:
            return
        merge = (name, key)
        if name in ("style", "palette", "lighting"):
            perform(self, session, "edit_style", values={name: text}, merge_key=merge)
        elif name == "outline":
            perform(self, session, "edit_outline", outline=text, merge_key=merge)
        else:
            character = self._character()
            if character is None:
                return
            values = {"description": text} if name == "description" else {"rename": text}
            perform(self, session, "edit_character", name=character.name, values=values, merge_key=merge)

    def add_character(self) -> None:
        session = self.session
        if session is None:
            return
        names = {c.name for c in session.project.characters}
        number = len(names) + 1
        while f"Character {number}" in names:
            number += 1
        if perform(self, session, "edit_character", name=f"Character {number}", values={}):
            self.cast.setCurrentRow(self.cast.count() - 1)
            self.name.setFocus()
            self.name.selectAll()
