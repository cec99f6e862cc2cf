"""The cast in the keyframe phase: character sheets, who stands where, and the references and LoRAs of a scene.

A character's sheet is drawn at the start of the keyframe phase like the Base Frame (the art director writes a
full-figure prompt from the look and the style, the painter draws, the monitor reviews, for up to R rounds),
unless the user imported or pinned one. A scene with several characters gets a layout, a box per character,
from the art director's ``LAYOUT:`` line or, failing that, side by side in the order the scene names them.
"""

from __future__ import annotations

import re
from pathlib import Path

from dreamfactory_studio.backends.image import LoraWeights, Reference
from dreamfactory_studio.core.model import Box, Character, Placement, Project, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder

SHEET_TASK = (
    "Write the image prompt for this character's reference sheet: the whole figure, standing, front view, on a "
    "plain neutral background, with every fixed feature of their look (age, build, hair, clothing and its "
    "colours, props) and the film's style. Reason briefly, then write <INFO> followed by the prompt."
)
COLUMNS = {"left": 0.0, "centre": 0.5, "center": 0.5, "middle": 0.5, "right": 1.0}
DEPTHS = {"foreground": (0.12, 1.0), "background": (0.3, 0.78)}


def present(project: Project, scene: Scene) -> list[Character]:
    """The characters in a scene, in the order it names them."""
    known = {c.id: c for c in project.characters}
    return [known[i] for i in scene.characters if i in known]


def boxes(project: Project, scene: Scene) -> tuple[Box | None, ...]:
    """Where each present character stands, in the order :func:`present` gives them (None: not laid out)."""
    placed = {p.character: p.box for p in scene.layout}
    return tuple(placed.get(c.id) for c in present(project, scene))


def side_by_side(ids: list[str]) -> list[Placement]:
    """Boxes in equal columns, the first character on the left; nothing for a scene of one or none."""
    if len(ids) < 2:
        return []
    width = 1.0 / len(ids)
    return [
        Placement(character=i, box=Box(left=n * width, top=0.1, right=(n + 1) * width, bottom=1.0))
        for n, i in enumerate(ids)
    ]


def parse_layout(text: str, characters: list[Character]) -> list[Placement]:
    """The art director's ``LAYOUT: Ada left foreground; Ben right`` as boxes; characters it does not place
    keep their side-by-side column. Empty for a scene of one character."""
    if len(characters) < 2:
        return []
    placed = {p.character: p for p in side_by_side([c.id for c in characters])}
    line = next((m.group(1) for m in re.finditer(r"LAYOUT:\s*(.+)", text, re.IGNORECASE)), "")
    width = 1.0 / len(characters)
    for part in re.split(r"[;\n]", line):
        words = re.findall(r"[\w'-]+", part.lower())
        character = next((c for c in characters if c.name.lower().split()[0] in words), None)
        column = next((COLUMNS[w] for w in words if w in COLUMNS), None)
        if character is None or column is None:
            continue
        top, bottom = next((DEPTHS[w] for w in words if w in DEPTHS), (0.1, 1.0))
        left = min(max(column - width / 2 if column == 0.5 else column * (1 - width), 0.0), 1.0 - width)
        placed[character.id] = Placement(
            character=character.id, box=Box(left=left, top=top, right=left + width, bottom=bottom)
        )
    return [placed[c.id] for c in characters]


def identity_references(folder: ProjectFolder, project: Project, scene: Scene) -> list[Reference]:
    """Each present character's sheet, held to their layout box; characters without a sheet, or whose sheet
    file is missing, are left out (the take's recipe says so)."""
    boxes = {p.character: p.box for p in scene.layout}
    made = []
    for character in present(project, scene):
        if character.sheet is None:
            continue
        path = folder.asset_path(character.sheet.image)
        if path.is_file():
            made.append(
                Reference(
                    "identity",
                    path,
                    character.sheet.image,
                    character.id,
                    boxes.get(character.id),
                    character.name,
                )
            )
    return made


def sheet_files(folder: ProjectFolder, project: Project) -> dict[str, Path]:
    """Every character's sheet file that is there, by character id."""
    files = {c.id: folder.asset_path(c.sheet.image) for c in project.characters if c.sheet}
    return {character_id: path for character_id, path in files.items() if path.is_file()}


def missing_sheets(folder: ProjectFolder, project: Project, scene: Scene) -> list[str]:
    """Notes for the present characters whose sheet is missing or whose file is gone."""
    notes = []
    for character in present(project, scene):
        if character.sheet is None:
            notes.append(f"{character.name} has no sheet yet, so nothing held their look")
        elif not folder.asset_path(character.sheet.image).is_file():
            notes.append(
                f"{character.name}'s sheet {character.sheet.image} is missing; draw or import it again"
            )
    return notes


def scene_loras(project: Project, scene: Scene) -> list[LoraWeights]:
    return [
        LoraWeights(Path(c.lora.file).expanduser(), c.lora.weight, c.lora.trigger, c.id)
        for c in present(project, scene)
        if c.lora is not None
    ]


def look(character: Character) -> str:
    """How the painter is told of a character: trigger word (their LoRA's), name, look."""
    trigger = f"{character.lora.trigger} " if character.lora and character.lora.trigger else ""
    description = f" ({character.description})" if character.description else ""
    return f"{trigger}{character.name}{description}"
