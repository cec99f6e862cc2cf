"""Tiny random diffusion pipelines built from configs and saved with ``save_pretrained``, as a user's checkpoint
would be, so tests drive the real loading code with no download. Sizes follow diffusers' own fast tests."""

from __future__ import annotations

from pathlib import Path

TOKENIZER = Path(__file__).parent / "fixtures" / "tiny-clip-tokenizer"


TINY_VIT = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, image_size=32
)
"""The vision transformer of every tiny image encoder here (CLIP, the IP-Adapter's encoder, DINOv2)."""


def _tokenizer(real: bool = False):
    from transformers import CLIPTokenizer

    if real:
        from dreamfactory_studio.backends.image.clip_tokens import clip_tokenizer

        return clip_tokenizer()
    return CLIPTokenizer.from_pretrained(TOKENIZER, model_max_length=77)


def _text_config(real: bool = False, **extra):
    """A tiny CLIP text encoder; ``real``: with CLIP's own vocabulary of 49,408 tokens, for the shipped
    tokenizer."""
    from transformers import CLIPTextConfig

    ids = dict(bos_token_id=49406, eos_token_id=49407, pad_token_id=49407, vocab_size=49408)
    return CLIPTextConfig(
        **(ids if real else dict(bos_token_id=512, eos_token_id=513, pad_token_id=513, vocab_size=514)),
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        max_position_embeddings=77,
        **extra,
    )


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[4, 8],
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        norm_num_groups=2,
        down_block_types=["DownEncoderBlock2D"] * 2,
        up_block_types=["UpDecoderBlock2D"] * 2,
    )


def _scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )


def build_sd15(folder: Path, real_tokenizer: bool = False) -> Path:
    """A Stable-Diffusion-1.5-shaped pipeline with random weights, in safetensors (``real_tokenizer``: with
    CLIP's own vocabulary, as a single-file checkpoint's text encoder has it)."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(4, 8),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=2,
    )
    pipe = StableDiffusionPipeline(
        vae=_vae(),
        text_encoder=CLIPTextModel(_text_config(real_tokenizer)),
        tokenizer=_tokenizer(real_tokenizer),
        unet=unet,
        scheduler=_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_sdxl(folder: Path) -> Path:
    """A Stable-Diffusion-XL-shaped pipeline (two text encoders, text-time conditioning) with random weights."""
    import torch
    from diffusers import StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(8, 16),
        layers_per_block=1,
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,
        cross_attention_dim=64,
        norm_num_groups=2,
    )
    pipe = StableDiffusionXLPipeline(
        vae=_vae(),
        text_encoder=CLIPTextModel(_text_config()),
        tokenizer=_tokenizer(),
        text_encoder_2=CLIPTextModelWithProjection(_text_config(projection_dim=32)),
        tokenizer_2=_tokenizer(),
        unet=unet,
        scheduler=_scheduler(),
        image_encoder=None,
        feature_extractor=None,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_ip_adapter(folder: Path, unet_folder: Path) -> Path:
    """An IP-Adapter for the pipeline at ``unet_folder``: random projection and attention weights in the layout
    ``load_ip_adapter`` reads (``image_proj.*``, ``ip_adapter.N.to_k_ip/to_v_ip``), with a tiny CLIP image encoder
    in ``image_encoder/`` beside it. Returns the weights file."""
    import torch
    from diffusers import UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(1)
    unet = UNet2DConditionModel.from_pretrained(unet_folder / "unet")
    cross = unet.config.cross_attention_dim
    channels = list(unet.config.block_out_channels)
    tensors: dict[str, torch.Tensor] = {}
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            hidden = channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(channels))[int(name.split(".")[1])]
        else:
            hidden = channels[int(name.split(".")[1])]
        tensors[f"ip_adapter.{key_id}.to_k_ip.weight"] = torch.randn(hidden, cross) * 0.02
        tensors[f"ip_adapter.{key_id}.to_v_ip.weight"] = torch.randn(hidden, cross) * 0.02
        key_id += 2
    embed = 32
    tensors["image_proj.proj.weight"] = torch.randn(cross * 4, embed) * 0.02
    tensors["image_proj.proj.bias"] = torch.zeros(cross * 4)
    tensors["image_proj.norm.weight"] = torch.ones(cross)
    tensors["image_proj.norm.bias"] = torch.zeros(cross)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / "ip-adapter.safetensors"
    save_file(tensors, weights)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**TINY_VIT, projection_dim=embed, patch_size=4))
    encoder.save_pretrained(folder / "image_encoder", safe_serialization=True)
    return weights


def build_clip(folder: Path) -> Path:
    """A CLIP model (text and vision towers) with random weights and its processor, as a user's local folder."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPVisionConfig

    torch.manual_seed(2)
    config = CLIPConfig(
        text_config=_text_config().to_dict(),
        vision_config=CLIPVisionConfig(**TINY_VIT, patch_size=4).to_dict(),
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(folder, safe_serialization=True)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
        tokenizer=_tokenizer(),
    )
    processor.save_pretrained(folder)
    return folder


