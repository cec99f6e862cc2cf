"""The edits a person makes to a project. Each marks what it changed as the user's, so no agent overwrites it.

The CLI's ``edit`` command and the window's undo commands both go through these functions. Each edit declares
what it changes with :func:`~dreamfactory_studio.core.changes.touches`, from its arguments and before it runs:
the window's session snapshots those parts for undo and tells its views about them.
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import ValidationError

from dreamfactory_studio.core.changes import Changes, touches
from dreamfactory_studio.core.dialogue import parse_dialogue
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import (
    MAX_SCENE_SECONDS,
    PHASES,
    BaseDescription,
    BaseFrame,
    Box,
    Character,
    CharacterSheet,
    CutScene,
    Lora,
    Placement,
    Project,
    Scene,
    StyleDecision,
    new_id,
)
from dreamfactory_studio.core.scene_fields import SCENE_TEXT_FIELDS
from dreamfactory_studio.core.scene_ids import find_scene
from dreamfactory_studio.core.screenplay import parse_heading


def _scene_ids(project: Project, numbers) -> list[str]:
    """The ids of the scenes at these 1-based numbers (those that exist: the edit itself refuses the rest)."""
    return [project.scenes[n - 1].id for n in numbers if 1 <= n <= len(project.scenes)]


def _one_scene(project_or_scene, scene: Scene | None = None, *_args, **_kwargs) -> Changes:
    scene = scene if isinstance(scene, Scene) else project_or_scene
    return Changes.of([scene.id], focus=scene.id)


def _fields(*names: str):
    return lambda *_args, **_kwargs: Changes.of(fields=names)


@touches(
    lambda project, scene, **values: Changes.of(
        [scene.id],
        ["characters"] if values.get("characters") is not None or values.get("dialogue") else [],
        focus=scene.id,
    )
)
def edit_scene(project: Project, scene: Scene, **values) -> list[str]:
    """Set a scene's fields (text fields, ``duration``, ``characters`` as names, ``setting`` as a scene heading,
    ``dialogue`` as text, one ``Name: words`` a line); return the fields changed. Every value is checked
    before any is set: a refused edit changes nothing."""
    for name, value in values.items():
        if value is None:
            continue
        if name not in SCENE_TEXT_FIELDS + ("dialogue", "setting", "characters", "duration"):
            raise BadInput(f"a scene has no field '{name}'.")
        if name == "duration" and (not math.isfinite(value) or value < 0 or value > MAX_SCENE_SECONDS):
            raise BadInput(
                f"a scene's duration must be more than 0 seconds (0: timed by its narration) and at most "
                f"{MAX_SCENE_SECONDS:g}, not {value}."
            )
        if name == "dialogue" and isinstance(value, str):
            parse_dialogue(value, lambda n: n)  # a line with no speaker is refused before anything changes
    changed = []
    for name, value in values.items():
        if value is None:
            continue
        if name == "characters":
            value = [character_named(project, n, create=True).id for n in value]
        elif name == "dialogue":
            value = (
                parse_dialogue(value, lambda n: speaker(project, n).id) if isinstance(value, str) else value
            )
        elif name == "setting":
            value = parse_heading(value) if value.strip() else None
        elif name == "duration" and value == 0:  # 0: timed by the narration again
            if scene.duration is not None or scene.is_user_edited("duration"):
                scene.duration = None
                scene.user_edited = [f for f in scene.user_edited if f != "duration"]
                changed.append(name)
            continue
        if getattr(scene, name) != value:
            setattr(scene, name, value)
            changed.append(name)
    if changed:
        scene.mark_user_edit(*(name for name in changed if name != "duration" or scene.duration is not None))
        if "script" in changed and scene.takes:
            scene.stale = True
    return changed


def _check_position(project: Project, number: int, *, end: bool = False) -> None:
    last = len(project.scenes) + (1 if end else 0)
    if not 1 <= number <= max(last, 1):
        raise BadInput(f"there is no scene position {number}; give 1 to {max(last, 1)}.")


@touches(
    lambda project, numbers, to: Changes.of(
        order=True, focus=next(iter(_scene_ids(project, sorted(set(numbers)))), None)
    )
)
def move_scenes(project: Project, numbers: list[int], to: int) -> None:
    """Move scenes (1-based numbers, in any order) so that the first of them becomes scene ``to``; the moved
    scenes keep their order among themselves."""
    for number in numbers:
        find_scene(project, number)
    moving = [project.scenes[n - 1] for n in sorted(set(numbers))]
    rest = [s for s in project.scenes if all(s is not m for m in moving)]
    if not 1 <= to <= len(rest) + 1:
        raise BadInput(f"scenes can move to positions 1 to {len(rest) + 1}, not {to}.")
    project.scenes[:] = rest[: to - 1] + moving + rest[to - 1 :]


@touches(lambda project, number, scene=None: Changes.of(order=True))
def insert_scene(project: Project, number: int, scene: Scene | None = None) -> Scene:
    """Put a new (blank, or given) scene at position ``number``; it is the user's, so no agent rewrites it."""
    _check_position(project, number, end=True)
    scene = scene or Scene()
    scene.mark_user_edit(*SCENE_TEXT_FIELDS)
    project.scenes.insert(number - 1, scene)
    return scene


