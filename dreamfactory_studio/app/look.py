"""The studio's look: the bundled font, the system's light or dark scheme, and icons drawn in the text colour."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from dreamfactory_studio.core.paths import font_file, resources_dir

ICON_SIZES = (16, 24, 32, 48)


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    if hints.colorScheme() != Qt.ColorScheme.Unknown:
        return hints.colorScheme() == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _dark_palette() -> QPalette:
    p = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#2b2d31",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f2023",
        QPalette.ColorRole.AlternateBase: "#303236",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#35373c",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.Highlight: "#3d7be0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#35373c",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8d93",
        QPalette.ColorRole.Link: "#7fb0ff",
        QPalette.ColorRole.Mid: "#44474d",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7d83"))
    return p


def apply_look(app: QApplication) -> None:
    """Fusion with the system's light or dark scheme (followed when it changes), and the bundled font."""
    for bold in (False, True):
        QFontDatabase.addApplicationFont(str(font_file(bold)))
    app.setStyle("Fusion")

    def follow() -> None:
        app.setPalette(_dark_palette() if is_dark() else app.style().standardPalette())
        icon.cache_clear()

    follow()
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: follow())
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "dreamfactory-studio.svg")))


@cache
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/NAME.svg``, stroked in the palette's text colour."""
    colour = QApplication.palette().color(QPalette.ColorRole.WindowText).name()
    svg = (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", colour).encode()))
    result = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap)
    return result
