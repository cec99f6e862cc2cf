"""Prompts longer than one CLIP window, encoded whole: no word reaches the text encoder truncated.

CLIP reads 77 tokens. A longer prompt is split into windows of 75 tokens, each encoded with its own start and
end token, and the windows' embeddings are joined along the sequence, which the UNet's cross-attention takes at
any length: the way Automatic1111, ComfyUI and ``compel`` encode long prompts. The negative prompt gets as many
windows, so the two stay the same length for classifier-free guidance; SDXL's pooled embedding is the first
window's. Written here rather than taken from ``compel`` because ``compel`` pins the diffusers and transformers
releases it supports and this is the one part of it the studio needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Encoded:
    arguments: dict
    tokens: int
    windows: int


def encodes_itself(pipe) -> bool:
    """Whether the pipeline is a CLIP-prompted SD 1.x/2.x or SDXL one, whose prompts this module encodes."""
    return (
        getattr(pipe, "text_encoder", None) is not None
        and getattr(pipe, "tokenizer", None) is not None
        and (
            type(pipe).__name__.startswith(
                ("StableDiffusionPipeline", "StableDiffusionImg2Img", "StableDiffusionXL")
            )
        )
    )


def _windows(tokenizer, text: str) -> list[list[int]]:
    ids = tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
    size = tokenizer.model_max_length - 2
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def _rows(tokenizer, windows: list[list[int]]):
    import torch

    length = tokenizer.model_max_length
    rows = []
    for window in windows:
        row = [tokenizer.bos_token_id, *window, tokenizer.eos_token_id]
        rows.append(row + [tokenizer.pad_token_id] * (length - len(row)))
    return torch.tensor(rows)


def _encode(encoder, tokenizer, windows, device, penultimate: bool):
    """The windows' hidden states joined into one sequence, and the first window's pooled output."""
    output = encoder(_rows(tokenizer, windows).to(device), output_hidden_states=penultimate)
    hidden = output.hidden_states[-2] if penultimate else output[0]
    hidden = hidden.to(dtype=encoder.dtype).reshape(1, -1, hidden.shape[-1])
    pooled = output.text_embeds[:1] if hasattr(output, "text_embeds") else None
    return hidden, pooled


def _padded(*lists: list[list[int]]) -> list[list[list[int]]]:
    """Window lists made the same length with empty windows (a start, an end and padding)."""
    count = max(len(w) for w in lists)
    return [w + [[]] * (count - len(w)) for w in lists]


def encode_prompt(pipe, prompt: str, negative: str, device) -> Encoded:
    """The keyword arguments that give ``pipe`` these prompts as embeddings, whatever their length."""
    import torch

    tokens = sum(len(w) for w in _windows(pipe.tokenizer, prompt))
    second = getattr(pipe, "text_encoder_2", None)
    with torch.no_grad():
        if second is None:
            positive, negatives = _padded(
                _windows(pipe.tokenizer, prompt), _windows(pipe.tokenizer, negative)
            )
            embeds, _ = _encode(pipe.text_encoder, pipe.tokenizer, positive, device, False)
            negative_embeds, _ = _encode(pipe.text_encoder, pipe.tokenizer, negatives, device, False)
            arguments = dict(prompt_embeds=embeds, negative_prompt_embeds=negative_embeds)
            return Encoded(arguments, tokens, len(positive))
        tokenizer_2 = pipe.tokenizer_2
        positive, negatives, positive_2, negatives_2 = _padded(
            _windows(pipe.tokenizer, prompt),
            _windows(pipe.tokenizer, negative),
            _windows(tokenizer_2, prompt),
            _windows(tokenizer_2, negative),
        )
        first, _ = _encode(pipe.text_encoder, pipe.tokenizer, positive, device, True)
        other, pooled = _encode(second, tokenizer_2, positive_2, device, True)
        embeds = torch.cat([first, other], dim=-1)
        if not negative and pipe.config.get("force_zeros_for_empty_prompt", False):
            negative_embeds, negative_pooled = torch.zeros_like(embeds), torch.zeros_like(pooled)
        else:
            first, _ = _encode(pipe.text_encoder, pipe.tokenizer, negatives, device, True)
            other, negative_pooled = _encode(second, tokenizer_2, negatives_2, device, True)
            negative_embeds = torch.cat([first, other], dim=-1)
    arguments = dict(
        prompt_embeds=embeds,
        negative_prompt_embeds=negative_embeds,
        pooled_prompt_embeds=pooled,
        negative_pooled_prompt_embeds=negative_pooled,
    )
    return Encoded(arguments, tokens, len(positive))