@touches(lambda project, number: Changes.of(order=True))
def duplicate_scene(project: Project, number: int) -> Scene:
    """A copy of scene ``number`` (text, characters and takes; a new id) placed right after it."""
    original = find_scene(project, number)
    copy = original.model_copy(deep=True, update={"id": Scene().id})
    copy.mark_user_edit(*SCENE_TEXT_FIELDS)
    project.scenes.insert(number, copy)
    return copy


@touches(lambda project, numbers: Changes.of(_scene_ids(project, numbers), order=True))
def delete_scenes(project: Project, numbers: list[int]) -> list[Scene]:
    """Remove scenes (their images stay in the project's assets); return them."""
    for number in numbers:
        find_scene(project, number)
    doomed = {project.scenes[n - 1].id for n in numbers}
    removed = [s for s in project.scenes if s.id in doomed]
    project.scenes[:] = [s for s in project.scenes if s.id not in doomed]
    return removed


@touches(_one_scene)
def delete_take(project: Project, scene: Scene, take_id: str) -> None:
    """Remove one take of a scene; the Base Frame's take and a pinned keyframe are refused."""
    try:
        take = scene.take(take_id)
    except KeyError:
        ids = ", ".join(t.id for t in scene.takes) or "none"
        raise BadInput(f"the scene has no take '{take_id}' (takes: {ids}).") from None
    if project.base_frame and project.base_frame.take_id == take_id:
        raise BadInput("that take is the Base Frame; pin another Base Frame before deleting it.")
    if scene.pinned and scene.selected_take == take_id:
        raise BadInput("that take is the scene's pinned keyframe; unpin it before deleting it.")
    if scene.end_frame == take_id:
        raise BadInput(
            "that take is the scene's end frame; unpin it (pin --end-frame --unpin) before deleting it."
        )
    scene.takes.remove(take)
    if scene.selected_take == take_id:
        best = max(scene.takes, key=lambda t: t.score or 0.0, default=None)
        scene.selected_take = best.id if best else None


def _set_fields(owner, given: dict) -> list[str]:
    """Set the fields that change, mark them as the user's, and name them."""
    changed = [name for name, value in given.items() if getattr(owner, name) != value]
    for name in changed:
        setattr(owner, name, given[name])
    if changed:
        owner.mark_user_edit(*changed)
    return changed


@touches(_fields("style"))
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


def character_named(project: Project, name: str, *, create: bool = False) -> Character:
    wanted = name.strip().casefold()
    for character in project.characters:
        if character.name.casefold() == wanted:
            return character
    if not create:
        # "Amara" for "Captain Amara Okafor", when only one character has that word in their name.
        partial = [c for c in project.characters if wanted and wanted in c.name.casefold().split()]
        if len(partial) == 1:
            return partial[0]
        names = ", ".join(c.name for c in project.characters) or "none yet"
        raise BadInput(f"there is no character '{name}' (characters: {names}).")
    if not name.strip():
        raise BadInput("a character needs a name.")
    character = Character(name=name.strip())
    character.mark_user_edit("name")
    project.characters.append(character)
    return character


def speaker(project: Project, name: str) -> Character:
    """The character a dialogue line names: by name, or a unique word of it ("June"); a new one otherwise."""
    try:
        return character_named(project, name)
    except BadInput:
        return character_named(project, name, create=True)


@touches(_fields("characters"))
def edit_character(
    project: Project, name: str, *, description: str | None = None, rename: str | None = None
) -> Character:
    """Change (or add) a character; what is changed becomes the user's."""
    new_name = rename.strip() if rename is not None else ""
    if new_name:
        try:
            current = character_named(project, name)
        except BadInput:
            current = None
        if any(c.name.casefold() == new_name.casefold() and c is not current for c in project.characters):
            raise BadInput(
                f"there is already a character named '{new_name}'; choose another name, or edit that one."
            )
    character = character_named(project, name, create=True)
    if description is not None and description != character.description:
        character.description = description
        character.mark_user_edit("description")
    if new_name and new_name != character.name:
        character.name = new_name
        character.mark_user_edit("name")
    return character


