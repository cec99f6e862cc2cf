"""The Keyframe Iteration Design (paper, section 3.3).

Base Frame: the art director writes scene 1's prompt, the painter draws it, the monitor reviews it and the
director critiques, for at most R rounds; a frame the user pinned is kept instead. The monitor then writes the
Base Description BD (unless the user edited it: theirs wins). For scene t: the art director writes
P(t) = f(S(t), C(t-1), BD); the painter draws K(t) with the Base Frame (and K(t-1) and the nearest earlier
frames of the image memory) as references; the monitor judges it against BD and a new seed is tried up to M
times on drift; C(t) is the monitor's description of K(t). Every attempt is kept as a take.

Before the Base Frame, each character in the scenes to draw gets a sheet (:mod:`.cast`), and every keyframe is
held to the sheets of the characters in it, each masked to their layout box; a character drawn unlike their
sheet is a reason for a new seed, as drift is. Every take records its recipe: the references, masks, LoRAs
and scales that made it.

Re-running from scene k leaves scenes 1..k-1 untouched and starts from C(k-1); a scene the user pinned is
never redrawn and serves as context.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache

from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.image import (
    Drawn,
    FigureFacts,
    ImageBackend,
    ImageRequest,
    PanelFacts,
    Reference,
)
from dreamfactory_studio.backends.llm import LLM, ChatMessage, TurnInfo
from dreamfactory_studio.backends.llm.story_analysis import settings_of
from dreamfactory_studio.backends.vision import FrameContext, Monitor, Verdict
from dreamfactory_studio.backends.vision.faces import installed_faces
from dreamfactory_studio.backends.vision.identity import identity_score
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import (
    Emit,
    MessageFinished,
    MessageStarted,
    ModelLoading,
    SceneFinished,
    SceneStarted,
    SheetStarted,
    StepProgress,
    TakeMade,
    TokenReceived,
    ignore,
)
from dreamfactory_studio.core.model import (
    BaseFrame,
    Character,
    CharacterSheet,
    Project,
    Recipe,
    Scene,
    Take,
    TranscriptMessage,
    UsedLora,
    UsedReference,
)
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings
from dreamfactory_studio.core.tasks import all_or_none
from dreamfactory_studio.production import cast
from dreamfactory_studio.production.conclusions import conclusion_text
from dreamfactory_studio.production.conversation import speak
from dreamfactory_studio.production.crew_config import Crew
from dreamfactory_studio.production.image_memory import ImageMemory

PHASE = "keyframes"
PROMPT_TASK = (
    "Write the image prompt for this scene's keyframe, P(t) = f(S(t), C(t-1), BD): the scene's action and shot, "
    "carrying over what the previous frame establishes, and keeping everything the Base Description fixes. "
    "Put the most important first: who does what, then the characters' fixed looks, then the style. Keep to the "
    "budget if one is given: words past it weigh little. Describe what is seen; no scene numbers, no "
    "percentages. When several characters are in the scene, add a line LAYOUT: naming where each stands (left, "
    "centre or right; foreground or background). Reason briefly, then write <INFO> followed by the prompt as one "
    "paragraph, then the LAYOUT line."
)
CRITIQUE_TASK = (
    "Critique this candidate Base Frame from the Monitor's description and verdict. If it serves the film, say "
    "so and write <INFO> approved; else write <INFO> followed by the change the painter must make."
)


def figures(project: Project, scene: Scene) -> tuple[FigureFacts, ...]:
    """The characters present in a scene, as the painter and monitor see them."""
    return tuple(FigureFacts(c.name, c.description) for c in cast.present(project, scene))


def style_facts(project: Project) -> dict[str, str]:
    """The style decision's style, palette and lighting (empty before the style phase)."""
    style = project.style
    return {name: getattr(style, name) if style else "" for name in ("style", "palette", "lighting")}


