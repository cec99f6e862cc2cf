"""One take, made and judged: the art director's words, the painter's request on the worker, the picture kept as an
asset, the likeness of its characters to their sheets, and the monitor's word on it in the transcript. The
Keyframe Iteration (:mod:`.keyframes`) decides what to draw and which take to keep."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re

from dreamfactory_studio.backends.gpu_worker import GpuWorker
from dreamfactory_studio.backends.image import (
    Drawn,
    FigureFacts,
    ImageBackend,
    ImageRequest,
    PanelFacts,
    Reference,
    Region,
)
from dreamfactory_studio.backends.image.files import open_reference
from dreamfactory_studio.backends.image.regions import laid_in
from dreamfactory_studio.backends.llm import LLM, ChatMessage, TurnInfo
from dreamfactory_studio.backends.vision import FrameContext, Monitor, Verdict
from dreamfactory_studio.backends.vision.faces import installed_faces
from dreamfactory_studio.backends.vision.identity import identity_score
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import (
    Emit,
    MessageFinished,
    MessageStarted,
    ModelLoading,
    StepProgress,
    TakeMade,
    TokenReceived,
    ignore,
)
from dreamfactory_studio.core.model import Box, Character, Project, Redrawn, Scene, Take, TranscriptMessage
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.settings import KeyframeSettings
from dreamfactory_studio.production import cast
from dreamfactory_studio.production.conclusions import conclusion_text
from dreamfactory_studio.production.conversation import speak
from dreamfactory_studio.production.crew_config import Crew
from dreamfactory_studio.production.frame_facts import (
    PHASE,
    figures,
    frame_context,
    prompt_facts,
    recipe_of,
    scene_setting,
    style_facts,
)
from dreamfactory_studio.production.image_memory import ImageMemory

PROMPT_TASK = (
    "Write the image prompt for this scene's keyframe, P(t) = f(S(t), C(t-1), BD): the scene's action and shot, "
    "carrying over what the previous frame establishes, and keeping everything the Base Description fixes. "
    "Put the most important first: who does what, then the characters' fixed looks, then the style. Keep to the "
    "budget if one is given: words past it weigh little. Describe what is seen; no scene numbers, no "
    "percentages. When several characters are in the scene, add a line LAYOUT: naming where each stands (left, "
    "centre or right; foreground or background). Reason briefly, then write <INFO> followed by the prompt as one "
    "paragraph, then the LAYOUT line."
)


END_FRAMINGS = {
    "push in": "framed closer, the subject larger in the frame",
    "pull out": "framed wider, more of the surroundings in view",
    "slow pan left": "the view moved to the left",
    "slow pan right": "the view moved to the right",
    "tilt up": "the view tilted up",
    "tilt down": "the view tilted down",
    "static": "framed as before, a moment later",
}


def end_framing(scene: Scene) -> str:
    """The framing a scene's camera move ends on, in words for the painter."""
    camera = scene.camera.strip().lower()
    return END_FRAMINGS.get(
        camera, f"framed as the camera's {camera} ends" if camera else "framed a little closer"
    )


def _notes(take: Take) -> tuple[str, ...]:
    return tuple(take.recipe.notes) if take.recipe else ()


class TakeMaker:
    """Makes and judges takes for one project with one painter and one monitor."""

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

    async def _ask(self, role: str, conclusion: str, task: str, facts: dict) -> str:
        card = self.crew.roles[role]
        # A model is told the facts in words; values (the budget in tokens) are for the offline writer.
        lines = "\n".join(
            f"{key.replace('_', ' ').title()}: {value}"
            for key, value in facts.items()
            if value and isinstance(value, str)
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

    def _budget(self) -> int | None:
        return getattr(self.painter, "prompt_budget", None)

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
        region: Region | None = None,
        continuous: bool | None = None,
    ) -> Take:
        """Draw one take; ``bare`` gives a fact-drawing painter the scene's script and shot alone (no cast,
        look or Base Description), as a prompt-only model gets them in the script-only baseline; ``sheet_of``
        draws that character's sheet instead of the scene; ``region`` redraws that region of a picture and keeps
        the rest of it."""
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
            continuous=(
                continuous
                if continuous is not None
                else self.settings.continuous and not bare and sheet_of is None and region is None
            ),
            facts=facts,
            region=region,
        )
        self.painter_calls += 1
        target = sheet_of.id if sheet_of else scene.id
        drawn: Drawn = await self.worker.generate(
            self.painter,
            request,
            on_step=lambda done, total: self.emit(StepProgress(target, done, total)),
            on_loading=lambda message: self.emit(ModelLoading(message)),
        )
        if region is not None:  # every pixel outside the region stays the source's, whatever the painter did
            drawn.image = await asyncio.to_thread(
                laid_in, open_reference(region.source), drawn.image, region.box
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

    async def redraw(
        self, scene: Scene, source: Take, box: Box, character: Character | None = None, prompt: str = ""
    ) -> Take:
        """Draw ``box`` of ``source`` again in place, held to ``character``'s sheet and the Base Frame, as a new
        take that becomes the scene's keyframe; ``source`` is kept as it was. The words are ``prompt`` (what
        should change), else the source's prompt; the named character's likeness is measured."""
        references = []
        if character is not None and character.sheet is not None:
            sheet = self.folder.asset_path(character.sheet.image)
            if sheet.is_file():
                references.append(
                    Reference("identity", sheet, character.sheet.image, character.id, box, character.name)
                )
        base = self.project.base_frame
        if base is not None and self.folder.asset_path(base.image).is_file():
            references.append(Reference("style", self.folder.asset_path(base.image), base.image))
        words = prompt.strip() or source.prompt
        if character is not None:
            words = f"{character.name} ({character.description}): {words}" if character.description else words
        region = Region(self.folder.asset_path(source.image), box)
        take = await self._paint(scene, words, references, region=region)
        take.recipe.region = Redrawn(
            source=source.id, box=box, character=character.id if character else "", prompt=prompt.strip()
        )
        if character is not None and character.sheet is not None:
            measured = await self._identity(scene, take)
            take.identity = {character.id: measured[character.id]} if character.id in measured else {}
        scene.takes.append(take)
        scene.selected_take = take.id
        self.emit(TakeMade(scene.id, take.id, take.score, take.score_reason, True, _notes(take)))
        return take

    async def draw_end_frame(self, scene: Scene) -> Take:
        """Draw the frame the scene's clip ends on: the same references, the keyframe as the start it continues
        from, the words asking for the framing the camera move ends on. It becomes the scene's end frame (the
        clip then ends on it); the keyframe stays the keyframe."""
        keyframe = scene.keyframe
        if keyframe is None or not self.folder.asset_path(keyframe.image).is_file():
            number = self.project.scene_number(scene.id)
            raise BadInput(f"scene {number} has no keyframe to start from; draw it first.")
        references = cast.identity_references(self.folder, self.project, scene)
        base = self.project.base_frame
        if base is not None and self.folder.asset_path(base.image).is_file():
            references.append(Reference("style", self.folder.asset_path(base.image), base.image))
        references.append(Reference("continuity", self.folder.asset_path(keyframe.image), keyframe.image))
        words = f"{keyframe.prompt} The same moment, the same place and people, {end_framing(scene)}."
        take = await self._paint(scene, words, references, candidate=1, continuous=True)
        scene.takes.append(take)
        scene.end_frame, scene.clip_end = take.id, "own"
        return take

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
        self.emit(TakeMade(scene.id, take.id, take.score, take.score_reason, accepted, _notes(take)))