@touches(_fields("outline", "user_edited"))  # the outline is marked as the user's: undo unmarks it
def edit_outline(project: Project, outline: str) -> None:
    project.outline = outline
    project.mark_user_edit("outline")


@touches(_fields("directions"))
def set_direction(project: Project, phase: str, text: str) -> None:
    """The person's word to a phase's crew; it goes into that phase's next conversation."""
    if phase not in PHASES:
        raise BadInput(f"unknown phase '{phase}'; the phases are {', '.join(PHASES)}.")
    if text.strip():
        project.directions[phase] = text.strip()
    else:
        project.directions.pop(phase, None)


@touches(_one_scene)
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


@touches(_one_scene)
def pin_scene(scene: Scene, take_id: str | None = None, *, pinned: bool = True) -> None:
    """Pin (or unpin) a scene's keyframe: a pinned keyframe is never redrawn and serves as context."""
    if pinned:
        select_take(scene, take_id)
    scene.pinned = pinned


@touches(_one_scene)
def pin_end_frame(scene: Scene, take_id: str | None) -> None:
    """The take the scene's clip ends on (the scene's clip then ends on its own frame); None unpins it, and the
    clip ends as the export says."""
    if take_id is None:
        scene.end_frame = None
        scene.clip_end = "" if scene.clip_end == "own" else scene.clip_end
        return
    try:
        scene.take(take_id)
    except KeyError:
        ids = ", ".join(t.id for t in scene.takes) or "none"
        raise BadInput(f"the scene has no take '{take_id}' (takes: {ids}).") from None
    if take_id == scene.selected_take:
        raise BadInput("that take is the keyframe the clip starts on; pin another take as its end frame.")
    scene.end_frame, scene.clip_end = take_id, "own"


@touches(_one_scene)
def set_clip_end(scene: Scene, end: str) -> None:
    """Where this scene's clip ends: free, next, own, or empty for the export's choice."""
    if end not in ("", "free", "next", "own"):
        raise BadInput(
            f"'{end}' is not a clip end; give free, next or own (or nothing: the export's choice)."
        )
    scene.clip_end = end


@touches(lambda project, scene, take_id=None: Changes.of([scene.id], ["base_frame"], focus=scene.id))
def pin_base_frame(project: Project, scene: Scene, take_id: str | None = None) -> None:
    """Pin one of a scene's takes as the Base Frame that every keyframe is held to."""
    select_take(scene, take_id)
    keyframe = scene.keyframe
    assert keyframe is not None
    project.base_frame = BaseFrame(
        image=keyframe.image, source="take", take_id=keyframe.id, pinned_by_user=True
    )


@touches(_fields("base_frame"))
def unpin_base_frame(project: Project) -> None:
    if project.base_frame is not None:
        project.base_frame.pinned_by_user = False


@touches(_fields("base_description"))
def edit_base_description(project: Project, text: str) -> None:
    """The user's Base Description: kept, and never overwritten by the monitor."""
    project.base_description = BaseDescription(text=text, user_edited=bool(text.strip()))


@touches(_fields("base_description"))
def replace_base_description(project: Project, text: str) -> None:
    """Take the monitor's Base Description (from a re-describe the user accepted); agents may update it again."""
    project.base_description = BaseDescription(text=text, user_edited=False)


def parse_box(text: str, what: str = "layout box") -> Box:
    """A box (a layout box, a region) from ``left,top,right,bottom`` fractions of the frame."""
    try:
        left, top, right, bottom = (float(v) for v in text.split(","))
        return Box(left=left, top=top, right=right, bottom=bottom)
    except (ValueError, ValidationError):
        raise BadInput(
            f"'{text}' is not a {what}; give left,top,right,bottom as fractions of the frame from 0 to 1, "
            "with right > left and bottom > top (e.g. 0,0.1,0.5,1)."
        ) from None


def parse_layout(project: Project, scene: Scene, text: str) -> list[Placement]:
    """``Ada=0,0.1,0.5,1; Ben=0.5,0.1,1,1`` as the scene's placements (each a character in the scene)."""
    placements = []
    for part in filter(str.strip, text.split(";")):
        name, _, box = part.partition("=")
        character = character_named(project, name)
        if character.id not in scene.characters:
            raise BadInput(f"{character.name} is not in this scene; add them with --characters first.")
        placements.append(Placement(character=character.id, box=parse_box(box)))
    return placements


