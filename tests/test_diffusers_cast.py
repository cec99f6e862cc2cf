"""The cast through the diffusers painter, on tiny random pipelines saved to disk: several IP-Adapter images at
once (style and one identity per character, masked to their boxes), LoRAs per scene, single-file checkpoints
with the shipped configs, prompts longer than CLIP's window encoded whole, and the fallbacks on bad input."""

from __future__ import annotations

import shutil

import pytest
import torch
from PIL import Image

from dreamfactory_studio.backends.image import ImageRequest, LoraWeights, Reference
from dreamfactory_studio.backends.image.checkpoints import list_models, shipped_config
from dreamfactory_studio.backends.image.diffusers_backend import DiffusersBackend
from dreamfactory_studio.cli import main
from dreamfactory_studio.core.errors import BackendError
from dreamfactory_studio.core.model import Box
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import ImageSettings

from .paths import STORIES
from .tiny_models import build_ip_adapter, build_lora, build_sd15, build_sdxl, to_single_file

LONG = " ".join(
    [
        "Mira",
        "in",
        "her",
        "green",
        "raincoat",
        "lets",
        "the",
        "red",
        "kite",
        "go",
        "while",
        "Jonas",
        "in",
        "a",
        "yellow",
        "sweater",
        "laughs",
        "and",
        "Ravi",
        "in",
        "a",
        "grey",
        "coat",
        "with",
        "a",
        "blue",
        "scarf",
        "watches",
        "the",
        "paper",
        "dragon",
        "climb",
        "over",
        "the",
        "windmill",
        "under",
        "low",
        "clouds",
        "at",
        "sunset",
    ]
    * 6
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("cast-models")
    sd15, sdxl = build_sd15(root / "sd15"), build_sdxl(root / "sdxl")
    real = build_sd15(root / "sd15-clip", real_tokenizer=True)
    config = root / "single-file-config"
    shutil.copytree(shipped_config("sd15"), config)
    for part in ("unet", "vae", "text_encoder"):
        shutil.copy(real / part / "config.json", config / part / "config.json")
    (root / "loras").mkdir()
    return {
        "sd15": sd15,
        "sdxl": sdxl,
        "ip": build_ip_adapter(root / "ip-adapter", sd15),
        "lora": build_lora(root / "loras" / "mira", sd15),
        "sdxl-lora": build_lora(root / "loras" / "sdxl", sdxl),
        "single": to_single_file(real, root / "tiny-sd15.safetensors"),
        "config": config,
        "root": root,
    }


def painter(path, **settings) -> DiffusersBackend:
    made = DiffusersBackend(ImageSettings(backend="diffusers", model=str(path), **settings))
    made.load(lambda message: None)
    return made


def draw(made, references=(), loras=(), prompt="a kite over a windmill", **extra):
    request = ImageRequest(
        prompt=prompt,
        seed=3,
        width=64,
        height=64,
        steps=2,
        references=list(references),
        loras=list(loras),
        **extra,
    )
    return made.generate(request, lambda *a: None, lambda: False)


def picture(folder, name, colour):
    path = folder / f"{name}.png"
    Image.new("RGB", (48, 64), colour).save(path)
    return path


def test_two_characters_reach_the_unet_as_two_masked_identity_images_beside_the_style_one(models, tmp_path):
    made = painter(models["sd15"], ip_adapter=str(models["ip"]))
    left, right = Box(left=0, top=0, right=0.5, bottom=1), Box(left=0.5, top=0, right=1, bottom=1)
    references = [
        Reference("style", picture(tmp_path, "base", (90, 120, 200)), "assets/base.png"),
        Reference("identity", picture(tmp_path, "mira", (40, 160, 60)), "assets/mira.png", "char-mira", left),
        Reference(
            "identity", picture(tmp_path, "jonas", (230, 190, 40)), "assets/jonas.png", "char-jonas", right
        ),
    ]
    seen = []

    def record(module, args, kwargs):
        text, images = kwargs["encoder_hidden_states"]
        seen.append(([tuple(i.shape) for i in images], [tuple(m.shape) for m in kwargs["ip_adapter_masks"]]))

    hooks = [
        module.register_forward_pre_hook(record, with_kwargs=True)
        for name, module in made.text2img.unet.named_modules()
        if name.endswith("attn2")
    ]
    drawn = draw(made, references)
    for hook in hooks:
        hook.remove()
    assert seen, "the IP-Adapter attention ran"
    images, masks = seen[0]
    batch = 2  # classifier-free guidance: unconditional and conditional
    assert [shape[:2] for shape in images] == [(batch, 1), (batch, 2)], "one style image, two identities"
    assert masks == [(1, 1, 64, 64), (1, 2, 64, 64)], "masks of the frame's size, one per image"
    kinds = [(r.kind, r.character, scale) for r, scale in drawn.used]
    assert kinds == [("style", "", 0.8), ("identity", "char-mira", 0.6), ("identity", "char-jonas", 0.6)]
    processor = next(p for n, p in made.text2img.unet.attn_processors.items() if "attn2" in n)
    assert len(processor.scale) == 2, "two adapters: style and identity"
    carrying = [
        n for n, p in made.text2img.unet.attn_processors.items() if "attn2" in n and p.scale[0][0] > 0
    ]
    assert carrying and all(n.startswith("up_blocks.0.attentions.1.") for n in carrying), "style layers only"


def test_more_characters_than_the_adapter_takes_are_left_out_with_a_note(models, tmp_path):
    made = painter(models["sd15"], ip_adapter=str(models["ip"]), max_identities=1)
    references = [
        Reference("identity", picture(tmp_path, f"c{i}", (40 * i, 90, 60)), f"assets/c{i}.png", f"char-{i}")
        for i in range(3)
    ]
    drawn = draw(made, references)
    assert [r.character for r, _ in drawn.used] == ["char-0"]
    assert sum("was left out" in note for note in drawn.notes) == 2
    assert any("no layout box" in note for note in drawn.notes)


def test_a_characters_lora_is_loaded_for_their_scene_and_not_for_the_next(models):
    made = painter(models["sd15"])
    bare = draw(made).image
    mira = LoraWeights(models["lora"], 0.9, "m1ra", "char-mira")
    with_lora = draw(made, loras=[mira])
    assert with_lora.loras == [mira] and not with_lora.notes
    assert made.text2img.get_active_adapters(), "loaded and active for Mira's scene"
    assert with_lora.image.tobytes() != bare.tobytes()
    after = draw(made)
    assert made.text2img.get_list_adapters() == {}, "unloaded for the next scene, which she is not in"
    assert after.image.tobytes() == bare.tobytes()


def test_a_lora_made_for_another_base_model_is_left_out_with_a_note_and_the_frame_is_drawn(models, tmp_path):
    made = painter(models["sd15"])
    pickled = tmp_path / "old.ckpt"
    pickled.write_bytes(b"not read")
    drawn = draw(
        made,
        loras=[
            LoraWeights(models["sdxl-lora"], 0.8),
            LoraWeights(pickled),
            LoraWeights(tmp_path / "gone.safetensors"),
        ],
    )
    assert drawn.image.size == (64, 64) and drawn.loras == []
    assert len(drawn.notes) == 3
    assert "does not fit this checkpoint" in drawn.notes[0] or "none of its layers" in drawn.notes[0]
    assert "pickled" in drawn.notes[1] and "there is no LoRA" in drawn.notes[2]


def test_a_tiny_single_file_checkpoint_draws_with_the_shipped_tokenizer_and_scheduler(models):
    from diffusers import StableDiffusionPipeline

    made = painter(models["single"], single_file_config=str(models["config"]))
    assert made.label == "diffusers StableDiffusionPipeline"
    assert type(made.text2img.scheduler).__name__ == "PNDMScheduler", "the shipped scheduler"
    assert made.text2img.tokenizer("a photo of a cat").input_ids[1:3] == [320, 1125], "CLIP's own vocabulary"
    reference = StableDiffusionPipeline.from_pretrained(models["root"] / "sd15-clip")
    for part in ("unet", "vae", "text_encoder"):
        ours, theirs = getattr(made.text2img, part).state_dict(), getattr(reference, part).state_dict()
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in theirs), part
    assert draw(made).image.size == (64, 64)


