"""The characters' LoRAs on a loaded pipeline: each loaded from its local file for the scenes its character is
in, weighted as the character says, and unloaded when a scene does not have them. A LoRA that does not fit the
checkpoint (made for another base model) is left out with a note on the take; the drawing goes on."""

from __future__ import annotations

import contextlib
import hashlib
import logging

from dreamfactory_studio.backends.image import LoraWeights
from dreamfactory_studio.backends.image.checkpoints import check_weights_file
from dreamfactory_studio.core.errors import BadModel

log = logging.getLogger(__name__)


def adapter_name(lora: LoraWeights) -> str:
    return "cast_" + hashlib.sha1(str(lora.path).encode()).hexdigest()[:12]


class Loras:
    def __init__(self, pipe):
        self.pipe = pipe
        self.loaded: dict[str, LoraWeights] = {}

    def apply(self, wanted: list[LoraWeights]) -> tuple[list[LoraWeights], list[str]]:
        """Make exactly ``wanted`` active; return those in use and what was left out, in words."""
        notes: list[str] = []
        names = {adapter_name(lora): lora for lora in wanted}
        gone = [name for name in self.loaded if name not in names]
        if gone:
            self.pipe.delete_adapters(gone)
            for name in gone:
                del self.loaded[name]
        used: list[LoraWeights] = []
        for name, lora in names.items():
            if name not in self.loaded:
                problem = self._load(name, lora)
                if problem:
                    notes.append(f"the LoRA {lora.path.name} was left out: {problem}")
                    continue
            self.loaded[name] = lora
            used.append(lora)
        if used:
            self.pipe.set_adapters([adapter_name(u) for u in used], adapter_weights=[u.weight for u in used])
        return used, notes

    def _load(self, name: str, lora: LoraWeights) -> str:
        try:
            check_weights_file(lora.path, "LoRA")
        except BadModel as exc:
            return str(exc)
        try:
            self.pipe.load_lora_weights(
                str(lora.path.parent), weight_name=lora.path.name, adapter_name=name, local_files_only=True
            )
        except (ValueError, RuntimeError, KeyError, OSError, TypeError) as exc:
            self._forget(name)
            return f"it does not fit this checkpoint, which it was not made for ({str(exc)[:160]})"
        if not any(name in names for names in self.pipe.get_list_adapters().values()):
            return "none of its layers are in this checkpoint, which it was not made for"
        return ""

    def _forget(self, name: str) -> None:
        with contextlib.suppress(ValueError, KeyError):
            self.pipe.delete_adapters([name])
