"""Making a new project from a story file."""

from __future__ import annotations

from pathlib import Path

from dreamfactory_studio.core.errors import BadInput
from dreamfactory_studio.core.model import Project, Request
from dreamfactory_studio.core.project_folder import ProjectFolder
from dreamfactory_studio.core.story import check_story_text, read_story, title_from

MAX_SCENES = 500


def new_project(
    story_file: Path | str,
    project_dir: Path | str,
    *,
    scenes: int | None = None,
    style: str | None = None,
    title: str | None = None,
) -> ProjectFolder:
    """Make a project folder from a story file and return it open (locked). Bad input leaves nothing behind."""
    story_path = Path(story_file).expanduser()
    fallback = story_path.stem.replace("-", " ").replace("_", " ").strip().title() or "Untitled"
    _check_options(scenes, style, title)
    return new_project_from_text(
        read_story(story_path), project_dir, scenes=scenes, style=style, title=title, fallback_title=fallback
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
