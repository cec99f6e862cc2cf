"""Dual dialogue (issue 34, part 2): two speeches said at once keep a ``dual`` mark from the screenplay to
``show --json``, the dialogue text (Fountain's caret), the subtitles, the PDF and the scene editor, where
they stand side by side."""

from __future__ import annotations

import json

import pytest

from dreamfactory_studio.cli import main
from dreamfactory_studio.core.dialogue import dialogue_rows, format_dialogue, parse_dialogue, subtitle_lines
from dreamfactory_studio.core.model import DialogueLine
from dreamfactory_studio.core.screenplay import read_screenplay

from .paths import FIXTURES
from .studio_window import select

SCREENPLAYS = FIXTURES / "screenplays"


@pytest.mark.parametrize("name", ["the-alley-cat.fountain", "the-alley-cat.fdx"])
def test_a_screenplays_dual_dialogue_keeps_its_mark(name):
    speeches = [s for scene in read_screenplay(SCREENPLAYS / name).scenes for s in scene.speeches]
    dual = [(s.cue, s.text) for s in speeches if s.dual]
    assert dual == [("MARLOWE", "Go home, June."), ("JUNE", "Not without the cat.")]
    assert not any("^" in s.cue or s.cue.startswith("@") for s in speeches)


def test_show_json_says_dual_and_the_text_writes_a_caret(tmp_path, capsys):
    folder = tmp_path / "alley"
    assert main(["new", str(SCREENPLAYS / "the-alley-cat.fountain"), str(folder)]) == 0
    capsys.readouterr()
    assert main(["show", str(folder), "--json"]) == 0
    project = json.loads(capsys.readouterr().out)
    lines = [line for scene in project["scenes"] for line in scene["dialogue"]]
    assert [line["text"] for line in lines if line["dual"]] == ["Go home, June.", "Not without the cat."]
    assert sum(line["dual"] for line in lines) == 2


def test_the_caret_round_trips_and_a_pair_is_one_row_and_one_cue():
    lines = [
        DialogueLine(character="m", text="You followed me."),
        DialogueLine(character="m", text="Go home, June.", dual=True),
        DialogueLine(character="j", text="Not without the cat.", dual=True),
    ]
    names = {"m": "Marlowe", "j": "June"}
    text = format_dialogue(lines, names)
    assert text.splitlines()[2] == "June ^: Not without the cat."
    back = parse_dialogue(text, lambda name: name[0].lower())
    assert [(line.character, line.dual) for line in back] == [("m", False), ("m", True), ("j", True)]
    assert dialogue_rows(lines, names)[1] == ("MARLOWE: Go home, June.", "JUNE: Not without the cat.")
    assert subtitle_lines(lines, names)[1] == "MARLOWE: Go home, June. / JUNE: Not without the cat."
    # a caret on the first line pairs it with nothing
    assert not parse_dialogue("June ^: Hello.", lambda name: "j")[0].dual


def test_the_pdf_sets_a_pair_side_by_side(tmp_path):
    from PIL import Image
    from pypdf import PdfReader

    from dreamfactory_studio.export.storyboard_pdf import Panel, write_storyboard

    Image.new("RGB", (64, 36), (90, 90, 90)).save(tmp_path / "k.png")
    rows = (("MARLOWE: You followed me.",), ("MARLOWE: Go home, June.", "JUNE: Not without the cat."))
    panel = Panel(1, "Alley", tmp_path / "k.png", 4.0, "medium", "", "", "EXT. ALLEY - NIGHT", rows)
    write_storyboard(tmp_path / "b.pdf", "t", [panel])
    seen: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            seen[text.strip()] = (tm[4], tm[5])

    PdfReader(tmp_path / "b.pdf").pages[0].extract_text(visitor_text=visit)
    left = next(v for k, v in seen.items() if k.startswith("MARLOWE: Go home"))
    right = next(v for k, v in seen.items() if k.startswith("JUNE: Not without"))
    alone = next(v for k, v in seen.items() if k.startswith("MARLOWE: You followed"))
    assert left[1] == pytest.approx(right[1]) and right[0] > left[0] + 20  # one row, two columns
    assert alone[1] > left[1]  # the row before, above


def test_the_scene_editor_shows_a_pair_side_by_side(window, tmp_path):
    folder = tmp_path / "alley"
    assert main(["new", str(SCREENPLAYS / "the-alley-cat.fountain"), str(folder)]) == 0
    window.open_project(str(folder))
    select(window, 1)
    view = window.scene_editor.dual_view
    assert view.isVisible()
    assert "Go home, June." in view.text() and "Not without the cat." in view.text()
    assert view.text().count("<td") == 2
    assert "June Park ^: Not without the cat." in window.scene_editor.dialogue.toPlainText()
    select(window, 2)
    assert not view.isVisible()


def test_fountains_at_marker_is_never_left_in_the_script(tmp_path):
    """Issue 34: "@Name" forces a character cue in Fountain; it was left in the script and the PDF."""
    text = (
        "Title: At\n\nEXT. ROOF - NIGHT\n\nRain. @McCLANE crouches by the vent.\n\n@McCLANE\nCome out to the coast.\n\n"
        "@McCLANE\n\nINT. VENT - CONTINUOUS\n\nHe crawls. Mail to jo@example.com stays.\n"
    )
    (tmp_path / "at.fountain").write_text(text)
    play = read_screenplay(tmp_path / "at.fountain")
    words = " ".join(" ".join(scene.action) for scene in play.scenes)
    assert "@McCLANE" not in words and "McCLANE crouches" in words
    assert "jo@example.com" in words
    assert [s.cue for s in play.scenes[0].speeches] == ["MCCLANE"]
