"""CLIP image and text features for the image memory, from a local CLIP model folder (never downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.core.errors import BackendError


class ClipEmbedder:
    """Unit-length CLIP features; images and texts land in the same space, so either can search frames."""

    def __init__(self, folder: Path | str):
        require_gpu_stack("the image memory's CLIP model ([memory] clip_model)")
        self.folder = Path(folder).expanduser()
        if not (self.folder / "config.json").is_file():
            raise BackendError(
                f"no CLIP model at {self.folder}; expected a folder with config.json, the weights in safetensors "
                "and the processor files (as CLIPModel.save_pretrained and CLIPProcessor.save_pretrained write them)."
            )
        self.name = f"clip:{self.folder.name}"
        self._model = None
        self._processor = None

    def _load(self):
        if self._model is None:
            from transformers import CLIPModel, CLIPProcessor

            try:
                self._model = CLIPModel.from_pretrained(
                    self.folder, local_files_only=True, use_safetensors=True
                ).eval()
                self._processor = CLIPProcessor.from_pretrained(self.folder, local_files_only=True)
            except (OSError, ValueError) as exc:
                raise BackendError(f"the CLIP model at {self.folder} cannot be loaded ({exc}).") from None
        return self._model, self._processor

    @staticmethod
    def _unit(features) -> np.ndarray:
        vector = features.detach().float().numpy()[0]
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)

    def image(self, path: Path) -> np.ndarray:
        from dreamfactory_studio.backends.image.files import open_image

        return self.picture(open_image(path))

    def picture(self, image) -> np.ndarray:
        """The features of a PIL image already in memory (a face crop, say)."""
        import torch

        model, processor = self._load()
        with torch.no_grad():
            inputs = processor(images=image.convert("RGB"), return_tensors="pt")
            return self._unit(_features(model.get_image_features(**inputs)))

    def text(self, text: str) -> np.ndarray:
        import torch

        model, processor = self._load()
        with torch.no_grad():
            inputs = processor(text=[text], return_tensors="pt", padding=True, truncation=True)
            return self._unit(_features(model.get_text_features(**inputs)))


def _features(output):
    # transformers 5 returns a model output whose pooled features are the projection; older versions a tensor.
    return getattr(output, "pooler_output", output) if not hasattr(output, "detach") else output
