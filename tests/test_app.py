"""The studio window, driven as a user would (pytest-qt, offscreen): open, edit, undo, reorder, pin, describe,
settings, recovery. Jobs run on a real qasync loop over Qt's."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox

from dreamfactory_studio.app.main_window import MainWindow
from dreamfactory_studio.app.settings_dialog import SettingsDialog
from dreamfactory_studio.app.timeline_view import SceneListModel
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import load_settings

from .paths import REPO
from .studio_window import saved, select, type_into


def test_the_sample_project_opens_with_a_card_and_thumbnail_per_scene(window, qtbot):
    from dreamfactory_studio.workspace.sample import sample_project

    path = sample_project()
    assert window.open_project(str(path))
    assert window.windowTitle().startswith("The Last Ferry")
    assert window.story.toPlainText().startswith("Captain Amara Okafor")
    assert (
        "LLM: offline writer" in window.backends.text()
        and "Images: sketch renderer" in window.backends.text()
    )
    model = window.model
    assert model.rowCount() == 10
    qtbot.waitUntil(lambda: all(model.card(r).image_state == "ready" for r in range(10)), timeout=10_000)
    cards = [model.card(r) for r in range(10)]
    assert [c.number for c in cards] == list(range(1, 11))
    assert all(c.thumbnail.width() <= 224 and c.thumbnail.height() <= 126 for c in cards)
    assert cards[0].is_base_frame
    decodes = window.thumbnails.decodes
    window.timeline.viewport().repaint()  # painting every card again decodes nothing again
    assert window.thumbnails.decodes == decodes
    assert window.scene_editor.heading.text().startswith("Scene 1")
    assert window.base_panel.description.toPlainText() == window.session.project.base_description.text
    window.close()
    assert not (path / ".lock").exists()


def test_edit_a_script_undo_redo_and_save(window, project_dir):
    window.open_project(str(project_dir))
    scene = select(window, 2)
    original = scene.script
    type_into(window.scene_editor._texts["script"], "The ferry drifts in fog.")
    current = window.session.project.scenes[1]
    assert current.script == "The ferry drifts in fog." and current.is_user_edited("script")
    assert current.stale  # its keyframe was drawn from the old script
    assert window.isWindowModified()
    window.actions["undo"].trigger()
    assert window.session.project.scenes[1].script == original
    assert window.scene_editor.script.toPlainText() == original
    window.actions["redo"].trigger()
    assert window.scene_editor.script.toPlainText() == "The ferry drifts in fog."
    assert saved(project_dir).scenes[1].script == original  # nothing is written before a save...
    assert json.loads((project_dir / ".autosave" / "project.json").read_text()) is not None
    window.actions["save"].trigger()
    assert not window.isWindowModified()
    assert saved(project_dir).scenes[1].script == "The ferry drifts in fog."


def test_an_edit_its_undo_and_its_redo_each_say_what_they_changed(window, project_dir):
    window.open_project(str(project_dir))
    session = window.session
    records = []
    session.changed.connect(records.append)
    first, second = session.project.scenes[:2]
    session.do("edit_style", values={"style": "ink wash"})
    session.do("move_scenes", numbers=[second.id], to=1)
    assert [r.fields for r in records] == [{"style"}, set()]
    assert records[1].order and records[1].focus == second.id and window.current_scene_id() == second.id
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()
    assert records[2] == records[1] and records[3] == records[0], "undo says the same as the edit"
    assert [s.id for s in session.project.scenes[:2]] == [first.id, second.id]
    assert session.project.style.style != "ink wash"
    window.actions["redo"].trigger()
    assert records[4] == records[0] and session.project.style.style == "ink wash"
    assert "ink wash" in window.decisions.style_box.currentText(), "the decisions panel followed on its own"


def test_typing_merges_into_one_step_and_ctrl_z_in_a_field_undoes_the_project(window, project_dir, qtbot):
    window.open_project(str(project_dir))
    select(window, 1)
    field = window.scene_editor._texts["title"]
    field.widget.setFocus()
    field.widget.setText("Da")
    field.commit()
    field.widget.setText("Dawn")
    field.commit()  # same run of typing: one undo step
    assert window.session.undo.count() == 1
    original = saved(project_dir).scenes[0].title
    window.activateWindow()
    field.widget.setFocus()
    qtbot.keyClick(field.widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.project.scenes[0].title == original
    assert field.widget.text() == original


def test_every_field_of_a_scene_is_editable_marked_and_undoable(window, project_dir):
    window.open_project(str(project_dir))
    select(window, 3)
    editor = window.scene_editor
    before = window.session.project.scenes[2].model_copy(deep=True)
    type_into(editor._texts["title"], "Engine room")
    type_into(editor._texts["narration"], "Below deck, the lantern swings.")
    type_into(editor._texts["shot"], "close-up")
    type_into(editor._texts["camera"], "push in")
    editor.duration.setValue(6.5)
    editor.duration.editingFinished.emit()
    first = editor.characters.item(0)
    first.setCheckState(
        Qt.CheckState.Unchecked if first.checkState() == Qt.CheckState.Checked else Qt.CheckState.Checked
    )
    editor.new_character.setText("The ferryman's cat")
    editor.new_character.returnPressed.emit()
    scene = window.session.project.scenes[2]
    assert (scene.title, scene.narration, scene.shot, scene.camera, scene.duration) == (
        "Engine room",
        "Below deck, the lantern swings.",
        "close-up",
        "push in",
        6.5,
    )
    assert "The ferryman's cat" in [window.session.project.character(i).name for i in scene.characters]
    assert set(scene.user_edited) >= {"title", "narration", "shot", "camera", "duration", "characters"}
    while window.session.undo.canUndo():
        window.actions["undo"].trigger()
    restored = window.session.project.scenes[2]
    assert restored.model_dump() == before.model_dump()
    assert "The ferryman's cat" not in [c.name for c in window.session.project.characters]


def test_reorder_by_the_models_move_api_and_undo(window, project_dir):
    window.open_project(str(project_dir))
    model: SceneListModel = window.model
    ids = [s.id for s in window.session.project.scenes]
    select(window, 1)
    assert model.moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)  # scene 1 goes before old row 3
    assert [s.id for s in window.session.project.scenes] == [ids[1], ids[2], ids[0], ids[3]]
    assert window.current_scene_id() == ids[0]  # the selection follows the moved card
    assert model.index(2).data(SceneListModel.CardRole).number == 3
    window.actions["undo"].trigger()
    assert [s.id for s in window.session.project.scenes] == ids
    assert not model.moveRows(QModelIndex(), 1, 1, QModelIndex(), 2)  # onto itself: no move
    window.timeline.select_ids([ids[2], ids[3]])
    window.actions["earlier"].trigger()
    assert [s.id for s in window.session.project.scenes] == [ids[0], ids[2], ids[3], ids[1]]
    assert window.session.undo.count() == 1  # two scenes moved: one step


def test_insert_duplicate_delete_and_undo_bring_everything_back(window, project_dir):
    window.open_project(str(project_dir))
    project = window.session.project
    ids = [s.id for s in project.scenes]
    takes = len(project.scenes[1].takes)
    select(window, 2)
    window.actions["insert"].trigger()
    assert (
        len(project.scenes) == 5
        and project.scenes[2].script == ""
        and window.current_scene_id() == project.scenes[2].id
    )
    window.actions["duplicate"].trigger()
    assert len(project.scenes) == 6
    window.timeline.select_ids([ids[1], ids[3]])
    window.actions["delete"].trigger()
    assert ids[1] not in [s.id for s in project.scenes] and len(project.scenes) == 4
    for _ in range(3):
        window.actions["undo"].trigger()
    assert [s.id for s in project.scenes] == ids
    assert len(project.scenes[1].takes) == takes
    assert window.model.rowCount() == 4


def test_pin_a_take_as_base_frame_and_edit_the_base_description_then_both_are_saved(window, project_dir):
    window.open_project(str(project_dir))
    scene = select(window, 3)
    take_id = scene.selected_take
    window.scene_editor.base_button.click()
    project = window.session.project
    assert project.base_frame.take_id == take_id and project.base_frame.pinned_by_user
    assert "pinned by you" in window.base_panel.source.text()
    assert window.model.card(2).is_base_frame and not window.model.card(0).is_base_frame
    monitor_text = project.base_description.text
    type_into(window.base_panel._text, "Amara: blue coat, short grey hair. Ink wash, muted river greens.")
    assert project.base_description.user_edited
    assert "Edited by you" in window.base_panel.edited_label.text()
    window.actions["save"].trigger()
    on_disk = saved(project_dir)
    assert on_disk.base_frame.take_id == take_id and on_disk.base_frame.pinned_by_user
    assert (
        on_disk.base_description.text.startswith("Amara: blue coat") and on_disk.base_description.user_edited
    )
    window.actions["undo"].trigger()
    assert project.base_description.text == monitor_text and not project.base_description.user_edited
    window.actions["undo"].trigger()
    assert not project.base_frame.pinned_by_user


def test_takes_pick_compare_delete_pin_and_import(window, project_dir, tmp_path, monkeypatch, answers):
    from .openai_server import png

    window.open_project(str(project_dir))
    select(window, 2)
    editor = window.scene_editor
    picture = tmp_path / "mine.png"
    picture.write_bytes(png((96, 54), (200, 40, 40)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(picture), ""))
    editor.import_button.click()
    scene = window.session.project.scenes[1]
    imported = scene.takes[-1]
    assert imported.backend == "imported" and scene.selected_take == imported.id
    assert editor.takes.count() == len(scene.takes)
    first = scene.takes[0].id
    from dreamfactory_studio.app.compare_dialog import CompareDialog

    monkeypatch.setattr(
        CompareDialog, "exec", lambda self: (self._choose(first), QDialog.DialogCode.Accepted)[1]
    )
    editor.compare_button.click()
    assert scene.selected_take == first
    dialog = CompareDialog(window.session, scene, first, imported.id, window)
    assert not dialog.findChild(QLabel, "take0").pixmap().isNull()
    editor.pin_button.click()
    assert scene.pinned
    editor.takes.clearSelection()
    editor.takes.item(0).setSelected(True)
    editor.delete_take_button.click()  # the pinned keyframe: refused, said plainly
    assert answers[0][-1][1].startswith("that take is the scene's pinned keyframe")
    editor.pin_button.click()
    editor.takes.clearSelection()
    editor.takes.item(editor.takes.count() - 1).setSelected(True)
    editor.delete_take_button.click()
    scene = window.session.project.scenes[1]  # a refused edit puts back a copy of what it touched
    assert imported.id not in [t.id for t in scene.takes]
    not_image = tmp_path / "notes.png"
    not_image.write_text("these are words")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(not_image), ""))
    count = window.session.undo.count()
    editor.import_button.click()
    assert "is not an image" in answers[0][-1][1] and window.session.undo.count() == count


def test_a_new_take_is_drawn_with_a_new_seed_shows_progress_and_undoes(window, project_dir, loop, qtbot):
    window.open_project(str(project_dir))
    scene = select(window, 2)
    seeds = [t.seed for t in scene.takes]
    during = []
    window.session.busyChanged.connect(
        lambda busy: during.append(
            (busy, window.scene_editor.script.isReadOnly(), window.actions["delete"].isEnabled())
        )
    )
    progress = []
    window.session.changed.connect(lambda changes: progress.append(window.model.card(1).activity))
    window.actions["regenerate"].trigger()
    assert window.jobs.running and window.runs.bar.isVisible() and window.runs.cancel_button.isVisible()
    loop.run_until_complete(window.jobs.current)
    # No edits while the job changes the scene, and its card showed the drawing's progress.
    assert during == [(True, True, False), (False, False, True)]
    assert any(a is not None and a.progress is not None for a in progress)
    assert not window.runs.bar.isVisible()
    scene = window.session.project.scenes[1]
    assert len(scene.takes) > len(seeds) and scene.takes[-1].seed not in seeds
    assert not window.session.busy and not window.scene_editor.script.isReadOnly()
    assert saved(project_dir).scenes[1].takes[-1].id == scene.takes[-1].id  # saved as it went
    window.actions["undo"].trigger()
    assert [t.seed for t in window.session.project.scenes[1].takes] == seeds


def test_redescribe_shows_the_difference_and_replaces_only_when_asked(window, project_dir, loop, monkeypatch):
    from dreamfactory_studio.app import scene_actions

    window.open_project(str(project_dir))
    project = window.session.project
    monitor_text = project.base_description.text
    type_into(window.base_panel._text, "My own words.")
    offered = []

    class Dialog:
        def __init__(self, current, proposed, user_edited, parent):
            offered.append((current, proposed, user_edited))

        def exec(self):
            return QDialog.DialogCode.Rejected if len(offered) == 1 else QDialog.DialogCode.Accepted

    monkeypatch.setattr(scene_actions, "DescriptionDiffDialog", Dialog)
    window.actions["redescribe"].trigger()
    loop.run_until_complete(window.jobs.current)
    assert offered[0] == ("My own words.", monitor_text, True)
    assert project.base_description.text == "My own words."  # kept
    window.actions["redescribe"].trigger()
    loop.run_until_complete(window.jobs.current)
    assert project.base_description.text == monitor_text and not project.base_description.user_edited


def test_the_description_difference_marks_removed_and_added_words():
    from dreamfactory_studio.app.base_frame_panel import word_diff_html

    html = word_diff_html("a red scarf <b>", "a blue scarf <b>")
    assert 'line-through">red</span>' in html and 'bold">blue</span>' in html and "&lt;b&gt;" in html


def test_settings_persist_across_restarts(window, qtbot, user_dirs):
    dialog = SettingsDialog(window)
    preset = dialog.find("llmPreset")
    preset.setCurrentIndex(preset.findData("ollama"))
    preset.activated.emit(preset.currentIndex())
    assert dialog.find("llmUrl").text() == "http://localhost:11434/v1"
    dialog.find("llmModel").setText("llama3.2")
    dialog.find("imageBackend").setCurrentText("diffusers")
    dialog.find("imageModel").setText("/models/sd-turbo")
    dialog.find("imageDevice").setCurrentText("cuda")
    assert dialog.find("imageSteps").text() == "the model's own"  # 0: the model's own steps
    dialog.find("imageGuidance").setValue(3.5)
    dialog.find("imageOffload").setCurrentText("group")
    dialog.find("imageTiling").setChecked(True)
    dialog.find("defaultScenes").setValue(12)
    dialog.find("defaultStyle").setCurrentText("ink wash")
    dialog.accept()
    assert dialog.dialog.result() == QDialog.DialogCode.Accepted
    window.reload_settings()
    assert "llama3.2 @ http://localhost:11434/v1" in window.backends.text()
    assert "diffusers sd-turbo on cuda" in window.backends.text()
    window.resize(700, 520)  # within the offscreen screen, which restoreGeometry() keeps windows inside
    window.docks["story"].hide()
    size = (window.width(), window.height())
    assert size != (MainWindow().width(), MainWindow().height())
    window.close()
    # A new process: a new QApplication reads the same settings and restores the window's size.
    script = textwrap.dedent(
        """
        import json
        from PySide6.QtWidgets import QApplication
        from dreamfactory_studio.app.main_window import MainWindow
        from dreamfactory_studio.app.settings_dialog import SettingsDialog
        app = QApplication([])
        w = MainWindow()
        d = SettingsDialog(w)
        print(json.dumps({name: d.find(name).text() for name in ("llmUrl", "llmModel", "imageModel")}
                         | {"device": d.find("imageDevice").currentText(), "scenes": d.find("defaultScenes").value(),
                            "style": d.find("defaultStyle").currentText(), "width": w.width(), "height": w.height(),
                            "story hidden": w.docks["story"].isHidden()}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {
        "llmUrl": "http://localhost:11434/v1",
        "llmModel": "llama3.2",
        "imageModel": "/models/sd-turbo",
        "device": "cuda",
        "scenes": 12,
        "style": "ink wash",
        "width": size[0],
        "height": size[1],
        "story hidden": True,
    }
    image = load_settings().image
    assert (image.backend, image.steps, image.guidance, image.offload, image.vae_tiling, image.quantize) == (
        "diffusers",
        0,
        3.5,
        "group",
        True,
        "none",
    )


def test_settings_refuse_a_bad_value_and_test_the_connection(window, answers, loop, openai_server):
    dialog = SettingsDialog(window)
    dialog.find("defaultResolution").setCurrentText("huge")
    dialog.accept()
    assert (
        "defaults.resolution" in answers[0][-1][1] and dialog.dialog.result() != QDialog.DialogCode.Accepted
    )
    dialog.find("defaultResolution").setCurrentText("1280x720")
    dialog.find("llmUrl").setText(openai_server.url)
    dialog.find("llmModel").setText("test-model")
    openai_server.queue("OK")
    dialog.find("testConnection").click()
    loop.run_until_complete(dialog.jobs.current)
    assert dialog.find("connectionResult").text().startswith("✔ test-model @")
    dialog.find("llmModel").setText("no-such-model")
    dialog.find("testConnection").click()
    loop.run_until_complete(asyncio.wait([dialog.jobs.current]))
    assert "has no model 'no-such-model'" in dialog.find("connectionResult").text()


def test_the_api_key_goes_to_the_keyring_and_never_into_a_file(window, memory_keyring, user_dirs):
    dialog = SettingsDialog(window)
    dialog.find("llmUrl").setText("https://api.openai.com/v1")
    dialog.find("llmKey").setText("sk-test-secret")
    dialog.find("storeKey").click()
    dialog.accept()
    assert memory_keyring[("dreamfactory-studio", "https://api.openai.com/v1")] == "sk-test-secret"
    assert dialog.find("llmKey").text() == ""
    files = [p for p in user_dirs.rglob("*") if p.is_file()]
    assert files and not any(b"sk-test-secret" in p.read_bytes() for p in files)


def test_a_damaged_project_offers_its_last_good_autosave(window, project_dir, answers):
    shown, replies = answers
    good = (project_dir / "project.json").read_text()
    (project_dir / "project.json").write_text("{oops")
    replies[:] = [QMessageBox.StandardButton.No]
    assert not window.open_project(str(project_dir))
    assert "damaged" in shown[-1][1] and "Restore the last good autosave" in shown[-1][1]
    assert (project_dir / "project.json").read_text() == "{oops"  # nothing overwritten
    assert not (project_dir / ".lock").exists()
    replies[:] = [QMessageBox.StandardButton.Yes]
    assert window.open_project(str(project_dir))
    assert json.loads((project_dir / "project.json").read_text()) == json.loads(good)
    assert [p.read_text() for p in project_dir.glob("project.json.damaged-*")] == ["{oops"]
    assert window.model.rowCount() == 4


def test_a_project_without_autosave_or_from_a_newer_studio_is_refused_plainly(window, tmp_path, answers):
    shown, _ = answers
    ProjectFolder.create(tmp_path / "p", Project(title="t", story="s")).close()
    data = json.loads((tmp_path / "p" / "project.json").read_text())
    data["schema_version"] = 99
    (tmp_path / "p" / "project.json").write_text(json.dumps(data))
    assert not window.open_project(str(tmp_path / "p"))
    assert "newer" in shown[-1][1]
    (tmp_path / "folder").mkdir()
    assert not window.open_project(str(tmp_path / "folder"))
    assert "not a DreamFactory project" in shown[-1][1]
    assert window.pages.currentWidget() is window.start


def test_unsaved_edits_left_by_a_crash_are_offered_back(qtbot, project_dir, answers):
    shown, replies = answers
    first = MainWindow()
    qtbot.addWidget(first)
    first.open_project(str(project_dir))
    select(first, 1)
    type_into(first.scene_editor._texts["title"], "Recovered title")
    first.session.autosave_now()
    first.session.folder.close()  # the studio dies: no save, no question
    first.session = None
    second = MainWindow()
    qtbot.addWidget(second)
    replies[:] = [QMessageBox.StandardButton.Yes]
    assert second.open_project(str(project_dir))
    assert shown[-1][0] == "Unsaved edits found"
    assert second.session.project.scenes[0].title == "Recovered title"
    assert second.isWindowModified()  # restored, not yet saved
    assert saved(project_dir).scenes[0].title != "Recovered title"
    replies[:] = [QMessageBox.StandardButton.Save]
    second.close()
    assert saved(project_dir).scenes[0].title == "Recovered title"


def test_a_locked_project_can_be_opened_read_only(window, project_dir, answers):
    shown, replies = answers
    holder = ProjectFolder.open(project_dir)  # another window has it
    try:
        replies[:] = [QMessageBox.StandardButton.Yes]
        assert window.open_project(str(project_dir))
        assert "open in another program" in shown[-1][1] and "read-only" in shown[-1][1]
        assert "(read-only)" in window.windowTitle()
        select(window, 1)
        assert window.scene_editor.script.isReadOnly() and not window.actions["delete"].isEnabled()
        from dreamfactory_studio.core.errors import BadInput

        with pytest.raises(BadInput, match="read-only"):
            window.session.do("edit_scene", scene=window.session.project.scenes[0].id, values={"title": "x"})
    finally:
        holder.close()


def test_closing_asks_about_unsaved_edits(window, project_dir, answers):
    shown, replies = answers
    window.open_project(str(project_dir))
    select(window, 1)
    type_into(window.scene_editor._texts["title"], "Kept in memory")
    replies[:] = [QMessageBox.StandardButton.Cancel]
    assert not window.close_project() and window.session is not None
    replies[:] = [QMessageBox.StandardButton.Discard]
    assert window.close_project()
    assert saved(project_dir).scenes[0].title != "Kept in memory"
    with ProjectFolder.open(project_dir) as folder:
        assert folder.newer_autosave() is None  # discarded edits are not offered back later


def test_a_new_project_from_pasted_text(window, tmp_path, answers, monkeypatch):
    from dreamfactory_studio.app.start_page import NewProjectDialog

    made = []
    monkeypatch.setattr(
        NewProjectDialog, "exec", lambda self: (made.append(self), self.accept(), self.dialog.result())[2]
    )
    dialog_fill = {"storyText": "", "folder": str(tmp_path / "new-film")}

    original_init = NewProjectDialog.__init__

    def init(self, defaults, parent=None):
        original_init(self, defaults, parent)
        self.find("storyText").setPlainText(dialog_fill["storyText"])
        self.find("folder").setText(dialog_fill["folder"])

    monkeypatch.setattr(NewProjectDialog, "__init__", init)
    window.actions["new"].trigger()  # an empty story: refused, nothing made
    assert "story is empty" in answers[0][-1][1] and not (tmp_path / "new-film").exists()
    dialog_fill["storyText"] = "The Lighthouse\n\nA keeper counts ships."
    window.actions["new"].trigger()
    assert window.session is not None and window.session.project.title == "The Lighthouse"
    assert window.session.folder.root == (tmp_path / "new-film").resolve()
    window.close_project()
    from dreamfactory_studio.core.recent import recent_projects

    assert recent_projects()[0] == (tmp_path / "new-film").resolve()
    window.start.refresh()
    assert window.start.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(
        (tmp_path / "new-film").resolve()
    )


def test_every_common_action_has_a_shortcut_listed_under_help(window):
    rows = dict(window.shortcut_rows())
    assert "F14" not in rows["Undo"] and "Undo" not in rows["Undo"], rows["Undo"]  # keys people have
    for action in (
        "Undo",
        "Redo",
        "Save",
        "Insert Scene After",
        "Duplicate Scene",
        "Delete Scenes",
        "Move Scene Earlier",
        "Move Scene Later",
        "Pin Keyframe",
        "Pin as Base Frame",
        "Draw a New Take",
        "Keyboard Shortcuts",
    ):
        assert rows.get(action), action


def test_thumbnails_are_decoded_off_the_ui_thread_once(qtbot, made):
    import threading

    from dreamfactory_studio.app.thumbnails import Thumbnails

    thumbnails = Thumbnails()
    image = next((made / "assets").glob("*.png"))
    threads = []
    # The thread's Python id: a QThread wrapper of a pool thread, made in the slot, could fail under load.
    thumbnails._signals.decoded.connect(
        lambda *_: threads.append(threading.get_ident()), Qt.ConnectionType.DirectConnection
    )
    assert thumbnails.get(str(image)) is None
    qtbot.waitUntil(lambda: thumbnails.get(str(image)) is not None)
    assert threads and threads[0] != threading.main_thread().ident
    assert thumbnails.get(str(made / "missing.png")) is None
    qtbot.waitUntil(lambda: thumbnails.failed(str(made / "missing.png")))
    assert thumbnails.decodes == 2
    thumbnails.stop()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_the_qt_binding_keeps_none_alive_through_model_overrides(window, project_dir):
    window.open_project(str(project_dir))
    index = window.model.index(0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        index.data(Qt.ItemDataRole.UserRole + 99)  # a role the model does not answer: None
    assert sys.getrefcount(None) >= before - 50  # PySide6 6.12.0 lost one reference per call


def test_cancelling_a_new_take_keeps_the_project_as_it_was(window, project_dir, loop):
    window.open_project(str(project_dir))
    scene = select(window, 3)
    takes = [t.id for t in scene.takes]
    window.session.busyChanged.connect(lambda busy: busy and window.actions["cancelJob"].trigger())
    window.actions["regenerate"].trigger()
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(window.jobs.current)
    loop.run_until_complete(asyncio.sleep(0))  # the job's done-callbacks
    assert "cancelled" in window.statusBar().currentMessage()
    assert [t.id for t in window.session.project.scenes[2].takes] == takes
    assert not window.session.busy and not window.scene_editor.script.isReadOnly()
    assert window.session.activity == {}
    assert window.session.undo.count() == 0  # nothing drawn: no empty undo step


def test_dropping_dragged_cards_moves_them_in_one_step(window, project_dir):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDropEvent

    window.open_project(str(project_dir))
    ids = [s.id for s in window.session.project.scenes]
    model, view = window.model, window.timeline
    view.select_ids([ids[0], ids[1]])
    data = model.mimeData([model.index(0), model.index(1)])
    target = view.visualRect(model.index(3))
    point = QPointF(target.right() - 2, target.center().y())  # the right half of the last card: after it
    actions = model.supportedDragActions()  # what a real drag from the view offers
    event = QDropEvent(point, actions, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    assert [s.id for s in window.session.project.scenes] == [ids[2], ids[3], ids[0], ids[1]]
    assert event.dropAction() == Qt.DropAction.CopyAction  # so the view removes nothing after the move
    assert window.session.undo.count() == 1
    window.actions["undo"].trigger()
    assert [s.id for s in window.session.project.scenes] == ids
    foreign = model.mimeData([model.index(0)])
    foreign.setData("application/x-dreamfactory-scene-ids", b"scene-from-another-project")
    other = QDropEvent(
        point, Qt.DropAction.MoveAction, foreign, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    view.dropEvent(other)
    assert [s.id for s in window.session.project.scenes] == ids and window.session.undo.index() == 0


def test_a_new_user_runs_to_the_end_and_the_window_says_which_voice_speaks(window, project_dir):
    from dreamfactory_studio.app.settings_dialog import SettingsDialog

    assert not window.actions["stopAfterPhase"].isChecked(), "F5 on a new project makes the whole storyboard"
    workers = window.docks["workers"].widget()
    workers.refresh()
    assert workers.summary.text() == "No project open."
    window.open_project(str(project_dir))
    workers.refresh()
    assert workers.summary.text().startswith("No worker has started yet")
    dialog = SettingsDialog(window)
    said = dialog.find("speechResolved").text()
    assert said.startswith("Speaks: ") and ("silent" in said or "espeak" in said), said
    dialog.find("speechBackend").setCurrentText("silence")
    assert dialog.find("speechResolved").text().startswith("Speaks: silence")
