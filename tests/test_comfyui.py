"""The user's own ComfyUI server as painter and video backend, against a fake server that follows ComfyUI's
protocol (tests/comfy_server.py): takes with progress, cancel, references and masks through IP-Adapter, a
missing node pack, refused graphs, a dropped socket, out of memory, a user's own workflow, clips, the check."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dreamfactory_studio.backends.comfyui.painter import ComfyUIPainter, ComfyUIVideo
from dreamfactory_studio.backends.image import GenerationCancelled, ImageRequest, LoraWeights, Reference
from dreamfactory_studio.backends.video import ClipRequest
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BackendError, BadInput, BadModel
from dreamfactory_studio.core.model import Box
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ImageSettings, VideoSettings

from .comfy_server import FakeComfy
from .film_projects import probe
from .paths import STORIES


@pytest.fixture
def comfy():
    with FakeComfy() as server:
        yield server


def painter(comfy, **settings) -> ComfyUIPainter:
    made = ComfyUIPainter(ImageSettings(backend="comfyui", base_url=comfy.url, timeout=10, **settings))
    made.load(lambda _message: None)
    return made


def picture(tmp_path: Path, name: str, colour=(200, 40, 40)) -> Path:
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (96, 64), colour).save(path)
    return path


def nodes_of(graph: dict, kind: str) -> list[dict]:
    return [n for n in graph.values() if n["class_type"] == kind]


def test_a_take_is_drawn_by_the_server_with_progress_per_step(comfy):
    steps = []
    drawn = painter(comfy).generate(
        ImageRequest(
            prompt="a lighthouse at dusk", seed=42, width=330, height=180, steps=5, negative_prompt="text"
        ),
        lambda done, total: steps.append((done, total)),
        lambda: False,
    )
    assert steps == [(i, 5) for i in range(1, 6)]
    assert drawn.image.size == (330, 180) and drawn.mode == "text-to-image" and drawn.notes == []
    graph = comfy.prompts[0]
    sampler = nodes_of(graph, "KSampler")[0]["inputs"]
    assert (sampler["seed"], sampler["steps"]) == (42, 5)
    assert nodes_of(graph, "EmptyLatentImage")[0]["inputs"]["width"] == 328  # a multiple of 8, scaled back
    texts = [n["inputs"]["text"] for n in nodes_of(graph, "CLIPTextEncode")]
    assert texts == ["a lighthouse at dusk", "text"]
    again = painter(comfy).generate(
        ImageRequest(prompt="x", seed=42, width=330, height=180, steps=5), lambda *_: None, lambda: False
    )
    assert np.array_equal(np.asarray(again.image), np.asarray(drawn.image))  # the seed decides


def test_references_and_masks_go_up_and_through_ip_adapter(comfy, tmp_path):
    style = Reference("style", picture(tmp_path, "base-frame"), "assets/base.png")
    sheet = Reference(
        "identity",
        picture(tmp_path, "mira-sheet", (20, 90, 200)),
        "assets/mira.png",
        "char-mira",
        Box(left=0.1, top=0.1, right=0.5, bottom=0.9),
    )
    lora = LoraWeights(Path("/loras/mira.safetensors"), 0.7, "mira-person", "char-mira")
    drawn = painter(comfy).generate(
        ImageRequest(
            prompt="Mira", seed=1, width=256, height=144, steps=2, references=[style, sheet], loras=[lora]
        ),
        lambda *_: None,
        lambda: False,
    )
    assert {"base-frame.png", "mira-sheet.png", "mask-char-mira.png"} <= set(comfy.uploads)
    mask = Image.open(__import__("io").BytesIO(comfy.uploads["mask-char-mira.png"]))
    assert mask.size == (256, 144) and mask.getpixel((60, 70))[0] == 255 and mask.getpixel((200, 70))[0] == 0
    graph = comfy.prompts[0]
    adapters = nodes_of(graph, "IPAdapterAdvanced")
    assert [a["inputs"]["weight_type"] for a in adapters] == ["style transfer", "linear"]
    assert "attn_mask" in adapters[1]["inputs"] and "attn_mask" not in adapters[0]["inputs"]
    assert nodes_of(graph, "LoraLoader")[0]["inputs"]["lora_name"] == "mira.safetensors"
    assert [(r.kind, s) for r, s in drawn.used] == [("style", 0.8), ("identity", 0.6)] and drawn.loras == [
        lora
    ]


def test_without_the_ip_adapter_pack_the_take_is_drawn_anyway_and_says_what_is_missing(comfy, tmp_path):
    comfy.without("IPAdapter", "CLIPVision")
    style = Reference("style", picture(tmp_path, "base"), "assets/base.png")
    drawn = painter(comfy).generate(
        ImageRequest(
            prompt="x",
            seed=1,
            width=128,
            height=128,
            steps=2,
            references=[style],
            loras=[LoraWeights(Path("ravi.safetensors"))],
        ),
        lambda *_: None,
        lambda: False,
    )
    assert drawn.used == [] and not nodes_of(comfy.prompts[0], "IPAdapterAdvanced")
    assert any("ComfyUI_IPAdapter_plus" in n and "style references were not used" in n for n in drawn.notes)
    assert any("ravi.safetensors is not on the ComfyUI server" in n for n in drawn.notes)


def test_cancel_interrupts_the_job_on_the_server(comfy):
    comfy.step_seconds = 0.05
    seen = []
    with pytest.raises(GenerationCancelled):
        painter(comfy).generate(
            ImageRequest(prompt="x", seed=1, width=128, height=128, steps=40),
            lambda done, total: seen.append(done),
            lambda: len(seen) >= 2,
        )
    assert comfy.interrupted.is_set() and comfy.deleted  # interrupted and taken off the queue


def test_a_dropped_socket_reconnects_and_picks_the_job_up(comfy):
    comfy.fail = "drop-socket"
    drawn = painter(comfy).generate(
        ImageRequest(prompt="x", seed=3, width=128, height=128, steps=8), lambda *_: None, lambda: False
    )
    assert drawn.image.size == (128, 128)


def test_a_server_without_a_socket_is_polled(comfy):
    comfy.websocket = False
    drawn = painter(comfy).generate(
        ImageRequest(prompt="x", seed=3, width=64, height=64, steps=2), lambda *_: None, lambda: False
    )
    assert drawn.image.size == (64, 64)


@pytest.mark.parametrize(
    "fail, message",
    [("oom", "ComfyUI ran out of GPU memory in KSampler"), ("no-image", "finished the job without an image")],
)
def test_failures_on_the_server_are_one_clear_message(comfy, fail, message):
    comfy.fail = fail
    with pytest.raises(BackendError, match=message):
        painter(comfy).generate(
            ImageRequest(prompt="x", seed=1, width=64, height=64, steps=3), lambda *_: None, lambda: False
        )


def test_a_checkpoint_the_server_lacks_is_named_with_what_it_has(comfy):
    with pytest.raises(
        BadModel,
        match=r"no checkpoint 'dreamshaper_9.safetensors'; it has: sd_xl_base_1.0.safetensors, SD15/dreamshaper_8",
    ):
        painter(comfy, model="dreamshaper_9.safetensors")
    assert painter(comfy, model="dreamshaper_8.safetensors").model_id == "SD15/dreamshaper_8.safetensors"


def test_a_server_that_is_down_or_slow_says_so(comfy, tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(BackendError, match=rf"cannot reach ComfyUI at http://127.0.0.1:{port}"):
        ComfyUIPainter(ImageSettings(backend="comfyui", base_url=f"http://127.0.0.1:{port}")).load(print)
    comfy.step_seconds = 2.0
    slow = painter(comfy)
    slow.client.timeout = 0.5
    with pytest.raises(BackendError, match="said nothing of the job for 0.5 s"):
        slow.generate(
            ImageRequest(prompt="x", seed=1, width=64, height=64, steps=3), lambda *_: None, lambda: False
        )


def workflow(tmp_path: Path, nodes: dict) -> Path:
    path = tmp_path / "workflow_api.json"
    path.write_text(json.dumps(nodes))
    return path


MY_WORKFLOW = {
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"},
        "_meta": {"title": "Load Checkpoint"},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "old words", "clip": ["4", 1]},
        "_meta": {"title": "studio:prompt"},
    },
    "7": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "ugly", "clip": ["4", 1]},
        "_meta": {"title": "studio:negative"},
    },
    "5": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 512, "height": 512, "batch_size": 1},
        "_meta": {"title": "studio:size"},
    },
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 1,
            "steps": 3,
            "cfg": 6,
            "model": ["4", 0],
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
        },
        "_meta": {"title": "studio:seed"},
    },
    "8": {
        "class_type": "VAEDecode",
        "inputs": {"samples": ["3", 0], "vae": ["4", 2]},
        "_meta": {"title": "VAE Decode"},
    },
    "9": {
        "class_type": "SaveImage",
        "inputs": {"images": ["8", 0], "filename_prefix": "mine"},
        "_meta": {"title": "studio:output"},
    },
}


def test_a_users_own_api_workflow_is_filled_in(comfy, tmp_path):
    drawn = painter(comfy, workflow=str(workflow(tmp_path, MY_WORKFLOW))).generate(
        ImageRequest(
            prompt="Mira at the pier", seed=77, width=320, height=176, steps=9, negative_prompt="blur"
        ),
        lambda *_: None,
        lambda: False,
    )
    sent = comfy.prompts[0]
    assert sent["6"]["inputs"]["text"] == "Mira at the pier" and sent["7"]["inputs"]["text"] == "blur"
    assert sent["3"]["inputs"]["seed"] == 77 and sent["3"]["inputs"]["steps"] == 3  # the user's steps stay
    assert (sent["5"]["inputs"]["width"], sent["5"]["inputs"]["height"]) == (320, 176)
    assert sent["9"]["inputs"]["filename_prefix"] == "mine" and drawn.image.size == (320, 176)


def test_a_workflow_that_is_not_api_format_or_lacks_the_prompt_is_refused_plainly(comfy, tmp_path):
    ui_format = workflow(tmp_path, {"nodes": [], "links": [], "version": 0.4})
    with pytest.raises(BadInput, match="not in API format: open it in ComfyUI and use Workflow ▸ Export"):
        painter(comfy, workflow=str(ui_format))
    untitled = {k: {**v, "_meta": {"title": "x"}} for k, v in MY_WORKFLOW.items()}
    with pytest.raises(BadInput, match="no node titled 'studio:prompt'"):
        painter(comfy, workflow=str(workflow(tmp_path, untitled)))


def test_refused_graphs_name_the_node_and_the_fix(comfy, tmp_path):
    wrong = json.loads(json.dumps(MY_WORKFLOW))
    wrong["4"]["inputs"]["ckpt_name"] = "gone.safetensors"
    with pytest.raises(
        BackendError, match=r"node 4 \(CheckpointLoaderSimple\): ckpt_name: 'gone.safetensors' not in"
    ):
        painter(comfy, workflow=str(workflow(tmp_path, wrong))).generate(
            ImageRequest(prompt="x", seed=1, width=64, height=64), lambda *_: None, lambda: False
        )
    custom = json.loads(json.dumps(MY_WORKFLOW))
    custom["10"] = {"class_type": "IPAdapterFaceID", "inputs": {}, "_meta": {"title": "faces"}}
    with pytest.raises(BackendError, match="no node IPAdapterFaceID \\(from ComfyUI_IPAdapter_plus"):
        painter(comfy, workflow=str(workflow(tmp_path, custom))).generate(
            ImageRequest(prompt="x", seed=1, width=64, height=64), lambda *_: None, lambda: False
        )


def test_clips_come_from_the_servers_video_nodes(comfy, tmp_path):
    video = ComfyUIVideo(
        VideoSettings(backend="comfyui", frames=6, steps=3, width=256, height=144),
        ImageSettings(base_url=comfy.url, timeout=10),
    )
    steps = []
    request = ClipRequest(
        image=picture(tmp_path, "key"),
        output=tmp_path / "clip.mp4",
        width=320,
        height=180,
        fps=12,
        duration=1.5,
        seed=9,
    )
    video.generate(request, lambda done, total: steps.append((done, total)), lambda: False)
    assert steps[-1] == (4, 4) and (3, 4) in steps
    frames = probe(tmp_path / "clip.mp4")["frames"]
    assert frames.shape == (18, 180, 320, 3)
    graph = comfy.prompts[0]
    assert nodes_of(graph, "SVD_img2vid_Conditioning")[0]["inputs"]["video_frames"] == 6
    assert nodes_of(graph, "ImageOnlyCheckpointLoader")[0]["inputs"]["ckpt_name"] == "svd_xt.safetensors"


def test_settings_check_image_reports_the_server(comfy, monkeypatch, capsys):
    monkeypatch.setenv("DREAMFACTORY_IMAGE_BACKEND", "comfyui")
    monkeypatch.setenv("DREAMFACTORY_IMAGE_BASE_URL", comfy.url)
    assert main(["settings", "--check-image"]) == 0
    out = capsys.readouterr().out
    assert "ComfyUI 0.3.40 at " in out and "RTX 4090: 20.0 of 24.0 GiB free" in out
    assert "node packs: ComfyUI_IPAdapter_plus" in out and "IP-Adapter: yes" in out
    assert "IP-Adapter models (image.ip_adapter): ip-adapter-plus_sdxl_vit-h.safetensors" in out
    assert "video checkpoints (video.model): svd_xt.safetensors" in out and "LoRAs: 1" in out


def test_run_draws_every_take_through_comfyui_on_the_cli(comfy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_WIDTH", "128")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_HEIGHT", "72")
    target = tmp_path / "p"
    assert main(["new", str(STORIES / "three-friends.txt"), str(target), "--scenes", "2"]) == 0
    code = main(
        [
            "run",
            str(target),
            "--image-backend",
            "comfyui",
            "--image-url",
            comfy.url,
            "--image-model",
            "sd_xl_base_1.0.safetensors",
        ]
    )
    assert code == 0, capsys.readouterr().err
    with ProjectFolder.open(target, read_only=True) as folder:
        project = folder.load()
        assert all(s.keyframe and s.keyframe.backend.startswith("ComfyUI") for s in project.scenes)
        assert all(folder.asset_path(s.keyframe.image).is_file() for s in project.scenes)
    assert len(comfy.prompts) >= len(project.scenes)  # the sheets, the Base Frame loop and each scene


def test_a_server_down_mid_run_fails_the_run_with_one_line_and_keeps_the_project(tmp_path, capsys):
    target = tmp_path / "p"
    assert main(["new", str(STORIES / "three-friends.txt"), str(target), "--scenes", "2"]) == 0
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert (
        main(["run", str(target), "--image-backend", "comfyui", "--image-url", f"http://127.0.0.1:{port}"])
        == 1
    )
    err = capsys.readouterr().err
    assert "cannot reach ComfyUI" in err and "Traceback" not in err
    with ProjectFolder.open(target, read_only=True) as folder:
        assert folder.load().phases["script"].status == "done"  # what was made is kept


def test_the_settings_dialog_tests_the_server_and_offers_its_checkpoints(window, comfy, loop, tmp_path):
    import asyncio

    from dreamfactory_studio.app.settings_dialog import SettingsDialog
    from dreamfactory_studio.core.settings import load_settings

    dialog = SettingsDialog(window)
    dialog.find("imageUrl").setText(comfy.url)
    dialog.find("testImage").click()
    loop.run_until_complete(asyncio.wait([dialog.jobs.current]))
    result = dialog.find("imageResult").text()
    assert result.startswith("✔ ComfyUI 0.3.40") and "IP-Adapter: yes" in result
    models = dialog.find("serverModels")
    assert not models.isHidden() and models.itemText(2) == "SD15/dreamshaper_8.safetensors"
    models.setCurrentIndex(2)
    models.activated.emit(2)
    assert dialog.find("imageModel").text() == "SD15/dreamshaper_8.safetensors"
    assert dialog.find("imageBackend").currentText() == "comfyui"
    offered = dialog.find("ipAdapter").completer().model()
    assert offered.data(offered.index(0, 0)) == "ip-adapter-plus_sdxl_vit-h.safetensors"
    dialog.find("imageWorkflow").setText(str(tmp_path / "mine_api.json"))
    dialog.accept()
    saved = load_settings(environment=False).image
    assert (saved.backend, saved.base_url, saved.model) == (
        "comfyui",
        comfy.url,
        "SD15/dreamshaper_8.safetensors",
    )
    assert saved.workflow.endswith("mine_api.json")
    dialog.find("imageUrl").setText("http://127.0.0.1:9")
    dialog.find("testImage").click()
    loop.run_until_complete(asyncio.wait([dialog.jobs.current]))
    assert dialog.find("imageResult").text().startswith("✘ cannot reach ComfyUI at http://127.0.0.1:9")


def test_the_window_draws_a_take_through_comfyui_with_progress_and_cancel(
    window, comfy, project_dir, loop, qtbot
):
    import asyncio

    from dreamfactory_studio.core.settings import save_settings

    from .film_projects import small_settings
    from .studio_window import select

    settings = small_settings()
    settings.image = ImageSettings(backend="comfyui", base_url=comfy.url, steps=6, timeout=10)
    save_settings(settings)
    window.open_project(str(project_dir))
    scene = select(window, 2)
    before = len(scene.takes)
    progress = []
    window.session.changed.connect(lambda _c: progress.append(window.model.card(1).activity))
    window.actions["regenerate"].trigger()
    loop.run_until_complete(window.jobs.current)
    scene = window.session.project.scenes[1]
    made = len(scene.takes)
    assert made > before and all(t.backend.startswith("ComfyUI") for t in scene.takes[before:])
    assert any(a is not None and a.progress is not None for a in progress)
    comfy.step_seconds = 0.2
    comfy.prompts.clear()
    window.actions["regenerate"].trigger()
    job = window.jobs.current

    async def cancel_once_drawing():
        while not comfy.prompts:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        window.actions["cancelJob"].trigger()
        await asyncio.wait([job])

    loop.run_until_complete(cancel_once_drawing())
    qtbot.waitUntil(comfy.interrupted.is_set, timeout=5000)
    assert len(window.session.project.scenes[1].takes) == made  # the cancelled take left nothing
