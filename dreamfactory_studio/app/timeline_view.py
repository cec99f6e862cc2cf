"""The timeline: a list model of the project's scenes, the delegate that draws each as a card, and the view.

The model reads the project the session holds and redraws only the rows an edit touched; reordering goes
through the session, so that a drag, the model's ``moveRows`` and the menu all make one undoable step.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QItemSelection,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from dreamfactory_studio.app.session import Activity, ProjectSession
from dreamfactory_studio.app.thumbnails import THUMB_SIZE, Thumbnails
from dreamfactory_studio.core.changes import Changes
from dreamfactory_studio.core.model import Scene
from dreamfactory_studio.core.settings import KeyframeSettings

MIME = "application/x-dreamfactory-scene-ids"
CARD = QSize(THUMB_SIZE.width() + 16, THUMB_SIZE.height() + 112)
UNLIKE = KeyframeSettings().identity_threshold
"""Under this likeness to their sheet a character's badge is red (the studio's default threshold)."""


@dataclass(frozen=True)
class Card:
    """What one card shows."""

    number: int
    scene: Scene
    thumbnail: QPixmap | None
    image_state: str  # "none", "loading", "ready", "missing"
    activity: Activity | None
    is_base_frame: bool
    drift: float | None = (
        None  # similarity to the Base Frame, when the last evaluation found the scene drifting
    )
    likeness: tuple[tuple[str, float], ...] = ()
    """Each present character's first name and how like their sheet the keyframe draws them."""
    length: float = 0.0
    """The scene's one length, as the film times it."""


def omissions(notes: list[str] | tuple[str, ...]) -> list[str]:
    """A take's notes that say what it did not get (the sketch renderer's word on itself is not one)."""
    from dreamfactory_studio.backends.image.sketch import DRAWS_FROM_FACTS

    return [note for note in notes if not note.startswith(DRAWS_FROM_FACTS)]


def badges(card: Card) -> list[tuple[str, str]]:
    """The card's badges as (text, colour), in the order they are drawn."""
    scene = card.scene
    out: list[tuple[str, str]] = []
    if card.activity and card.activity.error:
        out.append(("failed", "#d64545"))
    if card.activity and card.activity.progress is not None:
        out.append((f"drawing {card.activity.progress:.0%}", "#3d7be0"))
    if card.is_base_frame:
        out.append(("base frame", "#8a5cd6"))
    if scene.pinned:
        out.append(("pinned", "#2e9d6a"))
    if scene.from_screenplay:
        out.append(("screenplay", "#6b7f99"))
    if scene.user_edited:
        out.append(("edited", "#c98a1b"))
    if scene.stale:
        out.append(("stale", "#a0a4ab"))
    notes = omissions(scene.keyframe.recipe.notes) if scene.keyframe and scene.keyframe.recipe else []
    if notes:
        out.append((f"{len(notes)} note{'s' if len(notes) > 1 else ''}", "#8d6e63"))
    if scene.keyframe and scene.keyframe.score is not None:
        out.append((f"score {scene.keyframe.score:.2f}", "#5a7fa6"))
    if card.drift is not None:
        out.append((f"drift {card.drift:.2f}", "#b3261e"))
    for name, value in card.likeness:
        out.append((f"{name} {value:.2f}", "#b3261e" if value < UNLIKE else "#2f8f8f"))
    return out


