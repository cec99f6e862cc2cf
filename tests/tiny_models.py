"""Tiny random diffusion pipelines built from configs and saved with ``save_pretrained``, as a user's checkpoint
would be, so tests drive the real loading code with no download. Sizes follow diffusers' own fast tests."""

from __future__ import annotations

from pathlib import Path

TOKENIZER = Path(__file__).parent / "fixtures" / "tiny-clip-tokenizer"


TINY_VIT = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37, image_size=32
)
"""The vision transformer of every tiny image encoder here (CLIP, the IP-Adapter's encoder, DINOv2)."""


def _tokenizer():
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(TOKENIZER, model_max_length=77)


def _text_config(**extra):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        bos_token_id=512,
        eos_token_id=513,
        pad_token_id=513,
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        vocab_size=514,
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


def build_sd15(folder: Path) -> Path:
    """A Stable-Diffusion-1.5-shaped pipeline with random weights, in safetensors."""
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
        text_encoder=CLIPTextModel(_text_config()),
        tokenizer=_tokenizer(),
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
