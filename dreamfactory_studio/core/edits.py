"""The edits a person makes to a project. Each marks what it changed as the user's, so no agent overwrites it.

The CLI's ``edit`` command and the window's undo commands both go through these functions.
"""

from __future__ import annotations

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import PHASES, Character, Project, Scene, StyleDecision, TaskDecision

SCENE_TEXT_FIELDS = ("title", "script", "narration", "shot", "camera")


def find_scene(project: Project, number: int) -> Scene:
    """Scene ``number`` (1-based), or :class:`BadInput` naming the range."""
    if not project.scenes:
        raise BadInput(
            "the project has no scenes yet; run the script phase first (`run PROJECT --until script`)."
        )
    if not 1 <= number <= len(project.scenes):
        raise BadInput(f"there is no scene {number}; the project has scenes 1 to {len(project.scenes)}.")
    return project.scenes[number - 1]


def edit_scene(project: Project, scene: Scene, **values) -> list[str]:
    """Set a scene's fields (text fields, ``duration``, ``characters`` as names); return the fields changed."""
    changed = []
    for name, value in values.items():
        if value is None:
            continue
        if name == "characters":
            value = [character_named(project, n, create=True).id for n in value]
        elif name == "duration":
            if value <= 0:
                raise BadInput("a scene's duration must be more than 0 seconds.")
        elif name not in SCENE_TEXT_FIELDS:
            raise BadInput(f"a scene has no field '{name}'.")
        if getattr(scene, name) != value:
            setattr(scene, name, value)
            changed.append(name)
    if changed:
        scene.mark_user_edit(*changed)
        if "script" in changed and scene.takes:
            scene.stale = True
    return changed


def edit_style(project: Project, **values) -> list[str]:
    """Set the style decision's fields (style, palette, lighting, notes)."""
    given = {k: v for k, v in values.items() if v is not None}
    if "style" in given and not given["style"].strip():
        raise BadInput("the style cannot be empty.")
    if project.style is None:
        if "style" not in given:
            raise BadInput("no style is decided yet; give --style too.")
        project.style = StyleDecision(style=given["style"])
    changed = [k for k, v in given.items() if getattr(project.style, k) != v]
    for name in changed:
        setattr(project.style, name, given[name])
    if changed:
        project.style.mark_user_edit(*changed)
    return changed


def edit_task(project: Project, **values) -> list[str]:
    """Set the task decision's fields (mode, scenes, audience, aspect, duration_target, notes)."""
    given = {k: v for k, v in values.items() if v is not None}
    if project.task is None:
        project.task = TaskDecision(scenes=given.get("scenes", len(project.scenes) or 10))
    changed = [k for k, v in given.items() if getattr(project.task, k) != v]
    for name in changed:
        setattr(project.task, name, given[name])
    if changed:
        project.task.mark_user_edit(*changed)
    return changed


def character_named(project: Project, name: str, *, create: bool = False) -> Character:
    wanted = name.strip().casefold()
    for character in project.characters:
        if character.name.casefold() == wanted:
            return character
    if not create:
        names = ", ".join(c.name for c in project.characters) or "none yet"
        raise BadInput(f"there is no character '{name}' (characters: {names}).")
    if not name.strip():
        raise BadInput("a character needs a name.")
    character = Character(name=name.strip())
    character.mark_user_edit("name")
    project.characters.append(character)
    return character


def edit_character(
    project: Project, name: str, *, description: str | None = None, rename: str | None = None
) -> Character:
    """Change (or add) a character; what is changed becomes the user's."""
    character = character_named(project, name, create=True)
    if description is not None and description != character.description:
        character.description = description
        character.mark_user_edit("description")
    if rename is not None and rename.strip() and rename != character.name:
        character.name = rename.strip()
        character.mark_user_edit("name")
    return character


def edit_outline(project: Project, outline: str) -> None:
    project.outline = outline
    project.mark_user_edit("outline")


def set_direction(project: Project, phase: str, text: str) -> None:
    """The person's word to a phase's crew; it goes into that phase's next conversation."""
    if phase not in PHASES:
        raise BadInput(f"unknown phase '{phase}'; the phases are {', '.join(PHASES)}.")
    if text.strip():
        project.directions[phase] = text.strip()
    else:
        project.directions.pop(phase, None)
