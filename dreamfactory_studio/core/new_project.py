"""Making a new project from a story file."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Character, DialogueLine, Project, Request, Scene
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.screenplay import (
    SCREENPLAY_SUFFIXES,
    Screenplay,
    is_screenplay,
    looks_like_fountain,
    mentioned,
    read_screenplay,
    screenplay_from_fountain,
)
from dreamfactory_studio.core.story import check_story_text, read_story, title_from

MAX_SCENES = 500


def new_project(
    story_file: Path | str,
    project_dir: Path | str,
    *,
    scenes: int | None = None,
    style: str | None = None,
    title: str | None = None,
    merge_scenes: bool = False,
) -> ProjectFolder:
    """Make a project folder from a story file, or a screenplay (Fountain, Final Draft: see
    :func:`project_from_screenplay`), and return it open (locked). Bad input leaves nothing behind."""
    story_path = Path(story_file).expanduser()
    fallback = story_path.stem.replace("-", " ").replace("_", " ").strip().title() or "Untitled"
    _check_options(scenes, style, title)
    if story_path.suffix.lower() == ".fdx" or (
        story_path.suffix.lower() in SCREENPLAY_SUFFIXES and story_path.is_file()
    ):
        text = None
    else:
        text = read_story(story_path)
    if text is None or is_screenplay(story_path, text):
        project = project_from_screenplay(
            read_screenplay(story_path), scenes=scenes, style=style, title=title, merge=merge_scenes
        )
        if project is not None:
            return ProjectFolder.create(project_dir, project)
        text = text if text is not None else read_story(story_path)
    return new_project_from_text(
        text, project_dir, scenes=scenes, style=style, title=title, fallback_title=fallback
    )


def new_project_from_text(
    story: str,
    project_dir: Path | str,
    *,
    scenes: int | None = None,
    style: str | None = None,
    title: str | None = None,
    fallback_title: str | None = None,
) -> ProjectFolder:
    """Make a project folder from a story's text (pasted in the window) and return it open (locked). With no
    title, the story's first line gives one (``fallback_title`` when that line is a sentence, or its first
    words with none)."""
    _check_options(scenes, style, title)
    story = check_story_text(story)
    if looks_like_fountain(story):
        made = project_from_screenplay(
            screenplay_from_fountain(story, fallback_title or "Untitled"),
            scenes=scenes,
            style=style,
            title=title,
        )
        if made is not None:
            return ProjectFolder.create(project_dir, made)
    project = Project(
        title=(title or "").strip() or title_from(story, fallback_title),
        story=story,
        request=Request(scenes=scenes, style=(style or "").strip()),
    )
    return ProjectFolder.create(project_dir, project)


def _check_options(scenes: int | None, style: str | None, title: str | None) -> None:
    if scenes is not None and not 1 <= scenes <= MAX_SCENES:
        raise BadInput(f"--scenes must be between 1 and {MAX_SCENES}, not {scenes}.")
    if style is not None and not style.strip():
        raise BadInput("--style is empty; name a style such as 'illustration' or describe one in words.")
    if title is not None and not title.strip():
        raise BadInput("--title is empty; give the film a title or leave the option out.")


SCREENPLAY_EDITS = ("title", "script", "narration", "characters", "setting", "dialogue", "notes")
"""The fields of a scene the screenplay wrote: the writer's, so the crew fills only shot, camera and duration."""


def project_from_screenplay(
    screenplay: Screenplay,
    *,
    scenes: int | None = None,
    style: str | None = None,
    title: str | None = None,
    merge: bool = False,
) -> Project | None:
    """A project holding the screenplay's scenes and cast as the user's own work; None when it has no scene
    headings (it is then read as prose). More headings than ``scenes`` (or the studio's limit) is refused
    unless ``merge`` joins neighbouring scenes."""
    if not screenplay.scenes:
        return None
    parts = screenplay.scenes
    limit = min(scenes or MAX_SCENES, MAX_SCENES)
    if len(parts) > limit:
        if not merge:
            asked = f"--scenes {scenes}" if scenes else f"the studio's limit of {MAX_SCENES}"
            raise BadInput(
                f"the screenplay has {len(parts)} scene headings, more than {asked}; pass --merge-scenes to "
                f"join neighbouring scenes into {limit}, or split the screenplay into parts."
            )
        parts = _merged(parts, limit)
    cast = {id(m): Character(name=m.name, description=m.description) for m in screenplay.cast}
    for character in cast.values():
        character.mark_user_edit("name", *(("description",) if character.description else ()))
    voice_over = screenplay.voice_over
    made: list[Scene] = []
    for part in parts:
        dialogue = [
            DialogueLine(
                character=cast[id(screenplay.member(s.cue))].id,
                text=s.text,
                extension=s.extension,
                parenthetical=s.parenthetical,
                dual=s.dual,
            )
            for s in part.speeches
        ]
        spoken = [line.text for line in dialogue if line.voice_over or not voice_over]
        present = [
            cast[id(m)].id
            for m in screenplay.cast
            if mentioned(part.script, m) or any(s.cue in m.keys for s in part.speeches)
        ]
        scene = Scene(
            title=part.heading,
            script=part.script,
            narration=" ".join(spoken),
            setting=part.setting,
            dialogue=dialogue,
            notes="\n".join(part.notes),
            characters=present,
        )
        scene.from_screenplay = list(SCREENPLAY_EDITS)
        made.append(scene)
    return Project(
        title=(title or "").strip() or screenplay.title,
        author=screenplay.author,
        source=screenplay.format,
        story=_prose(made, list(cast.values())),
        request=Request(scenes=len(made), style=(style or "").strip()),
        characters=list(cast.values()),
        scenes=made,
    )


def _merged(parts: list, count: int) -> list:
    """``parts`` joined into ``count`` runs of neighbours, each keeping its first heading and all the rest."""
    runs = [parts[i * len(parts) // count : (i + 1) * len(parts) // count] for i in range(count)]
    merged = []
    for run in runs:
        first = run[0]
        for other in run[1:]:
            first.action += other.action
            first.speeches += other.speeches
            first.notes += [f"merged: {other.heading}"] + other.notes
        merged.append(first)
    return merged


def _prose(scenes: list[Scene], cast: list[Character]) -> str:
    """The screenplay as the story the crew reads: a paragraph a scene, its action and then its lines."""
    names = {c.id: c.name for c in cast}
    paragraphs = []
    for scene in scenes:
        said = " ".join(f'{names[line.character]}: "{line.text}"' for line in scene.dialogue)
        paragraph = " ".join(f"{scene.script} {said}".split())
        paragraphs.append(paragraph or scene.title)
    return "\n\n".join(paragraphs)