def budget_words(budget: int | None) -> str:
    """A painter's prompt budget as the art director is told it; empty with none."""
    return f"{budget} CLIP tokens (about {budget * 3 // 4} words)" if budget else ""


def prompt_facts(
    project: Project, scene: Scene, context: str = "", critique: str = "", budget: str = ""
) -> dict:
    """What the art director is told to write scene ``scene``'s prompt, P(t) = f(S(t), C(t-1), BD)."""
    return {
        "script": scene.script,
        "setting": scene.setting.words if scene.setting else "",
        "shot": scene.shot or "medium",
        "camera": scene.camera or "static",
        "characters": "; ".join(cast.look(c) for c in cast.present(project, scene)),
        **style_facts(project),
        "context": context,
        "base_description": project.base_description.text,
        "critique": critique,
        "direction": project.directions.get(PHASE, ""),
        "budget": budget,
    }


def scene_setting(project: Project, scene: Scene) -> tuple[str, str]:
    """The scene's place and time of day: from its setting (a screenplay's heading) where it has one, else
    read from the scripts up to it (a scene that names neither is where and when the one before it ended)."""
    place, time = _settings(tuple(s.script for s in project.scenes))[project.scene_number(scene.id) - 1]
    if scene.setting is None:
        return place, time
    said_place, said_time = settings_of([f"{scene.setting.place} {scene.setting.time}".lower()])[0]
    if said_place:
        place = said_place
    elif scene.setting.interior == "INT":
        place = "room"
    elif scene.setting.interior == "EXT" and place == "room":
        place = ""
    if said_time:
        time = said_time
    elif scene.setting.time == "DAY":
        time = "midday"
    return place, time


@lru_cache(maxsize=4)
def _settings(scripts: tuple[str, ...]) -> list[tuple[str, str]]:
    # Read once per version of the script: every take and every description of a run asks.
    return settings_of(list(scripts))


def frame_context(project: Project, scene: Scene, prompt: str) -> FrameContext:
    """What the monitor knows of a scene's frame besides its pixels."""
    place, time = scene_setting(project, scene)
    return FrameContext(
        scene_number=project.scene_number(scene.id),
        prompt=prompt,
        script=scene.script,
        characters=figures(project, scene),
        place=place,
        time=time,
        **style_facts(project),
    )


async def describe_base_frame(folder: ProjectFolder, project: Project, monitor: Monitor) -> str:
    """Ask the monitor for a new Base Description of the Base Frame; the project is not changed."""
    if project.base_frame is None or not project.scenes:
        raise BadInput(
            "there is no Base Frame to describe; pin one (`pin PROJECT --base-frame --scene 1`) or draw the "
            "keyframes first."
        )
    path = folder.asset_path(project.base_frame.image)
    if not path.is_file():
        raise BadInput(
            f"the Base Frame's image {project.base_frame.image} is missing; pin the Base Frame again."
        )
    scene = project.scenes[0]
    prompt = scene.keyframe.prompt if scene.keyframe else ""
    return await monitor.describe_base(path, frame_context(project, scene, prompt))


def recipe_of(drawn: Drawn, notes: list[str]) -> Recipe:
    """What a painter says it used for a take, as the take records it (``notes``: its fallbacks and ours)."""
    return Recipe(
        mode=drawn.mode,
        references=[
            UsedReference(kind=r.kind, image=r.asset, character=r.character, box=r.box, scale=scale)
            for r, scale in drawn.used
            if r.asset
        ],
        loras=[
            UsedLora(file=str(lora.path), weight=lora.weight, trigger=lora.trigger, character=lora.character)
            for lora in drawn.loras
        ],
        strength=drawn.strength,
        prompt_tokens=drawn.prompt_tokens,
        prompt_chunks=drawn.prompt_chunks,
        notes=notes,
    )


def _likeness(take: Take) -> float:
    """The lowest likeness of a take's characters to their sheets (1 with none to compare)."""
    return min(take.identity.values(), default=1.0)


@dataclass
class Painted:
    take: Take
    verdict: Verdict


class KeyframeDesigner:
    """Draws a project's keyframes with one painter and one monitor, saving after every scene."""

    def __init__(
        self,
        folder: ProjectFolder,
        project: Project,
        *,
        llm: LLM,
        crew: Crew,
        painter: ImageBackend,
        monitor: Monitor,
        worker: GpuWorker,
        settings: KeyframeSettings,
        emit: Emit = ignore,
        memory: ImageMemory | None = None,
    ):
        self.folder = folder
        self.project = project
        self.llm = llm
        self.crew = crew
        self.painter = painter
        self.monitor = monitor
        self.worker = worker
        self.settings = settings
        self.emit = emit
        self.memory = memory if memory is not None else ImageMemory(folder)
        self.painter_calls = 0

    # -- facts ----------------------------------------------------------------------------------------------

    def _figures(self, scene: Scene) -> tuple[FigureFacts, ...]:
        return figures(self.project, scene)

    def _context(self, scene: Scene, prompt: str) -> FrameContext:
        return frame_context(self.project, scene, prompt)

    def _seed(self, scene: Scene | None, character: Character | None = None, candidate: int = 0) -> int:
        owner = character or scene
        digest = hashlib.sha256(
            f"{self.project.id}:{owner.id}:{len(owner.takes) + candidate}".encode()
        ).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF

    # -- the crew's words ---------------------------------------------------------------------------------

    async def _ask(self, role: str, conclusion: str, task: str, facts: dict[str, str]) -> str:
        card = self.crew.roles[role]
        lines = "\n".join(
            f"{key.replace('_', ' ').title()}: {value}" for key, value in facts.items() if value
        )
        messages = [ChatMessage("system", f"{card.card()}\n{task}"), ChatMessage("user", lines)]
        turn = TurnInfo(
            phase=PHASE,
            conclusion=conclusion,
            role=role,
            kind="reply",
            round=1,
            project=self.project,
            scene_count=len(self.project.scenes),
            extra=facts,
        )
        completion, message = await speak(
            self.llm, messages, turn, card.title, self.emit, "the keyframe phase"
        )
        self.project.transcripts.append(message)
        return (conclusion_text(completion.text) or completion.text).strip()

    def _budget(self) -> str:
        return budget_words(getattr(self.painter, "prompt_budget", None))

    async def _prompt(self, scene: Scene, context: str, critique: str = "") -> str:
        """The art director's prompt for a scene; a scene of several characters also gets its layout, unless
        the user laid it out."""
        facts = prompt_facts(self.project, scene, context, critique, self._budget())
        answer = await self._ask("art_director", "prompt", PROMPT_TASK, facts)
        characters = cast.present(self.project, scene)
        if not scene.is_user_edited("layout"):
            scene.layout = cast.parse_layout(answer, characters)
        return re.sub(r"\n?\s*LAYOUT:.*", "", answer, flags=re.IGNORECASE | re.DOTALL).strip()

    # -- painting -------------------------------------------------------------------------------------------

    async def _paint(
        self,
        scene: Scene | None,
        prompt: str,
        references: list[Reference],
        *,
        bare: bool = False,
        sheet_of: Character | None = None,
        candidate: int = 0,
    ) -> Take:
        """Draw one take; ``bare`` gives a fact-drawing painter the scene's script and shot alone (no cast,
        look or Base Description), as a prompt-only model gets them in the script-only baseline; ``sheet_of``
        draws that character's sheet instead of the scene."""
        number = self.project.scene_number(scene.id) if scene else 0
        width, height = self.settings.width, self.settings.height
        if sheet_of is not None:
            width = max(64, height * 3 // 4 // 8 * 8)
            facts = PanelFacts(
                scene_number=0,
                narration=sheet_of.name,
                script=sheet_of.description,
                characters=(FigureFacts(sheet_of.name, sheet_of.description),),
                sheet=True,
                **style_facts(self.project),
            )
        else:
            held = (
                {}
                if bare
                else dict(
                    characters=self._figures(scene),
                    boxes=cast.boxes(self.project, scene),
                    **style_facts(self.project),
                    base_description=self.project.base_description.text,
                )
            )
            place, time = scene_setting(self.project, scene)
            facts = PanelFacts(
                scene_number=number,
                narration=scene.narration or scene.script,
                script=scene.script,
                shot=scene.shot or "medium",
                camera=scene.camera,
                place=place,
                time=time,
                **held,
            )
        request = ImageRequest(
            prompt=prompt,
            seed=self._seed(scene, sheet_of, candidate),
            width=width,
            height=height,
            references=references,
            loras=[] if bare or sheet_of or scene is None else cast.scene_loras(self.project, scene),
            strength=self.settings.strength,
            continuous=self.settings.continuous and not bare and sheet_of is None,
            facts=facts,
        )
        self.painter_calls += 1
        target = sheet_of.id if sheet_of else scene.id
        drawn: Drawn = await self.worker.generate(
            self.painter,
            request,
            on_step=lambda done, total: self.emit(StepProgress(target, done, total)),
            on_loading=lambda message: self.emit(ModelLoading(message)),
        )
        asset = await asyncio.to_thread(self._store, drawn.image)
        notes = list(drawn.notes)
        if scene is not None and sheet_of is None and not bare:
            notes += cast.missing_sheets(self.folder, self.project, scene)
        return Take(
            image=asset,
            seed=request.seed,
            prompt=prompt,
            negative_prompt=request.negative_prompt,
            backend=self.painter.label,
            model=self.painter.model_id,
            references=[r.asset for r in references if r.asset],
            recipe=recipe_of(drawn, notes),
        )

    def _store(self, image) -> str:
        """Encode a picture as PNG and keep it as an asset (off the event loop: encoding, hashing, fsync)."""
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return self.folder.add_asset(buffer.getvalue(), ".png")

    def _monitor_says(self, text: str) -> None:
        """The monitor's word, kept in the transcript and shown like any agent's (said at once, not streamed)."""
        title, source = self.crew.roles["monitor"].title, self.monitor.label
        message = TranscriptMessage(phase=PHASE, role="monitor", text=text, source=source)
        self.emit(MessageStarted(PHASE, "monitor", title, source))
        self.emit(TokenReceived(PHASE, "monitor", text))
        self.emit(MessageFinished(message, title))
        self.project.transcripts.append(message)

    async def _identity(self, scene: Scene, take: Take) -> dict[str, float]:
        """How like their sheet each present character with a sheet is drawn in ``take``: all of it off the
        event loop, dlib's face models (loaded on first use) included."""
        boxes = {p.character: p.box for p in scene.layout} if len(scene.characters) > 1 else {}
        frame = self.folder.asset_path(take.image)
        sheets = cast.sheet_files(self.folder, self.project)
        references = cast.identity_references(self.folder, self.project, scene)

        def measure() -> dict[str, float]:
            faces = installed_faces()
            return {
                r.character: round(
                    identity_score(
                        frame,
                        boxes.get(r.character),
                        r.path,
                        self.memory.embedder,
                        faces,
                        tuple(path for other, path in sheets.items() if other != r.character),
                    ),
                    4,
                )
                for r in references
            }

        return await asyncio.to_thread(measure)

    def _unlike(self, take: Take) -> list[str]:
        """The names of the characters drawn unlike their sheet in ``take``."""
        low = [i for i, v in take.identity.items() if v < self.settings.identity_threshold]
        return [self.project.character(i).name for i in low if i in {c.id for c in self.project.characters}]

    def _keep(self, scene: Scene, take: Take, verdict: Verdict, accepted: bool, last: bool = False) -> None:
        take.score, take.score_reason = verdict.score, verdict.reason
        scene.takes.append(take)
        number = self.project.scene_number(scene.id)
        unlike = self._unlike(take)
        if accepted:
            outcome = "accepted"
        elif last:
            outcome = "below the threshold, and no tries are left: the best take is kept, marked as drifting"
        elif unlike:
            outcome = f"{' and '.join(unlike)} drawn unlike their sheet; a new seed is tried"
        else:
            outcome = "it drifts; a new seed is tried"
        names = {c.id: c.name for c in self.project.characters}
        likeness = ", ".join(f"{names.get(i, i)} {v:.2f}" for i, v in take.identity.items())
        self._monitor_says(
            f"Scene {number}, take {take.id}: score {verdict.score:.2f}, {outcome}. {verdict.reason.rstrip('.')}."
            + (f" Likeness to the sheets: {likeness}." if likeness else "")
        )
        self.emit(TakeMade(scene.id, take.id, take.score, take.score_reason, accepted))

    # -- the iteration ------------------------------------------------------------------------------------

    async def run(self, from_scene: int = 1, only: bool = False) -> list[int]:
        """Draw keyframes from scene ``from_scene`` (1-based) to the end, or that scene alone with ``only``."""
        scenes = self.project.scenes
        if not scenes:
            raise BadInput(
                "the project has no scenes yet; run the script phase first (`run PROJECT --until script`)."
            )
        if not 1 <= from_scene <= len(scenes):
            raise BadInput(f"there is no scene {from_scene}; the project has scenes 1 to {len(scenes)}.")
        if from_scene > 1 and (self.project.base_frame is None or not scenes[from_scene - 2].keyframe):
            raise BadInput(
                f"scene {from_scene - 1} has no keyframe yet, so there is no context to start from; "
                "run the keyframes from scene 1 first."
            )
        drawn: list[int] = []
        try:
            await self._sheets(
                scenes[from_scene - 1 : from_scene] if only else scenes[from_scene - 1 :],
                redraw=from_scene == 1 and not only,
            )
            if from_scene == 1:
                await self._base_frame()
                drawn.append(1)
                if only:
                    return drawn
            last = from_scene if only else len(scenes)
            for number in range(max(2, from_scene), last + 1):
                await self._scene(scenes[number - 1], number)
                drawn.append(number)
                self.folder.save(self.project)
        finally:
            # Whatever finished is saved, on success, failure and cancel alike; an unfinished take never is.
            self.folder.save(self.project)
        return drawn

    async def run_script_only(self) -> list[int]:
        """The ablation baseline, the paper's "Script + model" rows: each scene's script straight to the painter,
        with no Base Frame, Base Description, context or reference; one take per scene, not judged."""
        drawn: list[int] = []
        try:
            for number, scene in enumerate(self.project.scenes, 1):
                if scene.pinned:
                    continue
                self.emit(SceneStarted(scene.id, number, "script only"))
                take = await self._paint(scene, scene.script, [], bare=True)
                scene.takes.append(take)
                scene.selected_take = take.id
                self.emit(TakeMade(scene.id, take.id, None, "", True))
                drawn.append(number)
                self.folder.save(self.project)
        finally:
            self.folder.save(self.project)
        return drawn

    async def _base_frame(self) -> None:
        scene = self.project.scenes[0]
        self.emit(SceneStarted(scene.id, 1, "base frame"))
        pinned = self.project.base_frame and self.project.base_frame.pinned_by_user
        draw_scene_one = False
        if pinned:
            image = self.project.base_frame.image
            status = "pinned"
            # A Base Frame pinned from another scene's take: scene 1 is drawn like any scene, held to it.
            draw_scene_one = not scene.pinned and (scene.keyframe is None or scene.keyframe.image != image)
        elif scene.pinned and scene.keyframe:
            image = scene.keyframe.image
            self.project.base_frame = BaseFrame(image=image, source="take", take_id=scene.selected_take)
            status = "pinned"
        else:
            critique, best = "", None
            for round_ in range(1, self.settings.base_rounds + 1):
                prompt = await self._prompt(scene, "", critique)
                take = await self._paint(
                    scene, prompt, cast.identity_references(self.folder, self.project, scene)
                )
                path = self.folder.asset_path(take.image)
                verdict = await self.monitor.review_base(path, self._context(scene, prompt))
                take.identity = await self._identity(scene, take)
                approved = verdict.score >= self.settings.threshold and not self._unlike(take)
                self._keep(scene, take, verdict, approved)
                if best is None or verdict.score > best.verdict.score:
                    best = Painted(take, verdict)
                description = await self.monitor.describe(path, self._context(scene, prompt))
                critique = await self._ask(
                    "director",
                    "critique",
                    CRITIQUE_TASK,
                    {
                        "description": description,
                        "reason": verdict.reason,
                        "approved": "yes" if approved else "no",
                        "lead": self._figures(scene)[0].name if self._figures(scene) else "",
                        "round": str(round_),
                    },
                )
                if approved:
                    break
            assert best is not None
            scene.selected_take = best.take.id
            image = best.take.image
            self.project.base_frame = BaseFrame(image=image, source="generated", take_id=best.take.id)
            status = "done"
        path = self.folder.asset_path(image)
        keyframe = scene.keyframe
        context = self._context(scene, keyframe.prompt if keyframe else "")
        if not self.project.base_description.user_edited:
            self.project.base_description.text = await self.monitor.describe_base(path, context)
            self._monitor_says(f"Base Description: {self.project.base_description.text}")
        if draw_scene_one:
            await self.memory_add(image, scene.id, self.project.base_description.text)
            await self._scene(scene, 1)
            self.folder.save(self.project)
            return
        if not (scene.pinned and scene.keyframe_description):
            scene.keyframe_description = await self.monitor.describe(path, context)
        scene.stale = False
        await self.memory_add(image, scene.id, scene.keyframe_description)
        self.folder.save(self.project)
        self.emit(SceneFinished(scene.id, 1, status, "Base Frame and Base Description ready"))

    async def _sheets(self, scenes: list[Scene], redraw: bool) -> None:
        """Draw a sheet for each character in ``scenes`` that has none, or (``redraw``: a full run, which
        draws the Base Frame again too) whose sheet the user did not pin or import; the characters' sheets at
        once, as many as the workers take."""
        wanted = {i for scene in scenes for i in scene.characters}
        todo = [
            c
            for c in self.project.characters
            if c.id in wanted and not (c.sheet is not None and (c.sheet.pinned_by_user or not redraw))
        ]
        room = asyncio.Semaphore(getattr(self.worker, "size", 1))

        async def draw(character: Character) -> None:
            async with room:
                await self.draw_sheet(character)
                self.folder.save(self.project)

        await all_or_none(draw(c) for c in todo)

    async def draw_sheet(self, character: Character) -> Take:
        """Draw ``character``'s sheet (again): keep every attempt as a take, make the best the sheet."""
        best: Painted | None = None
        critique = ""
        self.emit(SheetStarted(character.id, character.name))
        for _round in range(self.settings.base_rounds):
            facts = {
                "name": character.name,
                "look": character.description,
                "trigger": character.lora.trigger if character.lora else "",
                **style_facts(self.project),
                "critique": critique,
                "budget": self._budget(),
            }
            prompt = await self._ask("art_director", "sheet", cast.SHEET_TASK, facts)
            take = await self._paint(None, prompt, [], sheet_of=character)
            character.takes.append(take)
            context = FrameContext(
                scene_number=0,
                prompt=prompt,
                script=f"Character sheet of {character.name}: {character.description}",
                characters=(FigureFacts(character.name, character.description),),
                **style_facts(self.project),
            )
            verdict = await self.monitor.review_base(self.folder.asset_path(take.image), context)
            take.score, take.score_reason = verdict.score, verdict.reason
            approved = verdict.score >= self.settings.threshold
            self._monitor_says(
                f"{character.name}'s sheet, take {take.id}: score {verdict.score:.2f}, "
                f"{'accepted' if approved else 'not yet'}. {verdict.reason}"
            )
            if best is None or verdict.score > best.verdict.score:
                best = Painted(take, verdict)
            if approved:
                break
            critique = verdict.reason
        assert best is not None
        character.sheet = CharacterSheet(image=best.take.image, source="generated", take_id=best.take.id)
        return best.take

    async def memory_add(self, asset: str, scene_id: str, text: str) -> None:
        """Remember a frame, off the event loop (embedding takes a while with a CLIP model)."""
        await asyncio.to_thread(self.memory.add, asset, scene_id, text)

    async def _scene(self, scene: Scene, number: int) -> None:
        self.emit(SceneStarted(scene.id, number, "keyframe"))
        previous = self.project.scenes[number - 2] if number > 1 else None
        if scene.pinned and scene.keyframe:
            if not scene.keyframe_description:
                path = self.folder.asset_path(scene.keyframe.image)
                scene.keyframe_description = await self.monitor.describe(
                    path, self._context(scene, scene.keyframe.prompt)
                )
            self.emit(SceneFinished(scene.id, number, "pinned", "kept the keyframe you pinned"))
            return
        base = self.project.base_frame
        assert base is not None
        references = [Reference("style", self.folder.asset_path(base.image), base.image)]
        if (
            self.settings.use_previous
            and previous
            and previous.keyframe
            and previous.keyframe.image != base.image
        ):
            image = previous.keyframe.image
            references.append(Reference("continuity", self.folder.asset_path(image), image))
        earlier = {s.keyframe.image for s in self.project.scenes[: number - 1] if s.keyframe} - {
            r.asset for r in references
        }
        nearest = await asyncio.to_thread(
            lambda: self.memory.nearest(text=scene.script, among=earlier, k=self.settings.neighbours)
        )
        references += [Reference("memory", self.folder.asset_path(a), a) for a, _ in nearest]
        prompt = await self._prompt(scene, previous.keyframe_description if previous else "")
        references += cast.identity_references(self.folder, self.project, scene)
        best: Painted | None = None
        for attempt in range(self.settings.retries + 1):
            # Candidate seeds are drawn at once, across the workers; the iteration itself stays in scene
            # order, since K(t) depends on K(t-1).
            takes = await all_or_none(
                self._paint(scene, prompt, references, candidate=n) for n in range(self.settings.candidates)
            )
            accepted = False
            for take in takes:
                path = self.folder.asset_path(take.image)
                similarity = await asyncio.to_thread(self.memory.similarity, path, base.image)
                verdict = await self.monitor.judge(
                    path, self.project.base_description.text, self.folder.asset_path(base.image), similarity
                )
                take.identity = await self._identity(scene, take)
                good = verdict.score >= self.settings.threshold and not self._unlike(take)
                self._keep(scene, take, verdict, good, last=attempt == self.settings.retries)
                if best is None or (verdict.score + _likeness(take)) > (
                    best.verdict.score + _likeness(best.take)
                ):
                    best = Painted(take, verdict)
                accepted = accepted or good
            if accepted:
                break
        assert best is not None
        scene.selected_take = best.take.id
        scene.stale = False
        path = self.folder.asset_path(best.take.image)
        scene.keyframe_description = await self.monitor.describe(path, self._context(scene, prompt))
        await self.memory_add(best.take.image, scene.id, scene.keyframe_description)
        status = (
            "done"
            if best.verdict.score >= self.settings.threshold and not self._unlike(best.take)
            else "drift"
        )
        self.emit(SceneFinished(scene.id, number, status, best.verdict.reason))
