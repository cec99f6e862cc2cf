"""The project folder never loses work: atomic saves, the lock, damage and recovery, assets, secrets."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from dreamfactory_studio.core import migrations
from dreamfactory_studio.core.errors import (
    DamagedProject,
    NewerProject,
    ProjectError,
    ProjectLocked,
    StudioError,
)
from dreamfactory_studio.core.model import Project, Scene, Take
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.project_lock import LOCK_NAME

from .paths import REPO


def make(tmp_path, scenes=3, name="p"):
    project = Project(title="Film", story="Once.", scenes=[Scene(script=f"scene {i}") for i in range(scenes)])
    return ProjectFolder.create(tmp_path / name, project)


def test_save_and_load(tmp_path):
    with make(tmp_path) as folder:
        project = folder.load()
        project.scenes[0].script = "changed"
        folder.save(project)
        assert folder.load().scenes[0].script == "changed"
        assert not list(tmp_path.glob(".*partial*"))


def test_a_failed_write_leaves_the_previous_save_readable(tmp_path, monkeypatch):
    with make(tmp_path) as folder:
        project = folder.load()
        project.title = "never saved"

        def full_disk(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full_disk)
        with pytest.raises(StudioError, match="No space left on device. The previous save is intact"):
            folder.save(project)
        monkeypatch.undo()
        assert folder.load().title == "Film"
        assert not list(folder.root.rglob("*.tmp"))


SAVER = textwrap.dedent(
    """
    import sys
    from dreamfactory_studio.core.project_folder import ProjectFolder
    folder = ProjectFolder.open(sys.argv[1])
    project = folder.load()
    n = 0
    while True:
        n += 1
        project.title = f"save {n}"
        folder.save(project)
        print(n, flush=True)
    """
)


def test_a_save_killed_half_way_leaves_a_readable_project(tmp_path):
    big = Project(title="save 0", story="x", scenes=[Scene(script="words " * 200) for _ in range(1500)])
    ProjectFolder.create(tmp_path / "big", big).close()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cut_mid_write = 0
    for attempt in range(40):  # a save checks the text it writes first, so writes are a part of each cycle
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(tmp_path / "big")], stdout=subprocess.PIPE, env=env, text=True
        )
        saver.stdout.readline()  # one save done: the next ones are in flight
        time.sleep((attempt * 0.061) % 0.9)
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        cut_mid_write += bool(list((tmp_path / "big").rglob(".*.tmp")))
        with ProjectFolder.open(tmp_path / "big") as folder:  # the dead saver's lock is stale: taken over
            project = folder.load()
            assert project.title.startswith("save ")
            assert len(project.scenes) == 1500
            assert not list(folder.root.rglob(".*.tmp")), "the crashed save's temp file is swept on open"
        if cut_mid_write >= 3:
            break
    assert cut_mid_write, "no kill landed during a write; the test did not test anything"


def test_a_second_writer_is_refused(tmp_path):
    with make(tmp_path) as folder, pytest.raises(ProjectLocked, match="open in another program"):
        ProjectFolder.open(folder.root)
    # Read-only needs no lock.
    with make(tmp_path, name="q") as folder, ProjectFolder.open(folder.root, read_only=True) as reader:
        assert reader.load().title == "Film"
        with pytest.raises(ProjectError, match="read-only"):
            reader.save(reader.load())


def test_a_lock_held_by_another_live_process_is_refused(tmp_path):
    make(tmp_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from dreamfactory_studio.core.project_folder import ProjectFolder;"
            "f = ProjectFolder.open(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(tmp_path / "p"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ProjectLocked, match=f"pid {holder.pid}"):
            ProjectFolder.open(tmp_path / "p")
    finally:
        holder.kill()
        holder.wait()
    ProjectFolder.open(tmp_path / "p").close()  # the dead holder's lock is taken over


@pytest.mark.parametrize("content", ["dead", "garbage", "other-host"])
def test_stale_locks_are_taken_over_and_foreign_ones_refused(tmp_path, content):
    make(tmp_path).close()
    lock = tmp_path / "p" / LOCK_NAME
    if content == "dead":
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        lock.write_text(json.dumps({"host": socket.gethostname(), "pid": gone.pid, "token": "t"}))
    elif content == "garbage":
        lock.write_text("{half a lo")
    else:
        lock.write_text(json.dumps({"host": "elsewhere.example", "pid": 1, "token": "t"}))
    if content == "other-host":
        with pytest.raises(ProjectLocked, match="elsewhere.example"):
            ProjectFolder.open(tmp_path / "p")
        return
    with ProjectFolder.open(tmp_path / "p") as folder:
        assert folder._lock.took_over is not None
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_damaged_json_offers_the_autosave_and_recover_keeps_the_damaged_file(tmp_path):
    with make(tmp_path) as folder:
        project = folder.load()
        project.title = "good state"
        folder.save(project)
        folder.project_file.write_text('{"schema_version": 1, "title": "half')
        with pytest.raises(DamagedProject, match=r"line 1, column .*dreamfactory-studio recover") as info:
            folder.load()
        assert info.value.autosave
        restored = folder.recover()
        assert restored.title == "good state"
        assert folder.load().title == "good state"
        kept = list(folder.root.glob("project.json.damaged-*"))
        assert len(kept) == 1 and "half" in kept[0].read_text()


def test_damaged_json_without_autosave_says_so(tmp_path):
    with make(tmp_path) as folder:
        folder.autosave_file.unlink()
        folder.project_file.write_text('{"schema_version": 1, "title": 5}')
        with pytest.raises(DamagedProject, match="No autosave exists"):
            folder.load()


def test_unsaved_edits_in_the_autosave_are_noticed(tmp_path):
    with make(tmp_path) as folder:
        project = folder.load()
        assert folder.newer_autosave() is None
        project.title = "edited, not saved"
        folder.autosave(project)
        assert folder.load().title == "Film"
        assert folder.newer_autosave().title == "edited, not saved"


def test_newer_schema_is_refused_untouched(tmp_path):
    with make(tmp_path) as folder:
        data = json.loads(folder.project_file.read_text())
        data["schema_version"] = 99
        folder.project_file.write_text(json.dumps(data))
        before = folder.project_file.read_bytes()
        with pytest.raises(NewerProject, match="newer DreamFactory Studio"):
            folder.load()
        assert folder.project_file.read_bytes() == before


def test_old_schemas_are_migrated(tmp_path, monkeypatch):
    with make(tmp_path) as folder:
        data = json.loads(folder.project_file.read_text())
        data["name"] = data.pop("title")  # pretend version 1 called the title "name"
        folder.project_file.write_text(json.dumps(data))

        def rename_name_to_title(doc):
            doc["title"] = doc.pop("name")
            doc["outline"] = "added by migration"
            return doc

        current = migrations.SCHEMA_VERSION
        monkeypatch.setattr(migrations, "SCHEMA_VERSION", current + 1)
        monkeypatch.setitem(migrations.MIGRATIONS, current, rename_name_to_title)
        monkeypatch.setattr("dreamfactory_studio.core.model.SCHEMA_VERSION", current + 1)
        migrated = migrations.migrate(data)
        assert migrated["schema_version"] == current + 1 and migrated["title"] == "Film"
        assert migrated["outline"] == "added by migration"


def test_a_version_1_project_opens_with_no_cast_sheets_layouts_or_recipes(tmp_path):
    with make(tmp_path) as folder:
        data = json.loads(folder.project_file.read_text())
    data["schema_version"] = 1
    data["characters"] = [{"id": "char-1", "name": "Ada", "description": "a girl", "user_edited": []}]
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "project.json").write_text(json.dumps(data))
    with ProjectFolder.open(tmp_path / "old", read_only=True) as old:
        project = old.load()
    assert project.schema_version == migrations.SCHEMA_VERSION == 3
    assert project.characters[0].sheet is None and project.characters[0].lora is None


def test_assets_are_named_by_content_and_cannot_leave_the_folder(tmp_path):
    with make(tmp_path) as folder:
        first = folder.add_asset(b"png bytes", ".png")
        assert first == folder.add_asset(b"png bytes", "png")
        assert first.startswith("assets/") and len(first) == len("assets/") + 64 + 4
        assert folder.asset_path(first).read_bytes() == b"png bytes"
        for bad in ("../outside.png", "assets/../../outside.png", "/etc/passwd"):
            with pytest.raises(ProjectError, match="leaves the project folder"):
                folder.asset_path(bad)
        (folder.root / "assets" / "link.png").symlink_to(tmp_path / "outside.png")
        with pytest.raises(ProjectError, match="leaves the project folder"):
            folder.asset_path("assets/link.png")


def test_a_project_with_a_traversing_asset_is_reported_damaged(tmp_path):
    with make(tmp_path) as folder:
        data = json.loads(folder.project_file.read_text())
        take = Take(image="assets/a.png", seed=1, prompt="p", backend="sketch").model_dump(mode="json")
        take["image"] = "../../home/user/.ssh/id_rsa"
        data["scenes"][0]["takes"] = [take]
        folder.project_file.write_text(json.dumps(data))
        with pytest.raises(DamagedProject, match="must be relative to the project folder"):
            folder.load()


def test_no_secret_is_written_into_a_project_settings_or_log(tmp_path, monkeypatch, user_dirs):
    import logging

    from dreamfactory_studio.core.logs import setup_logging
    from dreamfactory_studio.core.settings import load_settings, save_settings

    secret = "sk-test-0123456789abcdefSECRET"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    log_file = setup_logging()
    logging.getLogger("dreamfactory_studio.test").error(
        "request failed with key %s and Bearer %s", secret, secret
    )
    with make(tmp_path) as folder:
        folder.save(folder.load())
    settings = load_settings()
    settings.llm.base_url = "https://api.openai.com/v1"
    save_settings(settings)
    for handler in logging.getLogger("dreamfactory_studio").handlers:
        handler.flush()
    assert "[redacted]" in log_file.read_text()
    for root in (tmp_path, user_dirs):
        for file in root.rglob("*"):
            if file.is_file():
                assert secret not in file.read_text(errors="ignore"), file
