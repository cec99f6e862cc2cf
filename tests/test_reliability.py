"""Nothing escapes the project folder, nothing overwrites it, one holder per lock, secrets stay secret, and
every user error is one clear line: each probe of the reliability review, run as an attacker or an unlucky
user would."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from dreamfactory_studio.backends.backend_set import Backends
from dreamfactory_studio.backends.llm.openai_compatible import OpenAICompatibleLLM
from dreamfactory_studio.backends.llm.reasoning import ThinkSplitter
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BackendError, ProjectError
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.project_lock import LOCK_NAME, ProjectLock
from dreamfactory_studio.core.settings import LLMSettings
from dreamfactory_studio.export.film import FilmFormat, FilmMaker
from dreamfactory_studio.production.run import Production

from .crew_answers import TASK
from .openai_server import Play
from .paths import REPO


def one_line_error(capsys, code: int, argv: list[str]) -> str:
    """Run the CLI; it must exit ``code`` with one line on stderr and no traceback."""
    assert main(argv) == code, capsys.readouterr()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def files_under(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


# -- 1. paths ------------------------------------------------------------------------------------------------


def test_a_transcript_line_cannot_name_a_file_outside_the_project(project_dir, tmp_path, capsys):
    outside = tmp_path / "elsewhere"
    line = {"phase": str(outside), "role": "ceo", "text": "hi", "source": "x", "time": "2026-01-01T00:00:00Z"}
    (project_dir / "transcripts" / "task.jsonl").write_text(json.dumps(line) + "\n")
    for phase in (str(outside), "../../../escaped"):
        line["phase"] = phase
        (project_dir / "transcripts" / "task.jsonl").write_text(json.dumps(line) + "\n")
        err = one_line_error(capsys, 2, ["edit", str(project_dir), "--scene", "1", "--title", "x"])
        assert "damaged" in err and "phase" in err
    assert (
        not list(tmp_path.glob("elsewhere*")) and not (project_dir.parent.parent / "escaped.jsonl").exists()
    )


@pytest.mark.parametrize("name", ["transcripts", "memory", ".autosave"])
def test_a_project_folder_symlinked_outside_is_refused(project_dir, tmp_path, name):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = project_dir / name
    if target.exists():
        for child in target.iterdir():
            child.unlink()
        target.rmdir()
    target.symlink_to(outside, target_is_directory=True)
    # Refused at open (the sweep of partial writes looks there), or at the first write there.
    with (
        pytest.raises(ProjectError, match="leaves the project folder"),
        ProjectFolder.open(project_dir) as folder,
    ):
        project = folder.load()
        if name == "memory":
            from dreamfactory_studio.production.image_memory import ImageMemory

            ImageMemory(folder)
        folder.save(project)
    command = (
        ["run", str(project_dir), "--scene", "2"]
        if name == "memory"
        else ["edit", str(project_dir), "--scene", "1", "--title", "x"]
    )
    assert main(command) == 2
    assert not list(outside.iterdir()), "nothing was written through the link"


# -- 2. exports over the project ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, target",
    [
        ("--srt", "project.json"),
        ("--csv", ".autosave/project.json"),
        ("--pdf", "transcripts/task.jsonl"),
        ("--frames", "assets"),
        ("--csv", "memory/index.json"),
    ],
)
def test_an_export_never_lands_on_the_projects_own_files(project_dir, tmp_path, capsys, option, target):
    before = {p: p.read_bytes() for p in files_under(project_dir)}
    err = one_line_error(
        capsys, 2, ["export", str(project_dir), str(tmp_path / "f.mp4"), option, str(project_dir / target)]
    )
    assert "project's own files" in err
    assert {p: p.read_bytes() for p in files_under(project_dir)} == before
    assert not (tmp_path / "f.mp4").exists()


# -- 3. the lock ------------------------------------------------------------------------------------------------


def _race(folder: str, barrier, results) -> None:
    barrier.wait()
    lock = ProjectLock(Path(folder))
    try:
        lock.acquire()
    except ProjectError:
        results.put(0)
        return
    results.put(1)
    time.sleep(0.3)  # hold it while the others try; dying releases it


def test_thirty_racing_takeovers_of_a_stale_lock_have_one_holder_each(project_dir):
    context = multiprocessing.get_context("fork")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    racers = 4
    for _round in range(30):
        (project_dir / LOCK_NAME).write_text(
            json.dumps({"host": socket.gethostname(), "pid": gone.pid, "token": "stale"})
        )
        barrier, results = context.Barrier(racers), context.Queue()
        workers = [
            context.Process(target=_race, args=(str(project_dir), barrier, results)) for _ in range(racers)
        ]
        for worker in workers:
            worker.start()
        held = sum(results.get(timeout=30) for _ in workers)
        for worker in workers:
            worker.join(30)
        assert held == 1


def test_a_lock_that_is_a_folder_is_one_line(project_dir, capsys):
    (project_dir / LOCK_NAME).mkdir()
    err = one_line_error(capsys, 2, ["edit", str(project_dir), "--scene", "1", "--title", "x"])
    assert "is a folder" in err


# -- 4. recover -----------------------------------------------------------------------------------------------


def test_recover_refuses_a_healthy_project_and_always_keeps_what_it_replaces(project_dir, capsys):
    assert main(["edit", str(project_dir), "--scene", "1", "--title", "newer work"]) == 0
    with ProjectFolder.open(project_dir) as folder:  # the autosave is older than project.json
        project = folder.load()
        project.title = "older"
        folder.autosave(project)
    current = (project_dir / "project.json").read_text()
    capsys.readouterr()
    assert "readable" in one_line_error(capsys, 2, ["recover", str(project_dir)])
    assert (project_dir / "project.json").read_text() == current
    assert main(["recover", str(project_dir), "--force"]) == 0
    (kept,) = project_dir.glob("project.json.replaced-*")
    assert (
        kept.read_text() == current
        and json.loads((project_dir / "project.json").read_text())["title"] == "older"
    )


# -- 5. secrets -----------------------------------------------------------------------------------------------


def test_a_key_echoed_by_a_401_or_carried_in_the_url_reaches_no_file(
    project_dir, openai_server, monkeypatch, capsys, user_dirs
):
    key, in_url = "localkey-5f1e9a7c33", "urlsecret-8d2b41"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    url = openai_server.url.replace("http://", f"http://studio:{in_url}@")
    openai_server.queue(Play(status=401, error=f"Incorrect API key provided: {key}"))
    err = one_line_error(
        capsys, 1, ["run", str(project_dir), "--phase", "task", "--llm-url", url, "--llm-model", "test-model"]
    )
    assert "refused the API key" in err and key not in err and in_url not in err
    openai_server.queue("Let us define it.", TASK)
    assert (
        main(["run", str(project_dir), "--phase", "task", "--llm-url", url, "--llm-model", "test-model"]) == 0
    )
    everything = files_under(project_dir, user_dirs)
    assert any(p.name == "task.jsonl" for p in everything)
    for path in everything:
        data = path.read_bytes()
        assert key.encode() not in data and in_url.encode() not in data, path


# -- 6 and 7. user errors and bounds -----------------------------------------------------------------------------


def _huge_png(path: Path, side: int = 20000) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def test_user_errors_are_one_line_and_exit_2(project_dir, tmp_path, capsys):
    bomb = tmp_path / "bomb.png"
    _huge_png(bomb)
    for argv in (
        ["take", str(project_dir), "--scene", "1", "--import", str(bomb)],
        ["pin", str(project_dir), "--base-frame", "--image", str(bomb)],
        ["edit", str(project_dir), "--scene", "1", "--duration", "nan"],
        ["edit", str(project_dir), "--scene", "1", "--duration", "1e300"],
        ["edit", str(project_dir), "--scene", "1", "--duration", "100000"],
        ["edit", str(project_dir), "--scene", "1", "--duration", "inf"],
    ):
        one_line_error(capsys, 2, argv)
    document = json.loads((project_dir / "project.json").read_text())
    good = json.dumps(document)
    for damage in ("take", "character", "duplicate", "deep", "infinity"):
        broken = json.loads(good)
        if damage == "take":
            broken["scenes"][0]["selected_take"] = "take-nowhere"
        elif damage == "character":
            broken["scenes"][0]["characters"] = ["char-nobody"]
        elif damage == "duplicate":
            broken["scenes"][1]["id"] = broken["scenes"][0]["id"]
        elif damage == "infinity":
            broken["scenes"][0]["duration"] = float("inf")
        text = "[" * 100_000 + "]" * 100_000 if damage == "deep" else json.dumps(broken)
        (project_dir / "project.json").write_text(text)
        assert "damaged" in one_line_error(capsys, 2, ["show", str(project_dir)]), damage
    (project_dir / "project.json").write_text(good)


def test_model_settings_that_name_the_wrong_thing_are_one_line(project_dir, tmp_path, capsys):
    from .tiny_models import build_clip

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "model_index.json").write_text(
        json.dumps({"_class_name": "NoSuchPipeline", "_diffusers_version": "0.30.0"})
    )
    err = one_line_error(
        capsys, 2, ["export", str(project_dir), str(tmp_path / "f.mp4"), "--video-model", str(foreign)]
    )
    assert "holds NoSuchPipeline, which the studio does not make clips with" in err
    clip = build_clip(tmp_path / "clip")
    assert main(["settings", "--set", f"eval.dino_model={clip}"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(project_dir), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert any("not DINOv2" in warning for warning in scores["warnings"]), scores["warnings"]
    assert not scores["models"]["base_similarity"].startswith("dinov2"), "the next best measure is used"


def test_a_damaged_image_memory_starts_afresh(project_dir):
    (project_dir / "memory").mkdir(exist_ok=True)
    (project_dir / "memory" / "index.json").write_text("{not json")
    (project_dir / "memory" / "vectors.npy").write_bytes(b"junk")
    assert main(["run", str(project_dir), "--scene", "2", "--quiet"]) == 0
    assert json.loads((project_dir / "memory" / "index.json").read_text())["entries"]


# -- 8 and 9. exports: leftovers and saves --------------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_export_leaves_nothing_in_the_temp_folder_and_the_next_one_sweeps(
    project_dir, tmp_path, stop
):
    temp, out = tmp_path / "tmp", tmp_path / "out"
    temp.mkdir()
    out.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "dreamfactory_studio", "export", str(project_dir), str(out / "f.mp4")]
    export = subprocess.Popen([*command, "--resolution", "1920x1080"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.glob(".dreamfactory-export-*")):
        time.sleep(0.05)
    assert list(out.glob(".dreamfactory-export-*")), "the export got under way"
    export.send_signal(stop)
    assert export.wait(60) == (130 if stop == signal.SIGTERM else -signal.SIGKILL)
    assert not list(temp.iterdir()), list(temp.iterdir())
    if stop == signal.SIGTERM:
        assert not list(out.iterdir()), "a stopped export cleans up after itself"
    assert subprocess.run([*command, "--resolution", "320x180"], env=env, capture_output=True).returncode == 0
    assert [p.name for p in out.iterdir()] == sorted(["f.mp4", "f.srt"]) or set(
        p.name for p in out.iterdir()
    ) == {
        "f.mp4",
        "f.srt",
    }
    assert not list(temp.iterdir())


def test_an_export_saves_once_per_stage_not_once_per_scene(project_dir, monkeypatch):
    from dreamfactory_studio.backends.speech import Silence
    from dreamfactory_studio.backends.video.camera_move import CameraMove
    from dreamfactory_studio.core import edits

    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        while len(project.scenes) < 200:
            edits.duplicate_scene(project, 1)
        saves = []
        original = folder.save
        monkeypatch.setattr(folder, "save", lambda p: (saves.append(1), original(p)))
        with Backends() as backends:
            maker = FilmMaker(
                folder,
                project,
                speech=Silence(),
                video=CameraMove(),
                worker=backends.worker,
                film_format=FilmFormat(64, 36, 24),
            )
            assert asyncio.run(maker.narrate()) == 200
    assert len(saves) == 1


# -- 10 and 11. servers ---------------------------------------------------------------------------------------


def _production(folder, server, **settings) -> Production:
    llm = OpenAICompatibleLLM(LLMSettings(base_url=server.url, model="test-model", **settings))
    return Production(folder, folder.load(), Backends(llm=llm))


def test_a_silent_server_ends_the_run_after_one_wait_not_four(project_dir, openai_server):
    openai_server.queue(Play(text="late", hang=10))
    started = time.monotonic()
    with (
        ProjectFolder.open(project_dir) as folder,
        pytest.raises(BackendError, match="did not answer within 1 s"),
    ):
        asyncio.run(_production(folder, openai_server, timeout=1, max_retries=3).run_phase("task"))
    assert time.monotonic() - started < 4, "not retried: a silent server would only double the wait"
    assert len(openai_server.requests) == 1


def test_a_server_that_refuses_stream_options_is_asked_without_them(project_dir, openai_server):
    openai_server.reject_stream_options = True
    openai_server.queue("Let us define it.", TASK)
    with ProjectFolder.open(project_dir) as folder:
        asyncio.run(_production(folder, openai_server).run_phase("task"))
        assert folder.load().phases["task"].status == "done"
    assert (
        "stream_options" in openai_server.requests[0] and "stream_options" not in openai_server.requests[-1]
    )


def test_reasoning_is_shown_as_reasoning_and_never_sent_back(project_dir, openai_server):
    from dreamfactory_studio.core.events import TokenReceived

    openai_server.queue(
        Play(text="<think>The CEO wants it short.</think>Let us define it.", piece=5),
        Play(text=TASK, reasoning="Three scenes, then.", piece=4),
    )
    seen: list[TokenReceived] = []
    with ProjectFolder.open(project_dir) as folder:
        production = _production(folder, openai_server)
        production.emit = lambda e: seen.append(e) if isinstance(e, TokenReceived) else None
        asyncio.run(production.run_phase("task"))
        said = [m for m in folder.load().transcripts if m.phase == "task"][-2:]
    assert [m.text for m in said] == ["Let us define it.", TASK.strip()]
    assert [m.reasoning for m in said] == ["The CEO wants it short.", "Three scenes, then."]
    thought = "".join(e.text for e in seen if e.reasoning)
    assert thought == "The CEO wants it short.Three scenes, then."
    assert "<think>" not in "".join(e.text for e in seen)
    sent = json.dumps(openai_server.requests[-1]["messages"])
    assert "wants it short" not in sent and "Let us define it." in sent


def test_a_think_tag_split_across_pieces_is_still_thinking():
    splitter = ThinkSplitter()
    pieces = [
        p for chunk in ("  <th", "ink>a", "b</thi", "nk>\nanswer <think>") for p in splitter.feed(chunk)
    ]
    pieces += splitter.finish()
    assert "".join(p for p, thinking in pieces if thinking) == "ab"
    assert "".join(p for p, thinking in pieces if not thinking) == "\nanswer <think>"


def test_the_window_says_the_same_in_a_dialog_and_shows_reasoning_dimmed(window, project_dir, answers):
    from PySide6.QtGui import QTextCursor

    from dreamfactory_studio.core.events import MessageFinished, MessageStarted, TokenReceived
    from dreamfactory_studio.core.model import TranscriptMessage

    (project_dir / LOCK_NAME).mkdir()
    assert not window.open_project(str(project_dir))
    title, text = answers[0][-1]
    assert title == "Cannot open the project" and "is a folder" in text and "Traceback" not in text
    (project_dir / LOCK_NAME).rmdir()
    assert window.open_project(str(project_dir))
    chat = window.chat
    chat.on_event(MessageStarted("task", "ceo", "CEO", "m @ http://x", 1))
    chat.on_event(TokenReceived("task", "ceo", "weighing it", reasoning=True))
    chat.on_event(TokenReceived("task", "ceo", "Short film."))
    message = TranscriptMessage(phase="task", role="ceo", text="Short film.", reasoning="weighing it")
    chat.on_event(MessageFinished(message, "CEO"))
    view = chat.views["ceo"]
    assert view.toPlainText().endswith("weighing it\nShort film.")
    cursor = QTextCursor(view.document().find("weighing"))
    assert cursor.charFormat().fontItalic(), "the thinking is set apart"
    assert not QTextCursor(view.document().find("Short film")).charFormat().fontItalic()
    chat.show_transcript([message])
    assert "thinking: weighing it" in view.toPlainText()


def test_the_status_line_says_when_the_run_is_waiting_for_a_server():
    from dreamfactory_studio.core.events import MessageStarted, RunPlanned, TokenReceived
    from dreamfactory_studio.production.run_progress import RunProgress

    now = [0.0]
    progress = RunProgress(clock=lambda: now[0])
    progress(RunPlanned(("task",), 0))
    progress(MessageStarted("task", "ceo", "CEO", "qwen3 @ http://localhost:11434/v1", 1))
    now[0] = 1.0
    assert "waiting" not in progress.status_line()
    now[0] = 42.0
    assert "· waiting for qwen3 @ http://localhost:11434/v1 (42 s)" in progress.status_line()
    progress(TokenReceived("task", "ceo", "hmm", reasoning=True))
    assert "waiting" not in progress.status_line(), "thinking is a sign of life"


@pytest.mark.parametrize("code", ["EROFS", "ENOSPC", "EACCES"])
def test_the_machines_refusals_are_one_line_wherever_they_arise(monkeypatch, capsys, code):
    import errno

    from dreamfactory_studio.cli import commands
    from dreamfactory_studio.export.assembly import _explain

    def refused(args):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), "/somewhere/project.json")

    monkeypatch.setitem(commands.COMMANDS, "show", refused)
    err = one_line_error(capsys, 2, ["show", "anything"])
    assert "/somewhere/project.json" in err and "Everything finished before is kept" in err
    assert _explain(OSError(errno.ENOSPC, "No space left on device"), Path("/x/f.mp4")).exit_code == 2