def build_svd(folder: Path) -> Path:
    """A tiny Stable Video Diffusion (image-to-video) pipeline, shaped as diffusers' SVD fast tests shape it."""
    import torch
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32,
        num_attention_heads=8,
        projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        interpolation_type="linear",
        num_train_timesteps=1000,
        prediction_type="v_prediction",
        sigma_max=700.0,
        sigma_min=0.002,
        steps_offset=1,
        timestep_spacing="leading",
        timestep_type="continuous",
        use_karras_sigmas=True,
    )
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        latent_channels=4,
    )
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=224,  # the pipeline always resizes the conditioning image to 224
            intermediate_size=37,
            patch_size=32,
        )
    )
    pipe = StableVideoDiffusionPipeline(
        unet=unet,
        image_encoder=image_encoder,
        scheduler=scheduler,
        vae=vae,
        feature_extractor=CLIPImageProcessor(crop_size=32, size=32),
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_dinov2(folder: Path) -> Path:
    """A DINOv2 model with random weights and its image processor, as a user's local folder."""
    import torch
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    torch.manual_seed(3)
    Dinov2Model(Dinov2Config(**TINY_VIT, patch_size=8)).save_pretrained(folder, safe_serialization=True)
    BitImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        folder
    )
    return folder


def build_yunet(path: Path) -> Path:
    """An ONNX model with YuNet's inputs and outputs (cls/obj/bbox/kps at strides 8, 16, 32) and random weights,
    which OpenCV's FaceDetectorYN runs: its 'faces' depend on the pixels, so one image always gives one crop."""
    import torch

    class Heads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = torch.nn.ModuleList(torch.nn.Conv2d(3, 16, s, stride=s) for s in (8, 16, 32))
            for head in self.heads:
                torch.nn.init.normal_(head.weight, std=1e-4 / head.kernel_size[0])  # the input is 0-255
                # Scores near 0.9 and boxes of about two strides, so that the faces lie on the image.
                head.bias.data = torch.tensor([2.0, 2.0, 0.0, 0.0, 0.7, 0.7] + [0.0] * 10)

        def forward(self, x):
            rows = [head(x).flatten(2).transpose(1, 2) for head in self.heads]
            out = []
            for part in (slice(0, 1), slice(1, 2), slice(2, 6), slice(6, 16)):
                for row in rows:
                    value = row[:, :, part]
                    out.append(torch.sigmoid(value) if part.stop <= 2 else value)
            return tuple(out)

    torch.manual_seed(4)
    names = [f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in (8, 16, 32)]
    torch.onnx.export(
        Heads().eval(),
        (torch.zeros(1, 3, 64, 64),),
        str(path),
        input_names=["input"],
        output_names=names,
        dynamic_axes={"input": {2: "h", 3: "w"}, **{name: {1: "n"} for name in names}},
        dynamo=False,
        opset_version=13,
    )
    return path


