"""The second reliability review, as an attacker or an unlucky user would try it: a project that nothing could
open, waits that never ended, reads without a cap, links the project owns, secrets in URLs, a kept copy
overwritten, a quadratic reader, and user errors that came out as tracebacks. Each test is one probe of the
review (issue 28), on 127.0.0.1 servers that behave like the hostile ones it met."""

from __future__ import annotations

import json
import os
import random
import threading
import warnings
from datetime import UTC
from pathlib import Path

import pytest

from dreamfactory_studio.cli import main
from dreamfactory_studio.core.project_folder import ProjectFolder

from .hostile_servers import (
    HostileComfy,
    chat_chunks,
    echoing_llm,
    huge_error_llm,
    keep_alive_llm,
    streaming_llm,
    trickling_llm,
)


def one_line_error(capsys, code: int, argv: list[str]) -> str:
    """Run the CLI; it must exit ``code`` with one line on stderr and no traceback."""
    assert main(argv) == code, capsys.readouterr()
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


def opens(project_dir: Path) -> None:
    """The project opens, and so does its autosave (``recover`` would have something to offer)."""
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        folder.load()
        assert folder._good_autosave() is not None


def llm(url: str) -> list[str]:
    return ["--llm-url", url, "--llm-model", "test-model"]


def task_phase_failing(capsys, project_dir: Path, hostile, url: str = "") -> str:
    """Run the task phase against a hostile LLM server (closed after); its one line of error, exit 1."""
    try:
        argv = ["run", str(project_dir), "--phase", "task", *llm(url or hostile.url + "/v1")]
        return one_line_error(capsys, 1, argv)
    finally:
        hostile.close()


def redraw_through(project_dir: Path, comfy_url: str) -> list[str]:
    """The command line that draws the last scene again through the ComfyUI at ``comfy_url``."""
    return [
        "run",
        str(project_dir),
        "--from-scene",
        "4",
        "--image-backend",
        "comfyui",
        "--image-url",
        comfy_url,
    ]


# -- 1. a project nothing can open ---------------------------------------------------------------------------

NEW_CAST = (
    "We agree.\n"
    '<INFO> {"outline": "Two strangers cross a river.", "characters": [{"name": "Zora", "description": '
    '"a climber in a yellow jacket"}, {"name": "Pell", "description": "a boy with a kite"}]}'
)


def test_a_crew_that_decides_a_new_cast_keeps_every_character_a_scene_names(
    project_dir, openai_server, capsys
):
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        before = folder.load()
    named = {i for s in before.scenes for i in [*s.characters, *(p.character for p in s.layout)]}
    assert named, "the made project has a cast in its scenes"
    openai_server.default = lambda _body: NEW_CAST
    assert main(["run", str(project_dir), "--phase", "story", *llm(openai_server.url)]) == 0, (
        capsys.readouterr()
    )
    opens(project_dir)
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        after = folder.load()
    names = {c.name for c in after.characters}
    assert {"Zora", "Pell"} <= names
    assert named <= {c.id for c in after.characters}  # everyone the scenes still name is still there
    assert main(["edit", str(project_dir), "--scene", "1", "--title", "still opens"]) == 0
    assert main(["recover", str(project_dir), "--force"]) == 0


def test_restoring_a_cut_scene_that_shares_a_live_scenes_id_keeps_the_project_open(project_dir, capsys):
    document = json.loads((project_dir / "project.json").read_text())
    cut = json.loads(json.dumps(document["scenes"][1]))
    cut["title"] = "the cut one"
    document["cut_scenes"] = [{"scene": cut, "position": 2}]  # a hand-edited file: the id is a live scene's
    (project_dir / "project.json").write_text(json.dumps(document))
    assert main(["restore", str(project_dir)]) == 0, capsys.readouterr()
    opens(project_dir)
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        project = folder.load()
    assert len(project.scenes) == len(document["scenes"]) + 1
    assert len({s.id for s in project.scenes}) == len(project.scenes)


def test_nothing_saves_a_project_the_loader_would_refuse(project_dir):
    from dreamfactory_studio.core.errors import UnsafeSave

    good = (project_dir / "project.json").read_bytes()
    with ProjectFolder.open(project_dir) as folder:
        project = folder.load()
        project.scenes[0].characters.append("char-nobody")
        with pytest.raises(UnsafeSave, match="would not open again.*unknown characters"):
            folder.save(project)
        with pytest.raises(UnsafeSave):
            folder.autosave(project)
    assert (project_dir / "project.json").read_bytes() == good
    opens(project_dir)


