"""CLIP's tokenizer, offline: the real BPE vocabulary ships in ``resources/checkpoints/clip-tokenizer/``.

SD 1.x and both SDXL text encoders read text through this tokenizer in windows of 77 tokens, a start and an end
token around :data:`WINDOW` tokens of text. The studio counts prompts with it (to write them to the painter's
budget) and the single-file loader hands it to the pipelines it builds.
"""

from __future__ import annotations

from functools import lru_cache

from dreamfactory_studio.core.paths import resources_dir

WINDOW = 75
"""Tokens of text in one CLIP window (77 with the start and end tokens)."""


def tokenizer_folder():
    return resources_dir() / "checkpoints" / "clip-tokenizer"


@lru_cache(maxsize=2)
def clip_tokenizer(pad_token: str = "<|endoftext|>"):
    """CLIP's tokenizer; SDXL's second encoder pads with ``!`` instead of the end token."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(tokenizer_folder(), pad_token=pad_token, model_max_length=77)


def count_tokens(text: str) -> int:
    """How many CLIP tokens ``text`` is, besides the start and end tokens."""
    return len(clip_tokenizer()(text, add_special_tokens=False, truncation=False, verbose=False).input_ids)