def test_the_shipped_configs_are_sd15_and_sdxl_at_full_size():
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    def millions(model):
        return round(sum(p.numel() for p in model.parameters()) / 1e6, 1)

    with init_empty_weights():
        unets = {
            a: UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(shipped_config(a) / "unet"))
            for a in ("sd15", "sdxl")
        }
        bigg = CLIPTextModelWithProjection(
            CLIPTextConfig.from_pretrained(shipped_config("sdxl") / "text_encoder_2")
        )
    assert {a: millions(u) for a, u in unets.items()} == {"sd15": 859.5, "sdxl": 2567.5}
    assert millions(bigg) == 694.7


@pytest.mark.parametrize(
    "content, message",
    [
        ({"model.diffusion_model.joint_blocks.0.x": 1}, "Stable Diffusion 3 checkpoint"),
        (
            {"cond_stage_model.model.token_embedding.weight": 1, "model.diffusion_model.x": 1},
            "Stable Diffusion 2.x",
        ),
        ({"lora_unet_down.lora_down.weight": 1}, "is a LoRA, not a checkpoint"),
        ({"some.tensor": 1}, "an architecture the studio does not know"),
    ],
)
def test_single_files_the_studio_cannot_draw_with_are_refused_with_a_way_out(tmp_path, content, message):
    from safetensors.torch import save_file

    file = tmp_path / "model.safetensors"
    save_file({k: torch.zeros(v) for k, v in content.items()}, file)
    with pytest.raises(BackendError, match=message):
        painter(file)


