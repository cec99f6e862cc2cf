"""What the crew and the painter are told of a scene's frame: the facts for the art director's prompt, the
setting and context the monitor judges a frame in, the Base Description asked of the Base Frame, and the recipe a
take records."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from dreamfactory_studio.backends.image import Drawn, FigureFacts
from dreamfactory_studio.backends.vision import FrameContext, Monitor
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Project, Recipe, Scene, UsedLora, UsedReference
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.story_reading import read
from dreamfactory_studio.core.story_reading.places import places_in, settings_of, time_in
from dreamfactory_studio.production import cast

PHASE = "keyframes"


def figures(project: Project, scene: Scene) -> tuple[FigureFacts, ...]:
    """The characters present in a scene, as the painter and monitor see them."""
    return tuple(FigureFacts(c.name, c.description) for c in cast.present(project, scene))


def style_facts(project: Project) -> dict[str, str]:
    """The style decision's style, palette and lighting (empty before the style phase)."""
    style = project.style
    return {name: getattr(style, name) if style else "" for name in ("style", "palette", "lighting")}


def budget_facts(budget: int | None) -> dict:
    """A painter's prompt budget for the art director: as words for a model's prompt (``budget``; empty with
    none) and as the number itself (``budget_tokens``), which the offline writer fits prompts to."""
    words = f"{budget} tokens of its text encoder (about {budget * 3 // 4} words)" if budget else ""
    return {"budget": words, "budget_tokens": budget}


def prompt_facts(
    project: Project, scene: Scene, context: str = "", critique: str = "", budget: int | None = None
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
        **budget_facts(budget),
    }


def scene_setting(project: Project, scene: Scene) -> tuple[str, str]:
    """The scene's place and time of day: from its setting (a screenplay's heading) where it has one, else
    read from the scripts up to it (a scene that names neither is where and when the one before it ended)."""
    place, time = story_settings(project)[project.scene_number(scene.id) - 1]
    if scene.setting is None:
        return place, time
    named = [name for _, name, _ in places_in(scene.setting.place.lower())]
    said_place, said_time = (named[0] if named else ""), time_in(scene.setting.time.lower())
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


def story_settings(project: Project) -> list[tuple[str, str]]:
    """Each scene's place and time of day as its script and the ones before it say (the title's hour first)."""
    return _settings(tuple(s.script for s in project.scenes), time_in(read(project.story).title))


@lru_cache(maxsize=4)
def _settings(scripts: tuple[str, ...], opening_time: str) -> list[tuple[str, str]]:
    # Read once per version of the script: every take and every description of a run asks.
    return settings_of(list(scripts), opening_time)


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


def base_context(project: Project, scene: Scene, prompt: str) -> FrameContext:
    """What the monitor is told to write the Base Description from: the Base Frame's scene, with the whole
    cast and every place the story names (what must hold in every scene, not only in scene 1)."""
    places = dict.fromkeys(p for p, _ in story_settings(project) if p)
    return replace(
        frame_context(project, scene, prompt),
        characters=tuple(FigureFacts(c.name, c.description) for c in project.characters),
        place=", ".join(places) or scene_setting(project, scene)[0],
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
    return await monitor.describe_base(path, base_context(project, scene, prompt))


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
        steps=drawn.steps,
        guidance=drawn.guidance,
        notes=notes,
    )
