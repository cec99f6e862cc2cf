"""The Cast panel, driven as a user would (pytest-qt, offscreen): sheets shown per character, draw again,
import, pin a crop of the selected take, pin an earlier sheet, unpin, the look and the LoRA, each undoable."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QFileDialog

from .studio_window import saved, select, type_into


def test_the_cast_panel_shows_each_characters_sheet_and_every_change_undoes(
    window, project_dir, tmp_path, monkeypatch, loop
):
    import numpy as np
    from PIL import Image
    from safetensors.numpy import save_file

    window.open_project(str(project_dir))
    panel = window.cast_panel
    project = window.session.project
    assert panel.list.count() == len(project.characters) > 0
    assert all(not panel.list.item(i).icon().isNull() for i in range(panel.list.count())), "a sheet each"
    assert panel.sheet.pixmap() is not None and not panel.sheet.pixmap().isNull()
    assert panel.source.text() == "Drawn by the crew, chosen by the crew."
    first_id = project.characters[0].id
    panel.list.setCurrentRow(0)

    def first():  # undo puts back copies, so look the character up each time
        return window.session.project.character(first_id)

    picture = tmp_path / "sheet.png"
    Image.new("RGB", (40, 80), (20, 90, 200)).save(picture)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(picture), ""))
    panel.import_button.click()
    assert first().sheet.source == "imported" and "pinned by you" in panel.source.text()
    assert panel.unpin_button.isEnabled()
    window.actions["undo"].trigger()
    assert first().sheet.source == "generated"

    scene = select(window, 1)
    assert first().id in scene.characters
    panel.crop_button.click()
    assert first().sheet.source == "take" and first().takes[-1].references == [scene.keyframe.image]
    panel.earlier.activated.emit(1)  # the first sheet the crew drew
    assert first().sheet.take_id == first().takes[0].id and first().sheet.pinned_by_user
    panel.unpin_button.click()
    assert not first().sheet.pinned_by_user

    type_into(panel._look, "a tall woman in a faded blue coat and a brass whistle")
    assert first().description.endswith("brass whistle") and first().is_user_edited("description")

    lora = tmp_path / "amara.safetensors"
    save_file({"lora_unet_a.lora_down.weight": np.zeros((2, 2), np.float32)}, str(lora))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(lora), ""))
    panel.trigger.setText("amr")
    panel.lora_button.click()
    assert first().lora.file == str(lora) and panel.no_lora_button.isEnabled()
    panel.weight.setValue(0.55)
    panel.weight.editingFinished.emit()
    assert first().lora.weight == 0.55
    panel.no_lora_button.click()
    assert first().lora is None

    takes = len(first().takes)
    panel.draw_button.click()
    assert window.jobs.running
    loop.run_until_complete(window.jobs.current)
    assert len(first().takes) == takes + 1 and first().sheet.source == "generated"
    window.actions["undo"].trigger()
    assert len(first().takes) == takes
    window.actions["save"].trigger()
    assert len(saved(project_dir).characters[0].takes) == takes


def test_the_cards_and_the_take_list_show_each_characters_likeness(window, project_dir):
    from dreamfactory_studio.app.timeline_view import badges

    window.open_project(str(project_dir))
    scene = select(window, 1)
    card = window.model.card(0)
    names = [window.session.project.character(i).name.split()[0] for i in scene.characters]
    texts = [text for text, _ in badges(card)]
    assert all(any(re.match(rf"{name} [01]\.\d\d$", t) for t in texts) for name in names)
    item = window.scene_editor.takes.item(0)
    assert " · like 0." in item.text() and "Likeness to the sheets:" in item.toolTip()


def test_the_settings_list_a_models_folder_and_take_a_checkpoint_from_it(window, tmp_path, monkeypatch):
    import numpy as np
    from safetensors.numpy import save_file

    from dreamfactory_studio.app.settings_dialog import SettingsDialog

    models = tmp_path / "models" / "checkpoints"
    models.mkdir(parents=True)
    tensors = {
        "model.diffusion_model.out.0.weight": np.zeros(1, np.float32),
        "cond_stage_model.transformer.text_model.final_layer_norm.weight": np.zeros(1, np.float32),
    }
    save_file(tensors, str(models / "dreamshaper.safetensors"))
    (models / "old.ckpt").write_bytes(b"pickle")
    dialog = SettingsDialog(window)
    dialog.find("modelsFolder").setText(str(tmp_path / "models"))
    dialog.find("modelsFolder").editingFinished.emit()
    found = dialog.find("modelsFound")
    assert found.count() == 2 and found.itemText(1) == "dreamshaper.safetensors"
    found.activated.emit(1)
    assert dialog.find("imageModel").text() == str(models / "dreamshaper.safetensors")
    assert dialog.find("imageBackend").currentText() == "diffusers"
    settings = dialog.settings()
    assert settings.image.models_folder == str(tmp_path / "models")
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(models.parent / "x" / "model_index.json"), "")
    )
    dialog.find("imageBrowse").click()
    assert dialog.find("imageModel").text() == str(models.parent / "x"), (
        "a diffusers folder by its model_index.json"
    )


def test_the_crew_pane_writes_decisions_out_and_raw_shows_them_as_written(window, project_dir):
    window.open_project(str(project_dir))
    text = window.chat.text()
    assert "Decision:\n" in text and "  Style: " in text and " scenes:\n  1. " in text
    assert '"scenes": [' not in text and "<INFO> {" not in text
    window.chat.raw.setChecked(True)
    raw = window.chat.text()
    assert '"scenes": [' in raw and "<INFO> {" in raw
    window.chat.raw.setChecked(False)
    assert window.chat.text() == text


def test_a_decision_streamed_as_json_is_written_out_when_it_ends(qtbot):
    from dreamfactory_studio.app.chat_panes import ChatPanes
    from dreamfactory_studio.core.events import MessageFinished, MessageStarted, TokenReceived
    from dreamfactory_studio.core.model import TranscriptMessage

    panes = ChatPanes()
    qtbot.addWidget(panes)
    words = 'Step by step.\n<INFO> {"style": "ink wash", "palette": "black ink", "lighting": "misty"}'
    panes.on_event(MessageStarted("style", "art_director", "Art Director", "offline writer", 1))
    for piece in words.split(" "):
        panes.on_event(TokenReceived("style", "art_director", piece + " "))
    panes.on_event(
        MessageFinished(TranscriptMessage(phase="style", role="art_director", text=words), "Art Director")
    )
    shown = panes.text("art_director")
    assert "Step by step." in shown and "Style: ink wash" in shown and "Palette: black ink" in shown
    assert "<INFO>" not in shown
