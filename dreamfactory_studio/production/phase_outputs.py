"""Writing a phase's decision into the project, and the facts that fill later phases' prompts.

A field the user edited is kept unless ``overwrite_edits`` is asked for. Scenes keep their ids, takes and clips
when the script is rewritten; a scene whose script changed under existing keyframes is marked stale.
"""

from __future__ import annotations

from dreamfactory_studio.core.model import (
    Character,
    DialogueLine,
    Project,
    Scene,
    StyleDecision,
    TaskDecision,
)
from dreamfactory_studio.production.conclusions import (
    ScriptConclusion,
    StoryConclusion,
    StyleConclusion,
    TaskConclusion,
)


def _keep_edits(old, new, overwrite: bool):
    """``new`` with the fields the user edited on ``old`` carried over."""
    if old is None or overwrite:
        return new
    for name in old.user_edited:
        setattr(new, name, getattr(old, name))
    new.user_edited = list(old.user_edited)
    return new


def apply_task(project: Project, decision: TaskConclusion, overwrite_edits: bool = False) -> None:
    task = TaskDecision(**decision.model_dump())
    task = _keep_edits(project.task, task, overwrite_edits)
    if project.request.scenes and not task.is_user_edited("scenes"):
        task.scenes = project.request.scenes  # the number the user asked for when making the project
    project.task = task


def apply_style(project: Project, decision: StyleConclusion, overwrite_edits: bool = False) -> None:
    style = _keep_edits(project.style, StyleDecision(**decision.model_dump()), overwrite_edits)
    if project.request.style and not style.is_user_edited("style"):
        style.style = project.request.style
    project.style = style


def apply_story(project: Project, decision: StoryConclusion, overwrite_edits: bool = False) -> None:
    if overwrite_edits or not project.is_user_edited("outline"):
        project.outline = decision.outline
    old = {c.name.casefold(): c for c in project.characters}
    if project.source != "story" and not overwrite_edits:
        # A screenplay's cast is the writer's: the crew only describes those it left undescribed.
        for proposed in decision.characters:
            known = old.get(proposed.name.casefold())
            if known is not None and not known.description:
                known.description = proposed.description
        return
    characters: list[Character] = []
    for proposed in decision.characters:
        existing = old.pop(proposed.name.casefold(), None)
        character = Character(name=proposed.name, description=proposed.description)
        if existing is not None:
            character.id = existing.id
            character = _keep_edits(existing, character, overwrite_edits)
        characters.append(character)
    # Characters the user made or changed by hand stay even when the crew forgot them, and so does everyone a
    # scene still names (its cast, layout or dialogue): a project never refers to a character it lacks.
    named = {i for s in project.scenes + [c.scene for c in project.cut_scenes] for i in s.named_characters()}
    characters.extend(c for c in old.values() if (c.user_edited and not overwrite_edits) or c.id in named)
    project.characters = characters


def _character_ids(project: Project, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        wanted = name.casefold().removeprefix("the ")
        match = next(
            (
                c
                for c in project.characters
                if c.name.casefold().removeprefix("the ") == wanted or wanted in c.name.casefold().split()
            ),
            None,
        )
        if match is None:
            match = Character(name=name)
            project.characters.append(match)
        if match.id not in ids:
            ids.append(match.id)
    return ids


SCENE_FIELDS = ("title", "script", "narration", "shot", "camera", "characters", "duration")


def apply_script(project: Project, decision: ScriptConclusion, overwrite_edits: bool = False) -> None:
    old = list(project.scenes)
    scenes: list[Scene] = []
    for index, proposed in enumerate(decision.scenes):
        values = proposed.model_dump()
        values["characters"] = _character_ids(project, proposed.characters)
        scene = old[index] if index < len(old) else Scene()
        before = scene.script
        for name in SCENE_FIELDS:
            if overwrite_edits or not scene.is_user_edited(name):
                setattr(scene, name, values[name])
        if overwrite_edits or not scene.is_user_edited("dialogue"):
            scene.dialogue = [
                DialogueLine(character=_character_ids(project, [line.character])[0], text=line.text)
                for line in proposed.dialogue
            ]
        if overwrite_edits:
            scene.user_edited, scene.from_screenplay = [], []
        if scene.takes and scene.script != before:
            scene.stale = True
        scenes.append(scene)
    # Scenes beyond the new count are dropped only when they hold none of the user's work.
    for scene in old[len(decision.scenes) :]:
        if scene.user_edited or scene.from_screenplay or scene.takes or scene.pinned:
            scene.stale = True
            scenes.append(scene)
    project.scenes = scenes


APPLY = {"task": apply_task, "style": apply_style, "story": apply_story, "script": apply_script}


def describe_task(project: Project) -> str:
    task = project.task
    if task is None:
        return "(not decided yet)"
    length = f", about {task.duration_target:.0f} seconds" if task.duration_target else ""
    audience = f" for {task.audience}" if task.audience else ""
    return f"a {task.mode} film of {task.scenes} scenes{audience}, {task.aspect}{length}."


def describe_style(project: Project) -> str:
    style = project.style
    if style is None:
        return "(not decided yet)"
    parts = [style.style] + [p for p in (style.palette, style.lighting, style.notes) if p]
    return "; ".join(parts) + "."


def describe_characters(project: Project) -> str:
    if not project.characters:
        return "(none named)"
    return "; ".join(f"{c.name}: {c.description}" if c.description else c.name for c in project.characters)


def prompt_values(project: Project, phase: str, scene_count: int) -> dict[str, str]:
    """The values of a phase prompt's placeholders, from the project as it is now (user edits included)."""
    request = []
    if project.request.scenes:
        request.append(f"The client asked for exactly {project.request.scenes} scenes.")
    if project.request.style:
        request.append(f"The client asked for this style: {project.request.style}.")
    direction = project.directions.get(phase, "").strip()
    return {
        "story": project.story,
        "request": " ".join(request),
        "task": describe_task(project),
        "style": describe_style(project),
        "outline": project.outline or "(not written yet)",
        "characters": describe_characters(project),
        "scene_count": str(scene_count),
        "direction": f"The Director in charge (a person) says: {direction}" if direction else "",
    }
