"""Tiny random pipelines of the families of today (FLUX.1 and Kontext, FLUX.2 klein, Qwen-Image-Edit-Plus,
Z-Image, SD 3.5, Chroma), built offline from configs as diffusers' fast tests build them, with tokenizers trained
here on a few words: nothing is downloaded."""

from __future__ import annotations

import functools
from pathlib import Path

QWEN_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _qwen_tokenizer():
    """A byte-level BPE tokenizer in Qwen2's shape with its chat template, trained here on a few words (the
    hub's tiny test tokenizers cannot be downloaded)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(["a ferry crosses the river in fog", "Picture 1 is the character sheet"], trainer)
    tokenizer = Qwen2TokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
    )
    tokenizer.chat_template = QWEN_CHAT_TEMPLATE
    return tokenizer


def qwen_vl_tokenizer():
    """The Qwen tokenizer with Qwen2.5-VL's vision tokens, and their ids as a Qwen2_5_VLConfig takes them."""
    tokenizer = _qwen_tokenizer()
    names = ("vision_start", "vision_end", "image_pad", "video_pad")
    tokenizer.add_special_tokens({"additional_special_tokens": [f"<|{name}|>" for name in names]})
    start, end, image, video = tokenizer.convert_tokens_to_ids([f"<|{name}|>" for name in names])
    ids = dict(
        vision_start_token_id=start, vision_end_token_id=end, image_token_id=image, video_token_id=video
    )
    return tokenizer, ids


def build_flux2_klein(folder: Path) -> Path:
    """A FLUX.2-klein-shaped pipeline with random weights (as diffusers' fast test builds it), whose Qwen3 text
    encoder has the 28 layers the pipeline reads hidden states from (9, 18 and 27)."""
    import torch
    from diffusers import (
        AutoencoderKLFlux2,
        FlowMatchEulerDiscreteScheduler,
        Flux2KleinPipeline,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    transformer = Flux2Transformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=48,  # three layers' hidden states of 16
        timestep_guidance_channels=256,
        axes_dims_rope=[4, 4, 4, 4],
        guidance_embeds=False,
    )
    config = Qwen3Config(
        intermediate_size=16,
        hidden_size=16,
        num_hidden_layers=28,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        vocab_size=400,
        max_position_embeddings=1024,
    )
    vae = AutoencoderKLFlux2(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",),
        up_block_types=("UpDecoderBlock2D",),
        block_out_channels=(4,),
        layers_per_block=1,
        latent_channels=1,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )
    pipe = Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=Qwen3ForCausalLM(config),
        tokenizer=_qwen_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def _t5_tokenizer():
    """A Unigram tokenizer in T5's shape (``</s>`` closes every prompt), trained here on a few words."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import T5TokenizerFast

    unigram = Tokenizer(models.Unigram())
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    unigram.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=300, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    unigram.train_from_iterator(
        ["a ferry crosses the river in fog", "Picture 1 is the character sheet"] * 8, trainer
    )
    unigram.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return T5TokenizerFast(
        tokenizer_object=unigram,
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_ids=0,
        model_max_length=512,
    )


def _t5_encoder():
    from transformers import T5Config, T5EncoderModel

    config = T5Config(
        vocab_size=64, d_model=32, d_ff=37, d_kv=8, num_layers=2, num_heads=4, pad_token_id=0, eos_token_id=1
    )
    return T5EncoderModel(config).eval()


def _flux_vae(latent_channels: int = 1, blocks: int = 1, **extra):
    """A FLUX-like VAE; ``blocks`` above 1 shrinks the frame 2x per extra block (for the pipelines that encode a
    reference at a megapixel whatever the frame)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * blocks,
        up_block_types=("UpDecoderBlock2D",) * blocks,
        block_out_channels=(4,) * blocks,
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=1,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
        **extra,
    )


