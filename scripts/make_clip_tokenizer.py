"""Write the CLIP tokenizer files that ship in ``resources/checkpoints/clip-tokenizer/``.

They come from ``bpe_simple_vocab_16e6.txt.gz``, the BPE merges OpenAI's CLIP was trained with, as the
``open-clip-torch`` wheel ships it (MIT licence): the vocabulary is the 512 byte symbols, 48,894 merges and
the start and end tokens, 49,408 in all, in the order CLIP numbers them. Run once, offline, with the wheel's
file: ``python scripts/make_clip_tokenizer.py PATH/bpe_simple_vocab_16e6.txt.gz``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "resources" / "checkpoints" / "clip-tokenizer"
sys.path.insert(0, str(REPO))

from dreamfactory_studio.backends.image.clip_tokens import byte_symbols  # noqa: E402

MERGES = 49152 - 256 - 2


def main(source: str) -> None:
    with gzip.open(source) as packed:
        merges = packed.read().decode("utf-8").split("\n")[1 : MERGES + 1]
    symbols = list(byte_symbols().values())
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.json").write_text(
        json.dumps({token: index for index, token in enumerate(vocab)}, ensure_ascii=False), encoding="utf-8"
    )
    (OUT / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    special = {
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
    }
    (OUT / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    config = {**special, "model_max_length": 77, "do_lower_case": True, "tokenizer_class": "CLIPTokenizer"}
    (OUT / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"{len(vocab)} tokens, {len(merges)} merges in {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