def build_inception(path: Path) -> Path:
    """A TorchScript network called like the reference Inception-v3 (``inception-2015-12-05.pt``): uint8 images
    in, pool features with ``return_features``, else class probabilities; 8 features and 10 classes here."""
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 9, stride=8)
            self.fc = torch.nn.Linear(8, 10)

        def forward(
            self,
            img: torch.Tensor,
            return_features: bool = False,
            use_fp16: bool = False,
            no_output_bias: bool = False,
        ) -> torch.Tensor:
            x = torch.relu(self.conv(img.float() / 255.0)).mean(dim=(2, 3))
            if return_features:
                return x
            logits = x @ self.fc.weight.t() * 20.0
            if not no_output_bias:
                logits = logits + self.fc.bias
            return torch.softmax(logits, dim=1)

    torch.manual_seed(5)
    torch.jit.script(Net().eval()).save(str(path))
    return path


def build_i3d(path: Path) -> Path:
    """A TorchScript network called like StyleGAN-V's I3D (``i3d_torchscript.pt``): videos NCTHW in [-1, 1] in,
    features out with ``return_features``; 8 features here."""
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv3d(3, 8, (2, 16, 16), stride=(2, 16, 16))

        def forward(
            self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = False
        ) -> torch.Tensor:
            return torch.relu(self.conv(x)).mean(dim=(2, 3, 4))

    torch.manual_seed(6)
    torch.jit.script(Net().eval()).save(str(path))
    return path


def build_lora(folder: Path, pipeline_folder: Path, seed: int = 7) -> Path:
    """A LoRA for the UNet at ``pipeline_folder``, made with peft with random (not zero) weights so that it
    changes the picture, saved as ``save_lora_weights`` writes it. Returns the file."""
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(seed)
    unet = UNet2DConditionModel.from_pretrained(pipeline_folder / "unet")
    unet.add_adapter(
        LoraConfig(
            r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"], init_lora_weights=False
        )
    )
    layers = {k: v * 20 for k, v in get_peft_model_state_dict(unet).items()}  # strong enough to see
    StableDiffusionPipeline.save_lora_weights(folder, unet_lora_layers=layers, safe_serialization=True)
    return folder / "pytorch_lora_weights.safetensors"


def _unet_to_original(state: dict, config) -> dict:
    """A diffusers UNet state dict in the original Stable Diffusion layout (``model.diffusion_model.*``), for
    any number of blocks and layers per block: the inverse of diffusers' single-file conversion."""
    per = config.layers_per_block
    renames = [
        ("time_embedding.linear_1.", "time_embed.0."),
        ("time_embedding.linear_2.", "time_embed.2."),
        ("conv_in.", "input_blocks.0.0."),
        ("conv_norm_out.", "out.0."),
        ("conv_out.", "out.2."),
        ("mid_block.attentions.0.", "middle_block.1."),
        ("mid_block.resnets.0.", "middle_block.0."),
        ("mid_block.resnets.1.", "middle_block.2."),
    ]
    for i in range(len(config.block_out_channels)):
        for j in range(per):
            renames.append((f"down_blocks.{i}.resnets.{j}.", f"input_blocks.{1 + i * (per + 1) + j}.0."))
            renames.append((f"down_blocks.{i}.attentions.{j}.", f"input_blocks.{1 + i * (per + 1) + j}.1."))
        renames.append((f"down_blocks.{i}.downsamplers.0.conv.", f"input_blocks.{(i + 1) * (per + 1)}.0.op."))
        has_attention = config.up_block_types[i].startswith("CrossAttn")
        for j in range(per + 1):
            renames.append((f"up_blocks.{i}.resnets.{j}.", f"output_blocks.{i * (per + 1) + j}.0."))
            renames.append((f"up_blocks.{i}.attentions.{j}.", f"output_blocks.{i * (per + 1) + j}.1."))
        renames.append(
            (
                f"up_blocks.{i}.upsamplers.0.",
                f"output_blocks.{i * (per + 1) + per}.{2 if has_attention else 1}.",
            )
        )
    resnet = [
        ("norm1", "in_layers.0"),
        ("conv1", "in_layers.2"),
        ("norm2", "out_layers.0"),
        ("conv2", "out_layers.3"),
        ("time_emb_proj", "emb_layers.1"),
        ("conv_shortcut", "skip_connection"),
    ]
    out = {}
    for key, value in state.items():
        name = key
        if "resnets" in name:
            for a, b in resnet:
                name = name.replace(f".{a}.", f".{b}.")
        for a, b in renames:
            if name.startswith(a):
                name = b + name[len(a) :]
                break
        out["model.diffusion_model." + name] = value
    return out


