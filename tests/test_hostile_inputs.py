"""The second reliability review, as an attacker or an unlucky user would try it: a project that nothing could
open, waits that never ended, reads without a cap, links the project owns, secrets in URLs, a kept copy
overwritten, a quadratic reader, and user errors that came out as tracebacks. Each test is one probe of the
review (issue 28), on 127.0.0.1 servers that behave like the hostile ones it met."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from dreamfactory_studio.cli import main
from dreamfactory_studio.core.project_folder import ProjectFolder

from .hostile_servers import (
    HostileComfy,
    echoing_llm,
    huge_error_llm,
    keep_alive_llm,
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
    named = {i for s in before.scenes for i in s.named_characters()}
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
    hostile = server()
    try:
        err = one_line_error(
            capsys, 1, ["run", str(project_dir), "--phase", "task", *llm(hostile.url + "/v1")]
        )
    finally:
        hostile.close()
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
        client = ComfyClient(comfy.url, timeout=30, job_timeout=600)
        with pytest.raises(BackendError, match="websocket message of 314572800 bytes"):
            client.run({"1": {"class_type": "SaveImage", "inputs": {}}}, lambda k, n: None, lambda: False)
        client.close()
        assert comfy.sent < 8 * 2**20  # the frame's header was enough
    finally:
        comfy.close()


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
    thread = threading.Thread(
        target=lambda: result.setdefault("code", main(["new", str(fifo), str(tmp_path / "f")]))
    )
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and result["code"] == 2  # a FIFO no one writes to does not hold it
    assert "not a regular file" in capsys.readouterr().err
    big = tmp_path / "big.txt"
    big.write_text("Mara rows. " * 40_000)
    assert "the limit is 256 KiB" in one_line_error(capsys, 2, ["new", str(big), str(tmp_path / "b")])
    assert not (tmp_path / "z").exists() and not (tmp_path / "b").exists()


def test_a_30_mb_error_body_is_one_short_line(project_dir, capsys):
    hostile = huge_error_llm()
    try:
        os.environ["DREAMFACTORY_LLM_MAX_RETRIES"] = "0"
        err = one_line_error(
            capsys, 1, ["run", str(project_dir), "--phase", "task", *llm(hostile.url + "/v1")]
        )
    finally:
        os.environ.pop("DREAMFACTORY_LLM_MAX_RETRIES")
        hostile.close()
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
    try:
        err = one_line_error(capsys, 1, ["run", str(project_dir), "--phase", "task", *llm(url)])
    finally:
        hostile.close()
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
    from dreamfactory_studio.core.settings import url_with_credentials

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
