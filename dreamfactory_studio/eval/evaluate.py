"""``evaluate``: the paper's metrics on a project's keyframes and clips, or on a folder of outputs.

Each metric is computed with whatever models the settings point to; one that cannot be computed is named in
:attr:`Evaluation.unavailable` with the reason and what to set, and the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dreamfactory_studio.backends.vision.descriptor import DESCRIPTOR, image_descriptor
from dreamfactory_studio.backends.vision.faces import DlibFaces
from dreamfactory_studio.core.errors import BackendError, BadInput
from dreamfactory_studio.core.model import STYLES, Evaluation, Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import Settings
from dreamfactory_studio.eval import metrics
from dreamfactory_studio.eval.models import EvalModels

METRICS = {
    "csfd": "Cross-Scene Face Distance (CSFD)",
    "cssc": "Cross-Scene Style Consistency (CSSC)",
    "clip_score": "average keyframe CLIP score, cosine (0-1, the paper's table)",
    "clip_score_100": "average keyframe CLIP score, 100 x cosine",
    "base_similarity": "similarity to the Base Frame, mean over scenes",
    "fid": "FID against the reference images",
    "is": "Inception Score",
    "fvd": "FVD against the reference videos",
    "kvd": "KVD against the reference videos",
}
"""Every overall score ``evaluate`` can give, in the order it reports them."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".mkv", ".avi")


@dataclass(frozen=True)
class Frame:
    """One image under evaluation: a scene's keyframe, or a file of an output folder."""

    key: str
    label: str
    image: Path
    text: str

    @property
    def short(self) -> str:
        """The label without its title: ``Scene 3``."""
        return self.label.split(":")[0]