@touches(_one_scene)
def set_layout(project: Project, scene: Scene, placements: list[Placement]) -> None:
    """Where each character stands in a scene: the user's, kept by the art director. Empty: the art
    director lays the scene out again."""
    scene.layout = placements
    if placements:
        scene.mark_user_edit("layout")
    else:
        scene.user_edited = [f for f in scene.user_edited if f != "layout"]


@touches(_fields("characters"))
def pin_sheet(project: Project, character: Character, take_id: str) -> None:
    """Make one of the character's sheet takes their sheet, the user's from now on."""
    try:
        take = next(t for t in character.takes if t.id == take_id)
    except StopIteration:
        ids = ", ".join(t.id for t in character.takes) or "none"
        raise BadInput(f"{character.name} has no sheet take '{take_id}' (takes: {ids}).") from None
    source = character.sheet.source if character.sheet and character.sheet.take_id == take_id else "generated"
    character.sheet = CharacterSheet(image=take.image, source=source, take_id=take.id, pinned_by_user=True)


@touches(_fields("characters"))
def unpin_sheet(project: Project, character: Character) -> None:
    """Let the crew draw the character's sheet again on the next full keyframe run."""
    if character.sheet is not None:
        character.sheet.pinned_by_user = False


@touches(_fields("characters"))
def set_lora(
    project: Project, character: Character, file: str | None, trigger: str = "", weight: float = 0.8
) -> None:
    """Give a character a LoRA (a local .safetensors file), or take it away with ``file=None``."""
    if file is None:
        character.lora = None
        return
    path = Path(file).expanduser()
    if path.suffix.lower() != ".safetensors":
        raise BadInput(f"{path.name} is not a .safetensors file; the studio reads LoRAs in safetensors only.")
    if not path.is_file():
        raise BadInput(f"there is no LoRA file at {path}.")
    if not math.isfinite(weight) or not -2 <= weight <= 2:
        raise BadInput(f"a LoRA's weight is from -2 to 2 (usually 0.6 to 1), not {weight}.")
    character.lora = Lora(file=str(path.resolve()), trigger=trigger.strip(), weight=weight)


@touches(
    lambda project, order, durations, source="": Changes.of(
        [s.id for s in project.scenes], ["cut_scenes"], order=True
    )
)
def conform_to_edit(
    project: Project, order: list[str], durations: dict[str, float], source: str = ""
) -> list[Scene]:
    """Take an editor's cut: the scenes in ``order`` (ids) in that order, with the ``durations`` (seconds) the
    editor trimmed them to; the scenes it left out are cut (kept in ``cut_scenes``, to restore). Returns the
    scenes cut."""
    known = {s.id: s for s in project.scenes}
    missing = [i for i in order if i not in known]
    if missing or not order:
        raise BadInput(
            "the edit names no scene of this project; nothing was changed."
            if not order
            else f"the edit names scenes this project does not have ({', '.join(missing)}); nothing was changed."
        )
    for scene_id, seconds in durations.items():
        if not 0 < seconds <= MAX_SCENE_SECONDS:
            raise BadInput(
                f"the edit makes scene '{known[scene_id].title}' {seconds:.2f} s long; a scene lasts more than 0 "
                f"and at most {MAX_SCENE_SECONDS:g} seconds. Nothing was changed."
            )
    kept = list(dict.fromkeys(order))
    cut = [s for s in project.scenes if s.id not in set(kept)]
    for scene in cut:
        project.cut_scenes.append(
            CutScene(
                scene=scene, position=project.scene_number(scene.id), reason=f"cut in {source or 'the edit'}"
            )
        )
    project.scenes[:] = [known[i] for i in kept]
    for scene_id, seconds in durations.items():
        scene = known[scene_id]
        if scene.duration != seconds:
            scene.duration = seconds
            scene.mark_user_edit("duration")
    return cut


@touches(lambda project, scene_ids=None: Changes.of(fields=["cut_scenes"], order=True))
def restore_scenes(project: Project, scene_ids: list[str] | None = None) -> list[Scene]:
    """Put cut scenes (all, or those ids) back where they were, as near as the film now allows."""
    chosen = [c for c in project.cut_scenes if scene_ids is None or c.scene.id in scene_ids]
    if not chosen:
        raise BadInput(
            "there is no cut scene to restore." if not project.cut_scenes else "no such cut scene."
        )
    for cut in sorted(chosen, key=lambda c: c.position):
        if cut.scene.id in {s.id for s in project.scenes}:
            cut.scene.id = new_id("scene")  # a hand-edited file may reuse a live scene's id
        project.scenes.insert(min(cut.position, len(project.scenes) + 1) - 1, cut.scene)
        project.cut_scenes.remove(cut)
    return [c.scene for c in chosen]