def build_flux1(folder: Path, kontext: bool = False) -> Path:
    """A FLUX.1-dev-shaped pipeline (CLIP and T5), or Kontext's (the same parts, one reference picture)."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        FluxKontextPipeline,
        FluxPipeline,
        FluxTransformer2DModel,
    )
    from transformers import CLIPTextModel

    from .tiny_models import _text_config, _tokenizer

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
        guidance_embeds=True,
    )
    pipeline = FluxKontextPipeline if kontext else FluxPipeline
    pipe = pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_flux_vae(blocks=4 if kontext else 1),
        text_encoder=CLIPTextModel(_text_config()),
        tokenizer=_tokenizer(),
        text_encoder_2=_t5_encoder(),
        tokenizer_2=_t5_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_chroma(folder: Path) -> Path:
    """A Chroma-shaped pipeline (T5 alone, true CFG)."""
    import torch
    from diffusers import ChromaPipeline, ChromaTransformer2DModel, FlowMatchEulerDiscreteScheduler

    torch.manual_seed(0)
    transformer = ChromaTransformer2DModel(
        patch_size=1,
        in_channels=4,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        axes_dims_rope=[4, 4, 8],
        approximator_hidden_dim=32,
        approximator_layers=1,
        approximator_num_channels=16,
    )
    pipe = ChromaPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_flux_vae(),
        text_encoder=_t5_encoder(),
        tokenizer=_t5_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_sd3(folder: Path) -> Path:
    """A Stable-Diffusion-3.5-shaped pipeline (two CLIPs and T5)."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline
    from transformers import CLIPTextModelWithProjection

    from .tiny_models import _text_config, _tokenizer

    torch.manual_seed(0)
    transformer = SD3Transformer2DModel(
        sample_size=32,
        patch_size=1,
        in_channels=16,  # as the released model: its inpaint pipeline takes 16 (or 33) channels
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=4,
        caption_projection_dim=32,
        joint_attention_dim=32,
        pooled_projection_dim=64,
        out_channels=16,
    )
    clip = _text_config(projection_dim=32)
    pipe = StableDiffusion3Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_flux_vae(latent_channels=16),
        text_encoder=CLIPTextModelWithProjection(clip),
        tokenizer=_tokenizer(),
        text_encoder_2=CLIPTextModelWithProjection(clip),
        tokenizer_2=_tokenizer(),
        text_encoder_3=_t5_encoder(),
        tokenizer_3=_t5_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_z_image(folder: Path) -> Path:
    """A Z-Image-shaped pipeline (a Qwen3 text encoder read through its chat template)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        ZImagePipeline,
        ZImageTransformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3Model

    torch.manual_seed(0)
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=2,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        cap_feat_dim=16,
        axes_dims=[8, 4, 4],
        axes_lens=[1024, 32, 32],  # positions for a whole prompt of 512 tokens (the real model: 1024)
    )
    with torch.no_grad():  # made with torch.empty: NaN now and then
        transformer.x_pad_token.copy_(torch.ones_like(transformer.x_pad_token))
        transformer.cap_pad_token.copy_(torch.ones_like(transformer.cap_pad_token))
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        block_out_channels=[32, 64],
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=32,
        sample_size=32,
        scaling_factor=0.3611,
        shift_factor=0.1159,
    )
    config = Qwen3Config(
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        vocab_size=400,
        max_position_embeddings=1024,
    )
    pipe = ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=Qwen3Model(config),
        tokenizer=_qwen_tokenizer(),
        transformer=transformer,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_qwen_image(folder: Path, edit_plus: bool = False) -> Path:
    """A Qwen-Image-shaped pipeline (a Qwen2.5-VL text encoder, true CFG), or with ``edit_plus``
    Qwen-Image-Edit-2509's, whose encoder also sees the reference pictures (through a processor that needs
    torchvision). The VAE has one more step down than diffusers' fast test, since the edit pipeline encodes each
    reference at a megapixel (a mid-block attention over 16k positions instead of 65k)."""
    import torch
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImageEditPlusPipeline,
        QwenImagePipeline,
        QwenImageTransformer2DModel,
    )
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2VLImageProcessorPil,
        Qwen2VLProcessor,
    )

    tokenizer, vision_ids = qwen_vl_tokenizer()
    torch.manual_seed(0)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=16,
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=3,
        joint_attention_dim=16,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )
    vae = AutoencoderKLQwenImage(
        base_dim=24,
        z_dim=4,
        dim_mult=[1, 2, 4, 4],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    )
    config = Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
            "vocab_size": len(tokenizer),
        },
        vision_config={
            "depth": 2,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": 16,
        },
        hidden_size=16,
        vocab_size=len(tokenizer),
        **vision_ids,
    )
    parts = dict(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=Qwen2_5_VLForConditionalGeneration(config),
        tokenizer=tokenizer,
        transformer=transformer,
    )
    if edit_plus:
        processor = Qwen2VLProcessor(image_processor=Qwen2VLImageProcessorPil(), tokenizer=tokenizer)
        pipe = QwenImageEditPlusPipeline(processor=processor, **parts)
    else:
        pipe = QwenImagePipeline(**parts)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


BUILDS = {
    "FluxPipeline": build_flux1,
    "FluxKontextPipeline": functools.partial(build_flux1, kontext=True),
    "Flux2KleinPipeline": build_flux2_klein,
    "QwenImagePipeline": build_qwen_image,
    "QwenImageEditPlusPipeline": functools.partial(build_qwen_image, edit_plus=True),
    "ZImagePipeline": build_z_image,
    "StableDiffusion3Pipeline": build_sd3,
    "ChromaPipeline": build_chroma,
}
"""How each family's tiny model is built, by the pipeline class its folder names."""
