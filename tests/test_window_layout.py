"""Nothing clipped (issue 34, part 6): at 1280x800 and 1920x1080, on a screenplay project, no dock scrolls
sideways, whichever of its tabbed docks is in front."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication

from dreamfactory_studio.cli import main

from .paths import FIXTURES
from .studio_window import select


@pytest.fixture(scope="module")
def screenplay_project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout") / "alley"
    assert main(["new", str(FIXTURES / "screenplays" / "the-alley-cat.fountain"), str(folder)]) == 0
    assert main(["run", str(folder), "--quiet"]) == 0
    return folder


def sideways(window) -> list[str]:
    """The docks (and their lists and fields) that show a horizontal scroll bar, each dock brought to the front."""
    found = []
    for name, dock in window.docks.items():
        dock.show()
        dock.raise_()
        QApplication.processEvents()
        for area in dock.findChildren(QAbstractScrollArea):
            if area.objectName() == "takes":
                continue  # the takes strip scrolls sideways by design, as a film strip does
            bar = area.horizontalScrollBar()
            if area.isVisible() and bar.isVisible() and bar.maximum() > 0:
                found.append(f"{name}: {area.objectName() or type(area).__name__} scrolls {bar.maximum()} px")
    return found


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_dock_scrolls_sideways_on_a_screenplay_project(window, screenplay_project, size):
    window.resize(*size)
    window.show()
    window.open_project(str(screenplay_project))
    select(window, 1)
    QApplication.processEvents()
    assert window.scene_editor.heading.text().startswith("Scene 1")
    assert sideways(window) == []


def test_a_screenplays_scenes_are_marked_as_the_screenplays_not_as_edited_by_the_user(
    window, screenplay_project
):
    from dreamfactory_studio.app.timeline_view import badges

    from .studio_window import type_into

    window.open_project(str(screenplay_project))
    select(window, 1)
    heading = window.scene_editor.heading.text()
    assert heading.startswith("Scene 1 — from the screenplay") and "edited by you" not in heading
    scene = window.session.project.scenes[0]
    assert scene.is_user_edited("script") and not scene.user_edited  # still kept from the crew
    words = [text for text, _colour in badges(window.timeline.model().card(0))]
    assert "screenplay" in words and "edited" not in words
    type_into(window.scene_editor._texts["title"], "The alley, at last")
    assert "edited by you: title" in window.scene_editor.heading.text()
    window.actions["undo"].trigger()  # the module's project stays as the screenplay made it


def test_a_card_says_the_length_the_film_gives_its_scene(window, screenplay_project):
    """Issue 33: the card said the crew's planning hint (12.5 s) while the film gave the scene 5.6 s."""
    window.open_project(str(screenplay_project))
    model = window.timeline.model()
    workspace = window.session.workspace
    for row, scene in enumerate(window.session.project.scenes):
        assert model.card(row).length == workspace.scene_length(scene) > 0


def test_the_empty_timeline_says_what_run_will_do(window, tmp_path, monkeypatch):
    from dreamfactory_studio.app.timeline_view import TimelineView

    from .paths import SAMPLE_STORY

    assert main(["new", str(SAMPLE_STORY), str(tmp_path / "fresh")]) == 0
    window.resize(1280, 800)
    window.show()
    window.open_project(str(tmp_path / "fresh"))
    QApplication.processEvents()
    assert window.timeline.model().rowCount() == 0
    assert "Run (F5)" in TimelineView.EMPTY and "ten seconds" in TimelineView.EMPTY

    def inked() -> int:
        """Pixels of the viewport that differ from its corner: the words drawn on it."""
        picture = window.timeline.viewport().grab().toImage()
        ground = picture.pixelColor(2, 2)
        return sum(
            picture.pixelColor(x, y) != ground
            for x in range(0, picture.width(), 3)
            for y in range(0, picture.height(), 3)
        )

    said = inked()
    monkeypatch.setattr(TimelineView, "EMPTY", "")  # the same view with nothing to say
    assert said > 50 and inked() == 0, said


def test_a_card_says_what_its_keyframe_did_not_get(window, screenplay_project):
    from dreamfactory_studio.app.timeline_view import badges

    window.open_project(str(screenplay_project))
    model = window.timeline.model()
    words = [text for text, _colour in badges(model.card(0))]
    assert not any(w.endswith("note") or w.endswith("notes") for w in words)  # the sketch's word on itself
    keyframe = window.session.project.scenes[0].keyframe
    keyframe.recipe.notes.append("ComfyUI has no IP-Adapter: the identity references were not used")
    words = [text for text, _colour in badges(model.card(0))]
    assert "1 note" in words
    keyframe.recipe.notes.pop()


def test_after_a_sketched_storyboard_one_dismissible_line_says_how_to_get_real_pictures(
    window, tmp_path, loop
):
    from .paths import SAMPLE_STORY
    from .studio_window import wait

    assert main(["new", str(SAMPLE_STORY), str(tmp_path / "fresh"), "--scenes", "3"]) == 0
    window.open_project(str(tmp_path / "fresh"))
    notice = window.sketch_notice
    assert not notice.isVisible()
    window.actions["run"].trigger()
    assert wait(loop, window) is None
    assert notice.isVisible() and "get a model" in notice.label.text()
    from PySide6.QtWidgets import QToolButton

    notice.findChild(QToolButton, "dismissSketchNotice").click()
    assert not notice.isVisible()
    window.offer_real_pictures()
    assert not notice.isVisible(), "dismissed once, it stays away"


def test_the_crew_pane_opens_tall_and_keeps_the_height_it_is_given(qtbot, tmp_path, monkeypatch):
    """Issue 34: the Crew pane was about five lines tall, and its height is the user's to keep."""
    from PySide6.QtCore import Qt

    from dreamfactory_studio.app.main_window import MainWindow

    monkeypatch.setenv("DREAMFACTORY_CONFIG_DIR", str(tmp_path / "config"))

    def opened() -> MainWindow:
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        QApplication.processEvents()
        return window

    first = opened()
    crew = first.docks["chat"]
    crew.raise_()
    QApplication.processEvents()
    assert crew.height() >= 220  # about fifteen lines, not five
    first.resizeDocks([crew], [340], Qt.Orientation.Vertical)
    QApplication.processEvents()
    chosen = crew.height()
    assert first.close()
    second = opened()
    assert abs(second.docks["chat"].height() - chosen) <= 12
    second.close()
