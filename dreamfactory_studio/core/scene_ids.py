"""Finding scenes: a person's scene number turned into a scene where a front end reads it, the one check that
the script is written, and the ids a run draws from a scene on. Everything below the front ends works on ids."""

from __future__ import annotations

from dreamfactory_studio.core.errors import BadInput, ScriptNotWritten
from dreamfactory_studio.core.model import Project, Scene


def find_scene(project: Project, number: int) -> Scene:
    """Scene ``number`` (1-based), where a front end turns a person's number into a scene; :class:`BadInput`
    naming the range, :class:`ScriptNotWritten` with no scenes. Everything past the front ends works on ids."""
    require_script(project)
    if not 1 <= number <= len(project.scenes):
        raise BadInput(f"there is no scene {number}; the project has scenes 1 to {len(project.scenes)}.")
    return project.scenes[number - 1]


def require_script(project: Project) -> None:
    """The one check that the script is written (the project has scenes)."""
    if not project.scenes:
        raise ScriptNotWritten()


def scene_with_id(project: Project, scene_id: str) -> Scene:
    """The scene ``scene_id``, where a front end names it by id; :class:`BadInput` when the project no longer has
    it, :class:`ScriptNotWritten` with no scenes."""
    require_script(project)
    for scene in project.scenes:
        if scene.id == scene_id:
            return scene
    raise BadInput("that scene is no longer in the project (it was cut or deleted); choose another.")


def scene_ids_from(project: Project, scene_id: str, only: bool = False) -> tuple[str, ...]:
    """The ids of scene ``scene_id`` and the scenes after it (that scene alone with ``only``); :class:`BadInput`
    when the project no longer has it."""
    start = project.scenes.index(scene_with_id(project, scene_id))
    ids = [s.id for s in project.scenes]
    return tuple(ids[start : start + 1] if only else ids[start:])
