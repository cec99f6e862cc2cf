"""Getting a model from the studio (issue 32): the recipes, what this machine can run, and downloads through
huggingface_hub from a Hub on 127.0.0.1 that survive a cut, a kill and a bad checksum, with a licence accepted
first and one clear line for a gated repository or a Hub that is down. The CLI runs in a process of its own, as a
user's does, so that HF_ENDPOINT and HF_HOME are read as huggingface_hub reads them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dreamfactory_studio.core.model_recipes import recipe, recipes, recommended

from .fake_hub import FakeHub
from .paths import REPO

SD_TURBO = "stabilityai/sd-turbo"
UNET = "unet/diffusion_pytorch_model.fp16.safetensors"


@pytest.fixture(scope="session")
def sd_turbo_repo(tmp_path_factory, sd15):
    """The tiny SD 1.5 saved as the half-precision files the sd-turbo recipe takes."""
    import diffusers

    folder = tmp_path_factory.mktemp("hub") / "sd-turbo"
    diffusers.StableDiffusionPipeline.from_pretrained(sd15).save_pretrained(
        folder, safe_serialization=True, variant="fp16"
    )
    return folder


@pytest.fixture
def hub(sd_turbo_repo):
    with FakeHub({SD_TURBO: sd_turbo_repo, "black-forest-labs/FLUX.1-Kontext-dev": sd_turbo_repo}) as made:
        yield made


def studio_for(hub_url: str, tmp_path: Path, **extra: str):
    """Run the studio's CLI in a process of its own, pointed at a Hub and a fresh config and data folder
    (``extra``: more of the environment); its environment is the function's ``env``."""
    env = {
        **os.environ,
        "HF_ENDPOINT": hub_url,
        "HF_HOME": str(tmp_path / "hf"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_TOKEN": "",
        "DREAMFACTORY_CONFIG_DIR": str(tmp_path / "config"),
        "DREAMFACTORY_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(REPO),
        "QT_QPA_PLATFORM": "offscreen",
        **extra,
    }

    def run(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "dreamfactory_studio", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    run.env = env
    return run


@pytest.fixture
def studio(tmp_path, hub):
    return studio_for(hub.url, tmp_path)


def row(listing: str, recipe_id: str) -> str:
    """The line of ``models``' listing for a recipe."""
    return next(line for line in listing.splitlines() if line.startswith(f"{recipe_id} "))


def test_the_recipes_and_what_each_machine_is_advised():
    ids = [r.id for r in recipes()]
    for wanted in ("sd-turbo", "sdxl", "flux2-klein-4b", "qwen-image-edit-2509", "z-image-turbo"):
        assert wanted in ids
    assert {"wan2.1-flf2v", "wan2.2-ti2v-5b", "ltx-video"} <= set(ids)
    klein = recipe("flux2-klein-4b")
    assert (klein.fit(None), klein.fit(12), klein.fit(24)) == ("no GPU", "fits with offload", "fits")
    assert recipe("qwen-image-edit-2509").fit(24) == "too big"
    assert recommended(None)[1] == ("sd-turbo",) and "qwen-image-edit-2509" in recommended(80)[1]
    assert recipe("flux1-kontext-dev").asks_acceptance and not recipe("sdxl").asks_acceptance
    with pytest.raises(Exception, match="no model recipe 'nope'; the recipes are sd-turbo"):
        recipe("nope")


def test_get_use_and_draw_with_what_was_fetched(studio, hub, project_dir):
    listed = studio("models")
    assert listed.returncode == 0 and "sd-turbo" in listed.stdout and "this machine:" in listed.stdout
    dry = studio("models", "get", "sd-turbo", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"{SD_TURBO} @ {hub.commit[SD_TURBO][:12]}: 10 files" in dry.stdout and not hub.gets
    refused = studio("models", "get", "sd-turbo")
    assert refused.returncode == 2 and "Stability AI Community License" in refused.stderr
    assert "--accept-licence" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    got = studio("models", "get", "sd-turbo", "--use", "--accept-licence")
    assert got.returncode == 0, got.stderr
    assert "the settings now use sd-turbo" in got.stdout
    assert row(studio("models").stdout, "sd-turbo").split()[1] == "installed"
    small = {"KEYFRAMES_WIDTH": "64", "KEYFRAMES_HEIGHT": "64", "IMAGE_STEPS": "2", "KEYFRAMES_RETRIES": "0"}
    studio.env.update({f"DREAMFACTORY_{key}": value for key, value in small.items()})
    drawn = studio("run", str(project_dir), "--scene", "2", "--quiet")
    assert drawn.returncode == 0, drawn.stderr
    scene = json.loads((project_dir / "project.json").read_text())["scenes"][1]
    take = next(t for t in scene["takes"] if t["id"] == scene["selected_take"])
    assert take["backend"] == "diffusers StableDiffusionPipeline"
    assert take["model"].endswith("models/stabilityai--sd-turbo")
    removed = studio("models", "remove", "sd-turbo")
    assert removed.returncode == 0 and "removed sd-turbo" in removed.stdout
    assert not Path(take["model"]).exists()


def test_a_gated_repository_and_a_hub_that_is_down_are_one_line(studio, hub, tmp_path):
    hub.gated.add("black-forest-labs/FLUX.1-Kontext-dev")
    gated = studio("models", "get", "flux1-kontext-dev", "--accept-licence", "--force")
    err = gated.stderr.strip()
    assert gated.returncode == 2 and "is gated: accept its licence on its page" in err, err
    assert "--store-hf-token" in err and len(err.splitlines()) == 1
    studio.env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    down = studio("models", "get", "sd-turbo", "--accept-licence")
    err = down.stderr.strip()
    assert down.returncode != 0 and "cannot reach the Hub at http://127.0.0.1:9" in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_cut_connection_and_a_bad_checksum_are_fetched_again_and_nothing_half_is_used(studio, hub):
    size = (hub.repos[SD_TURBO] / UNET).stat().st_size
    hub.cut_after[UNET] = size // 2
    cut = studio("models", "get", "sd-turbo", "--accept-licence")
    assert cut.returncode != 0 and len(cut.stderr.strip().splitlines()) == 1, cut.stderr
    assert row(studio("models").stdout, "sd-turbo").split()[1] == "partly"
    used = studio("models", "use", "sd-turbo")
    assert used.returncode == 2 and "is not fetched yet" in used.stderr
    del hub.cut_after[UNET]
    hub.corrupt["vae/diffusion_pytorch_model.fp16.safetensors"] = 1
    got = studio("models", "get", "sd-turbo", "--accept-licence")
    assert got.returncode == 0, got.stderr
    resumed = [r for p, r in hub.gets if p == UNET]
    assert resumed[-1].startswith(f"bytes={size // 2}"), hub.gets  # went on from where the cut left it
    vae = [p for p, _ in hub.gets if p == "vae/diffusion_pytorch_model.fp16.safetensors"]
    assert len(vae) == 2, "the file that did not match its checksum was fetched once more"


def test_a_checksum_that_never_matches_is_refused_and_not_recorded(studio, hub):
    hub.corrupt["vae/diffusion_pytorch_model.fp16.safetensors"] = 5
    got = studio("models", "get", "sd-turbo", "--accept-licence")
    err = got.stderr.strip()
    assert got.returncode != 0 and "did not match the Hub's checksum twice" in err, err
    assert studio("models", "use", "sd-turbo").returncode == 2


def test_a_download_killed_mid_file_resumes(studio, hub):
    hub.slow.add(UNET)
    program = subprocess.Popen(
        [sys.executable, "-m", "dreamfactory_studio", "models", "get", "sd-turbo", "--accept-licence"],
        env=studio.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if any(p == UNET for p, _ in hub.gets) or program.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.3)  # some of the file arrived
        program.send_signal(signal.SIGTERM)
        code = program.wait(60)
    finally:
        program.kill()
    assert code == 130 and "interrupted" in program.stderr.read()
    hub.slow.clear()
    got = studio("models", "get", "sd-turbo", "--accept-licence", "--use")
    assert got.returncode == 0, got.stderr
    ranges = [r for p, r in hub.gets if p == UNET]
    assert ranges[-1].startswith("bytes=") and not ranges[-1].startswith("bytes=0-"), ranges


def test_the_local_voice_speaks_and_auto_takes_it(tmp_path):
    import asyncio

    from dreamfactory_studio.backends.backend_set import make_speech, speech_backend
    from dreamfactory_studio.backends.speech import wav_seconds
    from dreamfactory_studio.core.settings import SpeechSettings

    from .tiny_voice import build_vits

    voice = build_vits(tmp_path / "mms-tts-eng")
    settings = SpeechSettings(voice_model=str(voice))
    assert speech_backend(settings).name == "local"
    made = make_speech(settings)
    data = asyncio.run(made.speak("The ferry crosses the river in fog."))
    assert data[:4] == b"RIFF" and wav_seconds(data) > 0.1
    assert made.label == "local voice mms-tts-eng" and str(voice) in made.signature()
    with pytest.raises(Exception, match=r"no model folder at .*nowhere"):
        make_speech(SpeechSettings(backend="local", voice_model=str(tmp_path / "nowhere")))


def test_a_voice_fetched_from_the_hub_narrates_the_export_and_silence_is_said(tmp_path, project_dir):
    from .tiny_voice import build_vits

    voice = build_vits(tmp_path / "voice-repo")
    with FakeHub({"facebook/mms-tts-eng": voice}) as hub:
        # no espeak-ng on the PATH: auto would be silence
        studio = studio_for(hub.url, tmp_path, DREAMFACTORY_DEFAULTS_RESOLUTION="96x54", PATH="/nonexistent")
        silent = studio("export", str(project_dir), "--timeline", str(tmp_path / "a.otio"))
        assert silent.returncode == 0, silent.stderr
        assert (
            silent.stdout.count("the narration is silent") == 1 and "models get mms-tts-eng" in silent.stdout
        )
        got = studio("models", "get", "mms-tts-eng", "--accept-licence", "--use")
        assert got.returncode == 0, got.stderr
        spoken = studio("export", str(project_dir), "--timeline", str(tmp_path / "b.otio"))
    assert spoken.returncode == 0, spoken.stderr
    assert "the narration is silent" not in spoken.stdout
    scenes = json.loads((project_dir / "project.json").read_text())["scenes"]
    narrated = [s["narration_audio"] for s in scenes if s["narration"].strip()]
    assert narrated and all(
        n["backend"] == "local voice facebook--mms-tts-eng" and n["audio"] for n in narrated
    )


class FakeOllama:
    """An Ollama server on 127.0.0.1 that answers ``POST /api/pull`` with its streamed status lines."""

    def __init__(self, known: set[str]):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.pulled: list[str] = []
        ollama = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                lines = [{"status": "pulling manifest"}]
                if body["model"] in known:
                    ollama.pulled.append(body["model"])
                    lines += [{"status": "pulling 6a0746a1ec1a", "digest": "sha256:6a07", "total": 4000, "completed": n}
                              for n in (0, 2000, 4000)]  # fmt: skip
                    lines += [{"status": "verifying sha256 digest"}, {"status": "success"}]
                else:
                    lines.append({"error": "pull model manifest: file does not exist"})
                for line in lines:
                    self.wfile.write(json.dumps(line).encode() + b"\n")
                    self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        import threading

        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_crews_model_is_pulled_through_ollama_and_the_crew_talks_to_it(studio):
    ollama = FakeOllama({"llama3.2"})
    try:
        studio.env["DREAMFACTORY_LLM_BASE_URL"] = f"{ollama.url}/v1"
        got = studio("models", "get", "crew:llama3.2")
        assert got.returncode == 0, got.stderr
        assert ollama.pulled == ["llama3.2"] and "the crew now talks to llama3.2" in got.stdout
        missing = studio("models", "get", "crew:nothing-like-it")
        assert missing.returncode == 2 and "Ollama could not pull nothing-like-it" in missing.stderr
    finally:
        ollama.close()
    shown = studio("settings")
    assert f'base_url = "{ollama.url}/v1"' in shown.stdout and 'model = "llama3.2"' in shown.stdout
    studio.env["DREAMFACTORY_LLM_BASE_URL"] = "http://127.0.0.1:9/v1"
    down = studio("models", "get", "crew:llama3.2")
    assert down.returncode != 0 and "no Ollama server answers at http://127.0.0.1:9" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1


def test_the_window_gets_uses_and_removes_a_model_and_the_start_page_offers_one(
    window, qtbot, loop, hub, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    from dreamfactory_studio.app.settings_dialog import SettingsDialog
    from dreamfactory_studio.core.settings import load_settings

    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
    monkeypatch.setattr("huggingface_hub.hf_api.constants.ENDPOINT", hub.url, raising=False)
    monkeypatch.setenv("HF_TOKEN", "")
    line = window.start.models_line
    qtbot.waitUntil(line.isVisible)  # only the sketch renderer is set up: the start page offers a model
    assert "get a model" in line.text() and "SD-Turbo" in line.text()
    dialog = SettingsDialog(window)
    page = dialog.models_page
    page.select("sd-turbo")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.get()
    loop.run_until_complete(page.jobs.current)
    loop.run_until_complete(asyncio.sleep(0))  # the job's done-callbacks
    assert page.status.text() == "Get sd-turbo: done.", page.status.text()
    row = next(r for r in range(page.table.rowCount()) if page.table.item(r, 0).text().startswith("SD-Turbo"))
    assert page.table.item(row, 3).text() == "installed"
    page.use()
    assert page.status.text() == "The settings now use sd-turbo; OK saves them.", page.status.text()
    assert dialog.find("imageBackend").currentText() == "diffusers"
    dialog.accept()
    image = load_settings().image
    assert image.backend == "diffusers" and image.model.endswith("stabilityai--sd-turbo")
    page.remove()
    assert page.table.item(row, 3).text() == "not"


def test_a_full_disk_keeps_what_arrived_and_a_gpu_model_needs_force_here(studio, hub):
    import resource

    def small_files() -> None:  # the file size limit: writing past it fails as a full disk does
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    full = subprocess.run(
        [sys.executable, "-m", "dreamfactory_studio", "models", "get", "sd-turbo", "--accept-licence"],
        env=studio.env,
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    err = full.stderr.strip()
    assert full.returncode != 0 and "the disk is full" in err and len(err.splitlines()) == 1, err
    assert studio("models", "use", "sd-turbo").returncode == 2, "nothing half-fetched is pointed at"
    got = studio("models", "get", "sd-turbo", "--accept-licence")
    assert got.returncode == 0, got.stderr
    resumed = [p for p, r in hub.gets if r.startswith("bytes=")]
    assert resumed, f"the file the full disk cut went on from its part: {hub.gets}"
    gpu = studio("models", "get", "flux2-klein-4b")
    assert gpu.returncode == 2 and "needs a GPU" in gpu.stderr and "--force" in gpu.stderr


def test_the_done_when_flux2_klein_fetched_from_the_hub_draws_a_take(tmp_path, flux2_klein, project_dir):
    with FakeHub({"black-forest-labs/FLUX.2-klein-4B": flux2_klein}) as hub:
        studio = studio_for(hub.url, tmp_path)
        got = studio("models", "get", "flux2-klein-4b", "--use", "--force")
        assert got.returncode == 0, got.stderr
        gone = studio("models", "get", "z-image-turbo", "--force")
        assert gone.returncode == 2 and "Tongyi-MAI/Z-Image-Turbo is not on" in gone.stderr
    small = {"KEYFRAMES_WIDTH": "64", "KEYFRAMES_HEIGHT": "64", "IMAGE_STEPS": "2", "KEYFRAMES_RETRIES": "0"}
    studio.env.update({f"DREAMFACTORY_{key}": value for key, value in small.items()})
    drawn = studio("run", str(project_dir), "--scene", "2", "--quiet", "--image-backend", "diffusers")
    assert drawn.returncode == 0, drawn.stderr
    scene = json.loads((project_dir / "project.json").read_text())["scenes"][1]
    take = next(t for t in scene["takes"] if t["id"] == scene["selected_take"])
    assert take["backend"] == "diffusers Flux2KleinPipeline" and take["recipe"]["mode"] == "edit"
    assert take["model"].endswith("black-forest-labs--FLUX.2-klein-4B")


def test_a_mirror_that_names_a_file_outside_the_models_folder_is_refused(studio, hub, tmp_path):
    hub.extra.append({"type": "file", "path": "../../escaped.json", "size": 2, "oid": "0" * 40})
    got = studio("models", "get", "sd-turbo", "--accept-licence")
    err = got.stderr.strip()
    assert got.returncode != 0 and "names files outside its folder (../../escaped.json)" in err, err
    assert not list(tmp_path.rglob("escaped.json")) and not hub.gets


def test_the_maintainers_pin_a_recipe_to_the_commit_its_branch_points_at(studio, hub, tmp_path):
    """Issue 32: a recipe's revision is pinned by asking the Hub, never typed in or guessed offline."""
    recipes = tmp_path / "recipes.toml"
    shipped = (REPO / "resources" / "models" / "recipes.toml").read_text()
    block = shipped[
        shipped.index("[[recipe]]") : shipped.index("[[recipe]]", shipped.index("[[recipe]]") + 1)
    ]
    assert 'repo = "stabilityai/sd-turbo", revision = "main"' in block
    recipes.write_text(block)

    def pin(*extra: str) -> subprocess.CompletedProcess:
        command = [
            sys.executable,
            str(REPO / "scripts" / "pin_recipes.py"),
            "--recipes",
            str(recipes),
            *extra,
        ]
        return subprocess.run(command, env=studio.env, capture_output=True, text=True, timeout=120)

    dry = pin("--dry-run")
    assert dry.returncode == 0 and f"main -> {hub.commit[SD_TURBO]}" in dry.stdout
    assert 'revision = "main"' in recipes.read_text(), "a dry run writes nothing"
    done = pin()
    assert done.returncode == 0, done.stderr
    assert f'revision = "{hub.commit[SD_TURBO]}"' in recipes.read_text()
    again = pin()
    assert again.returncode == 0 and "0 pinned" in again.stdout, "a pinned recipe stays as it is"
    studio.env["HF_ENDPOINT"] = "http://127.0.0.1:9"
    recipes.write_text(block)
    down = pin()
    assert (
        down.returncode == 2 and "Traceback" not in down.stderr and 'revision = "main"' in recipes.read_text()
    )
