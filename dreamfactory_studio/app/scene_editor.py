"""The scene editor: every field of the selected scene, and its takes (choose, compare, draw anew, delete, pin,
import). Each change is one undoable edit, marked as the user's."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.compare_dialog import CompareDialog, take_caption
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.thumbnails import Thumbnails
from dreamfactory_studio.app.widgets import CommittingText, ElidedLabel, SessionView, perform, tool_button
from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.dialogue import dialogue_rows, format_dialogue
from dreamfactory_studio.core.model import Scene, Take
from dreamfactory_studio.core.scene_fields import SCENE_TEXT_FIELDS

SHOTS = ("", "wide", "establishing", "medium", "close-up", "extreme close-up", "over-the-shoulder", "aerial")
CAMERAS = ("", "static", "slow pan left", "slow pan right", "tilt up", "tilt down", "push in", "pull out")
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
TAKE_ICON = QSize(128, 72)
TakeIdRole = Qt.ItemDataRole.UserRole + 1


CLIP_ENDS = (
    ("as the export says", ""),
    ("where the model takes it", "free"),
    ("on the next keyframe", "next"),
    ("on its end frame", "own"),
)
"""The scene editor's choices of where a scene's clip ends, and their values."""


class SceneEditor(QWidget, SessionView):
    regenerateRequested = Signal(str)
    redrawRequested = Signal(str)
    """A region of this take (its id) to draw again in place."""

    def __init__(self, thumbnails: Thumbnails, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sceneEditor")
        self.session: ProjectSession | None = None
        self.scene_id: str | None = None
        self.thumbnails = thumbnails
        thumbnails.ready.connect(self._thumbnail_ready)

        self.heading = ElidedLabel("No scene selected")  # a long header must not widen the form
        self.heading.setObjectName("sceneHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)

        self.title = QLineEdit(objectName="title")
        self.script = QPlainTextEdit(objectName="script")
        self.narration = QPlainTextEdit(objectName="narration")
        self.setting = QLineEdit(
            objectName="setting", placeholderText="INT. DINER - NIGHT (empty: from the script)"
        )
        self.dialogue = QPlainTextEdit(
            objectName="dialogue", placeholderText="Name (V.O.): (how) what they say"
        )
        self.dual_view = QLabel(objectName="dualDialogue", wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.dual_view.setToolTip("Dual dialogue, said at once: a caret after the second speaker (June ^: …)")
        self.dual_view.hide()
        self.notes = QPlainTextEdit(objectName="notes", placeholderText="Notes: never drawn")
        for box in (self.script, self.narration, self.dialogue, self.notes):
            box.setTabChangesFocus(True)
        self.dialogue.setMaximumHeight(90)
        self.notes.setMaximumHeight(50)
        self.script.setMinimumHeight(90)
        self.narration.setMaximumHeight(70)
        self.shot = QComboBox(objectName="shot", editable=True)
        self.shot.addItems(SHOTS)
        self.camera = QComboBox(objectName="camera", editable=True)
        self.camera.addItems(CAMERAS)
        self.duration = QDoubleSpinBox(objectName="duration")
        self.duration.setRange(0, 600)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(0.5)
        self.duration.setSuffix(" s")
        self.duration.setSpecialValueText("auto (narration)")
        self.clip_end = QComboBox(objectName="clipEnd")
        for text, value in CLIP_ENDS:
            self.clip_end.addItem(text, value)
        self.clip_end.setToolTip(
            "Where this scene's clip ends, with a first-and-last-frame video model (Wan FLF2V, LTX-Video)"
        )
        self.clip_end.activated.connect(self._clip_end_chosen)
        self.characters = QListWidget(objectName="characters")
        self.characters.setMaximumHeight(90)
        self.new_character = QLineEdit(objectName="newCharacter", placeholderText="Add a character by name…")

        widgets = {
            "title": self.title,
            "script": self.script,
            "narration": self.narration,
            "setting": self.setting,
            "dialogue": self.dialogue,
            "notes": self.notes,
            "shot": self.shot.lineEdit(),
            "camera": self.camera.lineEdit(),
        }
        # A text field of the scene's that has no widget of its own above gets a text box, so a field declared in
        # core/scene_fields.py is editable here with nothing else to write.
        self._more = {
            name: QPlainTextEdit(objectName=name, tabChangesFocus=True, maximumHeight=70)
            for name in SCENE_TEXT_FIELDS
            if name not in widgets
        }
        self._texts = {name: CommittingText(widget, name) for name, widget in (widgets | self._more).items()}
        for name, field in self._texts.items():
            field.committed.connect(lambda text, key, name=name: self._edit(name, text, key))
        self.duration.editingFinished.connect(self._duration_edited)
        self.characters.itemChanged.connect(self._characters_edited)
        self.new_character.returnPressed.connect(self._add_character)

        form = QFormLayout()
        form.addRow("&Title", self.title)
        form.addRow("&Script", self.script)
        form.addRow("Settin&g", self.setting)
        form.addRow("&Narration", self.narration)
        form.addRow("Dia&logue", self.dialogue)
        form.addRow("", self.dual_view)
        form.addRow("Sh&ot", self.shot)
        form.addRow("&Camera", self.camera)
        form.addRow("Ch&aracters", self.characters)
        form.addRow("", self.new_character)
        form.addRow("&Duration", self.duration)
        form.addRow("Clip &ends", self.clip_end)
        for name, widget in self._more.items():
            form.addRow(name.replace("_", " ").capitalize(), widget)
        form.addRow("Not&es", self.notes)

        self.takes = QListWidget(objectName="takes")
        self.takes.setViewMode(QListWidget.ViewMode.IconMode)
        self.takes.setFlow(QListWidget.Flow.LeftToRight)
        self.takes.setWrapping(False)
        self.takes.setIconSize(TAKE_ICON)
        self.takes.setMovement(QListWidget.Movement.Static)
        self.takes.setFixedHeight(TAKE_ICON.height() + 64)
        self.takes.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.takes.itemDoubleClicked.connect(lambda _item: self.use_take())
        self.takes.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.takes.customContextMenuRequested.connect(self._take_menu)

        def button(name: str, picture: str, text: str, tip: str, slot) -> QToolButton:
            return tool_button(name, picture, text, tip, slot, with_text=False)  # the dock stays narrow

        self.use_button = QPushButton("Use take", objectName="useTake")
        self.use_button.clicked.connect(self.use_take)
        self.compare_button = button(
            "compareTakes", "compare", "Compare", "Compare two takes side by side", self.compare_takes
        )
        self.regenerate_button = button(
            "regenerate",
            "regenerate",
            "New take",
            "Draw this scene again with a new seed (Ctrl+R)",
            self.regenerate,
        )
        self.delete_take_button = button(
            "deleteTake", "delete", "Delete take", "Delete the selected take", self.delete_take
        )
        self.pin_button = button(
            "pinKeyframe", "pin", "Pin", "Pin the keyframe: it is never redrawn (P)", self.toggle_pin
        )
        self.pin_button.setCheckable(True)
        self.import_button = button(
            "importTake", "import", "Import…", "Add an image file as a take", self.import_image
        )
        self.base_button = button(
            "pinBaseFrame",
            "base-frame",
            "Base Frame",
            "Pin the selected take as the Base Frame (B)",
            self.pin_base_frame,
        )
        row = QHBoxLayout()
        for b in (
            self.use_button,
            self.compare_button,
            self.regenerate_button,
            self.delete_take_button,
            self.pin_button,
            self.base_button,
            self.import_button,
        ):
            row.addWidget(b)
        row.addStretch()

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addWidget(QLabel("Takes"))
        layout.addWidget(self.takes)
        layout.addLayout(row)
        self.show_scene(None, None)

    # -- showing ------------------------------------------------------------------------------------------

    def show_scene(self, session: ProjectSession | None, scene_id: str | None) -> None:
        """Show one scene (or none); edits go to ``session``."""
        for field in self._texts.values():
            field.commit()
            field.run += 1
        self.session, self.scene_id = session, scene_id
        self.follow(session)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        # its own scene, the order (its number), or any decision (the cast it lists, the Base Frame mark)
        if self.scene_id in changes.scenes or changes.order or changes.fields:
            self.reload()

    def scene(self) -> Scene | None:
        if self.session is None or self.scene_id is None:
            return None
        try:
            return self.session.scene_by_id(self.scene_id)
        except KeyError:
            return None

    def reload(self) -> None:
        scene = self.scene()
        editable = scene is not None and not self.session.read_only and not self.session.busy
        for widget in (
            self.title,
            self.script,
            self.narration,
            self.setting,
            self.dialogue,
            self.notes,
            self.new_character,
            *self._more.values(),
        ):
            widget.setReadOnly(not editable)
        for widget in (
            self.shot,
            self.camera,
            self.duration,
            self.clip_end,
            self.characters,
            self.use_button,
            self.compare_button,
            self.regenerate_button,
            self.delete_take_button,
            self.pin_button,
            self.import_button,
            self.base_button,
        ):
            widget.setEnabled(editable)
        if scene is None:
            self.heading.setText("No scene selected" if self.session else "No project open")
            for field in self._texts.values():
                field.load("")
            self.takes.clear()
            self.characters.clear()
            return
        number = self.session.number_of(scene.id)
        marks = ["from the screenplay"] if scene.from_screenplay else []
        if scene.user_edited:
            marks.append(f"edited by you: {', '.join(scene.user_edited)}")
        self.heading.setText(f"Scene {number}" + (f" — {'; '.join(marks)}" if marks else ""))
        for name, field in self._texts.items():
            field.load(self._text_of(scene, name))
        self._show_dual(scene)
        self.duration.blockSignals(True)
        # Unset, the length is the narration's: the one the card, the PDF and the film give the scene.
        length = self.session.workspace.scene_length(scene)
        self.duration.setSpecialValueText(f"auto ({length:.1f} s, from the narration)")
        self.duration.setValue(scene.duration if scene.is_user_edited("duration") and scene.duration else 0)
        self.duration.blockSignals(False)
        self.clip_end.setCurrentIndex(max(0, self.clip_end.findData(scene.clip_end)))
        if scene.end_frame:
            self.clip_end.setItemText(3, f"on its end frame ({scene.end_frame})")
        else:
            self.clip_end.setItemText(3, CLIP_ENDS[3][0])
        self._load_characters(scene)
        self._load_takes(scene)
        self.pin_button.setChecked(scene.pinned)
        self.compare_button.setEnabled(editable and len(scene.takes) >= 2)
        self.use_button.setEnabled(editable and bool(scene.takes))
        self.delete_take_button.setEnabled(editable and bool(scene.takes))

    def _text_of(self, scene: Scene, name: str) -> str:
        if name == "setting":
            return scene.setting.heading if scene.setting else ""
        if name == "dialogue":
            return format_dialogue(scene.dialogue, {c.id: c.name for c in self.session.project.characters})
        return getattr(scene, name)

    def _load_characters(self, scene: Scene) -> None:
        self.characters.blockSignals(True)
        self.characters.clear()
        for character in self.session.project.characters:
            item = QListWidgetItem(character.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if character.id in scene.characters else Qt.CheckState.Unchecked
            )
            item.setToolTip(character.description)
            self.characters.addItem(item)
        self.characters.blockSignals(False)

    def _take_path(self, take: Take) -> str:
        return self.session.asset_file(take.image)

    def _load_takes(self, scene: Scene) -> None:
        selected = set(self.selected_take_ids())
        self.takes.clear()
        for take in scene.takes:
            item = QListWidgetItem(take_caption(take, take.id == scene.selected_take))
            item.setData(TakeIdRole, take.id)
            names = {c.id: c.name for c in self.session.project.characters}
            likeness = ", ".join(f"{names.get(i, i)} {v:.2f}" for i, v in take.identity.items())
            made = take.recipe.summary(names) if take.recipe else ""
            tip = [f"{take.backend} {take.model}", take.prompt, take.score_reason]
            tip += [f"Likeness to the sheets: {likeness}" if likeness else "", made]
            item.setToolTip("\n".join(t for t in tip if t).strip())
            pixmap = self.thumbnails.get(self._take_path(take))
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
            self.takes.addItem(item)
            if take.id in selected or (not selected and take.id == scene.selected_take):
                item.setSelected(True)

    def _thumbnail_ready(self, path: str) -> None:
        scene = self.scene()
        if scene is None:
            return
        for row, take in enumerate(scene.takes):
            if row < self.takes.count() and self._take_path(take) == path:
                pixmap = self.thumbnails.get(path)
                if pixmap is not None:
                    self.takes.item(row).setIcon(QIcon(pixmap))

    def selected_take_ids(self) -> list[str]:
        return [item.data(TakeIdRole) for item in self.takes.selectedItems()]

    # -- editing ------------------------------------------------------------------------------------------

    def _edit(self, name: str, text: str, key: object) -> None:
        if self.scene() is None:
            return
        perform(
            self,
            self.session,
            "edit_scene",
            scene=self.scene_id,
            values={name: text},
            merge_key=(self.scene_id, *key),
        )

    def _show_dual(self, scene) -> None:
        """A scene's dual dialogue side by side, under the text that edits it."""
        names = {c.id: c.name for c in self.session.project.characters}
        rows = [row for row in dialogue_rows(scene.dialogue, names) if len(row) > 1]
        cells = "".join(
            "<tr>" + "".join(f"<td width='50%'>{html.escape(said)}</td>" for said in row) + "</tr>"
            for row in rows
        )
        self.dual_view.setText(f"<table width='100%' cellspacing='4'>{cells}</table>" if rows else "")
        self.dual_view.setVisible(bool(rows))

    def _duration_edited(self) -> None:
        scene = self.scene()
        shown = scene.duration if scene is not None and scene.is_user_edited("duration") else 0
        if scene is None or self.duration.value() == (shown or 0):
            return
        perform(
            self, self.session, "edit_scene", scene=self.scene_id, values={"duration": self.duration.value()}
        )

    def _clip_end_chosen(self) -> None:
        scene = self.scene()
        value = self.clip_end.currentData()
        if scene is not None and value != scene.clip_end:
            perform(self, self.session, "set_clip_end", scene=self.scene_id, end=value)

    def _characters_edited(self, _item) -> None:
        names = [
            self.characters.item(i).text()
            for i in range(self.characters.count())
            if self.characters.item(i).checkState() == Qt.CheckState.Checked
        ]
        perform(self, self.session, "edit_scene", scene=self.scene_id, values={"characters": names})

    def _add_character(self) -> None:
        scene = self.scene()
        name = self.new_character.text().strip()
        if scene is None or not name:
            return
        names = [self.session.project.character(i).name for i in scene.characters] + [name]
        if perform(self, self.session, "edit_scene", scene=self.scene_id, values={"characters": names}):
            self.new_character.clear()

    def use_take(self) -> None:
        ids = self.selected_take_ids()
        if self.scene() is not None and ids:
            perform(self, self.session, "select_take", scene=self.scene_id, take_id=ids[0])

    def delete_take(self) -> None:
        ids = self.selected_take_ids()
        if self.scene() is not None and ids:
            perform(self, self.session, "delete_take", scene=self.scene_id, take_id=ids[0])

    def toggle_pin(self) -> None:
        scene = self.scene()
        if scene is None:
            return
        if not perform(
            self, self.session, "unpin_scene" if scene.pinned else "pin_scene", scene=self.scene_id
        ):
            self.pin_button.setChecked(scene.pinned)

    def pin_base_frame(self) -> None:
        if self.scene() is None:
            return
        ids = self.selected_take_ids()
        perform(self, self.session, "pin_base_frame", scene=self.scene_id, take_id=ids[0] if ids else None)

    def import_image(self) -> None:
        if self.scene() is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import an image as a take", "", IMAGE_FILTER)
        if path:
            perform(self, self.session, "import_take", scene=self.scene_id, file=path)

    def _take_menu(self, where) -> None:
        """A take's context menu: redraw a region of it."""
        from PySide6.QtWidgets import QMenu

        item = self.takes.itemAt(where)
        if item is None or self.session is None or self.session.read_only:
            return
        take_id = item.data(TakeIdRole)
        menu = QMenu(self)
        redraw = menu.addAction("Redraw a &Region of This Take…")
        redraw.triggered.connect(lambda: self.redrawRequested.emit(take_id))
        end = menu.addAction("Pin as &End Frame")
        end.setToolTip("The scene's clip ends on this take (with a first-and-last-frame video model)")
        end.triggered.connect(
            lambda: perform(self, self.session, "pin_end_frame", scene=self.scene_id, take_id=take_id)
        )
        menu.popup(self.takes.viewport().mapToGlobal(where))

    def regenerate(self) -> None:
        if self.scene() is not None:
            self.regenerateRequested.emit(self.scene_id)

    def compare_takes(self) -> None:
        scene = self.scene()
        if scene is None or len(scene.takes) < 2:
            return
        ids = self.selected_take_ids()
        if len(ids) < 2:
            others = [t.id for t in scene.takes if t.id not in ids]
            ids = (ids + [scene.selected_take or others[0]] + others)[:2]
            if ids[0] == ids[1]:
                ids[1] = next(t.id for t in scene.takes if t.id != ids[0])
        dialog = CompareDialog(self.session, scene, ids[0], ids[1], self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen:
            perform(self, self.session, "select_take", scene=self.scene_id, take_id=dialog.chosen)
