"""Tiny random image-to-video pipelines of the families that end a clip on a chosen frame (Wan 2.1 FLF2V and I2V,
LTX-Video's condition pipeline), built offline from configs as diffusers' fast tests build them: nothing is
downloaded."""

from __future__ import annotations

from pathlib import Path

from .tiny_families import _t5_encoder, _t5_tokenizer


def build_wan(folder: Path, last_frame: bool = True) -> Path:
    """A Wan-2.1-shaped image-to-video pipeline with its CLIP image encoder; ``last_frame``: the FLF2V
    checkpoint (its image embeddings come in first-and-last pairs), else plain I2V."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    vision = 4 if last_frame else 32
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=4,
        pos_embed_seq_len=2 * (vision * vision + 1) if last_frame else None,
    )
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=vision,
            intermediate_size=16,
            patch_size=1,
        )
    )
    pipe = WanImageToVideoPipeline(
        transformer=transformer,
        vae=AutoencoderKLWan(
            base_dim=3,
            z_dim=16,
            dim_mult=[1, 1, 1, 1],
            num_res_blocks=1,
            temperal_downsample=[False, True, True],
        ),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=_t5_encoder(),
        tokenizer=_t5_tokenizer(),
        image_encoder=encoder,
        image_processor=CLIPImageProcessor(crop_size=vision, size=vision),
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_ltx_condition(folder: Path) -> Path:
    """An LTX-Video-shaped condition pipeline (keyframes at frame indices)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXConditionPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=_t5_encoder(),
        tokenizer=_t5_tokenizer(),
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder
