"""From keyframes to the material of a film: each scene's narration spoken and its clip rendered, both cached.

A scene lasts as long as its narration plus padding (and the crossfade that overlaps the next scene), at least
two seconds, unless the user set its duration. Narration is cached by a hash of its text and the speech
settings, a clip by a hash of its keyframe, its length and the video settings: re-exporting after editing one
scene renders that scene alone. Each result is stored as an asset and the project saved at once, so a cancel
or a failure loses nothing already made.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.image.files import verify_image
from dreamfactory_studio.backends.speech import Speech, wav_seconds
from dreamfactory_studio.backends.video import ClipRequest, VideoBackend
from dreamfactory_studio.core.dialogue import spoken_subtitles
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import Emit, ExportProgress, ModelLoading, StepProgress, ignore
from dreamfactory_studio.core.model import Clip, Narration, Project, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.scene_ids import require_script
from dreamfactory_studio.core.settings import ExportSettings
from dreamfactory_studio.core.tasks import all_or_none
from dreamfactory_studio.core.timing import clip_seconds, reading_seconds, scene_length
from dreamfactory_studio.production.motion_lines import motion_line

MAX_SIDE = 7680


@dataclass(frozen=True)
class FilmFormat:
    width: int = 1280
    height: int = 720
    fps: int = 24

    @classmethod
    def parse(cls, resolution: str, fps: int) -> FilmFormat:
        """A format from ``WxH`` and a frame rate; :class:`BadInput` for sizes a player cannot take."""
        match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", resolution or "")
        if not match:
            raise BadInput(f"resolution '{resolution}' is not WIDTHxHEIGHT, e.g. 1280x720 or 1920x1080.")
        width, height = int(match[1]), int(match[2])
        if not (16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE) or width % 2 or height % 2:
            raise BadInput(
                f"resolution {width}x{height} cannot be encoded: both sides must be even, from 16 to {MAX_SIDE}."
            )
        if fps not in (24, 25, 30):
            raise BadInput(f"{fps} fps is not offered; choose 24, 25 or 30.")
        return cls(width, height, fps)


@dataclass(frozen=True)
class ScenePlan:
    """One scene of the film, ready to assemble."""

    scene_id: str
    number: int
    title: str
    clip: Path
    duration: float
    """How long its clip runs, under the next scene's crossfade included."""
    length: float
    """The scene's one length (:func:`~dreamfactory_studio.core.timing.scene_length`): what the PDF, the edit and
    every view say."""
    narration: str
    audio: Path | None
    spoken: float
    dialogue: tuple[str, ...] = ()
    """The scene's dialogue as subtitles carry it (``JUNE: Somebody had to.``); empty: the narration's."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


class FilmMaker:
    """Speaks the narration and renders the clips of a project, reusing whatever is still valid."""

    def __init__(
        self,
        folder: ProjectFolder,
        project: Project,
        *,
        speech: Speech,
        video: VideoBackend,
        worker: GpuWorker,
        settings: ExportSettings | None = None,
        film_format: FilmFormat | None = None,
        words_per_second: float = 2.5,
        clip_end: str = "free",
        emit: Emit = ignore,
    ):
        self.folder = folder
        self.clip_end = clip_end
        self.notes: list[str] = []
        """What the clips could not do as asked (a model that ends no clip on a chosen frame), each said once."""
        self.project = project
        self.speech = speech
        self.video = video
        self.settings = settings or ExportSettings()
        self.format = film_format or FilmFormat()
        self.words_per_second = words_per_second
        self.worker = worker
        self.emit = emit
        self.renders = 0
        self.syntheses = 0

    # -- checks -------------------------------------------------------------------------------------------

    def check_ready(self) -> None:
        """Every scene has a keyframe whose image is intact; else one message naming what to run."""

        root = self.folder.root
        require_script(self.project)
        missing = [n for n, scene in enumerate(self.project.scenes, 1) if not scene.keyframe]
        if missing:
            listed = ", ".join(map(str, missing))
            raise BadInput(
                f"scene{'s' if len(missing) > 1 else ''} {listed} {'have' if len(missing) > 1 else 'has'} no "
                f"keyframe yet; run the keyframes phase first: `dreamfactory-studio run {root} --from-scene "
                f"{missing[0]}`."
            )
        for number, scene in enumerate(self.project.scenes, 1):
            relative = scene.keyframe.image
            try:
                verify_image(self.folder.asset_path(relative))
            except BadInput:
                raise BadInput(
                    f"scene {number}'s keyframe ({relative}) is missing or damaged. Redraw it with "
                    f"`dreamfactory-studio run {root} --scene {number}`, or bring an image in with "
                    f"`dreamfactory-studio pin {root} --scene {number} --image FILE`."
                ) from None

    # -- narration ----------------------------------------------------------------------------------------

    def _narration_hash(self, scene: Scene) -> str:
        return _digest(scene.narration.strip(), self.speech.signature(), self.words_per_second)

    def _narration_valid(self, scene: Scene) -> bool:
        cached = scene.narration_audio
        if cached is None or cached.settings_hash != self._narration_hash(scene):
            return False
        return cached.audio is None or self.folder.asset_intact(cached.audio)

    async def narrate(self) -> int:
        """Speak every scene's narration not spoken yet with these settings; return how many were spoken."""
        todo = [scene for scene in self.project.scenes if not self._narration_valid(scene)]
        with self._saved_after(todo):
            for done, scene in enumerate(todo):
                await self._narrate(scene, done, len(todo))
        self.emit(ExportProgress("narration", len(todo), len(todo)))
        return len(todo)

    @contextlib.contextmanager
    def _saved_after(self, todo: list[Scene]):
        """Save the project once when a stage ends, finished, failed or cancelled (not after every scene: the
        cost of that grows with the square of the film)."""
        try:
            yield
        finally:
            if todo:
                self.folder.save(self.project)

    async def _narrate(self, scene: Scene, done: int, total: int) -> None:
        self.emit(ExportProgress("narration", done, total, f"scene {self.project.scene_number(scene.id)}"))
        text = scene.narration.strip()
        data = await self.speech.speak(text) if text else None
        if data is None:
            audio, seconds = None, reading_seconds(text, self.words_per_second)
        else:
            seconds = wav_seconds(data)
            audio = await asyncio.to_thread(self.folder.add_asset, data, ".wav")
            self.syntheses += 1
        scene.narration_audio = Narration(
            audio=audio,
            settings_hash=self._narration_hash(scene),
            duration=seconds,
            backend=self.speech.label,
        )

    # -- clips --------------------------------------------------------------------------------------------

    def scene_seconds(self, scene: Scene) -> float:
        """How long a scene's clip runs: see :func:`~dreamfactory_studio.core.timing.clip_seconds`."""
        return clip_seconds(scene, self.settings, self.format.fps, self.words_per_second)

    def scene_length(self, scene: Scene) -> float:
        """The scene's one length: see :func:`~dreamfactory_studio.core.timing.scene_length`."""
        return scene_length(scene, self.settings, self.format.fps, self.words_per_second)

    def ends_on(self, scene: Scene) -> str:
        """The picture (an asset) the scene's clip is to end on: the next scene's keyframe (``next``; the last
        scene ends free), the scene's end frame (``own``), or nothing (``free``)."""
        end = scene.clip_end or self.clip_end
        if end == "next":
            number = self.project.scene_number(scene.id)
            following = self.project.scenes[number] if number < len(self.project.scenes) else None
            return following.keyframe.image if following and following.keyframe else ""
        if end == "own" and scene.end_frame:
            try:
                return scene.take(scene.end_frame).image
            except KeyError:
                return ""
        return ""

    def _request(self, scene: Scene, number: int, output: Path) -> ClipRequest:
        take = scene.keyframe
        last = self.ends_on(scene)
        return ClipRequest(
            last_image=self.folder.asset_path(last) if last else None,
            clip_end=scene.clip_end or self.clip_end,
            image=self.folder.asset_path(take.image),
            output=output,
            width=self.format.width,
            height=self.format.height,
            fps=self.format.fps,
            duration=self.scene_seconds(scene),
            shot=scene.shot,
            camera=scene.camera,
            action=scene.script,
            prompt=motion_line(scene, scene.clip_end or self.clip_end),
            seed=take.seed,
            number=number,
        )

    def _clip_hash(self, scene: Scene, request: ClipRequest) -> str:
        f = self.format
        return _digest(
            scene.keyframe.image,
            self.video.signature(request),
            f.width,
            f.height,
            f.fps,
            request.frame_count,
            *([end] if (end := self.ends_on(scene)) else []),  # a free clip keeps the hash it always had
        )

    def clip_valid(self, scene: Scene) -> bool:
        """Whether the scene's cached clip still matches its keyframe, length and the video settings."""
        if scene.clip is None or not scene.keyframe:
            return False
        request = self._request(scene, self.project.scene_number(scene.id), Path())
        return scene.clip.settings_hash == self._clip_hash(scene, request) and self.folder.asset_intact(
            scene.clip.video
        )

    async def render_clips(self) -> int:
        """Render every clip that is not cached with these settings; return how many were rendered."""
        todo = [scene for scene in self.project.scenes if not self.clip_valid(scene)]
        done = [0]

        async def render(scene: Scene) -> None:
            await self._render_clip(scene, done[0], len(todo))
            done[0] += 1

        with self._saved_after(todo):
            # Clips of different scenes are independent: as many at once as the workers can take.
            await all_or_none([render(scene) for scene in todo], limit=getattr(self.worker, "size", 1))
        self.emit(ExportProgress("clips", len(todo), len(todo)))
        return len(todo)

    async def _render_clip(self, scene: Scene, done: int, total: int) -> None:
        number = self.project.scene_number(scene.id)
        self.emit(ExportProgress("clips", done, total, f"scene {number}"))
        with tempfile.TemporaryDirectory(prefix="clip-", dir=self.folder.scratch()) as tmp:
            request = self._request(scene, number, Path(tmp) / "clip.mp4")
            made = await self.worker.generate(
                self.video,
                request,
                on_step=lambda step, total, scene_id=scene.id: self.emit(StepProgress(scene_id, step, total)),
                on_loading=lambda message: self.emit(ModelLoading(message)),
            )
            data = await asyncio.to_thread(request.output.read_bytes)
        self.notes += [note for note in (made or ()) if note not in self.notes]
        video = await asyncio.to_thread(self.folder.add_asset, data, ".mp4")
        scene.clip = Clip(
            video=video,
            settings_hash=self._clip_hash(scene, request),
            duration=request.frame_count / request.fps,
            ends_on=self.ends_on(scene) if request.last_image else "",
            prompt=request.prompt,
        )
        self.renders += 1

    # -- the whole --------------------------------------------------------------------------------------

    async def prepare(self) -> list[ScenePlan]:
        """Narration and clips for every scene, then the plan of the film in scene order."""
        self.check_ready()
        await self.narrate()
        await self.render_clips()
        plans = []
        names = {c.id: c.name for c in self.project.characters}
        for number, scene in enumerate(self.project.scenes, 1):
            narration = scene.narration_audio
            plans.append(
                ScenePlan(
                    scene_id=scene.id,
                    number=number,
                    title=scene.title,
                    clip=self.folder.asset_path(scene.clip.video),
                    duration=scene.clip.duration,
                    length=self.scene_length(scene),
                    narration=scene.narration.strip(),
                    audio=self.folder.asset_path(narration.audio) if narration and narration.audio else None,
                    spoken=narration.duration if narration else 0.0,
                    dialogue=tuple(spoken_subtitles(scene.narration, scene.dialogue, names)),
                )
            )
        return plans
