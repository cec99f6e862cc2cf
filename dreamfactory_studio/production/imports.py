"""Bringing a user's image into a project as a take or a character's sheet, and pinning it."""

from __future__ import annotations

import io
from pathlib import Path

from dreamfactory_studio.backends.image.files import read_image_file
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.changes import Changes, touches
from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Box, Character, CharacterSheet, Project, Scene, Take
from dreamfactory_studio.core.project_folder import ProjectFolder


@touches(lambda folder, project, scene, file, select=True: Changes.of([scene.id], focus=scene.id))
def import_take(
    folder: ProjectFolder, project: Project, scene: Scene, file: Path | str, *, select: bool = True
) -> Take:
    """Add an image file as a new take of ``scene``, and select it unless ``select`` is False."""
    asset = folder.add_asset(read_image_file(file), ".png")
    take = Take(image=asset, seed=0, prompt=f"imported from {Path(file).name}", backend="imported")
    scene.takes.append(take)
    if select:
        scene.selected_take = take.id
    return take


@touches(
    lambda folder, project, file: Changes.of(
        project.scenes[:1] and [project.scenes[0].id],
        ["base_frame"],
        focus=project.scenes[0].id if project.scenes else None,
    )
)
def import_base_frame(folder: ProjectFolder, project: Project, file: Path | str) -> Take:
    """Pin an image file as the Base Frame; it becomes a take of scene 1."""
    scene = edits.find_scene(project, 1)
    take = import_take(folder, project, scene, file)
    edits.pin_base_frame(project, scene, take.id)
    project.base_frame.source = "imported"
    return take


@touches(lambda folder, project, character, file: Changes.of(fields=["characters"]))
def import_sheet(folder: ProjectFolder, project: Project, character: Character, file: Path | str) -> Take:
    """An image file as the character's sheet, pinned: the user's."""
    asset = folder.add_asset(read_image_file(file), ".png")
    take = Take(image=asset, seed=0, prompt=f"imported from {Path(file).name}", backend="imported")
    character.takes.append(take)
    character.sheet = CharacterSheet(image=asset, source="imported", take_id=take.id, pinned_by_user=True)
    return take


@touches(lambda folder, project, character, scene, take_id=None, box=None: Changes.of(fields=["characters"]))
def sheet_from_take(
    folder: ProjectFolder,
    project: Project,
    character: Character,
    scene: Scene,
    take_id: str | None = None,
    box: Box | None = None,
) -> Take:
    """Pin a crop of one of a scene's takes as the character's sheet: ``box``, else where the scene's layout
    puts them, else the whole frame."""
    from dreamfactory_studio.backends.image.files import open_image

    try:
        take = scene.take(take_id) if take_id else scene.keyframe
    except KeyError:
        ids = ", ".join(t.id for t in scene.takes) or "none"
        raise BadInput(f"the scene has no take '{take_id}' (takes: {ids}).") from None
    if take is None:
        raise BadInput("the scene has no keyframe yet; draw it first or name a take with --take.")
    if box is None:
        box = next((p.box for p in scene.layout if p.character == character.id), None)
    image = open_image(folder.asset_path(take.image))
    if box is not None:
        image = image.crop(box.pixels(*image.size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    asset = folder.add_asset(buffer.getvalue(), ".png")
    sheet = Take(
        image=asset,
        seed=take.seed,
        prompt=f"cropped from scene {project.scene_number(scene.id)}, take {take.id}",
        backend="crop",
        references=[take.image],
    )
    character.takes.append(sheet)
    character.sheet = CharacterSheet(image=asset, source="take", take_id=sheet.id, pinned_by_user=True)
    return sheet
