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
from collections.abc import Sequence
from dataclasses import dataclass

from dreamfactory_studio.backends.image import FigureFacts, Reference
from dreamfactory_studio.backends.vision import FrameContext, Verdict
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.events import SceneFinished, SceneStarted, SheetStarted, TakeMade
from dreamfactory_studio.core.model import BaseFrame, Character, CharacterSheet, Scene, Take
from dreamfactory_studio.core.scene_ids import require_script
from dreamfactory_studio.core.tasks import all_or_none
from dreamfactory_studio.production import cast
from dreamfactory_studio.production.frame_facts import base_context, budget_facts, style_facts
from dreamfactory_studio.production.take_maker import TakeMaker

CRITIQUE_TASK = (
    "Critique this candidate Base Frame from the Monitor's description and verdict. If it serves the film, say "
    "so and write <INFO> approved; else write <INFO> followed by the change the painter must make."
)


def _likeness(take: Take) -> float:
    """The lowest likeness of a take's characters to their sheets (1 with none to compare)."""
    return min(take.identity.values(), default=1.0)


@dataclass
class Painted:
    take: Take
    verdict: Verdict


class KeyframeDesigner(TakeMaker):
    """Draws a project's keyframes with one painter and one monitor, saving after every scene."""

    # -- the iteration ------------------------------------------------------------------------------------

    async def run(self, scene_ids: Sequence[str] = (), only: bool = False) -> list[int]:
        """Draw the keyframes of these scenes, in order (every scene when none are given); scene 1 among them
        is the Base Frame. ``only``: a new take of one scene, whose sheets are not drawn again. Returns the
        numbers of the scenes drawn."""
        require_script(self.project)
        scenes = self.project.scenes
        known = {s.id: s for s in scenes}
        missing = [i for i in scene_ids if i not in known]
        if missing:
            raise BadInput("a scene to draw is no longer in the project (it was cut or deleted); run again.")
        wanted = [known[i] for i in scene_ids] or list(scenes)
        first = self.project.scene_number(wanted[0].id)
        if first > 1 and (self.project.base_frame is None or not scenes[first - 2].keyframe):
            raise BadInput(
                f"scene {first - 1} has no keyframe yet, so there is no context to start from; "
                "run the keyframes from scene 1 first."
            )
        drawn: list[int] = []
        try:
            await self._sheets(wanted, redraw=first == 1 and not only)
            for scene in wanted:
                number = self.project.scene_number(scene.id)
                if number == 1:
                    await self._base_frame()
                else:
                    await self._scene(scene, number)
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
            self.project.base_description.text = await self.monitor.describe_base(
                path, base_context(self.project, scene, keyframe.prompt if keyframe else "")
            )
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

        async def draw(character: Character) -> None:
            await self.draw_sheet(character)
            self.folder.save(self.project)

        await all_or_none((draw(c) for c in todo), limit=getattr(self.worker, "size", 1))

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
                **budget_facts(self._budget()),
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
                    path,
                    self.project.base_description.text,
                    self.folder.asset_path(base.image),
                    similarity,
                    self._context(scene, prompt),
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
