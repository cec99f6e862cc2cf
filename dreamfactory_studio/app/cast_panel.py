"""The Cast panel: each character's sheet, look and LoRA, beside the Base Frame panel.

A sheet is the picture every keyframe the character is in is held to. The user draws it again with the crew,
imports one, pins a crop of the selected take or one of the character's earlier sheets, or unpins it so that
the next full run draws it anew; each is one undo step. The look is edited in place (it becomes the user's), and
a LoRA file with its trigger word and weight can be set per character.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.scene_editor import IMAGE_FILTER
from dreamfactory_studio.app.session import ProjectSession
from dreamfactory_studio.app.widgets import CommittingText, SessionView, perform, tool_button
from dreamfactory_studio.core.changes import Changes

SHEET_HEIGHT = 220
SOURCES = {"generated": "drawn by the crew", "imported": "an imported image", "take": "a crop of a take"}


class CastPanel(QWidget, SessionView):
    drawRequested = Signal(str)  # character id
    pinFromTakeRequested = Signal(str)  # character id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("castPanel")
        self.session: ProjectSession | None = None
        self.list = QListWidget(objectName="castList", iconSize=QSize(27, 36))
        self.list.setMaximumHeight(160)
        self.list.currentRowChanged.connect(lambda _row: self._show_current())
        self.sheet = QLabel(objectName="castSheet", alignment=Qt.AlignmentFlag.AlignCenter)
        self.sheet.setMinimumHeight(SHEET_HEIGHT)  # the whole figure, head to feet: the dock scrolls instead
        self.sheet.setWordWrap(True)
        self.source = QLabel(objectName="castSheetSource", wordWrap=True)
        self.draw_button = tool_button(
            "drawSheet", "run", "Draw again", "Draw this character's sheet again with the crew", self._draw
        )
        self.import_button = tool_button(
            "importSheet",
            "import",
            "Import…",
            "Pin an image file as this character's sheet",
            self.import_image,
        )
        self.crop_button = tool_button(
            "sheetFromTake",
            "base-frame",
            "From selected take",
            "Pin a crop of the selected scene's keyframe (the character's layout box) as the sheet",
            self._from_take,
        )
        self.unpin_button = tool_button(
            "unpinSheet", "cancel", "Unpin", "Let the next full run draw this sheet again", self._unpin
        )
        self.earlier = QComboBox(objectName="sheetTakes", toolTip="Pin one of the character's earlier sheets")
        self.earlier.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.earlier.setMinimumContentsLength(12)
        self.earlier.activated.connect(self._pin_earlier)
        self.look = QPlainTextEdit(objectName="castLook")
        self.look.setPlaceholderText(
            "What the character looks like: age, build, hair, clothing and colours, props."
        )
        self.look.setTabChangesFocus(True)
        self.look.setMaximumHeight(90)
        self._look = CommittingText(self.look, "character_look")
        self._look.committed.connect(self._look_edited)
        self.lora = QLabel(objectName="castLora", wordWrap=True)
        self.lora_button = tool_button(
            "chooseLora", "import", "LoRA…", "Choose a LoRA .safetensors", self._choose
        )
        self.no_lora_button = tool_button(
            "removeLora", "cancel", "Remove", "Take the LoRA away", self._no_lora
        )
        self.trigger = QLineEdit(objectName="loraTrigger", placeholderText="trigger word")
        self.trigger.editingFinished.connect(self._lora_changed)
        self.weight = QDoubleSpinBox(objectName="loraWeight", minimum=-2.0, maximum=2.0, singleStep=0.05)
        self.weight.setValue(0.8)
        self.weight.editingFinished.connect(self._lora_changed)

        buttons = QHBoxLayout()
        for button in (self.draw_button, self.import_button, self.unpin_button):
            buttons.addWidget(button)
        buttons.addStretch()
        more = QHBoxLayout()
        more.addWidget(self.crop_button)
        more.addStretch()
        lora_row = QHBoxLayout()
        for widget in (self.lora_button, self.no_lora_button):
            lora_row.addWidget(widget)
        lora_row.addStretch()
        trigger_row = QHBoxLayout()
        trigger_row.addWidget(self.trigger, 1)
        trigger_row.addWidget(QLabel("weight"))
        trigger_row.addWidget(self.weight)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.sheet, 1)
        layout.addWidget(self.source)
        layout.addLayout(buttons)
        layout.addLayout(more)
        layout.addWidget(self.earlier)
        layout.addWidget(QLabel("<b>Look</b>"))
        layout.addWidget(self.look)
        layout.addWidget(QLabel("<b>LoRA</b>"))
        layout.addWidget(self.lora)
        layout.addLayout(lora_row)
        layout.addLayout(trigger_row)
        self.show_session(None)

    # -- following the session ----------------------------------------------------------------------------

    def show_session(self, session: ProjectSession | None) -> None:
        self._look.commit()
        self.session = session
        self.follow(session)
        self.reload()

    def on_changes(self, changes: Changes) -> None:
        if "characters" in changes.fields:
            self.reload()

    def on_busy(self, busy: bool) -> None:
        self._show_current()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def reload(self) -> None:
        keep = self.current_id()
        self.list.blockSignals(True)
        self.list.clear()
        if self.session is not None:
            for character in self.session.project.characters:
                item = QListWidgetItem(character.name)
                item.setData(Qt.ItemDataRole.UserRole, character.id)
                if character.sheet:
                    item.setIcon(QIcon(self.session.asset_file(character.sheet.image)))
                    item.setToolTip(f"{character.name}: {SOURCES[character.sheet.source]}")
                else:
                    item.setToolTip(f"{character.name}: no sheet yet")
                self.list.addItem(item)
                if character.id == keep:
                    self.list.setCurrentItem(item)
            if self.list.currentRow() < 0 and self.list.count():
                self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._show_current()

    def _show_current(self) -> None:
        session, character_id = self.session, self.current_id()
        character = session.project.character(character_id) if session and character_id else None
        editable = (
            session is not None and not session.read_only and not session.busy and character is not None
        )
        for widget in (
            self.draw_button,
            self.import_button,
            self.crop_button,
            self.lora_button,
            self.trigger,
        ):
            widget.setEnabled(editable)
        self.weight.setEnabled(editable)
        self.look.setReadOnly(not editable)
        if character is None:
            self.sheet.setPixmap(QPixmap())
            self.sheet.setText(
                "No characters yet: the story phase finds them." if session else "No project open"
            )
            self.source.clear()
            self._look.load("")
            self.lora.clear()
            self.earlier.clear()
            self.unpin_button.setEnabled(False)
            self.no_lora_button.setEnabled(False)
            return
        sheet = character.sheet
        if sheet is None:
            self.sheet.setPixmap(QPixmap())
            self.sheet.setText(
                f"No sheet for {character.name} yet: the keyframe run draws one, or import one."
            )
            self.source.clear()
        else:
            pixmap = QPixmap(session.asset_file(sheet.image))
            if pixmap.isNull():
                self.sheet.setText(
                    f"{character.name}'s sheet is missing ({sheet.image}); draw or import it again."
                )
            else:
                self.sheet.setPixmap(
                    pixmap.scaledToHeight(SHEET_HEIGHT, Qt.TransformationMode.SmoothTransformation)
                )
            owner = "pinned by you" if sheet.pinned_by_user else "chosen by the crew"
            self.source.setText(f"{SOURCES[sheet.source].capitalize()}, {owner}.")
        self.unpin_button.setEnabled(editable and sheet is not None and sheet.pinned_by_user)
        self.earlier.clear()
        self.earlier.addItem(f"{len(character.takes)} sheet take(s): pin one…", None)
        for take in character.takes:
            score = f", score {take.score:.2f}" if take.score is not None else ""
            current = " (the sheet)" if sheet and sheet.take_id == take.id else ""
            self.earlier.addItem(f"{take.id}: {take.backend}{score}{current}", take.id)
        self.earlier.setEnabled(editable and len(character.takes) > 1)
        self._look.load(character.description)
        if character.lora:
            self.lora.setText(Path(character.lora.file).name)
            self.lora.setToolTip(character.lora.file)
            self.trigger.setText(character.lora.trigger)
            self.weight.setValue(character.lora.weight)
        else:
            self.lora.setText("None: drawn from the look and the sheet.")
            self.lora.setToolTip("")
            self.trigger.clear()
        self.trigger.setEnabled(editable and character.lora is not None)
        self.weight.setEnabled(editable and character.lora is not None)
        self.no_lora_button.setEnabled(editable and character.lora is not None)

    # -- actions ------------------------------------------------------------------------------------------

    def _draw(self) -> None:
        if self.current_id():
            self.drawRequested.emit(self.current_id())

    def _from_take(self) -> None:
        if self.current_id():
            self.pinFromTakeRequested.emit(self.current_id())

    def import_image(self) -> None:
        character_id = self.current_id()
        if self.session is None or character_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import a character sheet", "", IMAGE_FILTER)
        if path:
            perform(self, self.session, "import_sheet", character=character_id, file=path)

    def _unpin(self) -> None:
        if self.session is not None and self.current_id():
            perform(self, self.session, "unpin_sheet", character=self.current_id())

    def _pin_earlier(self, index: int) -> None:
        take_id = self.earlier.itemData(index)
        if self.session is not None and self.current_id() and take_id:
            perform(self, self.session, "pin_sheet", character=self.current_id(), take_id=take_id)

    def _look_edited(self, text: str, key: object) -> None:
        character_id = self.current_id()
        if self.session is None or character_id is None:
            return
        character = self.session.project.character(character_id)
        if text != character.description:
            merge = ("character_look", character_id, key)
            values = {"description": text}
            perform(self, self.session, "edit_character", name=character.name, values=values, merge_key=merge)

    def _choose(self) -> None:
        character_id = self.current_id()
        if self.session is None or character_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Choose a LoRA", "", "LoRA weights (*.safetensors)")
        if path:
            trigger, weight = self.trigger.text(), self.weight.value()
            perform(
                self,
                self.session,
                "set_lora",
                character=character_id,
                file=path,
                trigger=trigger,
                weight=weight,
            )

    def _lora_changed(self) -> None:
        character_id = self.current_id()
        if self.session is None or character_id is None:
            return
        lora = self.session.project.character(character_id).lora
        if lora and (
            lora.trigger != self.trigger.text().strip() or abs(lora.weight - self.weight.value()) > 1e-9
        ):
            trigger, weight = self.trigger.text(), self.weight.value()
            perform(
                self,
                self.session,
                "set_lora",
                character=character_id,
                file=lora.file,
                trigger=trigger,
                weight=weight,
            )

    def _no_lora(self) -> None:
        if self.session is not None and self.current_id():
            perform(self, self.session, "remove_lora", character=self.current_id())