def test_pickled_and_damaged_checkpoints_are_refused(tmp_path):
    pickled = tmp_path / "model.ckpt"
    pickled.write_bytes(b"\x80\x04 pickle")
    with pytest.raises(BackendError, match="pickled checkpoint .* reads .safetensors only"):
        painter(pickled)
    damaged = tmp_path / "broken.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(BackendError, match="not a readable .safetensors file"):
        painter(damaged)


@pytest.mark.parametrize("kind", ["sd15", "sdxl"])
def test_a_200_word_prompt_reaches_the_text_encoder_whole(models, kind):
    made = painter(models[kind])
    seen = []
    encoders = [made.text2img.text_encoder] + ([made.text2img.text_encoder_2] if kind == "sdxl" else [])
    hooks = [e.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone())) for e in encoders]
    assert len(LONG.split()) >= 200
    drawn = draw(made, prompt=LONG)
    for hook in hooks:
        hook.remove()
    tokenizer = made.text2img.tokenizer
    wanted = tokenizer(LONG, add_special_tokens=False, truncation=False, verbose=False).input_ids
    rows = seen[0]
    assert rows.shape[0] == drawn.prompt_chunks > 1 and rows.shape[1] == 77
    special = {tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id}
    assert [t for t in rows.flatten().tolist() if t not in special] == [t for t in wanted if t not in special]
    assert drawn.prompt_tokens == len(wanted)


def test_a_continuous_shot_starts_from_the_previous_frame_and_says_so(models, tmp_path):
    made = painter(models["sd15"])
    previous = Reference("continuity", picture(tmp_path, "k1", (200, 40, 40)), "assets/k1.png")
    drawn = draw(made, [previous], continuous=True, strength=0.5)
    assert drawn.mode == "image-to-image" and drawn.strength == 0.5 and drawn.used == [(previous, 0.5)]
    plain = draw(made, [previous])
    assert plain.mode == "text-to-image" and any("no IP-Adapter is set" in n for n in plain.notes)


def test_a_three_character_run_with_the_tiny_model_holds_every_take_to_the_sheets_of_those_in_it(
    models, tmp_path, monkeypatch, capsys, caplog
):
    for key, value in {"IMAGE_STEPS": "2", "KEYFRAMES_WIDTH": "64", "KEYFRAMES_HEIGHT": "64"}.items():
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_IMAGE_IP_ADAPTER", str(models["ip"]))
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_BASE_ROUNDS", "1")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_RETRIES", "0")
    project = str(tmp_path / "kite")
    assert main(["new", str(STORIES / "three-friends.txt"), project, "--scenes", "4"]) == 0
    assert main(["run", project, "--image-model", str(models["sd15"]), "--quiet"]) == 0
    assert "truncat" not in capsys.readouterr().out + caplog.text
    with ProjectFolder.open(project, read_only=True) as folder:
        loaded = folder.load()
        assert all(c.sheet and c.sheet.source == "generated" for c in loaded.characters)
        several = 0
        for scene in loaded.scenes:
            for take in scene.takes:
                identities = {r.character: r for r in take.recipe.references if r.kind == "identity"}
                assert set(identities) == set(scene.characters), "every present character's sheet"
                for character_id, used in identities.items():
                    assert used.image == loaded.character(character_id).sheet.image and used.scale == 0.6
                    assert (used.box is not None) == (len(scene.characters) > 1)
                assert take.recipe.prompt_tokens > 0 and take.recipe.prompt_chunks >= 1
            several += len(scene.characters) > 1
            kinds = {r.kind for r in scene.keyframe.recipe.references}
            if scene in loaded.scenes[2:]:  # scene 2's previous frame is the Base Frame itself
                assert {"style", "continuity"} <= kinds
        assert several >= 1
    assert main(["take", project, "--scene", "2"]) == 0
    assert "identity" in capsys.readouterr().out


def test_a_models_folder_lists_checkpoints_loras_and_ip_adapters(models, tmp_path):
    tree = tmp_path / "ComfyUI" / "models"
    for sub, source in (
        ("checkpoints", models["single"]),
        ("loras", models["lora"]),
        ("ipadapter", models["ip"]),
    ):
        (tree / sub).mkdir(parents=True)
        shutil.copy(source, tree / sub / source.name)
    (tree / "checkpoints" / "old.ckpt").write_bytes(b"pickle")
    shutil.copytree(models["sd15"], tree / "diffusers" / "sd15")
    found = list_models(tree)
    assert [p.name for p in found.checkpoints] == ["tiny-sd15.safetensors", "sd15"]
    assert [p.name for p in found.loras] == ["pytorch_lora_weights.safetensors"]
    assert [p.name for p in found.ip_adapters] == ["ip-adapter.safetensors"]
    assert [p.name for p in found.refused] == ["old.ckpt"]


def test_the_cli_draws_with_a_single_file_checkpoint(models, tmp_path, monkeypatch):
    for key, value in {"IMAGE_STEPS": "2", "KEYFRAMES_WIDTH": "64", "KEYFRAMES_HEIGHT": "64"}.items():
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_IMAGE_SINGLE_FILE_CONFIG", str(models["config"]))
    project = str(tmp_path / "p")
    assert main(["new", str(STORIES / "robot-garden.txt"), project, "--scenes", "2"]) == 0
    assert main(["run", project, "--image-model", str(models["single"]), "--quiet"]) == 0
    with ProjectFolder.open(project, read_only=True) as folder:
        takes = [t for s in folder.load().scenes for t in s.takes]
    assert takes and all(t.model == str(models["single"]) for t in takes)


def test_an_ip_adapter_for_another_base_model_is_refused_with_a_message(models, tmp_path):
    sdxl_adapter = build_ip_adapter(tmp_path / "sdxl-ip", models["sdxl"])
    with pytest.raises(BackendError, match="do not fit this model .* made for one base model"):
        painter(models["sd15"], ip_adapter=str(sdxl_adapter))


def test_a_missing_sheet_is_drawn_around_and_said_on_the_take(models, tmp_path, monkeypatch):
    for key, value in {"IMAGE_STEPS": "1", "KEYFRAMES_WIDTH": "64", "KEYFRAMES_HEIGHT": "64"}.items():
        monkeypatch.setenv(f"DREAMFACTORY_{key}", value)
    monkeypatch.setenv("DREAMFACTORY_IMAGE_IP_ADAPTER", str(models["ip"]))
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_BASE_ROUNDS", "1")
    monkeypatch.setenv("DREAMFACTORY_KEYFRAMES_RETRIES", "0")
    project = tmp_path / "kite"
    assert main(["new", str(STORIES / "three-friends.txt"), str(project), "--scenes", "3"]) == 0
    assert main(["run", str(project), "--image-model", str(models["sd15"]), "--quiet"]) == 0
    with ProjectFolder.open(project, read_only=True) as folder:
        loaded = folder.load()
        scene = next(s for s in loaded.scenes[1:] if s.characters)
        character = loaded.character(scene.characters[0])
        folder.asset_path(character.sheet.image).unlink()
        number = loaded.scene_number(scene.id)
    assert (
        main(["run", str(project), "--image-model", str(models["sd15"]), "--scene", str(number), "--quiet"])
        == 0
    )
    with ProjectFolder.open(project, read_only=True) as folder:
        take = folder.load().scenes[number - 1].takes[-1]
    assert character.id not in {r.character for r in take.recipe.references}
    assert any(f"{character.name}'s sheet" in note and "is missing" in note for note in take.recipe.notes)
