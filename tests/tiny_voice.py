"""A tiny random VITS voice (MMS-TTS's architecture), built offline: config, weights and a letter vocabulary."""

from __future__ import annotations

import json
from pathlib import Path


def build_vits(folder: Path) -> Path:
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    letters = list(" abcdefghijklmnopqrstuvwxyz'.,?!-")
    vocabulary = folder / "vocab.json"
    vocabulary.write_text(json.dumps({c: i for i, c in enumerate(letters)}))
    tokenizer = VitsTokenizer(
        str(vocabulary),
        add_blank=True,
        normalize=True,
        phonemize=False,
        is_uroman=False,
        pad_token=" ",
        unk_token=" ",
    )
    config = VitsConfig(
        vocab_size=len(letters),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        window_size=2,
        ffn_dim=16,
        flow_size=16,
        spectrogram_bins=17,
        upsample_initial_channel=16,
        upsample_rates=[8, 8],
        upsample_kernel_sizes=[16, 16],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=2,
        prior_encoder_num_wavenet_layers=2,
        posterior_encoder_num_wavenet_layers=2,
        duration_predictor_num_flows=2,
        duration_predictor_filter_channels=16,
        depth_separable_num_layers=2,
        sampling_rate=16000,
    )
    torch.manual_seed(0)
    VitsModel(config).eval().save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
