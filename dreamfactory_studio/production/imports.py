"""Bringing a user's image into a project as a take, and pinning it."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.backends.image.files import read_image_file
from dreamfactory_studio.core import edits
from dreamfactory_studio.core.changes import Changes, touches
from dreamfactory_studio.core.model import Project, Scene, Take
from dreamfactory_studio.core.project_folder import ProjectFolder


@touches(lambda folder, project, scene, file: Changes.of([scene.id], focus=scene.id))
def import_take(folder: ProjectFolder, project: Project, scene: Scene, file: Path | str) -> Take:
    """Add an image file as a new take of ``scene`` and select it."""
    asset = folder.add_asset(read_image_file(file), ".png")
    take = Take(image=asset, seed=0, prompt=f"imported from {Path(file).name}", backend="imported")
    scene.takes.append(take)
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
