"""The storyboard in the window: the animatic's clock (durations, pause and resume, steps), the player as a user
drives it, and the screenplay and editorial actions of the window (dialogue, setting, taking an edit back)."""

from __future__ import annotations

import builtins

import opentimelineio as otio
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from dreamfactory_studio.app.animatic import AnimaticClock, AnimaticPlayer, Sound, shots_of
from dreamfactory_studio.core.new_project import new_project
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.core.timing import scene_length

from .paths import FIXTURES
from .studio_window import saved, select, type_into


class FakeTime:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_the_clock_sums_durations_pauses_resumes_and_steps():
    now = FakeTime()
    clock = AnimaticClock([2.0, 3.0, 1.5], now=now)
    assert clock.total == 6.5 and clock.starts == [0.0, 2.0, 5.0]
    clock.play()
    now.t += 2.5
    assert clock.position == pytest.approx(2.5) and clock.shot_at() == 1
    assert clock.progress() == pytest.approx(0.5 / 3.0)
    clock.pause()
    now.t += 10  # paused: time passes, the position stays
    assert clock.position == pytest.approx(2.5) and not clock.playing
    clock.play()
    now.t += 1.0
    assert clock.position == pytest.approx(3.5)
    assert clock.step(+1) == 2 and clock.position == pytest.approx(5.0)
    now.t += 0.2
    assert clock.step(-1) == 1 and clock.position == pytest.approx(2.0)  # just begun: back to the one before
    clock.seek(5.9)
    now.t += 0.3
    assert clock.step(-1) == 2 and clock.position == pytest.approx(5.0)  # well under way: its own start
    assert clock.step(-1) == 1 and clock.step(-5) == 0 and clock.step(+9) == 2
    now.t += 60
    assert clock.finished and clock.position == clock.total
    clock.play()  # from the end, play starts over
    assert clock.position == 0.0


def test_the_animatic_times_scenes_as_the_film_does(made):
    from dreamfactory_studio.core.project_folder import ProjectFolder

    settings = Settings()
    with ProjectFolder.open(made, read_only=True) as folder:
        project = folder.load()
        shots = shots_of(project, settings, folder.asset_path)
    assert [s.seconds for s in shots] == [
        scene_length(s, settings.export, settings.defaults.fps, settings.speech.words_per_second)
        for s in project.scenes
    ]
    assert all(s.image is not None and s.image.is_file() for s in shots)
    assert shots[0].caption.startswith("Scene 1")


def test_the_player_plays_pauses_steps_and_the_card_follows(window, project_dir, qtbot):
    window.open_project(str(project_dir))
    select(window, 2)
    window.actions["animatic"].trigger()
    player = window.animatic
    assert isinstance(player, AnimaticPlayer) and player.clock.playing
    assert player.clock.shot_at() == 1  # from the selected scene
    qtbot.keyClick(player, Qt.Key.Key_Space)
    assert not player.clock.playing and player.play_button.text() == "Play"
    paused_at = player.clock.position
    qtbot.wait(120)
    assert player.clock.position == paused_at
    qtbot.keyClick(player, Qt.Key.Key_Right)
    assert player.clock.shot_at() == 2
    assert window.scene_editor.scene_id == window.session.project.scenes[2].id  # the card followed
    assert player.caption.text().startswith("Scene 3")
    qtbot.keyClick(player, Qt.Key.Key_Left)
    assert player.clock.shot_at() == 1
    player.seek(player.clock.total - 0.05)
    qtbot.keyClick(player, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.clock.playing, timeout=3000)  # it stops at the end
    assert player.time.text().endswith(player.time.text().split(" / ")[1])
    player.close()


