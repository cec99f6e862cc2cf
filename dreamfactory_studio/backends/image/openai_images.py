"""Keyframes from OpenAI's image models (gpt-image-1, dall-e-3) or a server with the same API.

Text-to-image through ``images.generate``; with a reference (the Base Frame), ``images.edit`` where the server
offers it, else text alone. The size sent is the model's nearest supported one, and the result is scaled to the
size asked. Runs on the GPU worker thread like every painter, with the synchronous client.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from contextlib import ExitStack

from dreamfactory_studio.backends.image import Cancelled, Drawn, GenerationCancelled, ImageRequest, StepSink
from dreamfactory_studio.backends.openai_client import explain
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.secrets import api_key
from dreamfactory_studio.core.settings import ImageSettings

log = logging.getLogger(__name__)

SIZES = {
    "gpt-image": ((1024, 1024), (1536, 1024), (1024, 1536)),
    "dall-e-3": ((1024, 1024), (1792, 1024), (1024, 1792)),
    "dall-e-2": ((256, 256), (512, 512), (1024, 1024)),
}


def api_size(model: str, width: int, height: int) -> str:
    """The model's supported size nearest in shape to ``width`` x ``height`` (any size for other servers)."""
    family = next((key for key in SIZES if model.startswith(key)), None)
    if family is None:
        return f"{width}x{height}"
    w, h = min(SIZES[family], key=lambda s: (abs(s[0] / s[1] - width / height), abs(s[0] - width)))
    return f"{w}x{h}"


class OpenAIImages:
    def __init__(self, settings: ImageSettings):
        self.settings = settings
        self.model_id = settings.model or "gpt-image-1"
        self.label = f"openai images {self.model_id}"
        self.prompt_budget = None
        self._client = None
        self._edits = True

    def load(self, on_progress: Callable[[str], None]) -> None:
        import openai

        self._client = openai.OpenAI(
            base_url=self.settings.base_url or None,
            api_key=api_key(self.settings.base_url) or "not-needed",
            timeout=self.settings.timeout,
        )
        on_progress(f"{self.label} ready")

    def unload(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def generate(self, request: ImageRequest, on_step: StepSink, cancelled: Cancelled):
        import openai
        from PIL import Image

        if cancelled():
            raise GenerationCancelled("cancelled")
        if request.region is not None:
            raise BadModel(
                "the OpenAI images painter does not redraw a region; redraw it with the diffusers painter, "
                "ComfyUI or the sketch renderer ([image] backend), or draw a new take."
            )
        arguments = {
            "model": self.model_id,
            "prompt": request.prompt,
            "size": api_size(self.model_id, request.width, request.height),
            "n": 1,
        }
        if self.settings.quality:
            arguments["quality"] = self.settings.quality
        if not self.model_id.startswith("gpt-image"):
            arguments["response_format"] = (
                "b64_json"  # gpt-image answers in base64 always, and refuses the field
            )
        # gpt-image edits take several images (style and each character's sheet); the others one.
        references = request.references[: 16 if self.model_id.startswith("gpt-image") else 1]
        try:
            response = None
            if references and self._edits:
                try:
                    with ExitStack() as stack:
                        images = [stack.enter_context(open(r.path, "rb")) for r in references]
                        response = self._client.images.edit(
                            image=images if len(images) > 1 else images[0], **arguments
                        )
                except (openai.NotFoundError, openai.BadRequestError) as exc:
                    log.info(
                        "%s offers no usable edits endpoint (%s); drawing from the prompt alone",
                        self.label,
                        exc,
                    )
                    self._edits = False
            response_from_edit = response is not None
            if response is None:
                response = self._client.images.generate(**arguments)
        except openai.APIError as exc:
            raise explain(
                exc,
                what="image",
                url=self.settings.base_url,
                model=self.model_id,
                timeout=self.settings.timeout,
                tries=3,
                offline="sketch renderer",
            ) from exc
        if cancelled():
            raise GenerationCancelled("cancelled")
        data = response.data[0] if response.data else None
        if data is None or not data.b64_json:
            raise BackendError(f"{self.label} answered without an image; try again or choose another model.")
        from dreamfactory_studio.backends.image.files import decode_image

        image = decode_image(base64.b64decode(data.b64_json), f"the image {self.label} sent")
        on_step(1, 1)
        if image.size != (request.width, request.height):
            image = image.resize((request.width, request.height), Image.Resampling.LANCZOS)
        used = [(r, 1.0) for r in references] if response_from_edit else []
        return Drawn(image, used=used, mode="image-to-image" if used else "text-to-image")