def format_score(value: object) -> str:
    """A score as the tables show it: three decimals (one from 100 up), ``-`` for none."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def project_frames(folder: ProjectFolder, project: Project) -> list[Frame]:
    frames = []
    for number, scene in enumerate(project.scenes, 1):
        take = scene.keyframe
        if take is not None:
            label = f"Scene {number}" + (f": {scene.title}" if scene.title else "")
            frames.append(Frame(scene.id, label, folder.asset_path(take.image), scene.script or take.prompt))
    return frames


def folder_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in suffixes)


class Evaluator:
    """Computes the metrics into one :class:`Evaluation`; ``say`` hears what is being done."""

    def __init__(
        self, settings: Settings, say: Callable[[str], None] = lambda message: None, *, monitor=None
    ):
        self.settings = settings
        self.models = EvalModels(settings)
        self.say = say
        self.monitor = monitor
        """The vision monitor that divides styles (a workspace's); made from the settings when needed."""

    # -- entry points ---------------------------------------------------------------------------------------

    async def project(
        self, folder: ProjectFolder, project: Project, reference: Path | None = None
    ) -> Evaluation:
        """Score a project's keyframes (and clips, when a reference folder is given)."""
        frames = project_frames(folder, project)
        if not frames:
            raise BadInput(
                f"'{project.title}' has no keyframes yet, so there is nothing to score; run it first "
                f"(`dreamfactory-studio run {folder.root}`)."
            )
        result = Evaluation(drift_threshold=self.settings.eval.drift_threshold)
        missing = [str(n) for n, scene in enumerate(project.scenes, 1) if scene.keyframe is None]
        if missing:
            result.warnings.append(f"scenes {', '.join(missing)} have no keyframe and are not scored.")
        base = folder.asset_path(project.base_frame.image) if project.base_frame else frames[0].image
        clips = [folder.asset_path(s.clip.video) for s in project.scenes if s.clip and s.keyframe]
        await self.sequence(frames, base, result)
        for scene in project.scenes:
            if scene.keyframe is not None:
                result.scenes[scene.id]["keyframe"] = scene.keyframe.image  # what was scored: see drift()
        await asyncio.to_thread(self._quality, [f.image for f in frames], clips, reference, result)
        return result

    async def sequence(self, frames: list[Frame], base: Path, result: Evaluation) -> Evaluation:
        """The metrics of a film's keyframes in order: CLIP score, similarity to ``base``, CSFD and CSSC."""
        for frame in frames:
            result.scenes.setdefault(frame.key, {})
        await asyncio.to_thread(self._clip_score, frames, result)
        await asyncio.to_thread(self._base_similarity, frames, base, result)
        await asyncio.to_thread(self._csfd, frames, result)
        await self._cssc(frames, result)
        return result

    async def outputs(self, root: Path, reference: Path | None = None) -> tuple[Evaluation, list[Frame]]:
        """Score a folder of outputs: its images (with ``NAME.txt`` beside one as its prompt) and videos."""
        images, videos = folder_files(root, IMAGE_SUFFIXES), folder_files(root, VIDEO_SUFFIXES)
        if not images and not videos:
            raise BadInput(f"{root} is neither a project nor a folder of images or videos.")
        frames = [
            Frame(p.name, p.name, p, p.with_suffix(".txt").read_text(encoding="utf-8").strip())
            if p.with_suffix(".txt").is_file()
            else Frame(p.name, p.name, p, "")
            for p in images
        ]
        result = Evaluation(drift_threshold=self.settings.eval.drift_threshold)
        for frame in frames:
            result.scenes[frame.key] = {}
        with_text = [f for f in frames if f.text]
        if with_text:
            await asyncio.to_thread(self._clip_score, with_text, result)
        elif frames:
            result.unavailable["clip_score"] = (
                f"no image in {root} has its prompt beside it (NAME.txt for NAME.png)."
            )
        await asyncio.to_thread(self._quality, images, videos, reference, result)
        return result, frames

    # -- the metrics ----------------------------------------------------------------------------------------

    def _clip_score(self, frames: list[Frame], result: Evaluation) -> None:
        try:
            clip = self.models.clip()
            self.say(f"CLIP score of {len(frames)} images against their text ({clip.name})")
            scores = [float(clip.image(f.image) @ clip.text(f.text)) for f in frames]
        except BackendError as exc:
            result.unavailable["clip_score"] = str(exc)
            return
        result.models["clip"] = clip.name
        for frame, score in zip(frames, scores, strict=True):
            result.scenes[frame.key]["clip_score"] = round(score, 4)
        result.overall["clip_score"] = round(float(np.mean(scores)), 4)
        result.overall["clip_score_100"] = round(100 * float(np.mean(np.maximum(scores, 0))), 2)

    def _similarity_embedder(self, result: Evaluation):
        if self.settings.eval.dino_model:
            try:
                return self.models.dino()
            except BackendError as exc:
                result.warnings.append(f"DINOv2 not used: {exc}")
        try:
            return self.models.clip()
        except BackendError:
            result.warnings.append(
                f"similarity to the Base Frame uses the colour-and-structure descriptor ({DESCRIPTOR}), which "
                "sees palette and layout but not identity; set eval.dino_model or eval.clip_model for more."
            )
            return None

    def _base_similarity(self, frames: list[Frame], base: Path, result: Evaluation) -> None:
        embedder = self._similarity_embedder(result)
        embed = embedder.image if embedder else image_descriptor
        result.models["base_similarity"] = embedder.name if embedder else DESCRIPTOR
        self.say(
            f"similarity of {len(frames)} keyframes to the Base Frame ({result.models['base_similarity']})"
        )
        try:
            anchor = embed(base)
            values = [metrics.cosine(embed(f.image), anchor) for f in frames]
        except (BackendError, OSError) as exc:
            result.unavailable["base_similarity"] = str(exc)
            return
        for frame, value in zip(frames, values, strict=True):
            result.scenes[frame.key]["base_similarity"] = round(value, 4)
        others = [v for f, v in zip(frames, values, strict=True) if f.image.resolve() != base.resolve()]
        result.overall["base_similarity"] = round(float(np.mean(others or values)), 4)
        drifting = [f.short for f in frames if result.drifting(f.key)]
        if drifting:
            result.warnings.append(
                f"{', '.join(drifting)} drift from the Base Frame (similarity under {result.drift_threshold})."
            )

    def _csfd(self, frames: list[Frame], result: Evaluation) -> None:
        try:
            finder = self.models.faces()
            # dlib describes faces itself (a face recognition distance, the paper's way); YuNet's crops go to CLIP.
            describe = finder.vector if isinstance(finder, DlibFaces) else self.models.clip().picture
            embedded = finder.name if isinstance(finder, DlibFaces) else self.models.clip().name
        except BackendError as exc:
            result.unavailable["csfd"] = str(exc)
            return
        self.say(f"faces in {len(frames)} keyframes ({finder.name}), embedded with {embedded}")
        found: list[tuple[Frame, np.ndarray]] = []
        for frame in frames:
            face = finder.crop(frame.image)
            vector = describe(face) if face is not None else None
            result.scenes[frame.key]["face"] = "found" if vector is not None else "none"
            if vector is not None:
                found.append((frame, vector / (np.linalg.norm(vector) or 1.0)))
        result.models["faces"] = finder.name
        faceless = [f.short for f in frames if result.scenes[f.key]["face"] == "none"]
        if len(found) < 2:
            result.unavailable["csfd"] = (
                f"CSFD needs a face in at least two keyframes; {finder.name} found one in {len(found)} of "
                f"{len(frames)}."
            )
            return
        if faceless:
            result.warnings.append(f"no face found in {', '.join(faceless)}: left out of CSFD.")
        score, per_frame = metrics.cross_scene_similarity([vector for _, vector in found])
        for (frame, _), value in zip(found, per_frame, strict=True):
            result.scenes[frame.key]["csfd"] = None if value is None else round(value, 4)
        result.overall["csfd"] = round(score, 4)

    def _style_classifier(self):
        """An async ``classify(path) -> style | None`` and its name, as the settings choose."""
        choice, monitor = self.settings.eval.style_classifier, self.settings.monitor
        has_vision = bool(monitor.base_url and monitor.model)
        if choice == "vision" or (choice == "auto" and has_vision):
            if not has_vision:
                raise BackendError(
                    "eval.style_classifier is 'vision' but no vision model is set: set monitor.base_url and "
                    "monitor.model, or eval.style_classifier=clip."
                )
            from dreamfactory_studio.backends.backend_set import make_monitor

            vision = self.monitor if hasattr(self.monitor, "classify_style") else make_monitor(monitor)
            return (lambda path: vision.classify_style(path, STYLES)), vision.label
        clip = self.models.clip()
        prompts = np.stack([clip.text(f"a picture in {style} style") for style in STYLES])

        async def by_clip(path: Path) -> str:
            return STYLES[int(np.argmax(prompts @ await asyncio.to_thread(clip.image, path)))]

        return by_clip, f"zero-shot {clip.name}"

    async def _cssc(self, frames: list[Frame], result: Evaluation) -> None:
        try:
            classify, name = self._style_classifier()
            self.say(f"style of {len(frames)} keyframes ({name})")
            labels = [await classify(frame.image) for frame in frames]
        except BackendError as exc:
            result.unavailable["cssc"] = str(exc)
            return
        result.models["styles"] = name
        for frame, label in zip(frames, labels, strict=True):
            result.scenes[frame.key]["style"] = label or "unclassified"
        classified = [label for label in labels if label]
        if len(classified) < len(labels):
            result.warnings.append(
                f"the style classifier named none of the seven styles for {len(labels) - len(classified)} "
                "keyframes; CSSC is over the others."
            )
        if not classified:
            result.unavailable["cssc"] = f"{name} classified none of the keyframes."
            return
        share, style = metrics.style_consistency(classified)
        result.overall["cssc"] = round(share, 4)
        result.overall["cssc_style"] = style

    def _quality(
        self, images: list[Path], videos: list[Path], reference: Path | None, result: Evaluation
    ) -> None:
        """FID and IS for images, FVD and KVD for videos, against the reference folder where one is needed."""
        ref_images = folder_files(reference, IMAGE_SUFFIXES) if reference else []
        ref_videos = folder_files(reference, VIDEO_SUFFIXES) if reference else []
        no_reference = "no reference folder was given: pass --reference DIR with real images and videos."
        try:
            inception = self.models.inception()
        except BackendError as exc:
            result.unavailable["is"] = result.unavailable["fid"] = str(exc)
            inception = None
        if inception and images:
            self.say(f"Inception features of {len(images)} images ({inception.name})")
            mean, _ = metrics.inception_score(inception.images(images, probabilities=True))
            result.overall["is"] = round(mean, 3)
            result.models["inception"] = inception.name
            self._few("IS", len(images), result)
            if not reference:
                result.unavailable["fid"] = no_reference
            elif len(ref_images) < 2 or len(images) < 2:
                result.unavailable["fid"] = (
                    "FID needs at least two images on each side (outputs and reference)."
                )
            else:
                fake = inception.images(images)
                real = inception.images(ref_images)
                result.overall["fid"] = round(metrics.frechet_distance(real, fake), 3)
                self._few("FID", min(len(images), len(ref_images)), result)
        if not videos:
            result.unavailable["fvd"] = result.unavailable["kvd"] = (
                "there are no clips to score yet: export the film first."
            )
            return
        if not reference:
            result.unavailable["fvd"] = result.unavailable["kvd"] = no_reference
            return
        if len(ref_videos) < 2 or len(videos) < 2:
            result.unavailable["fvd"] = result.unavailable["kvd"] = (
                "FVD and KVD need at least two videos on each side (clips and reference)."
            )
            return
        try:
            i3d = self.models.i3d()
        except BackendError as exc:
            result.unavailable["fvd"] = result.unavailable["kvd"] = str(exc)
            return
        self.say(f"I3D features of {len(videos)} clips and {len(ref_videos)} reference videos ({i3d.name})")
        fake, real = i3d.videos(videos), i3d.videos(ref_videos)
        result.models["i3d"] = i3d.name
        result.overall["fvd"] = round(metrics.frechet_distance(real, fake), 3)
        result.overall["kvd"] = round(metrics.kernel_distance(real, fake), 4)
        self._few("FVD and KVD", min(len(videos), len(ref_videos)), result)

    @staticmethod
    def _few(what: str, count: int, result: Evaluation) -> None:
        if count < metrics.FEW_SAMPLES:
            result.warnings.append(
                f"{what} from {count} samples: under {metrics.FEW_SAMPLES}, the number says little (published "
                "figures use thousands of images or hundreds of videos)."
            )
