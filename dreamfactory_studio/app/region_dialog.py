"""Redraw Region: the take's picture, a box dragged on it (or a present character's layout box), the words for
what should change and whose sheet should hold it. The dialog only asks; the redraw runs as a job through the
session (:meth:`ProjectSession.redraw_region`), one undo step."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dreamfactory_studio.core.model import MIN_BOX, Box, Project, Scene, Take


class RegionPicker(QWidget):
    """A picture on which a box is dragged; the box is kept in fractions of the picture."""

    boxChanged = Signal()

    def __init__(self, pixmap: QPixmap, parent=None):
        super().__init__(parent)
        self.setObjectName("regionPicker")
        self.pixmap = pixmap
        self.box: Box | None = None
        self._start: QPointF | None = None
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag a box over what should be drawn again")

    def picture_rect(self) -> QRectF:
        """Where the picture is drawn: the whole of it, as large as fits, centred."""
        if self.pixmap.isNull():
            return QRectF(self.rect())
        scale = min(self.width() / self.pixmap.width(), self.height() / self.pixmap.height())
        w, h = self.pixmap.width() * scale, self.pixmap.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _fraction(self, point: QPointF) -> tuple[float, float]:
        r = self.picture_rect()
        x = min(max((point.x() - r.left()) / r.width(), 0.0), 1.0)
        y = min(max((point.y() - r.top()) / r.height(), 0.0), 1.0)
        return x, y

    def set_box(self, box: Box | None) -> None:
        self.box = box
        self.update()
        self.boxChanged.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._start = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._start is not None:
            self._drag_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._start is not None:
            self._drag_to(event.position())
            self._start = None

    def _drag_to(self, point: QPointF) -> None:
        (x0, y0), (x1, y1) = self._fraction(self._start), self._fraction(point)
        left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        if right - left >= MIN_BOX and bottom - top >= MIN_BOX:
            self.set_box(Box(left=left, top=top, right=right, bottom=bottom))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        target = self.picture_rect()
        if self.pixmap.isNull():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The take's image file is missing.")
            return
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        if self.box is not None:
            b = self.box
            box = QRectF(
                target.left() + b.left * target.width(),
                target.top() + b.top * target.height(),
                (b.right - b.left) * target.width(),
                (b.bottom - b.top) * target.height(),
            )
            painter.fillRect(box, QColor(255, 200, 40, 60))
            painter.setPen(QPen(QColor(255, 200, 40), 2, Qt.PenStyle.DashLine))
            painter.drawRect(box)


@dataclass(frozen=True)
class RegionAsked:
    box: Box
    character: str
    """The character's id whose sheet should hold the region, or empty."""
    prompt: str


class RedrawDialog(QDialog):
    """Ask which region of a take to draw again, with what words and whose sheet."""

    def __init__(self, project: Project, scene: Scene, take: Take, pixmap: QPixmap, number: int, parent=None):
        super().__init__(parent)
        self.setObjectName("redrawDialog")
        self.setWindowTitle(f"Redraw a region — scene {number}, take {take.id}")
        self.scene = scene
        layout = QVBoxLayout(self)
        hint = QLabel(
            "Drag a box over what should be drawn again, or pick a character to take their place in the layout. "
            "Everything outside the box stays as it is; the result is a new take."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.picker = RegionPicker(pixmap)
        layout.addWidget(self.picker, 1)
        form = QFormLayout()
        self.character = QComboBox(objectName="regionCharacter")
        self.character.addItem("(no one: the words alone)", "")
        for character in project.characters:
            if character.id in scene.characters:
                self.character.addItem(character.name, character.id)
        self.character.currentIndexChanged.connect(self._character_chosen)
        form.addRow("Held to the sheet of", self.character)
        self.prompt = QLineEdit(objectName="regionPrompt")
        self.prompt.setPlaceholderText("What should change (empty: the take's own prompt)")
        form.addRow("Change", self.prompt)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.redraw = self.buttons.addButton("Redraw Region", QDialogButtonBox.ButtonRole.AcceptRole)
        self.redraw.setObjectName("redrawButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.picker.boxChanged.connect(lambda: self.redraw.setEnabled(self.picker.box is not None))
        self.redraw.setEnabled(False)
        self.resize(720, 560)

    def _character_chosen(self) -> None:
        character = self.character.currentData()
        placed = {p.character: p.box for p in self.scene.layout}
        if character and character in placed:
            self.picker.set_box(placed[character])

    def asked(self) -> RegionAsked | None:
        if self.picker.box is None:
            return None
        return RegionAsked(self.picker.box, self.character.currentData() or "", self.prompt.text().strip())
