"""Shared fixtures: every test gets its own config, data and log folders, and Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from .paths import SAMPLE_STORY


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Keep each test's settings, data and logs out of the real user folders."""
    base = tmp_path_factory.mktemp("user")
    for name in ("CONFIG", "DATA", "LOG"):
        monkeypatch.setenv(f"DREAMFACTORY_{name}_DIR", str(base / name.lower()))
    for key in list(os.environ):
        if key.startswith("DREAMFACTORY_") and not key.endswith("_DIR"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return base


@pytest.fixture(autouse=True)
def qt_collects_its_garbage(request):
    """A Qt test's garbage is collected on the main thread, as in the studio: a window left in a reference cycle
    and collected later by some test's worker thread crashed Qt's event loop."""
    if "qapp" not in request.fixturenames:
        yield
        return
    from dreamfactory_studio.app.main_thread_gc import MainThreadCollector

    collecting = MainThreadCollector(parent=request.getfixturevalue("qapp"))
    collecting.install()
    yield collecting
    collecting.uninstall()
    collecting.deleteLater()


@pytest.fixture
def story_file(tmp_path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text(SAMPLE_STORY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def openai_server():
    """A loopback OpenAI-compatible server; queue answers with ``server.queue(...)``."""
    from .openai_server import OpenAIServer

    server = OpenAIServer()
    yield server
    server.close()


@pytest.fixture
def loop(qapp):
    """qasync's loop over Qt's, as the studio runs; tests wait on a job with ``loop.run_until_complete``."""
    import asyncio

    import qasync

    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()  # joins the executor's threads
    asyncio.set_event_loop(None)


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers to the window's questions; every question and warning shown is recorded."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []
    replies: list[QMessageBox.StandardButton] = []

    def question(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return replies.pop(0) if replies else QMessageBox.StandardButton.No

    def warning(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(QMessageBox, "information", warning)
    return shown, replies


@pytest.fixture
def window(qtbot, answers):
    """The studio's main window, shown offscreen; closed at the end without saving."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from dreamfactory_studio.app.look import apply_look
    from dreamfactory_studio.app.main_window import MainWindow

    apply_look(QApplication.instance())
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.session is not None and w.session.modified:
        answers[1][:] = [QMessageBox.StandardButton.Discard]
    w.close()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A four-scene project with keyframes, made once per test module by the offline production; a module may
    define its own ``made`` instead."""
    from .film_projects import make_project

    return make_project(tmp_path_factory.mktemp("made") / "ferry", scenes=4)


@pytest.fixture
def project_dir(made, tmp_path):
    """A copy of ``made`` for one test to change."""
    from .film_projects import copy_project

    return copy_project(made, tmp_path / "ferry")


@pytest.fixture(scope="session")
def flux2_klein(tmp_path_factory):
    """A tiny random FLUX.2 klein pipeline on disk, built once."""
    from .tiny_families import build_flux2_klein

    return build_flux2_klein(tmp_path_factory.mktemp("tiny") / "flux2-klein")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Each family's tiny model (tests/tiny_families.py), built once, when first asked for by its pipeline."""
    from .tiny_families import BUILDS

    made = {}

    def model(pipeline: str):
        if pipeline not in made:
            made[pipeline] = BUILDS[pipeline](tmp_path_factory.mktemp("family") / pipeline)
        return made[pipeline]

    return model


@pytest.fixture(scope="session")
def sd15(tmp_path_factory):
    """A tiny random SD 1.5 pipeline on disk, built once."""
    from .tiny_models import build_sd15

    return build_sd15(tmp_path_factory.mktemp("tiny") / "sd15")


@pytest.fixture(scope="session")
def svd(tmp_path_factory):
    """A tiny random Stable Video Diffusion pipeline on disk, built once."""
    from .tiny_models import build_svd

    return build_svd(tmp_path_factory.mktemp("tiny") / "svd")


@pytest.fixture
def memory_keyring():
    """An OS keyring in memory for one test: what was stored, by (service, name)."""
    import keyring
    from keyring.backend import KeyringBackend

    store: dict = {}

    class Memory(KeyringBackend):
        priority = 1

        def get_password(self, service, username):
            return store.get((service, username))

        def set_password(self, service, username, password):
            store[(service, username)] = password

        def delete_password(self, service, username):
            store.pop((service, username), None)

    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    yield store
    keyring.set_keyring(previous)