# -- 2. waits that always end -------------------------------------------------------------------------------


@pytest.mark.parametrize("server", [keep_alive_llm, trickling_llm])
def test_an_llm_that_keeps_the_connection_alive_without_answering_is_ended_by_the_clock(
    project_dir, monkeypatch, capsys, server
):
    monkeypatch.setenv("DREAMFACTORY_LLM_TIMEOUT", "1")
    monkeypatch.setenv("DREAMFACTORY_LLM_ANSWER_TIMEOUT", "2")
    monkeypatch.setenv("DREAMFACTORY_LLM_STREAM", "false" if server is trickling_llm else "true")
    err = task_phase_failing(capsys, project_dir, server())
    assert "no complete answer within 3 s" in err and "answer_timeout" in err
    opens(project_dir)


@pytest.mark.parametrize("mode", ["endless", "others"])
def test_a_comfyui_job_that_never_finishes_is_ended_by_the_clock(mode):
    from dreamfactory_studio.backends.comfyui.client import ComfyClient
    from dreamfactory_studio.core.errors import BackendError

    comfy = HostileComfy(mode)
    steps = []
    try:
        client = ComfyClient(comfy.url, timeout=30, job_timeout=1.5)
        with pytest.raises(BackendError, match=r"had not finished the job after 1.5 s \(image.job_timeout\)"):
            client.run(
                {"1": {"class_type": "SaveImage", "inputs": {}}}, lambda k, n: steps.append(k), lambda: False
            )
        client.close()
    finally:
        comfy.close()
    assert bool(steps) == (mode == "endless")  # only our own job's progress is ours


def test_a_300_mb_websocket_frame_is_refused_unread_and_a_cancel_is_honoured_at_once():
    from dreamfactory_studio.backends.comfyui.client import ComfyClient
    from dreamfactory_studio.core.errors import BackendError

    comfy = HostileComfy("huge_frame")
    try:
        client = ComfyClient(comfy.url, timeout=30)
        with pytest.raises(BackendError, match="websocket message of 314572800 bytes"):
            client.run({"1": {"class_type": "SaveImage", "inputs": {}}}, lambda k, n: None, lambda: False)
        client.close()
        assert comfy.sent < 8 * 2**20  # the frame's header was enough
    finally:
        comfy.close()