def _vae_to_original(state: dict, config) -> dict:
    blocks = len(config.block_out_channels)
    renames = [
        ("encoder.mid_block.attentions.0.", "encoder.mid.attn_1."),
        ("decoder.mid_block.attentions.0.", "decoder.mid.attn_1."),
    ]
    for part in ("encoder", "decoder"):
        renames += [(f"{part}.mid_block.resnets.{i}.", f"{part}.mid.block_{i + 1}.") for i in range(2)]
        renames.append((f"{part}.conv_norm_out.", f"{part}.norm_out."))
    for i in range(blocks):
        renames += [
            (f"encoder.down_blocks.{i}.resnets.{j}.", f"encoder.down.{i}.block.{j}.") for j in range(4)
        ]
        renames.append((f"encoder.down_blocks.{i}.downsamplers.0.", f"encoder.down.{i}.downsample."))
        up = blocks - 1 - i
        renames += [(f"decoder.up_blocks.{i}.resnets.{j}.", f"decoder.up.{up}.block.{j}.") for j in range(4)]
        renames.append((f"decoder.up_blocks.{i}.upsamplers.0.", f"decoder.up.{up}.upsample."))
    attention = [
        ("group_norm.", "norm."),
        ("to_q.", "q."),
        ("to_k.", "k."),
        ("to_v.", "v."),
        ("to_out.0.", "proj_out."),
    ]
    out = {}
    for key, value in state.items():
        name = key.replace("conv_shortcut", "nin_shortcut")
        for a, b in renames:
            if name.startswith(a):
                name = b + name[len(a) :]
                break
        if ".attn_1." in name:
            for a, b in attention:
                name = name.replace(f".attn_1.{a}", f".attn_1.{b}")
            if name.endswith("weight") and value.ndim == 2:
                value = value[:, :, None, None]
        out["first_stage_model." + name] = value
    return out


def to_single_file(pipeline_folder: Path, file: Path) -> Path:
    """Write the SD 1.x pipeline at ``pipeline_folder`` as one ``.safetensors`` checkpoint in the original
    layout (UNet, VAE and CLIP text encoder), as ComfyUI and Automatic1111 users have them."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextModel

    unet = UNet2DConditionModel.from_pretrained(pipeline_folder / "unet")
    vae = AutoencoderKL.from_pretrained(pipeline_folder / "vae")
    text = CLIPTextModel.from_pretrained(pipeline_folder / "text_encoder")
    state = _unet_to_original(unet.state_dict(), unet.config)
    state.update(_vae_to_original(vae.state_dict(), vae.config))
    # The original layout names the text model's tensors text_model.*, which transformers 5 leaves out.
    state.update(
        {
            "cond_stage_model.transformer." + ("" if k.startswith("text_model.") else "text_model.") + k: v
            for k, v in text.state_dict().items()
        }
    )
    save_file({k: v.contiguous() for k, v in state.items()}, file)
    return file
