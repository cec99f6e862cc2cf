"""The edits a person makes to a project. Each marks what it changed as the user's, so no agent overwrites it.

The CLI's ``edit`` command and the window's undo commands both go through these functions.
"""

from __future__ import annotations

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import (
    PHASES,
    BaseDescription,
    BaseFrame,
    Character,
    Project,
    Scene,
    StyleDecision,
    TaskDecision,
)

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


def _set_fields(owner, given: dict) -> list[str]:
    """Set the fields that change, mark them as the user's, and name them."""
    changed = [name for name, value in given.items() if getattr(owner, name) != value]
    for name in changed:
        setattr(owner, name, given[name])
    if changed:
        owner.mark_user_edit(*changed)
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
    return _set_fields(project.style, given)


def edit_task(project: Project, **values) -> list[str]:
    """Set the task decision's fields (mode, scenes, audience, aspect, duration_target, notes)."""
    given = {k: v for k, v in values.items() if v is not None}
    if project.task is None:
        project.task = TaskDecision(scenes=given.get("scenes", len(project.scenes) or 10))
    return _set_fields(project.task, given)


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


def select_take(scene: Scene, take_id: str | None) -> None:
    """Make a take the scene's keyframe (the selected one when ``take_id`` is None)."""
    if take_id is None:
        if scene.keyframe is None:
            raise BadInput("the scene has no keyframe yet; draw it first or import an image.")
        return
    try:
        scene.take(take_id)
    except KeyError:
        ids = ", ".join(t.id for t in scene.takes) or "none"
        raise BadInput(f"the scene has no take '{take_id}' (takes: {ids}).") from None
    scene.selected_take = take_id


def pin_scene(scene: Scene, take_id: str | None = None, *, pinned: bool = True) -> None:
    """Pin (or unpin) a scene's keyframe: a pinned keyframe is never redrawn and serves as context."""
    if pinned:
        select_take(scene, take_id)
    scene.pinned = pinned


def pin_base_frame(project: Project, scene: Scene, take_id: str | None = None) -> None:
    """Pin one of a scene's takes as the Base Frame that every keyframe is held to."""
    select_take(scene, take_id)
    keyframe = scene.keyframe
    assert keyframe is not None
    project.base_frame = BaseFrame(
        image=keyframe.image, source="take", take_id=keyframe.id, pinned_by_user=True
    )


def unpin_base_frame(project: Project) -> None:
    if project.base_frame is not None:
        project.base_frame.pinned_by_user = False


def edit_base_description(project: Project, text: str) -> None:
    """The user's Base Description: kept, and never overwritten by the monitor."""
    project.base_description = BaseDescription(text=text, user_edited=bool(text.strip()))
