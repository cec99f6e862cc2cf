"""The offline writer: a deterministic crew member that needs no network and no model.

It reads the story once with :func:`~dreamfactory_studio.core.story_reading.read` (its text without the title
and headings, its cast) and speaks each role's part of a phase in plain words, explaining
its decision, then concludes with ``<INFO>`` and the decision as JSON, exactly as a language model is asked to.
Its words go through the same conversation engine, parsing and validation as a real model's.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence

from dreamfactory_studio.backends.llm import ChatMessage, Completion, TokenSink, TurnInfo
from dreamfactory_studio.backends.llm.prompt_writing import (
    fit_prompt,
    fixed_facts,
    layout_line,
    look_words,
    prompt_budget,
)
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.settings import ExportSettings
from dreamfactory_studio.core.story_reading import read
from dreamfactory_studio.core.story_reading.analysis import (
    PALETTES,
    pick_style,
    sentences,
    split_scenes,
    story_lighting,
    story_palette,
    words,
)
from dreamfactory_studio.core.story_reading.cast import Character as StoryCharacter
from dreamfactory_studio.core.story_reading.following import character_kind, follow_cast, lines_in
from dreamfactory_studio.core.story_reading.titles import scene_title
from dreamfactory_studio.core.timing import text_length

WORDS_PER_SECOND = 2.5
NARRATION_WORDS = 30
_MATURE = ("war", "blood", "kill", "murder", "gun", "corpse", "battle", "knife fight")


def _seconds(text: str) -> float:
    """A scene's length as the film will time it with the default settings and no voice (the crew's planning
    hint; the card, the PDF and the film use :func:`~dreamfactory_studio.core.timing.scene_length`)."""
    return round(text_length(text, "", ExportSettings(), WORDS_PER_SECOND), 1)


def _narration(chunk: str) -> str:
    picked: list[str] = []
    for sentence in sentences(chunk) or []:
        if picked and len(words(" ".join(picked + [sentence.text]))) > NARRATION_WORDS:
            break
        picked.append(sentence.text)
    text = " ".join(picked) or chunk
    tokens = text.split()
    if len(tokens) > NARRATION_WORDS * 1.5:
        text = " ".join(tokens[:NARRATION_WORDS]).rstrip(",;:") + "…"
    return text


def _shot(index: int, count: int, chunk: str, present: int) -> tuple[str, str]:
    lowered = chunk.lower()
    if present == 0:
        return "wide", "slow pan right"  # no one in it: the place is the subject
    if index == 0 or index == count - 1:
        return "wide", "slow pan right" if index == 0 else "slow pull back"
    if re.search(r"\b(walk|walks|run|runs|carries|carry|follows|steers|drifts|roll|rolls|climbs)\b", lowered):
        return "medium", "tracking shot"
    if present == 1 and re.search(r"\b(tears|smile|listens|watches|eyes|face|calm|alone)\b", lowered):
        return "close-up", "slow push in"
    return "medium", "static"


class OfflineWriter:
    """Deterministic answers for every phase, built from the story's own words."""

    label = "offline writer"

    async def complete(
        self, messages: Sequence[ChatMessage], turn: TurnInfo, on_token: TokenSink | None = None
    ) -> Completion:
        if turn.conclusion in ("prompt", "sheet"):
            # Off the event loop, as the keyframe phase's other work: the prompt is measured with CLIP's
            # tokenizer, which loads on first use.
            text = await asyncio.to_thread(self.write, turn)
        else:
            text = self.write(turn)
        if on_token is not None:
            for index, piece in enumerate(re.findall(r"\S+\s*", text)):
                on_token(piece)
                if index % 64 == 63:
                    await asyncio.sleep(0)  # stay cancellable and let the window breathe
        await asyncio.sleep(0)
        return Completion(text=text)

    # -- decisions ----------------------------------------------------------------------------------------

    def decide(self, turn: TurnInfo) -> dict:
        return getattr(self, f"_decide_{turn.conclusion}")(turn.project, turn.scene_count)

    def _decide_task(self, project: Project, scenes: int) -> dict:
        if not project.request.scenes and scenes <= 15:
            # A scene is at least one whole sentence: a short film of a short story has fewer scenes than the
            # default. A scene count the user asked for, or the long mode's, is kept (moments shown in several
            # shots when sentences run out).
            scenes = max(1, min(scenes, len(read(project.story).sentences)))
        story = project.story.lower()
        audience = "teens and adults" if any(re.search(rf"\b{w}\b", story) for w in _MATURE) else "all ages"
        total = sum(_seconds(_narration(c)) for c in split_scenes(read(project.story).body, scenes))
        return {
            "mode": "short" if scenes <= 15 else "long",
            "scenes": scenes,
            "audience": audience,
            "aspect": "16:9",
            "duration_target": total,
            "notes": "follow the story's events in order, one drawable moment per scene",
        }

    def _decide_style(self, project: Project, scenes: int) -> dict:
        style, _ = self._style(project)
        palette, lighting = PALETTES.get(style, ("colours chosen to suit the style", "soft, even light"))
        reading = read(project.story)
        told = f"{reading.title}\n\n{reading.body}"  # "Night Fare" says when as much as the text does
        palette, lighting = story_palette(told, palette), story_lighting(told, lighting)
        return {
            "style": style,
            "palette": palette,
            "lighting": lighting,
            "notes": "keep it the same in every scene",
        }

    def _style(self, project: Project) -> tuple[str, list[str]]:
        if project.request.style:
            return project.request.style, []
        reading = read(project.story)
        return pick_style(f"{reading.title}\n\n{reading.body}")

    def _decide_story(self, project: Project, scenes: int) -> dict:
        reading = read(project.story)
        beats = [(sentences(p) or [None])[0] for p in reading.paragraphs]
        outline = " ".join(b.text for b in beats if b)
        characters = [{"name": c.name, "description": c.description} for c in reading.cast]
        return {"outline": outline, "characters": characters}

    def _decide_script(self, project: Project, scenes: int) -> dict:
        reading = read(project.story)
        analysed = {c.name: c for c in reading.cast}
        cast = []
        for character in project.characters:
            found = analysed.get(character.name)
            cast.append(
                StoryCharacter(
                    character.name,
                    character.description,
                    (found.aliases if found else set()) | {character.name},
                )
            )
        chunks = split_scenes(reading.body, scenes)
        kinds = {c.name: character_kind(c, reading.body) for c in cast}
        out = []
        for index, (chunk, present) in enumerate(
            zip(chunks, follow_cast(chunks, cast, reading.body), strict=True)
        ):
            shot, camera = _shot(index, len(chunks), chunk, len(present))
            narration = _narration(chunk)
            out.append(
                {
                    "title": scene_title(chunk, cast, present, kinds),
                    "script": chunk,
                    "narration": narration,
                    "shot": shot,
                    "camera": camera,
                    "characters": present,
                    "dialogue": [
                        {"character": who, "text": text}
                        for who, text in lines_in(chunk, cast, kinds, present)
                    ],
                    "duration": _seconds(narration),
                }
            )
        return {"scenes": out}

    # -- words --------------------------------------------------------------------------------------------

    def write(self, turn: TurnInfo) -> str:
        if turn.conclusion in ("prompt", "critique", "sheet"):
            return getattr(self, f"_write_{turn.conclusion}")(turn.extra)
        decision = self.decide(turn)
        conclusion = f"<INFO> {json.dumps(decision, ensure_ascii=False)}"
        if turn.kind == "reflect":
            return f"We have talked enough; here is our decision.\n{conclusion}"
        if turn.kind == "repair":
            return f"You are right, let me correct the decision ({turn.error}).\n{conclusion}"
        if turn.kind == "open":
            return getattr(self, f"_open_{turn.conclusion}")(turn, decision)
        reply = getattr(self, f"_reply_{turn.conclusion}")
        if turn.rounds <= 1:
            return reply(turn, decision) + "\n" + conclusion
        # A talking crew: a draft, the critic's concrete note on it, the answer, then the decision.
        draft = self.draft(turn)
        notes = self.weaknesses(turn, draft, decision)
        if turn.side == "user":
            if turn.round == 2 and notes:
                return "Not yet. " + " ".join(ask for ask, _ in notes)
            if turn.round == 2:
                return f"{self.strength(turn, decision)} I have nothing to change; write it up."
            return "That answers my notes. Write the decision."
        if turn.round == 1:
            return "Here is my draft, for your critique.\n" + reply(turn, draft)
        answer = (" ".join(done for _, done in notes) + "\n") if notes and turn.round == 2 else ""
        if turn.round < turn.rounds:
            return answer + "The revision:\n" + reply(turn, decision)
        return answer + reply(turn, decision) + "\n" + conclusion

    # -- the critique -------------------------------------------------------------------------------------

    def draft(self, turn: TurnInfo) -> dict:
        """The proposer's first draft: the decision before the critic's notes are taken in."""
        decision = self.decide(turn)
        project = turn.project
        if turn.conclusion == "task":
            return {**decision, "scenes": project.request.scenes or turn.scene_count}
        if turn.conclusion == "style" and not project.request.style:
            palette, lighting = PALETTES.get(decision["style"], (decision["palette"], decision["lighting"]))
            return {**decision, "palette": palette, "lighting": lighting}
        if turn.conclusion == "script":
            return {
                "scenes": [{**scene, "shot": "medium", "camera": "static"} for scene in decision["scenes"]]
            }
        return decision

    def weaknesses(self, turn: TurnInfo, draft: dict, final: dict) -> list[tuple[str, str]]:
        """The critic's notes on this story's draft, each with the proposer's answer: what the final decision
        changes, in words naming the scenes, colours and counts concerned."""
        notes: list[tuple[str, str]] = []
        if turn.conclusion == "task" and draft["scenes"] != final["scenes"]:
            count = len(read(turn.project.story).sentences)
            notes.append(
                (
                    f"The story has only {count} sentences: {draft['scenes']} scenes would show the same moment twice.",
                    f"Agreed: {final['scenes']} scenes, at least one whole sentence each.",
                )
            )
        if turn.conclusion == "style":
            if draft["palette"] != final["palette"]:
                extra = final["palette"][len(draft["palette"]) :].strip(" ,")
                notes.append(
                    (
                        f"The palette forgets what the story itself keeps showing: {extra.removeprefix('with the story’s ')}.",
                        f"You are right: the palette now ends {extra}.",
                    )
                )
            if draft["lighting"] != final["lighting"]:
                light = final["lighting"][len(draft["lighting"]) :].strip(" ;")
                notes.append(
                    (
                        f"The lighting does not follow the story's hours; most of it wants {light}.",
                        f"Yes: {light}.",
                    )
                )
        if turn.conclusion == "script":
            changed = [
                (n, a, b)
                for n, (a, b) in enumerate(zip(draft["scenes"], final["scenes"], strict=True), 1)
                if (a["shot"], a["camera"]) != (b["shot"], b["camera"])
            ]
            if changed:
                shown = "; ".join(
                    f"scene {n} ({b['title']}) as a {b['shot']} shot, {b['camera']}"
                    for n, _, b in changed[:4]
                )
                notes.append(
                    (
                        f"All {len(draft['scenes'])} scenes are medium, static shots: the film has no rhythm. Try {shown}.",
                        f"Done: {len(changed)} scenes change their framing, {shown}.",
                    )
                )
            empty = [n for n, scene in enumerate(final["scenes"], 1) if not scene["characters"]]
            if empty and len(empty) <= 3:
                places = ", ".join(map(str, empty))
                notes.append(
                    (
                        f"Scene{'s' if len(empty) > 1 else ''} {places} show{'' if len(empty) > 1 else 's'} no one; make sure the place carries it.",
                        f"Scene{'s' if len(empty) > 1 else ''} {places} stay{'' if len(empty) > 1 else 's'} wide, so the place is the subject.",
                    )
                )
        return notes

    def strength(self, turn: TurnInfo, decision: dict) -> str:
        """The critic's concrete word when the draft needs nothing."""
        if turn.conclusion == "story":
            cast = ", ".join(c["name"] for c in decision["characters"]) or "no named characters"
            return f"The cast is right ({cast}), each with a look we can draw, and the outline keeps every paragraph."
        if turn.conclusion == "task":
            return f"{decision['scenes']} scenes for this story keeps one moment to a scene."
        if turn.conclusion == "style":
            return f"{decision['style'].capitalize()} with {decision['palette']} suits this story."
        return "The scenes follow the story in order."

    def _open_task(self, turn: TurnInfo, d: dict) -> str:
        story = read(turn.project.story).body
        paragraphs = len([p for p in re.split(r"\n\s*\n", story.strip()) if p.strip()])
        asked = (
            f" The client asked for exactly {turn.project.request.scenes} scenes."
            if turn.project.request.scenes
            else ""
        )
        return (
            f"I have read the story: {len(words(story))} words in {paragraphs} paragraphs and "
            f"{len(sentences(story))} sentences.{asked} I want a film of {d['scenes']} scenes that follows the "
            "story closely. Producer, what is your plan?"
        )

    def _reply_task(self, turn: TurnInfo, d: dict) -> str:
        per_scene = max(1, len(words(read(turn.project.story).body)) // d["scenes"])
        if d["audience"] == "all ages":
            audience = "Nothing in the story needs to be kept from children, so the audience is all ages."
        else:
            audience = "The story has violence in it, so the audience is teens and adults."
        return (
            "Let me think it through step by step.\n"
            f"1. {d['scenes']} scenes give each scene about {per_scene} words of the story: one moment each, "
            f"so a {d['mode']} film.\n"
            f"2. {audience}\n"
            "3. 16:9 suits screens and storyboards alike.\n"
            f"4. Narration at {WORDS_PER_SECOND} words a second plus a pause per scene runs about "
            f"{d['duration_target']:.0f} seconds."
        )

    def _open_style(self, turn: TurnInfo, d: dict) -> str:
        style, evidence = self._style(turn.project)
        if turn.project.request.style:
            return f"The client asked for this style: {style}. Art Director, how do we make it work for this story?"
        hint = f" I notice the story's words: {', '.join(evidence)}." if evidence else ""
        return f"The task is set. What look fits this story?{hint} Give me your idea and I will critique it."

    def _reply_style(self, turn: TurnInfo, d: dict) -> str:
        style, evidence = self._style(turn.project)
        if turn.project.request.style:
            reason = "the client chose it, so we keep it"
        elif evidence:
            reason = f"the story's words ({', '.join(evidence)}) point there"
        else:
            reason = "nothing in the story points elsewhere, and clean illustration reads well at any size"
        return (
            "Step by step: first the feeling of the story, then the look that carries it.\n"
            f"1. I choose {d['style']}: {reason}.\n"
            f"2. Palette: {d['palette']}, the same in every scene.\n"
            f"3. Lighting: {d['lighting']}."
        )

    def _open_story(self, turn: TurnInfo, d: dict) -> str:
        return (
            "Let us fix the outline and the cast before the script. Keep every name from the story, and describe "
            "each character by what we can see, so the Painter draws them the same way in every scene."
        )

    def _reply_story(self, turn: TurnInfo, d: dict) -> str:
        cast = (
            "\n".join(f"- {c['name']}: {c['description']}" for c in d["characters"])
            or "- (no named characters)"
        )
        return (
            "Reading the story in order, paragraph by paragraph, the outline is:\n"
            f"{d['outline']}\nThe characters, with what the story says they look like:\n{cast}"
        )

    def _open_script(self, turn: TurnInfo, d: dict) -> str:
        return (
            f"Now the script: exactly {turn.scene_count} scenes, in story order. Cut where the story's paragraphs "
            "end when you can, give each scene one moment we can draw, and use the story's own words for the "
            "narration."
        )

    def _reply_script(self, turn: TurnInfo, d: dict) -> str:
        lines = [f"Scene by scene, {len(d['scenes'])} in all:"]
        for number, scene in enumerate(d["scenes"], start=1):
            who = ", ".join(scene["characters"]) or "no one named"
            lines.append(
                f"{number}. {scene['title']}: a {scene['shot']} shot, {scene['camera']}; {who}; "
                f"{scene['duration']:.1f} s for its narration."
            )
        return "\n".join(lines)

    # -- keyframes ----------------------------------------------------------------------------------------

    @staticmethod
    def _short(text: str, limit: int) -> str:
        text = " ".join(text.split())
        return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"

    def _write_prompt(self, facts) -> str:
        """P(t) = f(S(t), C(t-1), BD), most important first and fitted to the painter's budget: the action, the
        characters' looks, the shot, the style, what the Base Description fixes. The previous frame carries
        over as a reference image, so its words stay out; so do measured percentages, which a painter draws."""
        script = " ".join(facts.get("script", "").split())
        parts = [
            (script, True),
            (f"Director's note: {facts['critique']}" if facts.get("critique") else "", False),
            (facts.get("characters", ""), True),
            (facts.get("setting", ""), False),
            (f"{facts.get('shot', 'medium')} shot, {facts.get('camera', 'static')}", False),
            (look_words(facts), False),
            (fixed_facts(facts.get("base_description", "")), True),
        ]
        prompt = fit_prompt(parts, prompt_budget(facts))
        reasons = [
            "the scene's action comes first, in the script's words",
            "then who is in it and how they look",
        ]
        if facts.get("base_description"):
            reasons.append("the Base Description's fixed facts close it")
        if facts.get("budget"):
            reasons.append(f"all within the painter's {facts['budget']}")
        layout = layout_line(facts.get("characters", ""))
        return (
            "Step by step: " + "; ".join(reasons) + ".\n<INFO> " + prompt + (f"\n{layout}" if layout else "")
        )

    def _write_sheet(self, facts) -> str:
        """A character sheet's prompt: the whole figure on a plain ground, their look, the film's style."""
        who = " ".join(p for p in (facts.get("trigger", ""), facts.get("name", "")) if p)
        parts = [
            (f"character sheet of {who}, full figure, standing, front view, plain neutral background", True),
            (facts.get("look", ""), True),
            (look_words(facts), False),
            (f"Fix: {facts['critique']}" if facts.get("critique") else "", False),
        ]
        prompt = fit_prompt(parts, prompt_budget(facts))
        return (
            "The sheet shows the whole figure on a plain ground, so every scene can hold them to it.\n<INFO> "
            + prompt
        )

    def _write_critique(self, facts) -> str:
        seen = self._short(facts.get("description", ""), 220)
        if facts.get("approved") == "yes":
            return f"The Monitor sees: {seen} That is our Base Frame: {facts.get('reason', '')}.\n<INFO> approved"
        lead = facts.get("lead", "")
        keep = f" Keep {lead} exactly as described." if lead else ""
        return (
            f"The Monitor sees: {seen} Not yet: {facts.get('reason', '')}.{keep}\n"
            f"<INFO> {facts.get('reason', '').capitalize()}.{keep}"
        )
