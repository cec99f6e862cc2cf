"""Two takes side by side, with their seeds, scores and prompts, either of which can be chosen; and a take's
caption as the take lists show it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QPushButton

from dreamfactory_studio.core.model import Scene, Take

if TYPE_CHECKING:
    from dreamfactory_studio.app.session import ProjectSession


def take_caption(take: Take, chosen: bool) -> str:
    score = f"{take.score:.2f}" if take.score is not None else "–"
    likeness = f" · like {min(take.identity.values()):.2f}" if take.identity else ""
    return f"{'✓ ' if chosen else ''}seed {take.seed}\nscore {score}{likeness}"


class CompareDialog(QDialog):
    """Two takes side by side, with their seeds, scores and prompts; either can be chosen."""

    def __init__(self, session: ProjectSession, scene: Scene, first: str, second: str, parent=None):
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle(f"Compare takes — scene {session.number_of(scene.id)}")
        self.chosen: str | None = None
        grid = QGridLayout(self)
        from PySide6.QtGui import QPixmap

        for column, take_id in enumerate((first, second)):
            take = scene.take(take_id)
            picture = QLabel(objectName=f"take{column}")
            pixmap = QPixmap(session.asset_file(take.image))
            picture.setPixmap(
                pixmap.scaled(
                    480, 270, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
                if not pixmap.isNull()
                else QPixmap()
            )
            if pixmap.isNull():
                picture.setText("The image file is missing.")
            grid.addWidget(picture, 0, column)
            info = QLabel(
                f"<b>{take_caption(take, take.id == scene.selected_take).replace(chr(10), ' · ')}</b><br>"
                f"{take.backend} {take.model}<br><i>{take.score_reason}</i><br>{take.prompt[:400]}"
            )
            info.setWordWrap(True)
            info.setMaximumWidth(480)
            grid.addWidget(info, 1, column)
            use = QPushButton("Use this take", objectName=f"use{column}")
            use.clicked.connect(lambda _=False, t=take_id: self._choose(t))
            grid.addWidget(use, 2, column)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, 3, 0, 1, 2)

    def _choose(self, take_id: str) -> None:
        self.chosen = take_id
        self.accept()
