"""CLIP's tokenizer, offline: the real BPE vocabulary ships in ``resources/checkpoints/clip-tokenizer/``.

SD 1.x and both SDXL text encoders read text through this tokenizer in windows of 77 tokens, a start and an end
token around :data:`WINDOW` tokens of text. :func:`count_tokens` counts a prompt the way CLIP splits it, in pure
Python from the shipped merges (the crew writes to the painter's budget with it, in the packaged app too, which
has no transformers); :func:`clip_tokenizer` is transformers' own, which the single-file loader hands to the
pipelines it builds.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from dreamfactory_studio.core.paths import resources_dir

WINDOW = 75
"""Tokens of text in one CLIP window (77 with the start and end tokens)."""
# CLIP's split: its special tokens, English contractions, runs of letters, single digits, runs of the rest.
PIECES = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+", re.IGNORECASE
)


def tokenizer_folder():
    return resources_dir() / "checkpoints" / "clip-tokenizer"


@lru_cache(maxsize=2)
def clip_tokenizer(pad_token: str = "<|endoftext|>"):
    """transformers' CLIP tokenizer on the shipped files; SDXL's second encoder pads with ``!``."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(tokenizer_folder(), pad_token=pad_token, model_max_length=77)


@lru_cache(maxsize=1)
def _merges() -> dict[tuple[str, str], int]:
    lines = (tokenizer_folder() / "merges.txt").read_text(encoding="utf-8").split("\n")[1:]
    return {tuple(line.split()): rank for rank, line in enumerate(lines) if line}


@lru_cache(maxsize=1)
def byte_symbols() -> dict[int, str]:
    """CLIP's printable stand-in for each byte, in the order CLIP numbers them (the printable bytes first)."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    symbols, extra = {byte: chr(byte) for byte in printable}, 0
    for byte in range(256):
        if byte not in symbols:
            symbols[byte] = chr(256 + extra)
            extra += 1
    return symbols


@lru_cache(maxsize=4096)
def _bpe_length(piece: str) -> int:
    """How many tokens the byte-pair merges make of one piece."""
    ranks = _merges()
    word = [*piece[:-1], piece[-1] + "</w>"]
    while len(word) > 1:
        pairs = [(ranks.get(pair, 1 << 30), i) for i, pair in enumerate(zip(word, word[1:], strict=False))]
        rank, at = min(pairs)
        if rank == 1 << 30:
            break
        merged = word[at] + word[at + 1]
        first = (word[at], word[at + 1])
        out, i = [], 0
        while i < len(word):
            if i < len(word) - 1 and (word[i], word[i + 1]) == first:
                out.append(merged)
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return len(word)


def count_tokens(text: str) -> int:
    """How many CLIP tokens ``text`` is, besides the start and end tokens."""
    symbols = byte_symbols()
    text = " ".join(unicodedata.normalize("NFC", text).split()).lower()
    return sum(
        _bpe_length("".join(symbols[b] for b in piece.encode("utf-8"))) for piece in PIECES.findall(text)
    )
