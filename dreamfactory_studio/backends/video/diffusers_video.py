"""Clips from a local diffusers image-to-video checkpoint: Stable Video Diffusion, or a pipeline whose class is
an ``...ImageToVideoPipeline`` taking a prompt (LTX-Video, CogVideoX, Wan and kin).

The model is loaded once on the GPU worker, from a folder or an id already in the Hugging Face cache, from
safetensors, never with remote code. The frames it makes (``frames`` of them at the model's size) are spread
over the scene's duration by blending neighbours, cropped to the export's aspect and encoded at the export size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, StepSink
from dreamfactory_studio.backends.image.diffusers_backend import load_pipeline, release_memory, resolve_model
from dreamfactory_studio.backends.image.memory_plan import place
from dreamfactory_studio.backends.video import ClipRequest
from dreamfactory_studio.backends.video.camera_move import cover, load_rgb
from dreamfactory_studio.backends.video.ffmpeg import FrameWriter
from dreamfactory_studio.backends.video.frames import fit, retime
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.settings import VideoSettings

log = logging.getLogger(__name__)

LAYOUT = (
    "an image-to-video diffusers folder (model_index.json, unet/ or transformer/, vae/, ...) in safetensors"
)
SVD = "StableVideoDiffusionPipeline"
SIZE_MULTIPLE = 32


class DiffusersVideo:
    """A diffusers image-to-video pipeline, loaded once."""

    def __init__(self, settings: VideoSettings):
        self.settings = settings
        self.pipe = None
        self.device = ""
        self.label = "diffusers video"

    def signature(self, request: ClipRequest) -> str:
        s = self.settings
        return (
            f"diffusers-video:{s.model}:{s.steps}:{s.frames}:{s.width}x{s.height}:{s.motion}:{request.seed}:"
            f"{request.prompt}"
        )

    def load(self, on_progress: Callable[[str], None]) -> None:
        require_gpu_stack("the diffusers image-to-video backend")
        path = resolve_model(self.settings.model, layout=LAYOUT, setting="the video model setting")
        on_progress(f"loading {path.name}")
        from diffusers import DiffusionPipeline

        pipe, self.device, dtype = load_pipeline(
            DiffusionPipeline, path, self.settings.device, self.settings.precision, f"expected {LAYOUT}."
        )
        name = type(pipe).__name__
        if name != SVD and not name.endswith("ImageToVideoPipeline"):
            raise BadModel(
                f"the model at {path} is a {name}, not an image-to-video pipeline. Choose Stable Video Diffusion, "
                "or an LTX-Video, CogVideoX or Wan image-to-video checkpoint."
            )
        place(pipe, self.device, self.settings.offload)
        self.pipe = pipe
        self.label = f"diffusers {name}"
        on_progress(f"{path.name} ready on {self.device} ({str(dtype).removeprefix('torch.')})")

    def unload(self) -> None:
        self.pipe = None
        release_memory()

    def _model_size(self) -> tuple[int, int]:
        s = self.settings
        return (
            max(SIZE_MULTIPLE, s.width // SIZE_MULTIPLE * SIZE_MULTIPLE),
            max(SIZE_MULTIPLE, s.height // SIZE_MULTIPLE * SIZE_MULTIPLE),
        )

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> None:
        import torch
        from PIL import Image

        if self.pipe is None:
            raise BackendError("the video model is not loaded.")
        s = self.settings
        width, height = self._model_size()
        start = Image.fromarray(cover(load_rgb(request.image), width, height)).resize((width, height))
        total_steps = s.steps

        def step_end(pipe, step: int, timestep, tensors: dict) -> dict:
            # One step more than the model's: spreading and encoding the frames at the end.
            on_step(step + 1, total_steps + 1)
            if cancelled():
                raise GenerationCancelled("cancelled")
            return tensors

        arguments = dict(
            image=start,
            height=height,
            width=width,
            num_frames=s.frames,
            num_inference_steps=s.steps,
            generator=torch.Generator("cpu").manual_seed(request.seed),
            callback_on_step_end=step_end,
            output_type="np",
        )
        if type(self.pipe).__name__ == SVD:
            arguments.update(decode_chunk_size=s.decode_chunk, motion_bucket_id=s.motion, fps=7)
        else:
            arguments.update(prompt=request.prompt)
        try:
            frames = np.asarray(self.pipe(**arguments).frames[0], dtype=np.float32)
        except torch.OutOfMemoryError:
            release_memory()
            raise BackendError(
                f"out of GPU memory making a {s.frames}-frame clip at {width}x{height}. Lower the decode chunk or "
                "the frame count, or turn on CPU offload, in the settings; the model stays loaded."
            ) from None
        if frames.max() <= 1.0:
            frames = frames * 255.0
        total = request.frame_count
        with FrameWriter(request.output, request.width, request.height, request.fps) as writer:
            for frame in retime(frames, total):
                if cancelled():
                    raise GenerationCancelled("cancelled")
                image = np.clip(frame, 0, 255).astype(np.uint8)
                writer.write(fit(image, request.width, request.height))
        on_step(total_steps + 1, total_steps + 1)
