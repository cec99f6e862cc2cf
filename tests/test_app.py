"""The foundation's window: it opens a project and says plainly when it cannot."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from dreamfactory_studio.app.main_window import MainWindow
from dreamfactory_studio.core.model import Project, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.production.sample import sample_project


def test_opens_the_sample_project(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.open_project(str(sample_project()))
    assert "The Last Ferry" in window.windowTitle()
    assert window.story.toPlainText().startswith("Captain Amara Okafor")
    assert "offline writer" in window.statusBar().currentMessage()
    assert window.scenes.count() == 10 and window.scenes.item(0).text().startswith("1. Captain Amara Okafor")
    window.close()
    assert not (sample_project() / ".lock").exists()


def test_lists_scenes(qtbot, tmp_path):
    project = Project(title="Two", story="s", scenes=[Scene(title="Dawn"), Scene(script="Fog rolls in")])
    ProjectFolder.create(tmp_path / "p", project).close()
    window = MainWindow()
    qtbot.addWidget(window)
    window.open_project(str(tmp_path / "p"))
    assert [window.scenes.item(i).text() for i in range(2)] == ["1. Dawn", "2. Fog rolls in"]
    window.close()


def test_a_damaged_project_shows_a_dialog_and_changes_nothing(qtbot, tmp_path, monkeypatch):
    ProjectFolder.create(tmp_path / "p", Project(title="t", story="s")).close()
    (tmp_path / "p" / "project.json").write_text("{oops")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    window = MainWindow()
    qtbot.addWidget(window)
    assert not window.open_project(str(tmp_path / "p"))
    assert "damaged" in shown[0] and "recover" in shown[0]
    assert (tmp_path / "p" / "project.json").read_text() == "{oops"
    assert not (tmp_path / "p" / ".lock").exists()
