"""The small exports: the keyframes as a numbered PNG sequence and the shot list as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dreamfactory_studio.backends.image.files import read_image_file
from dreamfactory_studio.core.atomic import atomic_write_bytes, atomic_write_text
from dreamfactory_studio.core.model import Project
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.export.timeline import Timeline

SHOT_LIST_COLUMNS = [
    "scene",
    "title",
    "start",
    "end",
    "duration",
    "shot",
    "camera",
    "characters",
    "script",
    "narration",
    "keyframe",
    "seed",
    "score",
]


def write_frames(folder: ProjectFolder, project: Project, target: Path) -> list[Path]:
    """Each scene's keyframe as ``scene-001.png``, ``scene-002.png``, ... in ``target`` (made if missing)."""

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for number, scene in enumerate(project.scenes, 1):
        path = target / f"scene-{number:03d}.png"
        source = folder.asset_path(scene.keyframe.image)
        if source.suffix.lower() == ".png":
            atomic_write_bytes(path, source.read_bytes())
        else:
            atomic_write_bytes(path, read_image_file(source))
        written.append(path)
    return written


def shot_list_rows(project: Project, timeline: Timeline) -> list[dict[str, str]]:
    rows = []
    for segment in timeline.segments:
        plan = segment.plan
        if plan is None:
            continue
        scene = project.scene(plan.scene_id)
        take = scene.keyframe
        names = [
            project.character(cid).name
            for cid in scene.characters
            if any(c.id == cid for c in project.characters)
        ]
        rows.append(
            {
                "scene": str(plan.number),
                "title": scene.title,
                "start": f"{segment.first / timeline.fps:.3f}",
                # Until the next scene begins (its crossfade in): the scene's one length, as the edit cuts it.
                "end": f"{segment.first / timeline.fps + plan.length:.3f}",
                "duration": f"{plan.length:.3f}",
                "shot": scene.shot,
                "camera": scene.camera,
                "characters": "; ".join(names),
                "script": scene.script,
                "narration": scene.narration,
                "keyframe": take.image if take else "",
                "seed": str(take.seed) if take else "",
                "score": f"{take.score:.2f}" if take and take.score is not None else "",
            }
        )
    return rows


def write_shot_list(path: Path, project: Project, timeline: Timeline) -> Path:
    """The shot list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read accents right)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SHOT_LIST_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(shot_list_rows(project, timeline))
    atomic_write_text(Path(path), "\ufeff" + buffer.getvalue())
    return Path(path)
