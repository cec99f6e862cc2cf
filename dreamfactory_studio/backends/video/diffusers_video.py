"""Clips from a local diffusers image-to-video checkpoint of one of the :mod:`.video_families` (Stable Video
Diffusion, Wan, LTX-Video, SkyReels, FramePack, CogVideoX).

The model is loaded once on the GPU worker, from a folder or an id already in the Hugging Face cache, from
safetensors, never with remote code. A clip is made at the family's native frame rate, with the legal frame count
nearest the scene's length (Wan 4k+1, LTX 8k+1, SVD its trained count); a scene longer than the model's longest
clip is made of segments, each starting on the last frame of the one before. A clip asked to end on a frame (the
next keyframe, the scene's end frame) ends on it where the model can: Wan's ``last_image``, LTX's condition at the
last frame index. The frames are then spread over the scene's length at the film's rate, cropped to the
export's aspect and encoded at the export size.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from dreamfactory_studio.backends.gpu_stack import require_gpu_stack
from dreamfactory_studio.backends.image import Cancelled, GenerationCancelled, StepSink
from dreamfactory_studio.backends.image.diffusers_backend import (
    accepted_arguments,
    load_pipeline,
    multiple_of,
    release_memory,
    resolve_model,
)
from dreamfactory_studio.backends.image.memory_plan import place
from dreamfactory_studio.backends.video import ENDS_FREE, ClipRequest
from dreamfactory_studio.backends.video.camera_move import cover, load_rgb
from dreamfactory_studio.backends.video.ffmpeg import FrameWriter
from dreamfactory_studio.backends.video.frames import fit, retime
from dreamfactory_studio.backends.video.video_families import FoundVideo, read_video_family
from dreamfactory_studio.core.errors import BackendError, BadModel
from dreamfactory_studio.core.settings import VideoSettings

log = logging.getLogger(__name__)

LAYOUT = (
    "an image-to-video diffusers folder (model_index.json, unet/ or transformer/, vae/, ...) in safetensors"
)
SVD = "StableVideoDiffusionPipeline"


class DiffusersVideo:
    """A diffusers image-to-video pipeline of a known family, loaded once."""

    def __init__(self, settings: VideoSettings):
        self.settings = settings
        self.pipe = None
        self.found: FoundVideo | None = None
        self.device = ""
        self.label = "diffusers video"

    def signature(self, request: ClipRequest) -> str:
        s = self.settings
        return (
            f"diffusers-video:{s.model}:{s.steps}:{s.guidance}:{s.frames}:{s.width}x{s.height}:{s.motion}:"
            f"{request.seed}:{request.prompt}"
        )

    def load(self, on_progress: Callable[[str], None]) -> None:
        require_gpu_stack("the diffusers image-to-video backend")
        path = resolve_model(self.settings.model, layout=LAYOUT, setting="the video model setting")
        self.found = read_video_family(path)
        on_progress(f"loading {path.name} ({self.found.name})")
        import diffusers

        pipe, self.device, dtype = load_pipeline(
            getattr(diffusers, self.found.pipeline),
            path,
            self.settings.device,
            self.settings.precision,
            f"expected {LAYOUT}.",
        )
        place(pipe, self.device, self.settings.offload)
        self.pipe = pipe
        self.label = f"diffusers {type(pipe).__name__}"
        on_progress(
            f"{path.name} ready on {self.device} ({str(dtype).removeprefix('torch.')}, {self.found.name})"
        )

    def unload(self) -> None:
        self.pipe = None
        release_memory()

    def _model_size(self) -> tuple[int, int]:
        s, multiple = self.settings, self.found.family.size_multiple
        return multiple_of(s.width, multiple), multiple_of(s.height, multiple)

    def segments(self, seconds: float) -> list[int]:
        """The frame count of each segment of a clip ``seconds`` long: one, unless the scene is longer than the
        model's longest clip; then segments chained on their last frames (each after the first repeats the
        frame it starts on, which is dropped). A model that needs a last frame makes one clip at most its
        longest, spread over the scene."""
        family, s = self.found.family, self.settings
        if s.frames:
            return [family.frames_for(s.frames / family.fps) if family.frame_step else s.frames]
        if not family.frame_step:
            return [family.frames_for(seconds, self.found.fixed_frames)]
        wanted = max(1, round(seconds * family.fps))
        if wanted <= family.max_frames or self.found.last_frame == "required":
            # A model that needs a last frame for every clip has none for a segment's end: one clip, spread.
            return [family.frames_for(seconds)]
        counts, left = [], wanted
        while left > 1:
            count = family.frames_for(min(left, family.max_frames) / family.fps)
            counts.append(count)
            left -= count - 1
        return counts

    def generate(self, request: ClipRequest, on_step: StepSink, cancelled: Cancelled) -> list[str]:
        from PIL import Image

        if self.pipe is None:
            raise BackendError("the video model is not loaded.")
        found, family, s = self.found, self.found.family, self.settings
        notes: list[str] = []
        last = request.last_image if found.last_frame != "none" else None
        if request.last_image and last is None:
            notes.append(ENDS_FREE.format(found.name))
        if found.last_frame == "required" and last is None and request.clip_end == "next":
            last = request.image  # the last scene, with no keyframe after it: it holds on its own
            notes.append(f"{found.name} needs a last frame: the last scene's clip ends on its own keyframe")
        elif found.last_frame == "required" and last is None:
            raise BadModel(
                f"{found.name} makes a clip only between a first and a last frame, and scene {request.number}'s "
                "clip has no last frame: export with --clip-end next (or own, with an end frame pinned), or use "
                "an image-to-video model that starts from one frame."
            )
        width, height = self._model_size()
        start = Image.fromarray(cover(load_rgb(request.image), width, height)).resize((width, height))
        end = Image.fromarray(cover(load_rgb(last), width, height)).resize((width, height)) if last else None
        counts = self.segments(request.duration)
        steps = s.steps or family.steps
        total_steps = steps * len(counts)
        made: list[np.ndarray] = []
        for number, count in enumerate(counts):
            done = steps * number

            def step_end(pipe, step: int, timestep, tensors: dict, done=done) -> dict:
                # One step more than the model's: spreading and encoding the frames at the end.
                on_step(done + step + 1, total_steps + 1)
                if cancelled():
                    raise GenerationCancelled("cancelled")
                return tensors

            final = number == len(counts) - 1
            frames = self._segment(
                request, start, end if final else None, count, width, height, steps, step_end
            )
            made.append(frames if not made else frames[1:])  # a later segment starts on the last frame made
            start = Image.fromarray(np.clip(frames[-1], 0, 255).astype(np.uint8))
        frames = np.concatenate(made)
        with FrameWriter(request.output, request.width, request.height, request.fps) as writer:
            for frame in retime(frames, request.frame_count):
                if cancelled():
                    raise GenerationCancelled("cancelled")
                writer.write(fit(np.clip(frame, 0, 255).astype(np.uint8), request.width, request.height))
        on_step(total_steps + 1, total_steps + 1)
        return notes

    def _segment(
        self, request: ClipRequest, start, end, count: int, width: int, height: int, steps: int, step_end
    ):
        """One segment's frames (0 to 255), from ``start``, ending on ``end`` when given."""
        import torch

        found, family, s = self.found, self.found.family, self.settings
        arguments = dict(
            image=start,
            height=height,
            width=width,
            num_frames=count,
            num_inference_steps=steps,
            guidance_scale=s.guidance or family.guidance,
            generator=torch.Generator("cpu").manual_seed(request.seed),
            callback_on_step_end=step_end,
            output_type="np",
        )
        if found.pipeline == SVD:  # its guidance goes from min to max over the frames: left at its own
            del arguments["guidance_scale"]
            arguments.update(decode_chunk_size=s.decode_chunk, motion_bucket_id=s.motion, fps=family.fps)
        else:
            arguments.update(prompt=request.prompt, frame_rate=family.fps)
        if end is not None and family.last_by == "last_image":
            arguments.update(last_image=end)
        elif end is not None and family.last_by == "conditions":
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            arguments.pop("image")
            arguments.update(
                conditions=[
                    LTXVideoCondition(image=start, frame_index=0),
                    LTXVideoCondition(image=end, frame_index=count - 1),
                ]
            )
        arguments, _left_out = accepted_arguments(type(self.pipe), arguments)
        try:
            frames = np.asarray(self.pipe(**arguments).frames[0], dtype=np.float32)
        except torch.OutOfMemoryError:
            release_memory()
            raise BackendError(
                f"out of GPU memory making a {count}-frame clip at {width}x{height} with {found.name}. In [video] "
                'set offload = "model" or "group", or lower the decode chunk, the frames or the size; the model '
                "stays loaded."
            ) from None
        except ValueError as exc:  # a frame count, a size or a picture the pipeline refuses
            raise BackendError(f"{found.name} could not make scene {request.number}'s clip: {exc}") from None
        return frames * 255.0 if frames.max() <= 1.0 else frames
