"""The Help menu's dialogs: the keyboard shortcuts, made from the action table, and About."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def show_shortcuts(parent: QWidget, rows: list[tuple[str, str]]) -> None:
    """A table of every action that has keys, and its keys."""
    dialog = QDialog(parent, objectName="shortcutsDialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    table = QTableWidget(len(rows), 2, dialog)
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    for row, (text, keys) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(text))
        table.setItem(row, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    table.verticalHeader().setVisible(False)  # row numbers mean nothing here
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(520, 560)
    dialog.exec()


def show_about(parent: QWidget) -> None:
    from dreamfactory_studio import __version__

    QMessageBox.about(
        parent,
        "About DreamFactory Studio",
        f"<b>DreamFactory Studio {__version__}</b><p>A storyboard editor that turns a story into a multi-scene "
        "film with a crew of LLM agents, after the DreamFactory paper. You stay in charge.</p>",
    )
