"""Qt Designer forms from ``ui/``, loaded at run time so that a form can be changed without a build step."""

from __future__ import annotations

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtWidgets import QWidget

from dreamfactory_studio.core.errors import StudioError
from dreamfactory_studio.core.paths import ui_dir


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    """The top widget of ``ui/NAME.ui``; its children are found with ``findChild`` by object name."""
    from PySide6.QtUiTools import QUiLoader

    path = ui_dir() / f"{name}.ui"
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise StudioError(f"the form {path} is missing; reinstall DreamFactory Studio.")
    try:
        widget = QUiLoader().load(file, parent)
    finally:
        file.close()
    if widget is None:
        raise StudioError(f"the form {path} cannot be read; reinstall DreamFactory Studio.")
    return widget


class FormDialog:
    """A dialog built from ``ui/NAME.ui``: ``dialog`` is the loaded QDialog, ``find`` a child by object name."""

    def __init__(self, name: str, parent: QWidget | None = None):
        self.dialog = load_form(name, parent)

    def find(self, name: str):
        widget = self.dialog.findChild(QWidget, name)
        assert widget is not None, f"the form has no widget '{name}'"
        return widget

    def exec(self) -> int:
        return self.dialog.exec()
