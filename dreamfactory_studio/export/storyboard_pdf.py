"""The storyboard as a PDF: a grid of panels, each with its keyframe, scene number, duration, shot, setting,
script, dialogue and narration (the keyframes themselves carry no caption). Text is real text (searchable, selectable), set in the shipped DejaVu Sans."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from dreamfactory_studio.core.atomic import atomic_write_bytes
from dreamfactory_studio.core.paths import font_file

COLUMNS, ROWS = 3, 2
PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
MARGIN, GUTTER = 12.0, 7.0
THUMB_PX = 960


@dataclass(frozen=True)
class Panel:
    number: int
    title: str
    image: Path
    duration: float
    shot: str
    script: str
    narration: str
    setting: str = ""
    dialogue: tuple[tuple[str, ...], ...] = ()
    """Rows of ``NAME: words``: one speech a row, a dual pair's two speeches side by side."""


def _thumbnail(path: Path, aspect: float) -> io.BytesIO:
    from dreamfactory_studio.backends.image.files import open_image

    image = open_image(path)
    image.thumbnail((THUMB_PX, round(THUMB_PX / aspect)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    return buffer


def _lines(pdf, text: str, width: float, limit: int) -> list[str]:
    lines = pdf.multi_cell(width, text=text, dry_run=True, output="LINES") if text else []
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = lines[-1].rstrip(" .,;:") + "…"
    return lines


def _rows(pdf, rows: tuple[tuple[str, ...], ...], x: float, y: float, width: float, limit: int = 4) -> float:
    """Dialogue rows from ``y``, a dual pair in two columns side by side; the ``y`` below them."""
    used = 0
    for row in rows:
        column = width / len(row) - (1.5 if len(row) > 1 else 0)
        heights = []
        for n, speech in enumerate(row):
            lines = _lines(pdf, speech, column, 2)
            for k, line in enumerate(lines):
                pdf.set_xy(x + n * (column + 3.0), y + k * 3.4)
                pdf.cell(column, 3.4, line)
            heights.append(len(lines))
        y += 3.4 * max(heights)
        used += max(heights)
        if used >= limit:
            break
    return y + 0.8


def write_storyboard(path: Path, title: str, panels: list[Panel], *, aspect: float = 16 / 9) -> Path:
    """Write the storyboard PDF to ``path``, six panels to a page."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(title)
    pdf.set_creator("DreamFactory Studio")
    pdf.add_font("DejaVu", "", str(font_file()))
    pdf.add_font("DejaVu", "B", str(font_file(bold=True)))
    cell_w = (PAGE_W - 2 * MARGIN - (COLUMNS - 1) * GUTTER) / COLUMNS
    cell_h = (PAGE_H - 2 * MARGIN - 10 - (ROWS - 1) * GUTTER) / ROWS
    image_h = cell_w / aspect
    per_page = COLUMNS * ROWS
    pages = max(1, -(-len(panels) // per_page))
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 13)
        pdf.set_xy(MARGIN, MARGIN - 4)
        pdf.cell(PAGE_W - 2 * MARGIN - 40, 8, title)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_xy(PAGE_W - MARGIN - 40, MARGIN - 4)
        pdf.cell(40, 8, f"page {page + 1} of {pages}", align="R")
        for slot, panel in enumerate(panels[page * per_page : (page + 1) * per_page]):
            x = MARGIN + (slot % COLUMNS) * (cell_w + GUTTER)
            y = MARGIN + 8 + (slot // COLUMNS) * (cell_h + GUTTER)
            pdf.image(_thumbnail(panel.image, aspect), x=x, y=y, w=cell_w, h=image_h)
            pdf.set_draw_color(180, 180, 180)
            pdf.rect(x, y, cell_w, image_h)
            pdf.set_xy(x, y + image_h + 1.5)
            pdf.set_font("DejaVu", "B", 8.5)
            heading = f"Scene {panel.number}  ·  {panel.duration:.1f} s" + (
                f"  ·  {panel.shot}" if panel.shot else ""
            )
            pdf.cell(cell_w, 4.5, heading)
            y_text = y + image_h + 6.5
            said = " ".join(" ".join(row) for row in panel.dialogue)
            narrated = panel.narration and not all(word in said for word in panel.narration.split()[:6])
            single = [row[0] for row in panel.dialogue if len(row) == 1]
            blocks = [
                ("B", (60, 60, 60), panel.setting, 1),
                ("", (30, 30, 30), panel.script, 5 if not panel.dialogue else 3),
                ("", (40, 70, 120), "\n".join(single) if len(single) == len(panel.dialogue) else "", 3),
                (
                    "",
                    (90, 90, 110),
                    f"“{panel.narration}”" if narrated else "",
                    3 if not panel.dialogue else 1,
                ),
            ]
            for index, (style, colour, text, limit) in enumerate(blocks):
                pdf.set_font("DejaVu", style, 7.5)
                pdf.set_text_color(*colour)
                if index == 2 and panel.dialogue and not text:
                    y_text = _rows(pdf, panel.dialogue, x, y_text, cell_w)
                    continue
                for line in _lines(pdf, text, cell_w, limit):
                    pdf.set_xy(x, y_text)
                    pdf.cell(cell_w, 3.4, line)
                    y_text += 3.4
                y_text += 0.8 if text else 0
            pdf.set_text_color(0, 0, 0)
    atomic_write_bytes(Path(path), bytes(pdf.output()))
    return Path(path)
