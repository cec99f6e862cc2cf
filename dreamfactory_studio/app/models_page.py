"""The settings' Models page: each recipe's size, fit on this machine, licence and state; Get (with the licence
shown and accepted first), Use (fills the form, saved with OK) and Remove; a download's progress and Cancel.
The work is ``backends/model_downloads.py``'s, as ``models get`` does it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.app.jobs import Jobs
from dreamfactory_studio.core.model_recipes import Recipe, recipes, recommended

COLUMNS = ("Model", "Size", "On this machine", "State", "Licence")


class _Relay(QObject):
    """Carries a download's progress from its thread to the page's."""

    progressed = Signal(int, int)


class ModelsPage(QWidget):
    """The recipes as a table, with Get, Use and Remove for the selected one."""

    def __init__(self, use: Callable[[dict[str, str]], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("modelsPage")
        self.use_settings = use
        self.jobs = Jobs(self)
        self.stop = threading.Event()
        self.relay = _Relay()
        self.relay.progressed.connect(self._progressed)
        self.machine_line = QLabel(objectName="machineLine", wordWrap=True)
        self.table = QTableWidget(0, len(COLUMNS), objectName="recipes")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.get_button = QPushButton("Get", objectName="getModel")
        self.use_button = QPushButton("Use", objectName="useModel")
        self.remove_button = QPushButton("Remove", objectName="removeModel")
        self.cancel_button = QPushButton("Cancel", objectName="cancelDownload", enabled=False)
        self.progress = QProgressBar(objectName="downloadProgress", visible=False)
        self.status = QLabel(objectName="modelsStatus", wordWrap=True)
        self.get_button.clicked.connect(self.get)
        self.use_button.clicked.connect(self.use)
        self.remove_button.clicked.connect(self.remove)
        self.cancel_button.clicked.connect(self.stop.set)
        self.jobs.finished.connect(self._finished)
        buttons = QHBoxLayout()
        for button in (self.get_button, self.use_button, self.remove_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.machine_line)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.gpu_gb: float | None = None
        self.free_gb: float | None = None
        self.refresh()

    def refresh(self, machine=None) -> None:
        """Show the recipes, their state, and how they fit ``machine`` (surveyed here when not given)."""
        from dreamfactory_studio.backends.model_downloads import models_home, state

        if machine is None:
            from dreamfactory_studio.backends.machine import survey

            machine = survey(models_home())
        self.gpu_gb, self.free_gb = machine.largest_gb, machine.free_disk_gb
        gpus = ", ".join(f"{g.name} ({g.total_gb:.0f} GB)" for g in machine.gpus) or "no GPU"
        tier, advised = recommended(self.gpu_gb)
        self.machine_line.setText(
            f"This machine: {gpus}; {machine.free_disk_gb:.0f} GB free for models. For {tier}: "
            f"{', '.join(advised)}."
        )
        chosen = self.selected()
        self.table.setRowCount(0)
        for made in recipes():
            row = self.table.rowCount()
            self.table.insertRow(row)
            fit = "runs on the CPU" if made.cpu_ok and self.gpu_gb is None else made.fit(self.gpu_gb)
            licence = made.licence.name + (" (gated)" if made.gated else "")
            cells = (made.label, f"{made.size_gb:.1f} GB", fit, state(made), licence)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, made.id)
                item.setToolTip(f"{made.id}: {made.licence.url}" if column == 4 else made.id)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        if chosen is not None:
            self.select(chosen.id)

    def selected(self) -> Recipe | None:
        from dreamfactory_studio.core.model_recipes import recipe

        items = self.table.selectedItems()
        return recipe(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def select(self, recipe_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == recipe_id:
                self.table.selectRow(row)

    def _agreed(self, made: Recipe) -> bool:
        """Ask before fetching a gated or not fully commercial model, or a GPU model on a machine without one."""
        if made.asks_acceptance:
            terms = {"limited": "with limits", "no": "not allowed"}.get(made.licence.commercial, "allowed")
            answer = QMessageBox.question(
                self,
                "Accept the licence",
                f"{made.label}\n\nLicence: {made.licence.name}\n{made.licence.url}\nCommercial use: {terms}."
                + (
                    "\nIt is gated: accept it on its Hugging Face page too, and store a token."
                    if made.gated
                    else ""
                )
                + "\n\nDo you accept it?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        if not made.cpu_ok and self.gpu_gb is None:
            answer = QMessageBox.question(
                self, "No GPU", f"{made.id} needs a GPU and this machine has none. Fetch it anyway?"
            )
            return answer == QMessageBox.StandardButton.Yes
        return True

    def get(self) -> None:
        from dreamfactory_studio.backends.model_downloads import get

        made = self.selected()
        if made is None or self.jobs.running or not self._agreed(made):
            return
        self.stop.clear()
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.get_button.setEnabled(False)
        self.status.setText(f"Fetching {made.id}…")

        async def fetch():
            return await asyncio.to_thread(
                get,
                made,
                on_progress=self.relay.progressed.emit,
                cancelled=self.stop.is_set,
                free_gb=self.free_gb,
            )

        self.jobs.start(f"Get {made.id}", fetch)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(1, total // 1024))
        self.progress.setValue(done // 1024)
        self.progress.setFormat(f"{done / 1e9:.2f} of {total / 1e9:.2f} GB")

    def _finished(self, what: str, error: str) -> None:
        self.cancel_button.setEnabled(False)
        self.get_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(f"{what}: {error}" if error else f"{what}: done.")
        self.refresh()

    def use(self) -> None:
        from dreamfactory_studio.backends.model_downloads import settings_for
        from dreamfactory_studio.core.errors import StudioError

        made = self.selected()
        if made is None:
            return
        try:
            self.use_settings(settings_for(made))
        except StudioError as exc:
            QMessageBox.warning(self, "Cannot use the model", str(exc))
            return
        self.status.setText(f"The settings now use {made.id}; OK saves them.")

    def remove(self) -> None:
        from dreamfactory_studio.backends.model_downloads import remove

        made = self.selected()
        if made is None or self.jobs.running:
            return
        answer = QMessageBox.question(self, "Remove the model", f"Delete what was fetched of {made.id}?")
        if answer == QMessageBox.StandardButton.Yes:
            removed = remove(made)
            self.status.setText(f"Removed {made.id}." if removed else f"Nothing of {made.id} was fetched.")
            self.refresh()