class SceneListModel(QAbstractListModel):
    CardRole = Qt.ItemDataRole.UserRole + 1
    SceneIdRole = Qt.ItemDataRole.UserRole + 2
    imageReady = Signal(int)  # a row whose thumbnail has just been decoded

    def __init__(self, session: ProjectSession, thumbnails: Thumbnails):
        super().__init__(session)
        self.session = session
        self.thumbnails = thumbnails
        self._ids = [s.id for s in session.project.scenes]
        session.changed.connect(self._changed)
        thumbnails.ready.connect(self._thumbnail_ready)

    @property
    def project(self):
        return self.session.project

    # -- reading ------------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._ids)

    def image_path(self, scene: Scene) -> str | None:
        return self.session.asset_file(scene.keyframe.image) if scene.keyframe else None

    def card(self, row: int) -> Card:
        scene = self.project.scenes[row]
        path = self.image_path(scene)
        if path is None:
            pixmap, state = None, "none"
        else:
            pixmap = self.thumbnails.get(path)
            state = "ready" if pixmap else ("missing" if self.thumbnails.failed(path) else "loading")
        base = self.project.base_frame
        return Card(
            number=row + 1,
            scene=scene,
            length=self.session.workspace.scene_length(scene),
            thumbnail=pixmap,
            image_state=state,
            activity=self.session.activity.get(scene.id),
            is_base_frame=bool(base and scene.keyframe and base.image == scene.keyframe.image),
            drift=evaluation.drift(scene.id, scene.keyframe.image)
            if (evaluation := self.project.evaluation) and scene.keyframe
            else None,
            likeness=tuple(
                (self._first_name(i), v)
                for i, v in (scene.keyframe.identity.items() if scene.keyframe else ())
            ),
        )

    def _first_name(self, character_id: str) -> str:
        """A short name for a badge: the first word, or two for "the dog"."""
        try:
            words = self.project.character(character_id).name.split()
        except KeyError:
            return "?"
        return (
            " ".join(words[:2]) if words[0].casefold() in ("the", "a", "an") and len(words) > 1 else words[0]
        )

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.project.scenes):
            return None
        scene = self.project.scenes[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{index.row() + 1}. {scene.title or scene.script[:60]}"
        if role == Qt.ItemDataRole.ToolTipRole:
            activity = self.session.activity.get(scene.id)
            if activity and activity.error:
                return f"Failed: {activity.error}\nDraw a new take (Ctrl+R) or retry the run to try again."
            return scene.script or "No script yet"
        if role == self.SceneIdRole:
            return scene.id
        if role == self.CardRole:
            return self.card(index.row())
        return None

    def row_of(self, scene_id: str) -> int:
        return self._ids.index(scene_id)

    # -- keeping up with the session ------------------------------------------------------------------------

    def _changed(self, changes: Changes) -> None:
        if changes.order:
            self._order_changed()
        if changes.fields:  # the Base Frame's mark, a character's name, the drift from an evaluation
            self._all_changed()
        else:
            self._scenes_changed(changes.scenes)

    def _order_changed(self) -> None:
        new_ids = [s.id for s in self.project.scenes]
        if set(new_ids) == set(self._ids) and len(new_ids) == len(self._ids):
            self.layoutAboutToBeChanged.emit()
            where = {scene_id: row for row, scene_id in enumerate(new_ids)}
            old = self.persistentIndexList()
            self.changePersistentIndexList(old, [self.index(where[self._ids[i.row()]]) for i in old])
            self._ids = new_ids
            self.layoutChanged.emit()
        else:
            self.beginResetModel()
            self._ids = new_ids
            self.endResetModel()

    def _scenes_changed(self, scene_ids) -> None:
        for scene_id in scene_ids:
            if scene_id in self._ids:
                index = self.index(self._ids.index(scene_id))
                self.dataChanged.emit(index, index)

    def _all_changed(self) -> None:
        if self._ids:
            self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1))

    def _thumbnail_ready(self, path: str) -> None:
        # Not dataChanged: a list view lays every card out again on that, and a thumbnail changes no size.
        for row, scene in enumerate(self.project.scenes):
            if self.image_path(scene) == path:
                self.imageReady.emit(row)

    # -- moving ------------------------------------------------------------------------------------------

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return base | Qt.ItemFlag.ItemIsDragEnabled

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        # Copy too, so that the view's drop can answer Copy: the move is done by then, and the view must not
        # remove the dragged rows as it does after a Move.
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802
        data = QMimeData()
        ids = [self._ids[i.row()] for i in sorted(indexes, key=lambda i: i.row())]
        data.setData(MIME, QByteArray("\n".join(ids).encode()))
        return data

    def moveRows(self, source_parent, source_row, count, destination_parent, destination_child) -> bool:  # noqa: N802
        """Qt's move API, as one undoable step: rows [source_row, source_row + count) go before
        ``destination_child`` (a row number in the order before the move)."""
        if source_parent.isValid() or destination_parent.isValid() or count < 1:
            return False
        if source_row <= destination_child <= source_row + count:
            return False
        ids = self._ids[source_row : source_row + count]
        before = sum(1 for r in range(destination_child) if not source_row <= r < source_row + count)
        self.session.do("move_scenes", numbers=ids, to=before + 1)
        return True