def test_without_qt_multimedia_the_animatic_plays_silently_and_says_why(monkeypatch):
    real = builtins.__import__

    def no_multimedia(name, *args, **kwargs):
        if name.startswith("PySide6.QtMultimedia"):
            raise ImportError("libpulse.so.0: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_multimedia)
    sound = Sound(None)
    assert "no sound: Qt Multimedia could not load (libpulse.so.0" in sound.problem
    sound.follow(None, 0.0, 0.0, True)  # and does nothing, without failing


def test_the_scene_editor_shows_and_edits_setting_dialogue_and_notes(window, tmp_path):
    folder = new_project(FIXTURES / "screenplays" / "the-alley-cat.fountain", tmp_path / "alley")
    folder.close()
    window.open_project(str(tmp_path / "alley"))
    select(window, 1)
    editor = window.scene_editor
    assert editor.setting.text() == "EXT. ALLEY BEHIND THE DINER - NIGHT"
    assert editor.dialogue.toPlainText().split("\n")[0] == "Marlowe: (whispering) You followed me."
    assert "ACT ONE" in editor.notes.toPlainText()
    type_into(editor._texts["setting"], "INT. DINER - DAWN")
    type_into(editor._texts["dialogue"], "June: We should go.\nMarlowe (O.S.): Not yet.")
    scene = window.session.project.scenes[0]
    assert scene.setting.heading == "INT. DINER - DAWN" and scene.dialogue[1].extension == "O.S."
    assert window.session.project.character(scene.dialogue[0].character).name == "Detective June Park"
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert window.session.project.scenes[0].setting.heading == "EXT. ALLEY BEHIND THE DINER - NIGHT"


def test_the_window_takes_an_edit_back_in_one_undo_step_and_restores_the_cut(
    window, project_dir, tmp_path, answers, loop
):
    from dreamfactory_studio.app.editorial_actions import import_edit, restore_cut
    from dreamfactory_studio.export.exporter import ExportOptions

    window.open_project(str(project_dir))
    session = window.session
    before = [s.id for s in session.project.scenes]
    loop.run_until_complete(session.workspace.export(ExportOptions(None, timeline=tmp_path / "cut.otio")))
    edit = otio.adapters.read_from_file(str(tmp_path / "cut.otio"))
    track = edit.video_tracks()[0]
    clips = [item for item in track if isinstance(item, otio.schema.Clip)]
    track.remove(clips[0])  # cut scene 1, move scene 2 to the end
    track.remove(clips[1])
    track.append(clips[1])
    otio.adapters.write_to_file(edit, str(tmp_path / "edited.otio"))
    answers[1][:] = [QMessageBox.StandardButton.Yes]
    assert import_edit(window.context, str(tmp_path / "edited.otio"))
    assert "cut '" in answers[0][-1][1] and "put the scenes in a new order" in answers[0][-1][1]
    assert [s.id for s in session.project.scenes] == before[2:] + [before[1]]
    assert window.actions["restoreCut"].isEnabled()
    window.actions["undo"].trigger()  # one step takes it all back
    assert [s.id for s in session.project.scenes] == before and not session.project.cut_scenes
    window.actions["redo"].trigger()
    from PySide6.QtWidgets import QInputDialog

    original = QInputDialog.getItem
    QInputDialog.getItem = staticmethod(lambda *a, **k: (a[3][0], True))
    try:
        restore_cut(window.context)
    finally:
        QInputDialog.getItem = original
    assert [s.id for s in session.project.scenes][0] == before[0] and not session.project.cut_scenes
    window.save()
    assert [s.id for s in saved(project_dir).scenes][0] == before[0]


def test_the_export_dialog_writes_the_edit_beside_the_film(window, project_dir, tmp_path, loop, qtbot):
    window.open_project(str(project_dir))
    window.open_export()
    dialog = window.export_dialog
    f = dialog.find
    assert f("timeline").text().endswith(".xml") and not f("timeline").isEnabled()
    f("output").setText(str(tmp_path / "film.mp4"))
    f("timelineOn").setChecked(True)
    assert f("timeline").text() == str(tmp_path / "film.xml")
    options = dialog.options()
    assert options.timeline == tmp_path / "film.xml"


def test_the_new_project_dialog_makes_a_project_from_a_final_draft_file(window, tmp_path):
    from dreamfactory_studio.app.start_page import NewProjectDialog
    from dreamfactory_studio.core.settings import Defaults

    dialog = NewProjectDialog(Defaults(), window)
    dialog.load_story(str(FIXTURES / "screenplays" / "the-alley-cat.fdx"))
    assert "3 scenes, 3 characters" in dialog.find("storyText").toPlainText()
    assert dialog.find("title").text() == "The Alley Cat"
    dialog.find("folder").setText(str(tmp_path / "alley"))
    dialog.accept()
    with dialog.folder:
        project = dialog.folder.load()
    assert project.source == "fdx" and len(project.scenes) == 3  # the headings decide, not the scene count