@pytest.mark.parametrize("mode", ["endless", "slow_frame"])
def test_sigterm_during_an_endless_comfyui_job_stops_the_command_with_one_line(project_dir, mode):
    import signal
    import subprocess
    import sys
    import time

    comfy = HostileComfy(mode)
    argv = redraw_through(project_dir, comfy.url)
    env = {**os.environ, "DREAMFACTORY_IMAGE_JOB_TIMEOUT": "600", "QT_QPA_PLATFORM": "offscreen"}
    program = subprocess.Popen(
        [sys.executable, "-m", "dreamfactory_studio", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        for _ in range(600):  # until the job streams its progress (or the command ended early)
            if comfy.sent > 5 or program.poll() is not None:
                break
            time.sleep(0.1)
        program.send_signal(signal.SIGTERM)
        code = program.wait(60)  # far past the 10 s the review saw; the point is that it ends
    finally:
        program.kill()
        comfy.close()
    err = program.stderr.read().decode().strip()
    assert code == 130 and err.count("\n") == 0 and "interrupted" in err, (code, err)
    opens(project_dir)


# -- 3. reads with a cap --------------------------------------------------------------------------------------


def test_a_3_gb_view_is_refused_by_its_length_before_it_is_read():
    import tracemalloc

    from dreamfactory_studio.backends.comfyui.client import ComfyClient
    from dreamfactory_studio.core.errors import BackendError

    comfy = HostileComfy("huge_view")
    tracemalloc.start()
    try:
        with pytest.raises(
            BackendError, match="answered /view with 3072 MB; the studio reads at most 512 MB"
        ):
            ComfyClient(comfy.url).view({"filename": "k.png"})
        assert tracemalloc.get_traced_memory()[1] < 64 * 2**20
    finally:
        tracemalloc.stop()
        comfy.close()


def test_a_12000_square_png_from_comfyui_is_refused_before_decoding(tmp_path, capsys):
    comfy = HostileComfy("big_png")
    target = tmp_path / "p"
    try:
        assert (
            main(
                [
                    "new",
                    str(Path(__file__).parent / "fixtures" / "stories" / "three-friends.txt"),
                    str(target),
                    "--scenes",
                    "2",
                ]
            )
            == 0
        )
        err = one_line_error(
            capsys, 1, ["run", str(target), "--image-backend", "comfyui", "--image-url", comfy.url]
        )
    finally:
        comfy.close()
    assert "12000x12000; images over 64 megapixels are refused" in err
    opens(target)


def test_a_story_must_be_a_regular_file_read_no_further_than_its_cap(tmp_path, capsys):
    err = one_line_error(capsys, 2, ["new", "/dev/zero", str(tmp_path / "z")])
    assert "not a regular file" in err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = {}
    thread = threading.Thread(  # a daemon: were the reader to hang on the FIFO, the suite still ends
        target=lambda: result.setdefault("code", main(["new", str(fifo), str(tmp_path / "f")])), daemon=True
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and result["code"] == 2  # a FIFO no one writes to does not hold it
    assert "not a regular file" in capsys.readouterr().err
    big = tmp_path / "big.txt"
    big.write_text("Mara rows. " * 40_000)
    assert "the limit is 256 KiB" in one_line_error(capsys, 2, ["new", str(big), str(tmp_path / "b")])
    assert not (tmp_path / "z").exists() and not (tmp_path / "b").exists()


def test_a_30_mb_error_body_is_one_short_line(project_dir, capsys, monkeypatch):
    monkeypatch.setenv("DREAMFACTORY_LLM_MAX_RETRIES", "0")
    err = task_phase_failing(capsys, project_dir, huge_error_llm())
    assert "answered 500" in err and len(err) < 600


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml"])
def test_an_edit_nested_50000_deep_is_refused_in_one_line(project_dir, tmp_path, capsys, suffix):
    deep = tmp_path / f"deep{suffix}"
    if suffix == ".otio":
        deep.write_text('{"OTIO_SCHEMA": "Timeline.1", "metadata": ' + "[" * 50_000 + "]" * 50_000 + "}")
    else:
        deep.write_text("<xmeml>" + "<a>" * 50_000 + "</a>" * 50_000 + "</xmeml>")
    err = one_line_error(capsys, 2, ["import-edit", str(project_dir), str(deep)])
    assert "nests" in err and "deep" in err
    opens(project_dir)


# -- 4. links the project owns --------------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_lock_file_that_is_a_link_is_never_written_through(project_dir, tmp_path, capsys, link):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock = project_dir / ".lock"
    lock.unlink(missing_ok=True)
    (lock.symlink_to if link == "symbolic" else lock.hardlink_to)(victim)
    err = one_line_error(capsys, 2, ["edit", str(project_dir), "--scene", "1", "--title", "x"])
    assert f"{link} link" in err and "Remove" in err
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml", ".edl"])
def test_an_edit_written_to_a_hard_link_of_project_json_is_refused(project_dir, tmp_path, capsys, suffix):
    out = tmp_path / f"cut{suffix}"
    out.hardlink_to(project_dir / "project.json")
    before = (project_dir / "project.json").read_bytes()
    err = one_line_error(capsys, 2, ["export", str(project_dir), "--timeline", str(out)])
    assert "the project's own files" in err
    assert (project_dir / "project.json").read_bytes() == before


def test_links_planted_among_the_edits_outputs_are_replaced_not_followed(project_dir, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "edit" / "cut.xml"
    cards = out.with_name("cut cards")
    cards.mkdir(parents=True)
    (cards / "title-card.png").symlink_to(victim)  # as a shipped project or a shared folder may carry it
    assert main(["export", str(project_dir), "--timeline", str(out), "--resolution", "320x180"]) == 0, (
        capsys.readouterr()
    )
    assert victim.read_text() == "precious"
    assert out.read_text().startswith("<?xml")
    assert not (cards / "title-card.png").is_symlink()


# -- 5. secrets in URLs ---------------------------------------------------------------------------------------


def test_basic_credentials_in_an_llm_url_reach_no_screen_log_or_file(project_dir, capsys, user_dirs):
    hostile = echoing_llm()
    url = hostile.url.replace("http://", "http://studio:pa55word-9f3e@") + "/v1"
    err = task_phase_failing(capsys, project_dir, hostile, url)
    assert any(b"authorization: basic" in h.lower() for h in hostile.heads)  # the credentials were sent
    import base64

    encoded = base64.b64encode(b"studio:pa55word-9f3e")
    assert "pa55word" not in err and encoded.decode() not in err
    for path in [p for folder in (project_dir, user_dirs) for p in Path(folder).rglob("*") if p.is_file()]:
        data = path.read_bytes()
        assert b"pa55word-9f3e" not in data and encoded not in data, path


def test_a_comfyui_url_with_credentials_and_a_token_works_and_keeps_them_secret(tmp_path, capsys, user_dirs):
    from .comfy_server import FakeComfy

    token, password = "tok-SECRET-4471aa", "pw-SECRET-1234"
    target = tmp_path / "p"
    story = Path(__file__).parent / "fixtures" / "stories" / "three-friends.txt"
    assert main(["new", str(story), str(target), "--scenes", "2"]) == 0
    with FakeComfy() as comfy:
        url = comfy.url.replace("http://", f"http://me:{password}@") + f"/?token={token}"
        code = main(["run", str(target), "--image-backend", "comfyui", "--image-url", url])
        assert code == 0, capsys.readouterr().err
    assert comfy.seen and all(
        f"token={token}" in path and auth.startswith("Basic ") for path, auth in comfy.seen
    )
    # the server is gone now: the failure names it, in the take's error too, without its secrets
    err = one_line_error(
        capsys, 1, ["run", str(target), "--from-scene", "1", "--image-backend", "comfyui", "--image-url", url]
    )
    assert "cannot reach ComfyUI" in err and token not in err and password not in err
    everything = [p for folder in (target, user_dirs) for p in Path(folder).rglob("*") if p.is_file()]
    for path in everything:
        data = path.read_bytes()
        assert token.encode() not in data and password.encode() not in data, path


def test_settings_keep_a_urls_password_in_the_keyring_not_in_the_file(capsys, user_dirs, memory_keyring):
    from dreamfactory_studio.backends.openai_client import async_client
    from dreamfactory_studio.core.secrets import url_with_credentials

    secret_url = "http://me:hunter2-secret@127.0.0.1:9/v1"
    assert main(["settings", "--set", f"llm.base_url={secret_url}"]) == 0, capsys.readouterr()
    text = (Path(user_dirs) / "config" / "settings.toml").read_text()
    assert "hunter2-secret" not in text and 'base_url = "http://127.0.0.1:9/v1"' in text
    assert "hunter2-secret" not in capsys.readouterr().out
    assert memory_keyring[("dreamfactory-studio", "url http://127.0.0.1:9/v1")] == secret_url
    # what uses the address gets its credentials back
    assert url_with_credentials("http://127.0.0.1:9/v1") == secret_url
    assert "hunter2-secret" in str(async_client("http://127.0.0.1:9/v1", 5, 0).base_url)


def test_a_url_with_credentials_is_refused_where_no_keyring_can_keep_them(capsys, user_dirs, monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "set_password", fail.Keyring().set_password)
    err = one_line_error(
        capsys, 2, ["settings", "--set", "image.base_url=http://me:hunter2-secret@127.0.0.1:9"]
    )
    assert "keyring cannot keep the credentials" in err and "hunter2-secret" not in err
    assert not (Path(user_dirs) / "config" / "settings.toml").exists()


# -- 6. a kept copy is never overwritten ------------------------------------------------------------------------


def test_recover_force_twice_in_one_second_keeps_both_replaced_files(project_dir, capsys, monkeypatch):
    from datetime import datetime

    from dreamfactory_studio.core import project_folder

    monkeypatch.setattr(project_folder, "now", lambda: datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC))
    texts = []
    for title in ("first hand edit", "second hand edit"):
        document = json.loads((project_dir / "project.json").read_text())
        document["title"] = title
        (project_dir / "project.json").write_text(json.dumps(document))
        texts.append((project_dir / "project.json").read_text())
        assert main(["recover", str(project_dir), "--force"]) == 0, capsys.readouterr()
    kept = sorted(project_dir.glob("project.json.replaced-*"))
    assert len(kept) == 2 and sorted(p.read_text() for p in kept) == sorted(texts)


# -- 7. the offline crew reads in linear time -----------------------------------------------------------------


def test_a_long_story_of_short_sentences_is_split_exactly_in_time_linear_in_its_length():
    from dreamfactory_studio.core.story_reading import analysis as story_analysis

    rng = random.Random(7)
    paragraphs = [
        " ".join(
            f"{rng.choice(['Mara', 'Tom', 'Ivo'])} {rng.choice(['ran', 'sat', 'sang'])}."
            for _ in range(rng.randint(2, 8))
        )
        for _ in range(3000)
    ]
    story = "\n\n".join(paragraphs)
    calls = {"n": 0}
    real = story_analysis.words

    def counted(text):
        calls["n"] += 1
        return real(text)

    story_analysis.words = counted
    try:
        scenes = story_analysis.split_scenes(story, 40)
    finally:
        story_analysis.words = real
    assert len(scenes) == 40 and all(scenes)
    assert " ".join(scenes).split() == story.split()  # every sentence once, in order
    sizes = [len(s.split()) for s in scenes]
    assert max(sizes) < 2 * min(sizes)  # evenly cut
    assert calls["n"] <= story.count(".") + 1  # each sentence measured once: no pass over pairs of them


def test_the_writers_answer_cap_grows_with_the_story():
    from dreamfactory_studio.core.model import Project
    from dreamfactory_studio.core.story import MAX_STORY_BYTES
    from dreamfactory_studio.production.conversation import MAX_REPLY_CHARS, reply_cap

    longest = Project(title="t", story="word " * (MAX_STORY_BYTES // 5))
    assert reply_cap(longest) > 2 * MAX_STORY_BYTES  # the script of the longest story fits, with narration
    assert reply_cap(Project(title="t", story="A short one.")) < MAX_REPLY_CHARS + 100


# -- 8. user errors: one line and exit 2 (or 1 for a server's fault) -----------------------------------------------


def _edit_with(project_dir: Path, tmp_path: Path, change) -> Path:
    """The project's edit as OpenTimelineIO, its first clip's metadata changed by ``change``."""
    out = tmp_path / "cut.otio"
    assert main(["export", str(project_dir), "--timeline", str(out), "--resolution", "320x180"]) == 0
    document = json.loads(out.read_text())
    clips = [c for c in document["tracks"]["children"][0]["children"] if c["OTIO_SCHEMA"].startswith("Clip")]
    change(clips[0])
    out.write_text(json.dumps(document))
    return out


@pytest.mark.parametrize(
    "damage",
    [
        "namespace a list",
        "frames as text",
        "fcp_xml a string",
        "lognote a list",
        "nan length",
        "infinite length",
        "zero rate",
    ],
)
def test_an_edit_with_metadata_or_lengths_of_the_wrong_kind_is_read_or_refused_in_one_line(
    project_dir, tmp_path, capsys, damage
):
    def change(clip):
        info = clip["metadata"]["dreamfactory"]
        if damage == "namespace a list":
            clip["metadata"]["dreamfactory"] = ["scene", info["scene_id"]]
        elif damage == "frames as text":
            info["frames"] = "ninety"
        elif damage == "fcp_xml a string":
            clip["metadata"]["dreamfactory"] = {}
            clip["metadata"]["fcp_xml"] = "logginginfo"
        elif damage == "lognote a list":
            clip["metadata"]["dreamfactory"] = {}
            clip["metadata"]["fcp_xml"] = {"logginginfo": {"lognote": ["dreamfactory", "{}"]}}
        else:
            duration = clip["source_range"]["duration"]
            duration["value"] = {"nan length": float("nan"), "infinite length": float("inf")}.get(
                damage, 10.0
            )
            if damage == "zero rate":
                duration["rate"] = 0.0

    edit = _edit_with(project_dir, tmp_path, change)
    code = main(["import-edit", str(project_dir), str(edit)])
    err = capsys.readouterr().err.strip()
    assert code in (0, 2) and err.count("\n") == 0 and "Traceback" not in err and "unexpected" not in err, err
    opens(project_dir)


def test_comfyui_messages_and_history_in_the_wrong_shape_are_one_line(project_dir, capsys):
    from dreamfactory_studio.backends.comfyui.client import ComfyClient

    comfy = HostileComfy("list_data")  # "executed" and "progress" data as lists, history outputs a list
    try:
        client = ComfyClient(comfy.url, timeout=10, job_timeout=30)
        result = client.run(
            {"1": {"class_type": "SaveImage", "inputs": {}}}, lambda k, n: None, lambda: False
        )
        client.close()
        assert result.images() == []  # nothing in a shape it knows
        err = one_line_error(capsys, 1, redraw_through(project_dir, comfy.url))
    finally:
        comfy.close()
    assert "finished the job without an image" in err
    opens(project_dir)


@pytest.mark.parametrize("where", ["project", "answer", "argument"])
def test_a_lone_surrogate_in_a_project_or_an_llm_answer_never_stops_a_save(project_dir, capsys, where):
    if where == "argument":  # bytes that are not UTF-8 on the command line arrive as lone surrogates
        assert (
            main(
                [
                    "edit",
                    str(project_dir),
                    "--scene",
                    "1",
                    "--title",
                    b"caf\xe9".decode(errors="surrogateescape"),
                ]
            )
            == 0
        )
    elif where == "project":
        text = (project_dir / "project.json").read_text()
        document = json.loads(text)
        document["title"] = "broken \\ud83d title"
        (project_dir / "project.json").write_text(json.dumps(document).replace("\\\\ud83d", "\\ud83d"))
        assert main(["edit", str(project_dir), "--scene", "1", "--title", "saved after all"]) == 0, (
            capsys.readouterr()
        )
    else:
        task = 'Here it is \\ud83d. <INFO> {\\"mode\\": \\"short\\", \\"scenes\\": 4, \\"audience\\": \\"all \\ud83d\\"}'
        server = streaming_llm(*(chat_chunks(task) for _ in range(8)))
        try:
            assert main(["run", str(project_dir), "--phase", "task", *llm(server.url + "/v1")]) == 0, (
                capsys.readouterr()
            )
        finally:
            server.close()
    opens(project_dir)
    assert "\ufffd" in (project_dir / "project.json").read_text() + "".join(
        p.read_text() for p in (project_dir / "transcripts").glob("*.jsonl")
    )


def test_a_lock_file_of_bytes_that_are_not_utf8_is_taken_over(project_dir, capsys):
    (project_dir / ".lock").write_bytes(b"\xff\xfe\x00garbage\x80")
    assert main(["edit", str(project_dir), "--scene", "1", "--title", "x"]) == 0, capsys.readouterr()


@pytest.mark.parametrize("option", ["--llm-url", "--image-url"])
def test_an_address_that_is_no_url_is_one_line(project_dir, capsys, option):
    argv = ["run", str(project_dir), "--phase", "task", option, "http://[::1"]
    err = one_line_error(capsys, 2, argv + (["--llm-model", "m"] if option == "--llm-url" else []))
    assert option in err and "not a URL" in err


def test_a_safetensors_header_nested_50000_deep_is_one_line_and_named_in_a_models_listing(
    project_dir, tmp_path, capsys
):
    import struct

    folder = tmp_path / "models"
    folder.mkdir()
    header = b"[" * 50_000 + b"]" * 50_000
    (folder / "deep.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
    (folder / "short.safetensors").write_bytes(b"\x01")
    err = one_line_error(
        capsys,
        2,
        ["run", str(project_dir), "--from-scene", "1", "--image-model", str(folder / "deep.safetensors")],
    )
    assert "deep.safetensors" in err and "not a readable .safetensors file" in err
    assert main(["models", str(folder)]) == 0
    out = capsys.readouterr().out
    assert (
        "unreadable: .safetensors files whose header is damaged or cut short: 2" in out
        and "deep.safetensors" in out
    )


def test_eight_programs_making_one_project_at_once_leave_one_project_and_seven_clear_lines(
    tmp_path, monkeypatch
):
    from concurrent.futures import ThreadPoolExecutor

    from dreamfactory_studio.core.errors import BadInput
    from dreamfactory_studio.core.new_project import new_project

    story = Path(__file__).parent / "fixtures" / "stories" / "three-friends.txt"
    target = tmp_path / "together"
    # All eight have looked and found the folder free; then they put their staged project in place at once.
    together, rename = threading.Barrier(8, timeout=60), os.rename

    def in_step(source, destination, *args, **kwargs):
        if str(source).endswith(".partial"):
            together.wait()
        return rename(source, destination, *args, **kwargs)

    monkeypatch.setattr(os, "rename", in_step)

    def make():
        try:
            with new_project(story, target, scenes=2):
                return "made"
        except BadInput as exc:
            return str(exc)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: make(), range(8)))
    assert results.count("made") == 1, results
    assert all("already exists and is not empty" in r for r in results if r != "made"), results
    opens(target)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("where", ["save", "clip"])
def test_a_full_disk_is_exit_2_with_one_line(project_dir, capsys, monkeypatch, where):
    import errno

    from dreamfactory_studio.backends.video import ffmpeg

    if where == "save":
        from dreamfactory_studio.core import project_folder

        def full(*_args, **_kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(project_folder, "atomic_write_text", full)
        err = one_line_error(capsys, 2, ["edit", str(project_dir), "--scene", "1", "--title", "x"])
        assert "No space left" in err and "previous save is intact" in err
    else:
        real = ffmpeg.FrameWriter._fail

        def full(self):
            self._log.write(b"av_interleaved_write_frame(): No space left on device\n")
            real(self)

        monkeypatch.setattr(ffmpeg.FrameWriter, "write", lambda self, frame: full(self))
        err = one_line_error(
            capsys,
            2,
            ["export", str(project_dir), str(project_dir.parent / "f.mp4"), "--resolution", "320x180"],
        )
        assert "the disk is full" in err
    opens(project_dir)


@pytest.mark.parametrize("value", ["-1", "nan", "1e9"])
def test_a_crossfade_out_of_range_is_one_line(project_dir, tmp_path, capsys, value):
    err = one_line_error(
        capsys, 2, ["export", str(project_dir), str(tmp_path / "f.mp4"), "--crossfade", value]
    )
    assert "crossfade" in err


def test_music_that_is_not_sound_is_refused_before_any_work(project_dir, tmp_path, capsys):
    music = tmp_path / "notaudio.mp3"
    music.write_text("these are words, not sound")
    err = one_line_error(
        capsys, 2, ["export", str(project_dir), str(tmp_path / "f.mp4"), "--music", str(music)]
    )
    assert "holds no sound" in err and not (tmp_path / "f.mp4").exists()


def test_an_image_between_89_and_178_megapixels_is_one_line_without_a_warning(project_dir, tmp_path, capsys):
    from .hostile_servers import png_header

    for side in (10_000, 13_000):  # 100 and 169 megapixels: past Pillow's warning, short of its error
        big = tmp_path / f"big{side}.png"
        big.write_bytes(png_header(side, side))
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            err = one_line_error(capsys, 2, ["take", str(project_dir), "--scene", "1", "--import", str(big)])
        assert "over 64 megapixels are refused" in err
        assert not [w for w in said if "DecompressionBomb" in w.category.__name__], [
            str(w.message) for w in said
        ]


def test_a_diffusers_command_prints_nothing_of_transformers(project_dir, sd15):
    import subprocess
    import sys

    env = {
        **os.environ,
        "DREAMFACTORY_KEYFRAMES_WIDTH": "64",
        "DREAMFACTORY_KEYFRAMES_HEIGHT": "64",
        "DREAMFACTORY_IMAGE_STEPS": "2",
    }
    argv = ["run", str(project_dir), "--from-scene", "4", "--image-model", str(sd15)]
    done = subprocess.run(
        [sys.executable, "-m", "dreamfactory_studio", *argv], capture_output=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().strip() == ""  # not transformers' notices, not a warning, not a traceback


def test_a_project_folder_name_of_250_bytes_is_made(tmp_path, capsys):
    story = Path(__file__).parent / "fixtures" / "stories" / "three-friends.txt"
    target = tmp_path / ("f" * 250)
    assert main(["new", str(story), str(target), "--scenes", "2"]) == 0, capsys.readouterr()
    opens(target)


def test_renaming_a_character_to_a_name_another_has_is_one_line(project_dir, capsys):
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        first, second = folder.load().characters[:2]
    err = one_line_error(
        capsys, 2, ["edit", str(project_dir), "--character", first.name, "--rename", second.name.upper()]
    )
    assert "already a character named" in err
    with ProjectFolder.open(project_dir, read_only=True) as folder:
        names = [c.name.casefold() for c in folder.load().characters]
    assert len(names) == len(set(names))