class CardDelegate(QStyledItemDelegate):
    """Draws a scene card: thumbnail, number and title, length, the script's first lines, badges."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        card: Card | None = index.data(SceneListModel.CardRole)
        if card is None:
            return
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.AlternateBase)
        if selected:
            fill.setAlpha(70)
        painter.setPen(
            QPen(
                palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid),
                1.5 if selected else 1,
            )
        )
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 6, 6)

        thumb = QRect(rect.left() + 4, rect.top() + 4, THUMB_SIZE.width(), THUMB_SIZE.height())
        painter.fillRect(thumb, palette.color(QPalette.ColorRole.Base))
        if card.thumbnail is not None:
            pix = card.thumbnail
            target = QRect(QPoint(0, 0), pix.size().scaled(thumb.size(), Qt.AspectRatioMode.KeepAspectRatio))
            target.moveCenter(thumb.center())
            painter.drawPixmap(target, pix)
        else:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            text = {
                "none": "no keyframe yet",
                "loading": "loading…",
                "missing": "image missing",
            }[card.image_state]
            painter.drawText(thumb, Qt.AlignmentFlag.AlignCenter, text)
        activity = card.activity
        if activity and activity.progress is not None:
            bar = QRect(thumb.left(), thumb.bottom() - 5, thumb.width(), 6)
            painter.fillRect(bar, QColor(0, 0, 0, 120))
            painter.fillRect(
                QRect(bar.left(), bar.top(), int(bar.width() * activity.progress), bar.height()),
                palette.color(QPalette.ColorRole.Highlight),
            )

        text_color = palette.color(QPalette.ColorRole.Text)  # a selected card is only tinted
        x, width = rect.left() + 6, rect.width() - 12
        y = thumb.bottom() + 6
        bold = QFont(option.font)
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        painter.setFont(bold)
        painter.setPen(text_color)
        scene = card.scene
        length = f"{card.length:.1f} s"
        head = f"{card.number}  {scene.title or 'Untitled scene'}"
        length_width = QFontMetrics(option.font).horizontalAdvance(length) + 6
        painter.drawText(
            QRect(x, y, width - length_width, metrics.height()),
            Qt.AlignmentFlag.AlignLeft,
            metrics.elidedText(head, Qt.TextElideMode.ElideRight, width - length_width),
        )
        painter.setFont(option.font)
        plain = QFontMetrics(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRect(x, y, width, plain.height()), Qt.AlignmentFlag.AlignRight, length)
        y += metrics.height() + 2
        painter.setPen(text_color)
        script = " ".join(scene.script.split()) or "No script yet"
        for line in _wrap(script, plain, width, 2):
            painter.drawText(QRect(x, y, width, plain.height()), Qt.AlignmentFlag.AlignLeft, line)
            y += plain.height()

        small = QFont(option.font)
        small.setPointSizeF(max(6.5, option.font.pointSizeF() * 0.8))
        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        bx, by = x, rect.bottom() - small_metrics.height() - 8
        for text, colour in badges(card):
            w = small_metrics.horizontalAdvance(text) + 10
            if bx + w > x + width:
                break
            pill = QRect(bx, by, w, small_metrics.height() + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(pill, 4, 4)
            painter.setPen(QColor("white"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
            bx += w + 4
        painter.restore()


def _wrap(text: str, metrics: QFontMetrics, width: int, lines: int) -> list[str]:
    """The first ``lines`` lines of ``text`` wrapped at ``width``, the last elided."""
    out: list[str] = []
    words = text.split(" ")
    while words and len(out) < lines:
        line = words.pop(0)
        while words and metrics.horizontalAdvance(f"{line} {words[0]}") <= width:
            line = f"{line} {words.pop(0)}"
        if len(out) == lines - 1 and words:
            line = metrics.elidedText(f"{line} {' '.join(words)}", Qt.TextElideMode.ElideRight, width)
        out.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
    return out


class TimelineView(QListView):
    """The cards, left to right and wrapping; drag to reorder (one undoable step however many are moved)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("timeline")
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        # One pass: with uniform sizes, laying out 500 cards takes a few milliseconds; batched layout restarts on
        # every dataChanged (a thumbnail arriving) and would shrink the scroll range under the user's hand.
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(CardDelegate(self))

    EMPTY = (
        "No scenes yet.\n\nRun (F5) has the crew talk the story through its phases (the task, the style, the "
        "story, the script) and draw a keyframe for every scene: with the offline writer and the sketch "
        "renderer, ten scenes take about ten seconds; a model drawing on a GPU takes longer for each take.\n\n"
        "Stop After Each Phase (Ctrl+F5) lets you edit between phases."
    )
    """What the empty timeline says before the first run."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            margin = self.viewport().rect().adjusted(48, 48, -48, -48)
            painter.drawText(margin, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.EMPTY)
            painter.end()

    def setModel(self, model) -> None:  # noqa: N802 (Qt's name)
        super().setModel(model)
        if model is not None:
            model.imageReady.connect(self._image_ready)

    def _image_ready(self, row: int) -> None:
        model = self.model()
        if model is not None and model is self.sender() and row < model.rowCount():
            self.viewport().update(self.visualRect(model.index(row)))

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().index(r).data(SceneListModel.SceneIdRole) for r in rows]

    def drop_position(self, point: QPoint) -> int:
        """The row a drop at ``point`` goes before."""
        index = self.indexAt(point)
        if not index.isValid():
            return self.model().rowCount()
        rect = self.visualRect(index)
        return index.row() + (1 if point.x() > rect.center().x() else 0)

    def dropEvent(self, event) -> None:  # noqa: N802
        model: SceneListModel = self.model()
        ids = (
            bytes(event.mimeData().data(MIME)).decode().split("\n")
            if event.mimeData().hasFormat(MIME)
            else []
        )
        if model is None or not ids or not set(ids) <= set(model._ids):  # only this project's own cards
            event.ignore()
            return
        target = self.drop_position(event.position().toPoint())
        rows = [model.row_of(i) for i in ids]
        to = 1 + sum(1 for r in range(target) if r not in rows)
        if [model.row_of(i) for i in ids] != list(range(to - 1, to - 1 + len(ids))):
            try:
                model.session.do("move_scenes", numbers=ids, to=to)
            except Exception as exc:  # a refused move (read-only, busy) is said in the status bar
                model.session.status.emit(str(exc))
        # Copy, so that the view does not also remove the dragged rows: the move is done.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()

    def select_ids(self, scene_ids: list[str], current: str | None = None) -> None:
        model: SceneListModel = self.model()
        selection = QItemSelection()
        for scene_id in scene_ids:
            index = model.index(model.row_of(scene_id))
            selection.select(index, index)
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().select(selection, flags)
        if current or scene_ids:
            index = model.index(model.row_of(current or scene_ids[0]))
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(index)
